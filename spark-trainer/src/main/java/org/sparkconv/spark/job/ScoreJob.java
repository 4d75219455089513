package org.sparkconv.spark.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.train.Cli;
import org.sparkconv.spark.score.BatchScoring;
import org.sparkconv.spark.score.ModelLoader;
import org.sparkconv.spark.score.ScoreSettings;
import org.sparkconv.spark.wire.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Scores an image data set with a trained model on Spark and writes one row per image: id,
 * label (when known), predicted class index and name, top-k classes with probabilities, or the
 * error for an image that could not be scored. Output goes to a temporary location and is moved
 * into place only when complete. With labels, accuracy, per-class accuracy and the confusion
 * matrix are computed on the executors, printed and written to {@code <output>.metrics.json}.
 */
@Command(name = "score-job", mixinStandardHelpOptions = true,
    description = "Score images with a trained sparkconv model on Spark.")
public final class ScoreJob implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model file, or a checkpoint"
      + " directory (its newest valid checkpoint is used); any Hadoop URI")
  String model;

  @Option(names = "--input", required = true, description = "Images: a folder (PNG/JPEG,"
      + " optionally in class-named sub-folders), a Parquet table, or an IDX/CIFAR file")
  String input;

  @Option(names = "--format", defaultValue = "image_folder",
      description = "image_folder (default), parquet, idx or cifar")
  String format;

  @Option(names = "--labels", description = "IDX label file for --format idx: needed for"
      + " accuracy and the confusion matrix; without it the images are scored unlabelled")
  String labels;

  @Option(names = "--output", required = true, description = "Where the predictions go")
  String output;

  @Option(names = "--output-format", defaultValue = "parquet", description = "parquet or csv")
  String outputFormat;

  @Option(names = "--overwrite", description = "Replace an existing output")
  boolean overwrite;

  @Option(names = "--top-k", defaultValue = "3", description = "Classes per row (default 3)")
  int topK;

  @Option(names = "--batch-size", defaultValue = "256", description = "Images per minibatch")
  int batchSize;

  @Option(names = "--partitions", defaultValue = "0", description = "Partitions for IDX/CIFAR")
  int partitions;

  @Option(names = "--image-column", defaultValue = "image", description = "Parquet column"
      + " with the image: encoded PNG/JPEG bytes or pixel values (default: image)")
  String imageColumn;

  @Option(names = "--label-column", defaultValue = "label", description = "Parquet column"
      + " with the class index, when known (default: label)")
  String labelColumn;

  @Option(names = "--id-column", description = "Parquet column with row ids") String idColumn;

  @Option(names = "--pixel-range", defaultValue = "0-255", description = "0-255 or 0-1")
  String pixelRange;

  @Option(names = "--max-error-fraction", defaultValue = "1.0", description = "Fail (and write"
      + " nothing) when more than this fraction of images cannot be scored")
  double maxErrorFraction;

  @Option(names = "--master", description = "Spark master (default: spark-submit's, else"
      + " local[*])")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting"
      + " (repeatable), for example:%n  --conf spark.executor.memory=4g")
  List<String> sparkConf = new ArrayList<>();

  @Option(names = "--verbose", description = "Print stack traces with errors, and Spark's"
      + " INFO log")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    ScoreSettings settings = settings();
    SparkConf conf = SparkJobs.conf("sparkconv score", master, sparkConf);
    try (JavaSparkContext jsc = new JavaSparkContext(conf)) {
      if (!verbose) {
        jsc.setLogLevel("WARN"); // spark-submit's own logging would print Spark's INFO
      }
      SparkSession session = SparkSession.builder().sparkContext(jsc.sc()).getOrCreate();
      TrainedModel trained = ModelLoader.load(model, jsc.hadoopConfiguration(), System.out);
      System.out.print(new BatchScoring(settings, System.out).run(session, trained).report());
    }
    return 0;
  }

  /** The options as typed settings; fails on values no run could use. */
  ScoreSettings settings() {
    if (!pixelRange.equals("0-255") && !pixelRange.equals("0-1")) {
      throw new IllegalArgumentException("--pixel-range must be 0-255 or 0-1");
    }
    return new ScoreSettings(input, format, labels, output, outputFormat, overwrite, topK,
        batchSize, partitions, imageColumn, labelColumn, idColumn, pixelRange.equals("0-1"),
        maxErrorFraction);
  }

  /** Scores with an already loaded model in an existing session (tests, notebooks). */
  public BatchScoring.Summary score(SparkSession session, TrainedModel trained)
      throws Exception {
    return new BatchScoring(settings(), System.out).run(session, trained);
  }

  public static void main(String[] args) {
    Cli.run(new ScoreJob(), args);
  }
}
