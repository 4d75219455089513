package org.sparkconv.spark.data;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.wire.ImageRow;
import org.sparkconv.spark.wire.LabelledPixels;

/**
 * Labelled training images read on the executors, from the same readers scoring uses
 * ({@link ImageFiles}, {@link ParquetImages}), held to training's stricter rules: every image
 * needs a label of the model's classes; undecodable files in a folder are skipped and counted,
 * while a bad Parquet row fails the job, naming it.
 */
public final class TrainingImages {

  private TrainingImages() {}

  /**
   * Every image file under {@code root}/{@code <class folder>}/. Without class names the
   * sorted folder names are the classes. Files that do not decode are skipped and counted in
   * {@code skipped[0]}; a folder that names no class fails the job, naming it.
   */
  public static JavaRDD<LabelledPixels> imageFolder(SparkSession spark, String root,
      Shape target, List<String> classNames, long[] skipped) {
    List<String> classes = classNames.isEmpty() ? ImageFiles.folderClasses(spark, root)
        : classNames;
    JavaRDD<ImageRow> rows = ImageFiles.read(spark, root, target, classes);
    skipped[0] = rows.filter(r -> r.error() != null).count();
    return rows.filter(r -> r.error() == null).map(r -> {
      if (r.label() < 0) {
        String folder = ClassFolders.classFolderOf(r.id(), root);
        throw new IllegalArgumentException(r.id() + (folder.isEmpty() ? ": sits in " + root
            + " itself, not in a class folder" : ": folder '" + folder + "' is not one of the"
            + " model's classes " + classes));
      }
      return new LabelledPixels(r.id(), r.label(), r.pixels());
    });
  }

  /**
   * Rows of a Parquet table with an integral {@code labelColumn} and an {@code imageColumn} as
   * {@link ParquetImages} reads it; a row without a label or with a bad image fails the job.
   */
  public static JavaRDD<LabelledPixels> parquet(SparkSession spark, String path,
      String imageColumn, String labelColumn, Shape target, boolean unitRange) {
    Dataset<Row> table = spark.read().parquet(path);
    ParquetImages.requireColumn(List.of(table.columns()), imageColumn, path);
    ParquetImages.requireColumn(List.of(table.columns()), labelColumn, path);
    return ParquetImages.read(spark, path, imageColumn, labelColumn, null, target, unitRange)
        .map(r -> {
          if (r.error() != null) {
            throw new IllegalArgumentException(path + " " + r.error());
          }
          if (r.label() < 0) {
            throw new IllegalArgumentException(path + " " + r.id() + ": null label");
          }
          return new LabelledPixels(path + " " + r.id(), r.label(), r.pixels());
        });
  }
}
