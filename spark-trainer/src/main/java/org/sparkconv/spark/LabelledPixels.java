package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/** One example on its way into a shard: where it came from, its label, its CHW pixels. */
public record LabelledPixels(String origin, int label, byte[] pixels) {

  static final class KryoSerializer extends Serializer<LabelledPixels> {
    @Override
    public void write(Kryo kryo, Output out, LabelledPixels e) {
      out.writeString(e.origin);
      out.writeInt(e.label);
      out.writeInt(e.pixels.length, true);
      out.writeBytes(e.pixels);
    }

    @Override
    public LabelledPixels read(Kryo kryo, Input in, Class<LabelledPixels> type) {
      String origin = in.readString();
      int label = in.readInt();
      return new LabelledPixels(origin, label, in.readBytes(in.readInt(true)));
    }
  }
}
