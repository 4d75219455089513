package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/** One training example on its way into a shard: where it came from, its label, CHW pixels. */
public record LabelledPixels(String origin, int label, byte[] pixels)
    implements java.io.Serializable {

  static final class KryoSerializer extends Serializer<LabelledPixels> {
    @Override
    public void write(Kryo kryo, Output out, LabelledPixels e) {
      out.writeString(e.origin);
      out.writeInt(e.label);
      KryoArrays.writeBytes(out, e.pixels);
    }

    @Override
    public LabelledPixels read(Kryo kryo, Input in, Class<LabelledPixels> type) {
      String origin = in.readString();
      int label = in.readInt();
      return new LabelledPixels(origin, label, KryoArrays.readBytes(in));
    }
  }
}
