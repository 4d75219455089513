package org.sparkconv.spark.ml;

import java.util.List;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * A sparkconv network trained on Spark from a DataFrame, as a Spark ML {@link Estimator} that
 * works in any {@code Pipeline}, {@code CrossValidator} or {@code TrainValidationSplit}:
 *
 * <pre>
 * ConvNetClassifier cnn = new ConvNetClassifier()
 *     .setModelSpec("conf/models/lenet5.json").setEpochs(2).setLearningRate(0.05);
 * PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {
 *     new StringIndexer().setInputCol("class").setOutputCol("label"), cnn}).fit(images);
 * </pre>
 *
 * The image column may be Spark's image struct, encoded PNG/JPEG bytes or an array/vector of
 * CHW pixels 0-255 ({@link org.sparkconv.spark.data.ImageColumn}); the label column is numeric
 * (a class index, as {@code StringIndexer} makes). Training runs {@link DataFrameTraining}: the
 * rows are packed into shards on the executors (the driver never holds the images), then the
 * same trainer as sparkconv's jobs runs, its progress and per-round report in the log. It works
 * in a session with Spark's default Java serializer, with Kryo, and with Kryo requiring
 * registration once {@code spark.kryo.registrator=org.sparkconv.spark.wire.KryoRegistration} is
 * set (without it, fit says so). A validation DataFrame ({@link #setValidationData}) is not a
 * param and is not saved.
 */
public final class ConvNetClassifier extends Estimator<ConvNetClassificationModel>
    implements ConvNetParams, MLWritable {

  private final String uid;
  private transient Dataset<?> validationData;

  private final Param<String> imageCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;
  private final Param<String> errorCol;
  private final Param<String> modelSpec;
  private final IntParam epochs;
  private final IntParam batchSize;
  private final Param<String> optimizer;
  private final DoubleParam learningRate;
  private final DoubleParam momentum;
  private final BooleanParam nesterov;
  private final DoubleParam weightDecay;
  private final Param<String> schedule;
  private final DoubleParam warmupEpochs;
  private final LongParam seed;
  private final Param<String> syncMode;
  private final IntParam localSteps;
  private final IntParam numPartitions;
  private final Param<String> checkpointDir;
  private final DoubleParam validationFraction;
  private final Param<String> normalization;
  private final IntParam cropPadding;
  private final BooleanParam flip;

  public ConvNetClassifier(String uid) {
    this.uid = uid;
    // Params name their parent by uid when made: make them after it is set.
    this.imageCol = ConvNetParams.column(this, "imageCol",
      "the image column: image struct, binary (encoded or 8-bit CHW) or array/vector 0-255");
    this.labelCol = ConvNetParams.column(this, "labelCol",
      "the label column: a class index (numeric)");
    this.predictionCol = ConvNetParams.column(this, "predictionCol",
      "the model's predicted class index (double)");
    this.probabilityCol = ConvNetParams.column(this, "probabilityCol",
      "the model's class probabilities (vector)");
    this.rawPredictionCol = ConvNetParams.column(this, "rawPredictionCol",
      "the model's logits (vector)");
    this.errorCol = ConvNetParams.column(this, "errorCol",
      "why the model could not score a row");
    this.modelSpec = ConvNetParams.column(this, "modelSpec",
      "the network: a model spec file or model file (.spcv, fine-tuned) on any Hadoop URI, or"
      + " the spec's JSON text");
    this.epochs = new IntParam(this, "epochs", "passes over the data",
      ParamValidators.gtEq(1));
    this.batchSize = new IntParam(this, "batchSize",
      "examples per training round, over all partitions", ParamValidators.gtEq(1));
    this.optimizer = new Param<>(this, "optimizer", "sgd, adam or adamw",
      ParamValidators.inArray(List.of("sgd", "adam", "adamw")));
    this.learningRate = new DoubleParam(this, "learningRate",
      "base learning rate", ParamValidators.gt(0));
    this.momentum = new DoubleParam(this, "momentum", "SGD momentum",
      ParamValidators.inRange(0, 1, true, false));
    this.nesterov = new BooleanParam(this, "nesterov",
      "SGD with Nesterov momentum");
    this.weightDecay = new DoubleParam(this, "weightDecay",
      "L2 weight decay (decoupled for adamw) on weights", ParamValidators.gtEq(0));
    this.schedule = new Param<>(this, "schedule",
      "learning-rate schedule: constant or cosine",
      ParamValidators.inArray(List.of("constant", "cosine")));
    this.warmupEpochs = new DoubleParam(this, "warmupEpochs",
      "linear warm-up in (fractional) epochs", ParamValidators.gtEq(0));
    this.seed = new LongParam(this, "seed",
      "initialisation, shuffling and augmentation seed");
    this.syncMode = new Param<>(this, "syncMode",
      "gradient (average gradients every round) or parameter (average parameters every"
      + " localSteps)", ParamValidators.inArray(List.of("gradient", "parameter")));
    this.localSteps = new IntParam(this, "localSteps",
      "local steps between parameter averages", ParamValidators.gtEq(1));
    this.numPartitions = new IntParam(this, "numPartitions",
      "training partitions (0: the session's default parallelism)", ParamValidators.gtEq(0));
    this.checkpointDir = ConvNetParams.column(this, "checkpointDir",
      "where to checkpoint every epoch and resume from (any Hadoop URI; empty: none)");
    this.validationFraction = new DoubleParam(this, "validationFraction",
      "share of the rows held out to evaluate every epoch (0: none)",
      ParamValidators.inRange(0, 1, true, false));
    this.normalization = new Param<>(this, "normalization",
      "dataset (per-channel mean/std of the training pixels) or unit (pixels / 255)",
      ParamValidators.inArray(List.of("dataset", "unit")));
    this.cropPadding = new IntParam(this, "cropPadding",
      "random crops with this zero padding (0: none)", ParamValidators.gtEq(0));
    this.flip = new BooleanParam(this, "flip", "random horizontal flips");
    setDefault(imageCol, "image");
    setDefault(labelCol, "label");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
    setDefault(errorCol, "error");
    setDefault(epochs, 5);
    setDefault(batchSize, 64);
    setDefault(optimizer, "sgd");
    setDefault(learningRate, 0.05);
    setDefault(momentum, 0.9);
    setDefault(nesterov, true);
    setDefault(weightDecay, 5e-4);
    setDefault(schedule, "cosine");
    setDefault(warmupEpochs, 0.2);
    setDefault(seed, 1L);
    setDefault(syncMode, "gradient");
    setDefault(localSteps, 1);
    setDefault(numPartitions, 0);
    setDefault(checkpointDir, "");
    setDefault(validationFraction, 0.0);
    setDefault(normalization, "dataset");
    setDefault(cropPadding, 0);
    setDefault(flip, false);
  }

  public ConvNetClassifier() {
    this(Identifiable.randomUID("convNetClassifier"));
  }

  @Override
  public String uid() {
    return uid;
  }

  // ---- params (Spark ML finds each through its no-argument accessor) ----

  @Override
  public Param<String> imageCol() {
    return imageCol;
  }

  public Param<String> labelCol() {
    return labelCol;
  }

  @Override
  public Param<String> predictionCol() {
    return predictionCol;
  }

  @Override
  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  @Override
  public Param<String> rawPredictionCol() {
    return rawPredictionCol;
  }

  @Override
  public Param<String> errorCol() {
    return errorCol;
  }

  public Param<String> modelSpec() {
    return modelSpec;
  }

  public IntParam epochs() {
    return epochs;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public Param<String> optimizer() {
    return optimizer;
  }

  public DoubleParam learningRate() {
    return learningRate;
  }

  public DoubleParam momentum() {
    return momentum;
  }

  public BooleanParam nesterov() {
    return nesterov;
  }

  public DoubleParam weightDecay() {
    return weightDecay;
  }

  public Param<String> schedule() {
    return schedule;
  }

  public DoubleParam warmupEpochs() {
    return warmupEpochs;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> syncMode() {
    return syncMode;
  }

  public IntParam localSteps() {
    return localSteps;
  }

  public IntParam numPartitions() {
    return numPartitions;
  }

  public Param<String> checkpointDir() {
    return checkpointDir;
  }

  public DoubleParam validationFraction() {
    return validationFraction;
  }

  public Param<String> normalization() {
    return normalization;
  }

  public IntParam cropPadding() {
    return cropPadding;
  }

  public BooleanParam flip() {
    return flip;
  }

  // ---- setters ----

  private ConvNetClassifier with(Param<?> param, Object value) {
    @SuppressWarnings("unchecked")
    Param<Object> p = (Param<Object>) param;
    set(p, value);
    return this;
  }

  public ConvNetClassifier setImageCol(String v) {
    return with(imageCol, v);
  }

  public ConvNetClassifier setLabelCol(String v) {
    return with(labelCol, v);
  }

  public ConvNetClassifier setPredictionCol(String v) {
    return with(predictionCol, v);
  }

  public ConvNetClassifier setProbabilityCol(String v) {
    return with(probabilityCol, v);
  }

  public ConvNetClassifier setRawPredictionCol(String v) {
    return with(rawPredictionCol, v);
  }

  public ConvNetClassifier setErrorCol(String v) {
    return with(errorCol, v);
  }

  public ConvNetClassifier setModelSpec(String v) {
    return with(modelSpec, v);
  }

  public ConvNetClassifier setEpochs(int v) {
    return with(epochs, v);
  }

  public ConvNetClassifier setBatchSize(int v) {
    return with(batchSize, v);
  }

  public ConvNetClassifier setOptimizer(String v) {
    return with(optimizer, v);
  }

  public ConvNetClassifier setLearningRate(double v) {
    return with(learningRate, v);
  }

  public ConvNetClassifier setMomentum(double v) {
    return with(momentum, v);
  }

  public ConvNetClassifier setNesterov(boolean v) {
    return with(nesterov, v);
  }

  public ConvNetClassifier setWeightDecay(double v) {
    return with(weightDecay, v);
  }

  public ConvNetClassifier setSchedule(String v) {
    return with(schedule, v);
  }

  public ConvNetClassifier setWarmupEpochs(double v) {
    return with(warmupEpochs, v);
  }

  public ConvNetClassifier setSeed(long v) {
    return with(seed, v);
  }

  public ConvNetClassifier setSyncMode(String v) {
    return with(syncMode, v);
  }

  public ConvNetClassifier setLocalSteps(int v) {
    return with(localSteps, v);
  }

  public ConvNetClassifier setNumPartitions(int v) {
    return with(numPartitions, v);
  }

  public ConvNetClassifier setCheckpointDir(String v) {
    return with(checkpointDir, v);
  }

  public ConvNetClassifier setValidationFraction(double v) {
    return with(validationFraction, v);
  }

  public ConvNetClassifier setNormalization(String v) {
    return with(normalization, v);
  }

  public ConvNetClassifier setCropPadding(int v) {
    return with(cropPadding, v);
  }

  public ConvNetClassifier setFlip(boolean v) {
    return with(flip, v);
  }

  /** Rows evaluated after every epoch instead of a held-out fraction (not saved). */
  public ConvNetClassifier setValidationData(Dataset<?> rows) {
    this.validationData = rows;
    return this;
  }

  Dataset<?> validationData() {
    return validationData;
  }

  /** A param's value (or default), for {@link DataFrameTraining}. */
  String text(Param<String> param) {
    return getOrDefault(param);
  }

  int integer(IntParam param) {
    return ((Number) getOrDefault(param)).intValue();
  }

  long longInteger(LongParam param) {
    return ((Number) getOrDefault(param)).longValue();
  }

  double real(DoubleParam param) {
    return ((Number) getOrDefault(param)).doubleValue();
  }

  boolean bool(BooleanParam param) {
    return (Boolean) getOrDefault(param);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    StructType out = outputSchema(schema);
    String label = getOrDefault(labelCol);
    if (!List.of(schema.fieldNames()).contains(label)) {
      throw new IllegalArgumentException("the DataFrame has no label column '" + label
          + "'; its columns are " + List.of(schema.fieldNames()));
    }
    if (!(schema.apply(label).dataType() instanceof NumericType)) {
      throw new IllegalArgumentException("label column '" + label + "' is "
          + schema.apply(label).dataType().simpleString() + "; expected a numeric class index"
          + " (index string labels with StringIndexer first)");
    }
    return out;
  }

  @Override
  public ConvNetClassificationModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    DataFrameTraining.Outcome outcome = new DataFrameTraining(this).run(dataset);
    ConvNetClassificationModel model = new ConvNetClassificationModel(uid, outcome.model())
        .withHistory(outcome.history());
    return copyValues(model, ParamMap.empty()).setParent(this);
  }

  @Override
  public ConvNetClassifier copy(ParamMap extra) {
    ConvNetClassifier copy = (ConvNetClassifier) defaultCopy(extra);
    copy.validationData = validationData;
    return copy;
  }

  @Override
  public MLWriter write() {
    return new DefaultParamsWriter(this);
  }

  public static MLReader<ConvNetClassifier> read() {
    return new DefaultParamsReader<>();
  }

  public static ConvNetClassifier load(String path) {
    return read().load(path);
  }
}
