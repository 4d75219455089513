package org.sparkconv.spark.ml;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.IntParam;
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
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.data.ImageColumn;
import org.sparkconv.spark.score.Scorer;
import org.sparkconv.spark.train.Preflight;
import org.sparkconv.spark.train.SparkResources;
import org.sparkconv.spark.train.TrainingHistory;
import org.sparkconv.spark.wire.ImageRow;
import org.sparkconv.spark.wire.ScoredImage;
import org.sparkconv.spark.wire.TrainedModel;
import scala.Option;

/**
 * A trained sparkconv network as a Spark ML {@link Model}: {@link #transform} keeps every input
 * column and adds the prediction (double, the class index), the probability and raw prediction
 * (logits) as ML vectors, and an error column: an image that cannot be decoded gets nulls and
 * the reason, not a failed job. Rows stream through in minibatches of {@code scoreBatchSize};
 * a partition is never held whole. The network is broadcast once per model and reused by every
 * transform; Spark's context cleaner drops the broadcast when the model is garbage-collected.
 * Saves and loads with Spark ML persistence ({@code save(path)}, {@link #load}) on any Hadoop
 * URI, the model file inside ({@code path/model.spcv}), so a fitted {@code PipelineModel}
 * holding it does too.
 */
public final class ConvNetClassificationModel extends Model<ConvNetClassificationModel>
    implements ConvNetParams, MLWritable {

  /** For tests: the most input rows any partition held at once (streaming keeps it small). */
  static final AtomicInteger PEAK_ROWS_HELD = new AtomicInteger();

  private final String uid;
  private final TrainedModel trained;
  private transient TrainingHistory history;
  private transient Broadcast<TrainedModel> broadcast;

  private final Param<String> imageCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;
  private final Param<String> errorCol;
  private final IntParam scoreBatchSize;

  public ConvNetClassificationModel(String uid, TrainedModel trained) {
    this.uid = uid;
    this.trained = trained;
    // Params name their parent by uid when made: make them after it is set.
    this.imageCol = ConvNetParams.column(this, "imageCol",
      "the image column: image struct, binary (encoded or 8-bit CHW) or array/vector 0-255");
    this.predictionCol = ConvNetParams.column(this, "predictionCol",
      "the predicted class index (double)");
    this.probabilityCol = ConvNetParams.column(this, "probabilityCol",
      "the class probabilities (vector)");
    this.rawPredictionCol = ConvNetParams.column(this, "rawPredictionCol",
      "the logits (vector)");
    this.errorCol = ConvNetParams.column(this, "errorCol",
      "why a row could not be scored (null when it was)");
    this.scoreBatchSize = new IntParam(this, "scoreBatchSize",
      "images per forward pass when scoring", ParamValidators.gtEq(1));
    setDefault(imageCol, "image");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
    setDefault(errorCol, "error");
    setDefault(scoreBatchSize, 256);
  }

  public ConvNetClassificationModel(TrainedModel trained) {
    this(Identifiable.randomUID("convNetModel"), trained);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Param<String> imageCol() {
    return imageCol;
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

  public IntParam scoreBatchSize() {
    return scoreBatchSize;
  }

  public ConvNetClassificationModel setImageCol(String value) {
    return (ConvNetClassificationModel) set(imageCol, value);
  }

  public ConvNetClassificationModel setPredictionCol(String value) {
    return (ConvNetClassificationModel) set(predictionCol, value);
  }

  public ConvNetClassificationModel setProbabilityCol(String value) {
    return (ConvNetClassificationModel) set(probabilityCol, value);
  }

  public ConvNetClassificationModel setRawPredictionCol(String value) {
    return (ConvNetClassificationModel) set(rawPredictionCol, value);
  }

  public ConvNetClassificationModel setErrorCol(String value) {
    return (ConvNetClassificationModel) set(errorCol, value);
  }

  public ConvNetClassificationModel setScoreBatchSize(int value) {
    return (ConvNetClassificationModel) set(scoreBatchSize, value);
  }

  /** The trained network, its normalisation and class names. */
  public TrainedModel trained() {
    return trained;
  }

  /** The per-round and per-epoch record of the fit that made this model; null after a load. */
  public TrainingHistory history() {
    return history;
  }

  ConvNetClassificationModel withHistory(TrainingHistory history) {
    this.history = history;
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return outputSchema(schema);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType schema = transformSchema(dataset.schema());
    Dataset<Row> frame = dataset.toDF();
    int imageAt = frame.schema().fieldIndex(getImageCol());
    Broadcast<TrainedModel> model = broadcast(frame);
    int batch = ((Number) getOrDefault(scoreBatchSize)).intValue();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(frame.sparkSession().sparkContext());
    Preflight.checkScoring(trained.spec(), batch, "scoreBatchSize",
        ComputeContext.defaults().parallel().threads(), SparkResources.concurrentTasks(jsc),
        SparkResources.executorMemory(jsc));
    Shape shape = trained.inputShape();
    int classes = trained.classNames().size();
    MapPartitionsFunction<Row, Row> score = rows -> {
      Map<String, Row> held = new HashMap<>(); // only rows in the current minibatch
      long[] next = {0};
      Iterator<ImageRow> inputs = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public ImageRow next() {
          Row row = rows.next();
          String id = Long.toString(next[0]++);
          held.put(id, row);
          PEAK_ROWS_HELD.accumulateAndGet(held.size(), Math::max);
          try {
            return new ImageRow(id, -1, ImageColumn.pixels(row, imageAt, shape, "row " + id),
                null);
          } catch (IllegalArgumentException e) {
            return ImageRow.failed(id, -1, e.getMessage());
          }
        }
      };
      Iterator<ScoredImage> scored = Scorer.score(model.value(), inputs, batch, classes, n -> { });
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return scored.hasNext();
        }

        @Override
        public Row next() {
          ScoredImage s = scored.next();
          return withScore(held.remove(s.id()), s, classes);
        }
      };
    };
    return frame.mapPartitions(score, Encoders.row(schema));
  }

  private static Row withScore(Row row, ScoredImage s, int classes) {
    Object[] values = new Object[row.size() + 4];
    for (int i = 0; i < row.size(); i++) {
      values[i] = row.get(i);
    }
    if (s.error() == null) {
      double[] probability = new double[classes];
      for (int j = 0; j < s.topClasses().length; j++) {
        probability[s.topClasses()[j]] = s.topProbabilities()[j];
      }
      double[] raw = new double[s.logits().length];
      for (int c = 0; c < raw.length; c++) {
        raw[c] = s.logits()[c];
      }
      values[row.size()] = (double) s.prediction();
      values[row.size() + 1] = Vectors.dense(probability);
      values[row.size() + 2] = Vectors.dense(raw);
    }
    values[row.size() + 3] = s.error();
    return RowFactory.create(values);
  }

  private synchronized Broadcast<TrainedModel> broadcast(Dataset<Row> frame) {
    if (broadcast == null) {
      broadcast = JavaSparkContext.fromSparkContext(frame.sparkSession().sparkContext())
          .broadcast(trained);
    }
    return broadcast;
  }

  @Override
  public ConvNetClassificationModel copy(ParamMap extra) {
    ConvNetClassificationModel copy = new ConvNetClassificationModel(uid, trained)
        .withHistory(history);
    return copyValues(copy, extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<ConvNetClassificationModel> read() {
    return new Reader();
  }

  public static ConvNetClassificationModel load(String path) {
    return read().load(path);
  }

  /** The model file inside a saved model's directory. */
  static String modelFile(String path) {
    return path + "/model.spcv";
  }

  /** Params as Spark ML metadata, and the network as a sparkconv model file beside them. */
  private static final class Writer extends MLWriter {
    private final ConvNetClassificationModel instance;

    Writer(ConvNetClassificationModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(instance, path, sparkSession());
      TrainedModel m = instance.trained;
      NetworkSpec spec = m.spec();
      NetworkSpec named = new NetworkSpec(spec.name(), spec.input(), spec.nodes(),
          m.classNames());
      ModelFile file = new ModelFile(named, m.params(), m.state(), "", 0, new float[0][],
          ModelMetadata.trained(m.normalization(), 0, null));
      try {
        HadoopFiles.writeAtomically(HadoopFiles.path(modelFile(path)), file.encode(),
            sc().hadoopConfiguration());
      } catch (IOException e) {
        throw new IllegalStateException("cannot write " + modelFile(path) + ": " + e, e);
      }
    }
  }

  private static final class Reader extends MLReader<ConvNetClassificationModel> {
    @Override
    public ConvNetClassificationModel load(String path) {
      DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path,
          sparkSession(), ConvNetClassificationModel.class.getName());
      String file = modelFile(path);
      ModelFile model = ModelFile.decode(HadoopFiles.readBytes(file, "saved model file",
          sc().hadoopConfiguration()), file);
      ConvNetClassificationModel loaded = new ConvNetClassificationModel(metadata.uid(),
          TrainedModel.of(model, file));
      metadata.getAndSetParams(loaded, Option.empty());
      return loaded;
    }
  }
}
