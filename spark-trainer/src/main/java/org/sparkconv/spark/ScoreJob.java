package org.sparkconv.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.sparkconv.engine.data.CifarReader;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.train.Cli;
import org.sparkconv.engine.train.Evaluation;
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

  @Option(names = "--labels", description = "IDX label file for --format idx (optional)")
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

  @Option(names = "--image-column", defaultValue = "image") String imageColumn;
  @Option(names = "--label-column", defaultValue = "label") String labelColumn;
  @Option(names = "--id-column", description = "Parquet column with row ids") String idColumn;

  @Option(names = "--pixel-range", defaultValue = "0-255", description = "0-255 or 0-1")
  String pixelRange;

  @Option(names = "--max-error-fraction", defaultValue = "1.0", description = "Fail (and write"
      + " nothing) when more than this fraction of images cannot be scored")
  double maxErrorFraction;

  @Option(names = "--master", description = "Spark master (default: spark-submit's, else"
      + " local[*])")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting")
  List<String> sparkConf = new ArrayList<>();

  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("label", DataTypes.IntegerType, true)
      .add("prediction", DataTypes.IntegerType, true)
      .add("class", DataTypes.StringType, true)
      .add("top_classes", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("top_probabilities", DataTypes.createArrayType(DataTypes.FloatType), true)
      .add("error", DataTypes.StringType, true);

  @Override
  public Integer call() throws Exception {
    if (!outputFormat.equals("parquet") && !outputFormat.equals("csv")) {
      throw new IllegalArgumentException("--output-format must be parquet or csv, got "
          + outputFormat);
    }
    if (topK < 1 || batchSize < 1) {
      throw new IllegalArgumentException("--top-k and --batch-size must be positive");
    }
    if (!pixelRange.equals("0-255") && !pixelRange.equals("0-1")) {
      throw new IllegalArgumentException("--pixel-range must be 0-255 or 0-1");
    }
    SparkConf conf = SparkJobs.conf("sparkconv score", master, sparkConf);
    try (JavaSparkContext jsc = new JavaSparkContext(conf)) {
      jsc.setLogLevel("WARN");
      SparkSession session = SparkSession.builder().sparkContext(jsc.sc()).getOrCreate();
      Summary s = score(session, ScoringModel.load(model, jsc.hadoopConfiguration(), System.out));
      System.out.print(s.report());
    }
    return 0;
  }

  /** What a scoring run produced. */
  record Summary(long images, long errors, double seconds, Evaluation evaluation,
      List<String> classNames, String output) {
    String report() {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
          "scored %d images (%d errors) in %.1f s, %.0f img/s; predictions in %s%n", images,
          errors, seconds, images / seconds, output));
      if (evaluation != null && evaluation.count() > 0) {
        sb.append(String.format(Locale.ROOT, "accuracy: %.2f%% (%d / %d labelled images)%n",
            100 * evaluation.accuracy(), evaluation.correct(), evaluation.count()));
        String full = evaluation.report(classNames);
        sb.append(full.substring(full.indexOf('\n') + 1));
      }
      return sb.toString();
    }
  }

  Summary score(SparkSession session, ScoringModel scoring) throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(session.sparkContext());
    Configuration hadoop = jsc.hadoopConfiguration();
    Path out = HadoopFiles.path(output);
    FileSystem fs = out.getFileSystem(hadoop);
    if (fs.exists(out) && !overwrite) {
      throw new IllegalArgumentException("output " + output + " exists; pass --overwrite to"
          + " replace it");
    }
    if (format.equals("idx") && labels == null) {
      throw new IllegalArgumentException("--format idx needs --labels (the IDX label file)");
    }
    var shape = scoring.inputShape();
    JavaRDD<ScoreInput> inputs = switch (format) {
      case "image_folder" -> ScoreInputs.imageFolder(session, input, shape, scoring.classNames());
      case "parquet" -> ScoreInputs.parquet(session, input, imageColumn, labelColumn, idColumn,
          shape, pixelRange.equals("0-1"));
      case "idx", "cifar" -> {
        ImageSet set = format.equals("idx") ? IdxReader.read(new HadoopSource(input, hadoop),
            new HadoopSource(labels, hadoop), scoring.classNames().size())
            : CifarReader.readSources(List.of(new HadoopSource(input, hadoop)),
                scoring.classNames().size());
        yield ScoreInputs.imageSet(jsc, set, true,
            partitions > 0 ? partitions : jsc.defaultParallelism());
      }
      default -> throw new IllegalArgumentException("--format must be image_folder, parquet,"
          + " idx or cifar, got " + format);
    };
    LongAccumulator scored = jsc.sc().longAccumulator("images scored");
    var broadcast = jsc.broadcast(scoring);
    int k = topK;
    int batch = batchSize;
    int classes = scoring.classNames().size();
    long start = System.nanoTime();
    JavaRDD<ScoredImage> results = inputs.mapPartitions(
        it -> broadcast.value().score(it, batch, k, scored::add))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Thread progress = progressReporter(scored, start);
    try {
      Metrics metrics = SparkTrainer.guard(() -> results.treeAggregate(null,
          (m, r) -> Metrics.add(m, r, classes), Metrics::merge, 2));
      if (metrics == null) {
        throw new IllegalArgumentException(input + " holds no images");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (metrics.errors > maxErrorFraction * metrics.images) {
        throw new IllegalStateException(String.format(Locale.ROOT, "%d of %d images could not be"
                + " scored, more than --max-error-fraction %.3f allows; nothing was written",
            metrics.errors, metrics.images, maxErrorFraction));
      }
      commit(session, results, scoring.classNames(), out, fs, hadoop);
      Evaluation evaluation = metrics.evaluation();
      writeMetrics(metrics, evaluation, scoring.classNames(), hadoop);
      return new Summary(metrics.images, metrics.errors, seconds, evaluation,
          scoring.classNames(), output);
    } finally {
      progress.interrupt();
      results.unpersist(false);
      broadcast.destroy();
    }
  }

  /** Writes the rows to a temporary folder beside the output, then renames it into place. */
  private void commit(SparkSession session, JavaRDD<ScoredImage> results, List<String> names,
      Path out, FileSystem fs, Configuration hadoop) throws Exception {
    Path tmp = new Path(out.getParent(), "." + out.getName() + "." + UUID.randomUUID() + ".tmp");
    boolean csv = outputFormat.equals("csv");
    JavaRDD<Row> rows = results.map(r -> toRow(r, names, csv));
    StructType schema = csv ? new StructType().add("id", DataTypes.StringType)
        .add("label", DataTypes.IntegerType).add("prediction", DataTypes.IntegerType)
        .add("class", DataTypes.StringType).add("top", DataTypes.StringType)
        .add("error", DataTypes.StringType) : SCHEMA;
    Dataset<Row> frame = session.createDataFrame(rows, schema);
    try {
      if (csv) {
        frame.write().option("header", "true").csv(tmp.toString());
      } else {
        frame.write().parquet(tmp.toString());
      }
      if (fs.exists(out)) {
        fs.delete(out, true);
      }
      FileContext.getFileContext(out.toUri(), hadoop).rename(tmp, out);
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
  }

  static Row toRow(ScoredImage r, List<String> names, boolean csv) {
    Integer label = r.label() < 0 ? null : r.label();
    Integer prediction = r.prediction() < 0 ? null : r.prediction();
    List<String> top = new ArrayList<>();
    List<Float> probs = new ArrayList<>();
    for (int j = 0; j < r.topClasses().length; j++) {
      top.add(names.get(r.topClasses()[j]));
      probs.add(r.topProbabilities()[j]);
    }
    if (csv) {
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < top.size(); j++) {
        sb.append(j == 0 ? "" : ";").append(top.get(j)).append(':')
            .append(String.format(Locale.ROOT, "%.4f", probs.get(j)));
      }
      return RowFactory.create(r.id(), label, prediction, r.className(), sb.toString(), r.error());
    }
    return RowFactory.create(r.id(), label, prediction, r.className(),
        scala.jdk.javaapi.CollectionConverters.asScala(top).toSeq(),
        scala.jdk.javaapi.CollectionConverters.asScala(probs).toSeq(), r.error());
  }

  private void writeMetrics(Metrics m, Evaluation e, List<String> names, Configuration hadoop)
      throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("images", m.images);
    root.put("errors", m.errors);
    root.put("labelled", e.count());
    if (e.count() > 0) {
      root.put("accuracy", e.accuracy());
      ObjectNode perClass = root.putObject("per_class_accuracy");
      ArrayNode confusion = root.putArray("confusion");
      for (int c = 0; c < names.size(); c++) {
        perClass.put(names.get(c), e.classAccuracy(c));
        ArrayNode row = confusion.addArray();
        for (long v : e.confusion()[c]) {
          row.add(v);
        }
      }
    }
    HadoopFiles.writeAtomically(HadoopFiles.path(output + ".metrics.json"),
        json.writerWithDefaultPrettyPrinter().writeValueAsString(root)
            .getBytes(StandardCharsets.UTF_8), hadoop);
  }

  private static Thread progressReporter(LongAccumulator scored, long start) {
    Thread t = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(5000);
          double seconds = (System.nanoTime() - start) / 1e9;
          System.out.printf(Locale.ROOT, "scored %d images, %.0f img/s%n", scored.value(),
              scored.value() / seconds);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "sparkconv-score-progress");
    t.setDaemon(true);
    t.start();
    return t;
  }

  public static void main(String[] args) {
    Cli.run(new ScoreJob(), args);
  }
}
