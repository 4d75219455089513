package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * One image as an input reader delivers it, for training and scoring alike: its id (file path
 * or row key), its label if known (-1 otherwise), and its pixels in the model's CHW layout, or
 * the reason it could not be read or converted (then pixels are null).
 */
public record ImageRow(String id, int label, byte[] pixels, String error)
    implements java.io.Serializable {

  /** An image that could not be read or converted. */
  public static ImageRow failed(String id, int label, String error) {
    return new ImageRow(id, label, null, error);
  }

  static final class KryoSerializer extends Serializer<ImageRow> {
    @Override
    public void write(Kryo kryo, Output out, ImageRow s) {
      out.writeString(s.id);
      out.writeInt(s.label);
      out.writeString(s.error);
      KryoArrays.writeBytes(out, s.pixels);
    }

    @Override
    public ImageRow read(Kryo kryo, Input in, Class<ImageRow> type) {
      String id = in.readString();
      int label = in.readInt();
      String error = in.readString();
      return new ImageRow(id, label, KryoArrays.readBytes(in), error);
    }
  }
}
