package org.sparkconv.spark.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.Locations;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.io.ModelOutput;
import org.sparkconv.engine.io.StartingModel;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.train.Cli;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.engine.train.JobConfig;
import org.sparkconv.engine.train.JobOptions;
import org.sparkconv.engine.train.MemoryBudget;
import org.sparkconv.engine.train.SettingHelp;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.checkpoint.CheckpointSettings;
import org.sparkconv.spark.checkpoint.CheckpointStore;
import org.sparkconv.spark.checkpoint.Checkpointing;
import org.sparkconv.spark.checkpoint.JobFingerprint;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.data.JobData;
import org.sparkconv.spark.report.MetricsLines;
import org.sparkconv.spark.report.TrainingReport;
import org.sparkconv.spark.train.SparkSettings;
import org.sparkconv.spark.train.SparkTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains a model on Spark from a job file: {@code TrainJob --job conf/jobs/x.json [--set
 * setting=value ...] [--master local[2]]}. The master comes from {@code --master}, else from
 * {@code spark-submit}, else {@code local[*]}. Data locations may be any Hadoop FileSystem URI.
 */
@Command(name = "train-job", mixinStandardHelpOptions = true,
    description = "Train a CNN on Spark from a job file in conf/jobs/.")
public final class TrainJob implements Callable<Integer> {

  @Mixin
  JobOptions options = new JobOptions();

