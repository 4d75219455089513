package org.sparkconv.spark.data;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.train.DataSpec;
import org.sparkconv.engine.train.JobConfig;
import org.sparkconv.spark.wire.LabelledPixels;

/**
 * A job's training and test data as Spark shards, and the normalisation to use. Every format is
 * read by the executors, from any Hadoop FileSystem: IDX and CIFAR files by each partition's
 * task for its own share ({@link SourceShards}); image folders and Parquet tables decoded and
 * packed ({@link TrainingImages}). The driver never holds the images.
 */
public record JobData(ShardedData train, ShardedData test, Normalization normalization) {

  /** Reads the data {@code config} names for a model of {@code spec}. */
  public static JobData load(JobConfig config, NetworkSpec spec, JavaSparkContext jsc,
      int partitions, PrintStream log) {
    long seed = config.train().seed();
    if (config.data() instanceof DataSpec.DriverRead data) {
      ShardedData train = SourceShards.training(jsc, data, config.trainLimit(), partitions, seed,
          spec.input());
      ShardedData test = SourceShards.test(jsc, data, config.testLimit(), partitions,
          spec.input());
      log.printf(Locale.ROOT, "data: %d training images from %s, %d test images, read by the"
          + " executors%n", train.count(), train.source(), test.count());
      return new JobData(train, test, config.normalize().resolve(spec.input().channels(),
          train::statistics));
    }
    if (config.trainLimit() > 0 || config.testLimit() > 0) {
      throw new IllegalArgumentException(config.source() + ": settings 'train_limit' and"
          + " 'test_limit' apply to idx and cifar data; data.format is "
          + config.data().format());
    }
    SparkSession session = SparkSession.builder().sparkContext(jsc.sc()).getOrCreate();
    ShardedData train = executorSide(session, config.data(), true, spec, partitions, log);
    ShardedData test = executorSide(session, config.data(), false, spec, partitions, log);
    Normalization normalization = config.normalize().resolve(spec.input().channels(),
        train::statistics);
    return new JobData(train, test, normalization);
  }

  private static ShardedData executorSide(SparkSession session, DataSpec data, boolean train,
      NetworkSpec spec, int partitions, PrintStream log) {
    JavaRDD<LabelledPixels> examples;
    String path;
    if (data instanceof DataSpec.ImageFolder folder) {
      path = train ? folder.trainPath() : folder.testPath();
      long[] skipped = new long[1];
      String ignored = ignored(session, path);
      if (!ignored.isEmpty()) {
        log.println("data: " + ignored);
      }
      examples = TrainingImages.imageFolder(session, path, spec.input(), spec.classNames(),
          skipped);
      if (skipped[0] > 0) {
        log.printf(Locale.ROOT, "data: %d files under %s could not be decoded as images and are"
            + " skipped%n", skipped[0], path);
      }
    } else if (data instanceof DataSpec.Parquet table) {
      path = train ? table.trainPath() : table.testPath();
      examples = TrainingImages.parquet(session, path, table.imageColumn(), table.labelColumn(),
          spec.input(), table.unitRange());
    } else {
      throw new IllegalStateException("data.format " + data.format() + " is read by the driver");
    }
    ShardedData sharded = ShardedData.packed(examples, partitions, spec.input(), data.classes(),
        path);
    log.printf(Locale.ROOT, "data: %d images from %s (%s), packed on the executors%n",
        sharded.count(), path, data.format());
    return sharded;
  }

  private static String ignored(SparkSession session, String root) {
    try {
      return ImageFiles.ignored(session.sparkContext().hadoopConfiguration(), root, 5)
          .describe(root);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot list " + root + ": " + e.getMessage(), e);
    }
  }

  /** Drops both splits from the executors. */
  public void release() {
    train.release();
    test.release();
  }
}
