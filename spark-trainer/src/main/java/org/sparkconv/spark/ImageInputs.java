package org.sparkconv.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.sparkconv.engine.tensor.Shape;

/**
 * Labelled images read on the executors, converted to a model's input: folders of PNG/JPEG
 * files through Spark's image data source (label from the sub-folder name), and Parquet tables
 * with a label column and an image column. Every problem names the file or row.
 */
public final class ImageInputs {

  private ImageInputs() {}

  /**
   * Every image file under {@code root}/{@code <class folder>}/, read with Spark's
   * {@code binaryFile} source and decoded on the executors. Class names come from the model (a
   * folder matches a class when its name equals the class name, or the name with every
   * character outside {@code [A-Za-z0-9._-]} replaced by {@code _}, since "T-shirt/top" cannot
   * be a folder); without class names, the sorted folder names are the classes. Files that do not
   * decode are skipped and counted in {@code skipped[0]}.
   */
  public static JavaRDD<LabelledPixels> imageFolder(SparkSession spark, String root,
      Shape target, List<String> classNames, long[] skipped) {
    JavaRDD<Decoded> decoded = decodedFiles(spark, root, target);
    List<String> classes = classNames.isEmpty()
        ? decoded.map(d -> folderOf(d.origin())).distinct().collect().stream().sorted().toList()
        : classNames;
    Map<String, Integer> index = new HashMap<>();
    for (int k = 0; k < classes.size(); k++) {
      index.put(classes.get(k), k);
      index.putIfAbsent(safeFolderName(classes.get(k)), k);
    }
    skipped[0] = decoded.filter(d -> d.error() != null).count();
    return decoded.filter(d -> d.error() == null).map(d -> {
      Integer label = index.get(folderOf(d.origin()));
      if (label == null) {
        throw new IllegalArgumentException(d.origin() + ": folder '" + folderOf(d.origin())
            + "' is not one of the model's classes " + classes);
      }
      return new LabelledPixels(d.origin(), label, d.pixels());
    });
  }

  /** One file: its pixels in the model's layout, or why it could not be decoded. */
  record Decoded(String origin, byte[] pixels, String error) {}

  /** Every file under {@code root}, recursively, decoded for {@code target}. */
  static JavaRDD<Decoded> decodedFiles(SparkSession spark, String root, Shape target) {
    Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(root).select("path", "content");
    return files.javaRDD().map(r -> {
      String origin = r.getString(0);
      try {
        return new Decoded(origin, ImageDecoding.decode((byte[]) r.get(1), origin, target), null);
      } catch (IllegalArgumentException e) {
        return new Decoded(origin, null, e.getMessage());
      }
    });
  }

  /**
   * Rows of a Parquet table (any Hadoop URI): {@code labelColumn} integral;
   * {@code imageColumn} binary (8-bit CHW of the model's shape) or an array of numbers in CHW
   * order, 0-255, or 0-1 when {@code unitRange} (then scaled by 255 and rounded).
   */
  public static JavaRDD<LabelledPixels> parquet(SparkSession spark, String path,
      String imageColumn, String labelColumn, Shape target, boolean unitRange) {
    Dataset<Row> table = spark.read().parquet(path);
    StructField image = field(table, imageColumn, path);
    field(table, labelColumn, path);
    DataType type = image.dataType();
    if (!(type instanceof BinaryType) && !(type instanceof ArrayType)) {
      throw new IllegalArgumentException(path + ": column '" + imageColumn + "' is " + type
          + "; expected binary (8-bit pixels) or an array of numbers");
    }
    return table.select(labelColumn, imageColumn).javaRDD().map(r -> {
      String origin = path + " row with label " + r.get(0);
      if (r.isNullAt(0)) {
        throw new IllegalArgumentException(origin + ": null label");
      }
      int label = ((Number) r.get(0)).intValue();
      return new LabelledPixels(origin, label, pixels(r, 1, target, unitRange, origin));
    });
  }

  /**
   * Column {@code at} of {@code r} as 8-bit CHW pixels of {@code target}: binary as is, or an
   * array of numbers 0-255 (0-1 when {@code unitRange}, then scaled by 255), rounded. A null,
   * a value out of range or a size that does not match fails, naming {@code origin}.
   */
  static byte[] pixels(Row r, int at, Shape target, boolean unitRange, String origin) {
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

  private static StructField field(Dataset<Row> table, String name, String path) {
    for (StructField f : table.schema().fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    List<String> names = new ArrayList<>();
    for (StructField f : table.schema().fields()) {
      names.add(f.name());
    }
    throw new IllegalArgumentException(path + ": no column '" + name + "'; columns are " + names);
  }

  /** The name of the folder a file sits in. */
  static String folderOf(String origin) {
    String trimmed = origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
    int slash = trimmed.lastIndexOf('/');
    int previous = trimmed.lastIndexOf('/', slash - 1);
    return java.net.URLDecoder.decode(trimmed.substring(previous + 1, slash),
        java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A class name as a folder name: characters outside [A-Za-z0-9._-] become '_'. */
  public static String safeFolderName(String className) {
    return className.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
