package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * All of one partition's examples, as a few packed blocks. Local example {@code i} is example
 * {@code i % blockSize} of block {@code i / blockSize}.
 */
public record Shard(int partition, int count, int blockSize, DataBlock[] blocks)
    implements java.io.Serializable {

  /** The label of local example {@code local}. */
  public int label(int local) {
    return blocks[local / blockSize].labels()[local % blockSize];
  }

  /** Copies the raw pixels of local example {@code local} to {@code dst[dstOff ...]}. */
  public void pixels(int local, byte[] dst, int dstOff) {
    DataBlock b = blocks[local / blockSize];
    System.arraycopy(b.pixels(), (local % blockSize) * b.imageSize(), dst, dstOff,
        b.imageSize());
  }

  static final class KryoSerializer extends Serializer<Shard> {
    @Override
    public void write(Kryo kryo, Output out, Shard s) {
      out.writeInt(s.partition, true);
      out.writeInt(s.count, true);
      out.writeInt(s.blockSize, true);
      out.writeInt(s.blocks.length, true);
      for (DataBlock b : s.blocks) {
        kryo.writeObject(out, b);
      }
    }

    @Override
    public Shard read(Kryo kryo, Input in, Class<Shard> type) {
      int partition = in.readInt(true);
      int count = in.readInt(true);
      int blockSize = in.readInt(true);
      DataBlock[] blocks = new DataBlock[in.readInt(true)];
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = kryo.readObject(in, DataBlock.class);
      }
      return new Shard(partition, count, blockSize, blocks);
    }
  }
}
