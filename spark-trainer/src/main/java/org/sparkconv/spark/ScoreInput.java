package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * One image to score: its id (file path or row key), its label if known (-1 otherwise), and its
 * pixels in the model's CHW layout, or the reason it could not be converted.
 */
public record ScoreInput(String id, int label, byte[] pixels, String error) {

  static final class KryoSerializer extends Serializer<ScoreInput> {
    @Override
    public void write(Kryo kryo, Output out, ScoreInput s) {
      out.writeString(s.id);
      out.writeInt(s.label);
      out.writeString(s.error);
      out.writeInt(s.pixels == null ? -1 : s.pixels.length, false);
      if (s.pixels != null) {
        out.writeBytes(s.pixels);
      }
    }

    @Override
    public ScoreInput read(Kryo kryo, Input in, Class<ScoreInput> type) {
      String id = in.readString();
      int label = in.readInt();
      String error = in.readString();
      int n = in.readInt(false);
      return new ScoreInput(id, label, n < 0 ? null : in.readBytes(n), error);
    }
  }
}
