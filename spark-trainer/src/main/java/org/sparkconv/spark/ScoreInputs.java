package org.sparkconv.spark;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.tensor.Shape;

/** The images a scoring job reads, as rows of {@link ScoreInput}. */
final class ScoreInputs {

  private ScoreInputs() {}

  /**
   * Every file under {@code root}; a file whose folder names one of {@code classNames} (or its
   * folder-safe form) is labelled with it, others are unlabelled; files that do not decode
   * become error rows.
   */
  static JavaRDD<ScoreInput> imageFolder(SparkSession spark, String root, Shape shape,
      List<String> classNames) {
    Map<String, Integer> index = new HashMap<>();
    for (int k = 0; k < classNames.size(); k++) {
      index.put(classNames.get(k), k);
      index.putIfAbsent(ImageInputs.safeFolderName(classNames.get(k)), k);
    }
    return ImageInputs.decodedFiles(spark, root, shape).map(d -> new ScoreInput(d.origin(),
        index.getOrDefault(ImageInputs.folderOf(d.origin()), -1), d.pixels(), d.error()));
  }

  /**
   * Rows of a Parquet table: the image column as in training (binary, or numbers 0-255 or 0-1);
   * the label column if the table has it; ids from {@code idColumn}, else "row N".
   */
  static JavaRDD<ScoreInput> parquet(SparkSession spark, String path, String imageColumn,
      String labelColumn, String idColumn, Shape shape, boolean unitRange) {
    Dataset<Row> table = spark.read().parquet(path);
    List<String> columns = List.of(table.columns());
    if (!columns.contains(imageColumn)) {
      throw new IllegalArgumentException(path + ": no column '" + imageColumn + "'; columns are "
          + columns);
    }
    if (idColumn != null && !columns.contains(idColumn)) {
      throw new IllegalArgumentException(path + ": no column '" + idColumn + "'; columns are "
          + columns);
    }
    boolean labelled = columns.contains(labelColumn);
    Dataset<Row> selected = table.select(imageColumn, labelled ? labelColumn : imageColumn,
        idColumn != null ? idColumn : imageColumn);
    return selected.javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      String id = idColumn != null ? String.valueOf(r.get(2)) : "row " + t._2();
      int label = labelled && !r.isNullAt(1) ? ((Number) r.get(1)).intValue() : -1;
      try {
        return new ScoreInput(id, label, ImageInputs.pixels(r, 0, shape, unitRange, id), null);
      } catch (IllegalArgumentException e) {
        return new ScoreInput(id, label, null, e.getMessage());
      }
    });
  }

  /** An image set read by the driver (IDX, CIFAR): ids "index N". */
  static JavaRDD<ScoreInput> imageSet(JavaSparkContext jsc, ImageSet set, boolean labelled,
      int partitions) {
    List<ScoreInput> rows = new ArrayList<>(set.count());
    int size = set.shape().size();
    for (int n = 0; n < set.count(); n++) {
      byte[] px = java.util.Arrays.copyOfRange(set.pixels(), n * size, (n + 1) * size);
      rows.add(new ScoreInput("index " + n, labelled ? set.labels()[n] : -1, px, null));
    }
    return jsc.parallelize(rows, partitions);
  }
}
