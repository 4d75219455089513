package org.sparkconv.spark.data;

import java.util.List;
import org.apache.spark.sql.Row;
import org.sparkconv.engine.tensor.Shape;

/** A DataFrame image value (binary or an array of numbers) as a model's 8-bit CHW pixels. */
public final class PixelColumns {

  private PixelColumns() {}

  /**
   * Column {@code at} of {@code r} as 8-bit CHW pixels of {@code target}: binary as is, or an
   * array of numbers 0-255 (0-1 when {@code unitRange}, then scaled by 255), rounded. A null,
   * a value out of range or a size that does not match fails, naming {@code origin}.
   */
  public static byte[] pixels(Row r, int at, Shape target, boolean unitRange, String origin) {
    if (r.isNullAt(at)) {
      throw new IllegalArgumentException(origin + ": the image is null");
    }
    byte[] out;
    if (r.get(at) instanceof byte[] bytes) {
      out = bytes;
    } else {
      List<Object> values = r.getList(at);
      out = new byte[values.size()];
      for (int i = 0; i < out.length; i++) {
        double v = ((Number) values.get(i)).doubleValue() * (unitRange ? 255 : 1);
        if (!(v >= -0.5 && v <= 255.5)) {
          throw new IllegalArgumentException(origin + ": value " + values.get(i) + " at " + i
              + " is outside " + (unitRange ? "[0, 1]" : "[0, 255]"));
        }
        out[i] = (byte) Math.round(v);
      }
    }
    if (out.length != target.size()) {
      throw new IllegalArgumentException(origin + ": image has " + out.length
          + " values; the model takes " + target + " = " + target.size());
    }
    return out;
  }
}
