package org.sparkconv.spark;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.train.JobConfig;

/**
 * A job's training and test data as Spark shards, and the normalisation to use. IDX and CIFAR
 * files are read by the driver (from any Hadoop FileSystem) and dealt to the partitions; image
 * folders and Parquet tables are read, converted and packed by the executors.
 */
record JobData(ShardedData train, ShardedData test, Normalization normalization) {

  static JobData load(JobConfig config, NetworkSpec spec, JavaSparkContext jsc, int partitions,
      PrintStream log) {
    JobConfig.Data data = config.data();
    long seed = config.train().seed();
    if (data.readByDriver()) {
      var hadoop = jsc.hadoopConfiguration();
      ImageSet train = data.readTrain(location -> new HadoopSource(location, hadoop));
      ImageSet test = data.readTest(location -> new HadoopSource(location, hadoop));
      if (config.trainLimit() > 0) {
        train = train.head(config.trainLimit());
      }
      Normalization normalization = config.normalization(train);
      log.printf(Locale.ROOT, "data: %d training images from %s, %d test images from %s%n",
          train.count(), train.source(), test.count(), test.source());
      return new JobData(ShardedData.dealt(jsc, train, partitions, seed),
          ShardedData.contiguous(jsc, test, partitions), normalization);
    }
    if (config.trainLimit() > 0) {
      throw new IllegalArgumentException(config.source() + ": setting 'train_limit' applies to"
          + " idx and cifar data; data.format is " + data.format());
    }
    SparkSession session = SparkSession.builder().sparkContext(jsc.sc()).getOrCreate();
    ShardedData train = executorSide(session, data, data.trainPath(), spec, partitions, log);
    ShardedData test = executorSide(session, data, data.testPath(), spec, partitions, log);
    Normalization normalization = config.normalization(spec.input().channels(),
        train::statistics);
    return new JobData(train, test, normalization);
  }

  private static ShardedData executorSide(SparkSession session, JobConfig.Data data, String path,
      NetworkSpec spec, int partitions, PrintStream log) {
    JavaRDD<LabelledPixels> examples;
    if (data.format().equals("image_folder")) {
      long[] skipped = new long[1];
      examples = ImageInputs.imageFolder(session, path, spec.input(), spec.classNames(),
          skipped);
      if (skipped[0] > 0) {
        log.printf(Locale.ROOT, "data: %d files under %s could not be decoded as images and are"
            + " skipped%n", skipped[0], path);
      }
    } else {
      examples = ImageInputs.parquet(session, path, data.imageColumn(), data.labelColumn(),
          spec.input(), data.unitRange());
    }
    ShardedData sharded = ShardedData.packed(examples.repartition(partitions), spec.input(),
        data.classes(), path);
    log.printf(Locale.ROOT, "data: %d images from %s (%s), packed on the executors%n",
        sharded.count(), path, data.format());
    return sharded;
  }

  void release() {
    train.release();
    test.release();
  }
}
