package org.sparkconv.spark.score;

/**
 * What a scoring run is told: where the images are and in which format, where the predictions
 * go, and how to score.
 *
 * @param input a folder (PNG/JPEG, optionally in class-named sub-folders), a Parquet table, or
 *     an IDX/CIFAR file; any Hadoop URI
 * @param format {@code image_folder}, {@code parquet}, {@code idx} or {@code cifar}
 * @param labels the IDX label file, for {@code idx}
 * @param output where the predictions go
 * @param outputFormat {@code parquet} or {@code csv}
 * @param overwrite replace an existing output
 * @param topK classes per row
 * @param batchSize images per minibatch
 * @param partitions partitions for IDX/CIFAR (0: the default parallelism)
 * @param imageColumn Parquet image column
 * @param labelColumn Parquet label column (used when present)
 * @param idColumn Parquet id column, or null for "row N"
 * @param unitRange Parquet pixel values are in [0, 1] rather than [0, 255]
 * @param maxErrorFraction fail, writing nothing, when more images than this fraction fail
 */
public record ScoreSettings(String input, String format, String labels, String output,
    String outputFormat, boolean overwrite, int topK, int batchSize, int partitions,
    String imageColumn, String labelColumn, String idColumn, boolean unitRange,
    double maxErrorFraction) {

  public ScoreSettings {
    if (!outputFormat.equals("parquet") && !outputFormat.equals("csv")) {
      throw new IllegalArgumentException("--output-format must be parquet or csv, got "
          + outputFormat);
    }
    if (topK < 1 || batchSize < 1) {
      throw new IllegalArgumentException("--top-k and --batch-size must be positive");
    }
    if (!format.equals("image_folder") && !format.equals("parquet") && !format.equals("idx")
        && !format.equals("cifar")) {
      throw new IllegalArgumentException("--format must be image_folder, parquet, idx or cifar,"
          + " got " + format);
    }
    if (format.equals("idx") && labels == null) {
      throw new IllegalArgumentException("--format idx needs --labels (the IDX label file)");
    }
  }
}
