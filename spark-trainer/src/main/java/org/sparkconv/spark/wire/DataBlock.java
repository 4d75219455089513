package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * A packed block of labelled 8-bit images, {@code count} of them NCHW in one {@code byte[]}:
 * the unit in which training data is cached and shipped (never one row per image).
 */
public record DataBlock(int count, int imageSize, byte[] pixels, int[] labels)
    implements java.io.Serializable {

  public DataBlock {
    if ((long) count * imageSize != pixels.length || labels.length != count) {
      throw new IllegalArgumentException("block of " + count + " images of " + imageSize
          + " bytes cannot hold " + pixels.length + " bytes and " + labels.length + " labels");
    }
  }

  /** Explicit wire format: counts, then the two arrays. */
  static final class KryoSerializer extends Serializer<DataBlock> {
    @Override
    public void write(Kryo kryo, Output out, DataBlock b) {
      out.writeInt(b.count, true);
      out.writeInt(b.imageSize, true);
      out.writeBytes(b.pixels);
      out.writeInts(b.labels);
    }

    @Override
    public DataBlock read(Kryo kryo, Input in, Class<DataBlock> type) {
      int count = in.readInt(true);
      int imageSize = in.readInt(true);
      byte[] pixels = in.readBytes(count * imageSize);
      int[] labels = in.readInts(count);
      return new DataBlock(count, imageSize, pixels, labels);
    }
  }
}