  @Option(names = "--master", description = "Spark master URL (default: spark-submit's, else"
      + " local[*])")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting"
      + " (repeatable), for example:%n  --conf spark.executor.memory=4g")
  List<String> sparkConf = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (options.listSettings()) {
      System.out.print(SettingHelp.table(TrainJobFile.SETTINGS));
      return 0;
    }
    SparkConf conf = SparkJobs.conf("sparkconv train", master, sparkConf);
    Configuration hadoop = SparkHadoopUtil.get().newConfiguration(conf);
    DriverPaths paths = DriverPaths.of(conf, hadoop);
    TrainJobFile file = TrainJobFile.read(paths.resolve(options.job(), "--job"),
        options.overrides(), hadoop);
    JobConfig config = file.job();
    SparkSettings spark = file.spark();
    StartingModel start = readModel(paths.resolve(config.model(), "model spec"), hadoop);
    NetworkSpec spec = start.spec();
    String output = paths.resolve(config.output(), "output");
    MemoryBudget.requireDriverFits(spec, config.train().optimizer(),
        Runtime.getRuntime().maxMemory());
    requireData(config, hadoop);
    Network net = start.network(config.train().seed());
    if (start.weights() != null) {
      System.out.println("model: " + start.describe());
    }
    conf.setAppName("sparkconv train " + spec.name());
    if (!Locations.isUri(output)) {
      ModelOutput.requireWritableLocal(Path.of(output), options.overwrite());
    }
    try (JavaSparkContext jsc = new JavaSparkContext(conf)) {
      if (!options.verbose()) {
        jsc.setLogLevel("WARN"); // spark-submit's own logging would print Spark's INFO
      }
      if (Locations.isUri(output)) {
        HadoopFiles.requireModelOutput(output, options.overwrite(),
            jsc.hadoopConfiguration());
      }
      System.out.print(net.summary(config.train().batchSize()));
      int partitions = spark.partitions() > 0 ? spark.partitions() : jsc.defaultParallelism();
      JobData data = JobData.load(config, spec, jsc, partitions, System.out);
      Normalization normalization = data.normalization();
      TrainSettings s = config.train();
      System.out.printf(Locale.ROOT, "normalisation %s%ntraining: %d epochs, batch %d, seed %d,"
              + " %s lr %g, schedule %s%n", normalization, s.epochs(), s.batchSize(), s.seed(),
          s.optimizer().type(), s.optimizer().lr(), s.schedule().type());
      SparkTrainer.Result result;
      try (Checkpointing checkpoints = checkpoints(file.checkpoint(), jsc, spec, s, spark,
          partitions, normalization, data)) {
        result = new SparkTrainer(jsc, System.out).fit(net, data.train(), data.test(),
            normalization, s, spark, checkpoints);
      } finally {
        data.release();
      }
      Evaluation last = result.history().get(result.history().size() - 1);
      System.out.print(last.report(spec.classNames()));
      ModelFile model = ModelFile.of(net, result.optimizer(),
          ModelMetadata.trained(normalization, s.epochs(), last.accuracy()));
      RunFiles.write(output, model.encode(), jsc.hadoopConfiguration());
      System.out.println("model written to " + output);
      writeReport(output, spec, net, config, jsc, result, last);
      System.out.printf(Locale.ROOT, "test accuracy: %.2f%%%n", 100 * last.accuracy());
    }
    return 0;
  }

  private static Checkpointing checkpoints(CheckpointSettings ckpt, JavaSparkContext jsc,
      NetworkSpec spec, TrainSettings s, SparkSettings spark, int partitions,
      Normalization normalization, JobData data) throws java.io.IOException {
    if (!ckpt.enabled()) {
      System.out.println("checkpoints are off: a crash loses all progress (set checkpoint.dir"
          + " to keep it)");
      return Checkpointing.NONE;
    }
    return Checkpointing.open(new CheckpointStore(ckpt.dir(), ckpt.keep(),
            jsc.hadoopConfiguration(), System.out), ckpt,
        JobFingerprint.of(spec, s, spark.sync().fingerprint(), partitions, normalization,
            data.train().source()),
        ModelMetadata.trained(normalization, s.epochs(), null), holder(jsc), System.out);
  }

  /**
   * Fails, before Spark starts, when a file or folder of the job's data is missing (looked up
   * through Hadoop, as the executors will), naming it and the settings behind it.
   */
  static void requireData(JobConfig config, Configuration hadoop) {
    for (String location : config.data().locations()) {
      boolean exists;
      try {
        // A plain path resolves against the default file system, as the executors read it.
        org.apache.hadoop.fs.Path p = HadoopFiles.path(location);
        exists = p.getFileSystem(hadoop).exists(p);
      } catch (java.io.IOException | RuntimeException e) {
        continue; // no connector or no access: the readers say so, with their own messages
      }
      if (!exists) {
        throw new IllegalArgumentException("data " + location + " does not exist (data.dir"
            + " and data." + (config.data().format().equals("idx") ? "train_images etc." : "*")
            + " in " + config.source() + ", or --data-dir)");
      }
    }
  }

  /**
   * Writes the run's metrics ({@code <output>.metrics.jsonl}) and report
   * ({@code <output>.report.html}) beside the model. The model is already safe: a report that
   * cannot be written (a machine without fonts for the charts, a full disk) costs one line.
   */
  private static void writeReport(String output, NetworkSpec spec, Network net,
      JobConfig config, JavaSparkContext jsc, SparkTrainer.Result result,
      Evaluation last) {
    TrainSettings s = config.train();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("job file", config.source());
    settings.put("model", config.model());
    settings.put("data", config.data().toString());
    settings.put("epochs, batch, seed", s.epochs() + ", " + s.batchSize() + ", " + s.seed());
    settings.put("optimizer", s.optimizer().toString());
    settings.put("schedule", s.schedule().toString());
    settings.put("spark", result.spark().sync().describe() + ", "
        + result.spark().describeSummation()
        + ", master " + jsc.master());
    settings.put("output", output);
    try {
      RunFiles.write(output + ".metrics.jsonl", MetricsLines.of(result.record()),
          jsc.hadoopConfiguration());
      RunFiles.write(output + ".report.html", TrainingReport.html("sparkconv: " + spec.name()
              + " trained on Spark", result.record(), last, spec.classNames(),
          net.summary(s.batchSize()).toString(), settings), jsc.hadoopConfiguration());
      System.out.println("metrics and report written beside it: " + output
          + ".metrics.jsonl, " + output + ".report.html");
    } catch (java.io.IOException | RuntimeException | Error e) {
      System.out.println("report not written (" + e + "); the model is");
    }
  }

  /** The model spec at {@code location}: the local disk, or any Hadoop URI. */
  static NetworkSpec readSpec(String location, Configuration hadoop) {
    return readModel(location, hadoop).spec();
  }

  /**
   * The model at {@code location} (the local disk or any Hadoop URI): a spec, or a model file
   * to fine-tune.
   */
  static StartingModel readModel(String location, Configuration hadoop) {
    if (!Locations.isUri(location)) {
      return StartingModel.read(Path.of(location));
    }
    return StartingModel.of(HadoopFiles.readBytes(location, "model spec", hadoop), location);
  }

  /** Who holds a checkpoint directory's lease: this application, its host and process. */
  private static String holder(JavaSparkContext jsc) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "an unknown host";
    }
    return "application " + jsc.sc().applicationId() + " (" + jsc.appName() + ") on " + host
        + ", pid " + ProcessHandle.current().pid();
  }

  public static void main(String[] args) {
    Cli.run(new TrainJob(), args);
  }
}
