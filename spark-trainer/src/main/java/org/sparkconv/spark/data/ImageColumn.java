package org.sparkconv.spark.data;

import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.sparkconv.engine.tensor.Shape;

/**
 * An image column of a user's DataFrame, in any of the forms Spark users have images in:
 * <ul>
 *   <li>Spark's image struct ({@code spark.read.format("image")}: height, width, nChannels,
 *       mode, data as interleaved B, G, R bytes), converted and resized as
 *       {@link ImageConversion} does;</li>
 *   <li>binary: an encoded file (PNG, JPEG, ... as {@code spark.read.format("binaryFile")}
 *       gives it), decoded; or exactly the model's 8-bit CHW pixels;</li>
 *   <li>an array of numbers or an ML {@code Vector}: CHW pixel values 0-255.</li>
 * </ul>
 */
public final class ImageColumn {

  /** What {@link #check} accepts, for messages. */
  public static final String ACCEPTED = "Spark's image struct (spark.read.format(\"image\")),"
      + " binary (encoded PNG/JPEG, or 8-bit CHW pixels), array<number> or vector of CHW"
      + " pixel values 0-255";

  private ImageColumn() {}

  /** Fails, naming the column and its type, unless {@code schema} has it in a usable form. */
  public static void check(StructType schema, String column) {
    List<String> names = List.of(schema.fieldNames());
    if (!names.contains(column)) {
      throw new IllegalArgumentException("the DataFrame has no image column '" + column
          + "'; its columns are " + names);
    }
    DataType type = schema.apply(column).dataType();
    if (!accepted(type)) {
      throw new IllegalArgumentException("image column '" + column + "' is " + type.simpleString()
          + "; expected " + ACCEPTED);
    }
  }

  private static boolean accepted(DataType type) {
    if (type instanceof BinaryType || type instanceof VectorUDT) {
      return true;
    }
    if (type instanceof ArrayType array) {
      return array.elementType() instanceof NumericType;
    }
    if (type instanceof StructType struct) {
      List<String> fields = List.of(struct.fieldNames());
      return fields.containsAll(List.of("height", "width", "nChannels", "data"));
    }
    return false;
  }

  /** The image at column {@code at} of {@code row} as 8-bit CHW pixels of {@code target}. */
  public static byte[] pixels(Row row, int at, Shape target, String origin) {
    if (row.isNullAt(at)) {
      throw new IllegalArgumentException(origin + ": the image is null");
    }
    Object value = row.get(at);
    if (value instanceof Row struct) {
      int h = struct.getInt(struct.fieldIndex("height"));
      int w = struct.getInt(struct.fieldIndex("width"));
      int c = struct.getInt(struct.fieldIndex("nChannels"));
      String name = struct.schema().getFieldIndex("origin").isDefined()
          && !struct.isNullAt(struct.fieldIndex("origin"))
          ? struct.getString(struct.fieldIndex("origin")) : origin;
      return ImageConversion.toChw((byte[]) struct.get(struct.fieldIndex("data")), h, w, c,
          target, name);
    }
    if (value instanceof byte[] bytes) {
      return encoded(bytes) ? ImageDecoding.decode(bytes, origin, target)
          : PixelColumns.pixels(row, at, target, false, origin);
    }
    if (value instanceof Vector vector) {
      double[] values = vector.toArray();
      if (values.length != target.size()) {
        throw new IllegalArgumentException(origin + ": image has " + values.length
            + " values; the model takes " + target + " = " + target.size());
      }
      byte[] out = new byte[values.length];
      for (int i = 0; i < out.length; i++) {
        if (!(values[i] >= -0.5 && values[i] <= 255.5)) {
          throw new IllegalArgumentException(origin + ": value " + values[i] + " at " + i
              + " is outside [0, 255]");
        }
        out[i] = (byte) Math.round(values[i]);
      }
      return out;
    }
    return PixelColumns.pixels(row, at, target, false, origin);
  }

  /** Whether {@code bytes} start like an image file (PNG, JPEG, GIF, BMP, TIFF). */
  static boolean encoded(byte[] b) {
    return b.length >= 4 && ((b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
        || (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8
        || b[0] == 'G' && b[1] == 'I' && b[2] == 'F'
        || b[0] == 'B' && b[1] == 'M'
        || b[0] == 'I' && b[1] == 'I' && b[2] == 42 || b[0] == 'M' && b[1] == 'M' && b[3] == 42);
  }
}
