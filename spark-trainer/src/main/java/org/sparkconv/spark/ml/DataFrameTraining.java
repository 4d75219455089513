package org.sparkconv.spark.ml;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.LoggerFactory;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.Locations;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.io.StartingModel;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.checkpoint.CheckpointSettings;
import org.sparkconv.spark.checkpoint.CheckpointStore;
import org.sparkconv.spark.checkpoint.Checkpointing;
import org.sparkconv.spark.checkpoint.JobFingerprint;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.data.ImageColumn;
import org.sparkconv.spark.data.ShardedData;
import org.sparkconv.spark.train.AllReduceSettings;
import org.sparkconv.spark.train.GradientAveraging;
import org.sparkconv.spark.train.ParameterAveraging;
import org.sparkconv.spark.train.SparkSettings;
import org.sparkconv.spark.train.SparkTrainer;
import org.sparkconv.spark.train.SyncRule;
import org.sparkconv.spark.train.TrainingHistory;
import org.sparkconv.spark.wire.KryoRegistration;
import org.sparkconv.spark.wire.LabelledPixels;
import org.sparkconv.spark.wire.TrainedModel;

/**
 * What {@link ConvNetClassifier#fit} does: checks the session's serializer, reads the model
 * spec, packs the DataFrame's rows into shards on the executors (a row that cannot be used
 * fails the fit naming its row and why), and trains with the trainer sparkconv's jobs use.
 */
final class DataFrameTraining {

  /** The trained model and the record of its training. */
  record Outcome(TrainedModel model, TrainingHistory history) {}

  private final ConvNetClassifier p;

  DataFrameTraining(ConvNetClassifier params) {
    this.p = params;
  }

