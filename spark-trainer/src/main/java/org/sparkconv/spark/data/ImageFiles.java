package org.sparkconv.spark.data;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.wire.ImageRow;

/**
 * Folders of PNG/JPEG files read on the executors with Spark's {@code binaryFile} source and
 * decoded to a model's input. Each file becomes an {@link ImageRow}: its path as id, the class
 * its folder names ({@link ClassFolders}; -1 when none does), its pixels, or why it could not be
 * decoded.
 */
public final class ImageFiles {

  private ImageFiles() {}

  /** Every file under {@code root}, recursively, decoded for {@code target}. */
  public static JavaRDD<ImageRow> read(SparkSession spark, String root, Shape target,
      List<String> classNames) {
    Map<String, Integer> index = ClassFolders.index(classNames);
    Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
        .load(root).select("path", "content");
    return files.javaRDD().map(r -> {
      String origin = r.getString(0);
      int label = index.getOrDefault(ClassFolders.folderOf(origin), -1);
      try {
        return new ImageRow(origin, label,
            ImageDecoding.decode((byte[]) r.get(1), origin, target), null);
      } catch (IllegalArgumentException e) {
        return ImageRow.failed(origin, label, e.getMessage());
      }
    });
  }

  /** The sorted names of the folders that hold files under {@code root} (implicit classes). */
  public static List<String> folderClasses(SparkSession spark, String root) {
    return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(root)
        .select("path").javaRDD().map(r -> ClassFolders.folderOf(r.getString(0))).distinct()
        .collect().stream().sorted().toList();
  }
}