  Outcome run(Dataset<?> dataset) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(dataset.sparkSession()
        .sparkContext());
    KryoRegistration.requireUsable(jsc.getConf());
    StartingModel start = startingModel(jsc);
    NetworkSpec spec = start.spec();
    long seed = p.longInteger(p.seed());
    Dataset<Row> frame = dataset.toDF().select(p.getImageCol(), p.text(p.labelCol()));
    Dataset<Row> train = frame;
    Dataset<Row> validation = null;
    if (p.validationData() != null) {
      p.transformSchema(p.validationData().schema());
      validation = p.validationData().toDF().select(p.getImageCol(), p.text(p.labelCol()));
    } else if (p.real(p.validationFraction()) > 0) {
      double f = p.real(p.validationFraction());
      Dataset<Row>[] split = frame.randomSplit(new double[] {1 - f, f}, seed);
      train = split[0];
      validation = split[1];
    }
    int partitions = p.integer(p.numPartitions()) > 0 ? p.integer(p.numPartitions())
        : jsc.defaultParallelism();
    Shape shape = spec.input();
    int classes = spec.outputShape().size();
    ShardedData trainData = ShardedData.packed(labelled(train, shape, classes, "training"),
        partitions, shape, classes, "DataFrame column '" + p.getImageCol() + "'");
    ShardedData testData = validation == null ? trainData
        : ShardedData.packed(labelled(validation, shape, classes, "validation"), partitions,
            shape, classes, "validation rows");
    try {
      if (trainData.count() == 0) {
        throw new IllegalArgumentException("the DataFrame has no rows to train on");
      }
      Normalization norm = p.text(p.normalization()).equals("unit")
          ? Normalization.unit(shape.channels()) : trainData.statistics();
      TrainSettings settings = new TrainSettings(p.integer(p.epochs()), p.integer(p.batchSize()),
          seed, optimizer(), new Schedule(p.text(p.schedule()),
              (float) p.real(p.warmupEpochs()), 0f, 1f, 0f), 0f,
          new Augmentation(p.integer(p.cropPadding()), p.bool(p.flip())), 30);
      SyncRule sync = p.text(p.syncMode()).equals("parameter")
          ? new ParameterAveraging(p.integer(p.localSteps())) : new GradientAveraging();
      SparkSettings spark = new SparkSettings(sync, partitions, 2, 0, 30)
          .withReduction(AllReduceSettings.DEFAULT);
      Network net = start.network(seed);
      PrintStream log = LogStream.to(LoggerFactory.getLogger(ConvNetClassifier.class));
      if (validation == null) {
        log.println("no validation data: each epoch is evaluated on the training rows");
      }
      SparkTrainer.Result result;
      try (Checkpointing checkpoints = checkpoints(jsc, spec, settings, sync, partitions, norm,
          log)) {
        result = new SparkTrainer(jsc, log).fit(net, trainData, testData, norm, settings, spark,
            checkpoints);
      } catch (IOException e) {
        throw new IllegalStateException("checkpoints in " + p.text(p.checkpointDir()) + ": "
            + e.getMessage(), e);
      }
      TrainedModel model = new TrainedModel(SpecJson.write(spec), net.params().clone(),
          net.state().clone(), norm, spec.outputNames(), "ConvNetClassifier " + p.uid());
      return new Outcome(model, result.record());
    } finally {
      trainData.release();
      if (testData != trainData) {
        testData.release();
      }
    }
  }

  private StartingModel startingModel(JavaSparkContext jsc) {
    String spec = p.text(p.modelSpec()) == null ? "" : p.text(p.modelSpec()).trim();
    if (spec.isEmpty()) {
      throw new IllegalArgumentException("ConvNetClassifier needs a network: setModelSpec(path"
          + " of a model spec or model file, or the spec's JSON text)");
    }
    if (spec.startsWith("{")) {
      return StartingModel.of(spec.getBytes(StandardCharsets.UTF_8), "modelSpec");
    }
    if (!Locations.isUri(spec) && java.nio.file.Files.exists(java.nio.file.Path.of(spec))) {
      return StartingModel.read(java.nio.file.Path.of(spec));
    }
    return StartingModel.of(HadoopFiles.readBytes(spec, "model spec",
        jsc.hadoopConfiguration()), spec);
  }

  private OptimizerSpec optimizer() {
    return new OptimizerSpec(p.text(p.optimizer()), (float) p.real(p.learningRate()),
        p.text(p.optimizer()).equals("sgd") ? (float) p.real(p.momentum()) : 0f,
        p.bool(p.nesterov()) && p.text(p.optimizer()).equals("sgd"), 0.9f, 0.999f, 1e-8f,
        (float) p.real(p.weightDecay()), 0f, false, 0f);
  }

  private Checkpointing checkpoints(JavaSparkContext jsc, NetworkSpec spec,
      TrainSettings settings, SyncRule sync, int partitions, Normalization norm,
      PrintStream log) throws IOException {
    String dir = p.text(p.checkpointDir());
    if (dir == null || dir.isEmpty()) {
      return Checkpointing.NONE;
    }
    CheckpointSettings ckpt = new CheckpointSettings(dir, 0, true, 3, true, false);
    return Checkpointing.open(new CheckpointStore(dir, ckpt.keep(), jsc.hadoopConfiguration(),
            log), ckpt, JobFingerprint.of(spec, settings, sync.fingerprint(), partitions, norm,
            "DataFrame"), ModelMetadata.trained(norm, settings.epochs(), null),
        "ConvNetClassifier " + p.uid() + " in application " + jsc.sc().applicationId(), log);
  }

  /** The rows as (label, pixels), each row's origin its position, for deterministic shards. */
  private static JavaRDD<LabelledPixels> labelled(Dataset<Row> rows, Shape shape, int classes,
      String what) {
    return rows.javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      String origin = what + " row " + t._2();
      if (r.isNullAt(1)) {
        throw new IllegalArgumentException(origin + ": the label is null");
      }
      double label = ((Number) r.get(1)).doubleValue();
      if (label != Math.rint(label) || label < 0 || label >= classes) {
        throw new IllegalArgumentException(origin + ": label " + label + " is not a class"
            + " index in [0, " + classes + ") of the model");
      }
      return new LabelledPixels(origin, (int) label, ImageColumn.pixels(r, 0, shape, origin));
    });
  }
}
