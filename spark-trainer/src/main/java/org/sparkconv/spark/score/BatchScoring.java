package org.sparkconv.spark.score;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.train.DataSpec;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.data.ImageFiles;
import org.sparkconv.spark.data.ParquetImages;
import org.sparkconv.spark.data.SourceShards;
import org.sparkconv.spark.report.ScoringReport;
import org.sparkconv.spark.train.Preflight;
import org.sparkconv.spark.train.SparkResources;
import org.sparkconv.spark.wire.ConfusionCounts;
import org.sparkconv.spark.wire.ImageRow;
import org.sparkconv.spark.wire.ScoredImage;
import org.sparkconv.spark.wire.SparkActions;
import org.sparkconv.spark.wire.TrainedModel;

/**
 * One batch-scoring run: read the images, score them on the executors in minibatches, count
 * errors and (with labels) the confusion matrix on the way to the driver, then write the rows
 * to a temporary location that is moved into place only when complete, and the metrics beside
 * them.
 */
public final class BatchScoring {

  /** What a scoring run produced. */
  public record Summary(long images, long errors, double seconds, Evaluation evaluation,
      List<String> classNames, String output) {

    /** The figures as printed at the end of a run. */
    public String report() {
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

  private final ScoreSettings settings;
  private final PrintStream log;

  public BatchScoring(ScoreSettings settings, PrintStream log) {
    this.settings = settings;
    this.log = log;
  }

  /** Scores with {@code model} and writes the output; nothing is written on failure. */
  public Summary run(SparkSession session, TrainedModel model) throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(session.sparkContext());
    Configuration hadoop = jsc.hadoopConfiguration();
    Path out = HadoopFiles.path(settings.output());
    FileSystem fs = out.getFileSystem(hadoop);
    requireSafePaths(model.source(), hadoop);
    Preflight.checkScoring(model.spec(), settings.batchSize(), "--batch-size",
        ComputeContext.defaults().parallel().threads(), SparkResources.concurrentTasks(jsc),
        SparkResources.executorMemory(jsc));
    JavaRDD<ImageRow> inputs = inputs(session, jsc, model);
    LongAccumulator scored = jsc.sc().longAccumulator("images scored");
    var broadcast = jsc.broadcast(model);
    int k = settings.topK();
    int batch = settings.batchSize();
    int classes = model.classNames().size();
    long start = System.nanoTime();
    JavaRDD<ScoredImage> results = inputs.mapPartitions(
        it -> Scorer.score(broadcast.value(), it, batch, k, scored::add))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Thread progress = progressReporter(scored, start);
    try {
      ConfusionCounts counts = SparkActions.run(() -> results.treeAggregate(null,
          (m, r) -> ConfusionCounts.add(m, r, classes), ConfusionCounts::merge, 2));
      progress.interrupt(); // scoring is done; what follows is writing
      if (counts == null) {
        throw new IllegalArgumentException(settings.input() + " holds no images");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (counts.errors() > settings.maxErrorFraction() * counts.images()) {
        throw new IllegalStateException(String.format(Locale.ROOT, "%d of %d images could not be"
                + " scored, more than --max-error-fraction %.3f allows; nothing was written",
            counts.errors(), counts.images(), settings.maxErrorFraction()));
      }
      ScoreOutput output = new ScoreOutput(settings, model.classNames());
      output.commitRows(session, results, out, fs, hadoop);
      Evaluation evaluation = counts.toEvaluation();
      output.writeMetrics(counts, evaluation, hadoop);
      writeReport(results, counts, seconds, evaluation, model, hadoop);
      return new Summary(counts.images(), counts.errors(), seconds, evaluation,
          model.classNames(), settings.output());
    } finally {
      progress.interrupt();
      results.unpersist(false);
      broadcast.destroy();
    }
  }

  /**
   * Fails, before anything is read or written, when the input is missing, when the output (or
   * its metrics file) exists and {@code --overwrite} was not given, and always when the output
   * would replace the input, the labels or the model, or a folder holding one of them.
   */
  private void requireSafePaths(String modelSource, Configuration hadoop) throws IOException {
    Path out = qualified(settings.output(), hadoop);
    Path metrics = qualified(settings.output() + ".metrics.json", hadoop);
    FileSystem fs = out.getFileSystem(hadoop);
    Path in = qualified(settings.input(), hadoop);
    if (!in.getFileSystem(hadoop).exists(in)) {
      throw new IllegalArgumentException("input " + settings.input() + " does not exist");
    }
    List<String> kept = new ArrayList<>(List.of(settings.input(), modelSource));
    if (settings.labels() != null) {
      kept.add(settings.labels());
    }
    for (String location : kept) {
      Path p = qualified(location.replaceFirst("/ckpt-\\d{12}\\.spcv$", ""), hadoop);
      if (isWithin(p, out) || isWithin(out, p)) {
        throw new IllegalArgumentException("--output " + settings.output() + " would replace "
            + location + " (an input of this run), even with --overwrite: choose another"
            + " --output");
      }
    }
    for (Path p : List.of(out, metrics)) {
      if (fs.exists(p) && !settings.overwrite()) {
        throw new IllegalArgumentException("output " + p + " exists; pass --overwrite to"
            + " replace it");
      }
    }
  }

  private static Path qualified(String location, Configuration hadoop) throws IOException {
    Path p = HadoopFiles.path(location);
    return p.getFileSystem(hadoop).makeQualified(p);
  }

  /** Whether {@code inner} is {@code outer} or lies below it. */
  private static boolean isWithin(Path inner, Path outer) {
    String a = inner.toUri().getPath();
    String b = outer.toUri().getPath();
    return inner.toUri().getScheme() != null && inner.toUri().getScheme().equals(
        outer.toUri().getScheme()) && (a.equals(b) || a.startsWith(b.endsWith("/") ? b : b + "/"));
  }

  private JavaRDD<ImageRow> inputs(SparkSession session, JavaSparkContext jsc,
      TrainedModel model) throws IOException {
    var shape = model.inputShape();
    Configuration hadoop = jsc.hadoopConfiguration();
    return switch (settings.format()) {
      case "image_folder" -> {
        String ignored = ImageFiles.ignored(hadoop, settings.input(), 5)
            .describe(settings.input());
        if (!ignored.isEmpty()) {
          log.println("scoring: " + ignored);
        }
        yield ImageFiles.read(session, settings.input(), shape, model.classNames());
      }
      case "parquet" -> ParquetImages.read(session, settings.input(), settings.imageColumn(),
          settings.labelColumn(), settings.idColumn(), shape, settings.unitRange());
      default -> {
        int classes = model.classNames().size();
        DataSpec.DriverRead files = settings.format().equals("idx")
            ? new DataSpec.Idx(classes, settings.input(), settings.labels(), settings.input(),
                settings.labels())
            : new DataSpec.Cifar(classes, List.of(settings.input()), List.of(settings.input()));
        yield SourceShards.testRows(jsc, files, settings.partitions() > 0
            ? settings.partitions() : jsc.defaultParallelism());
      }
    };
  }

  /**
   * {@code <output>.report.html}, after the rows and metrics are safe: a report that cannot be
   * written (no fonts for the chart, a full disk) costs one line.
   */
  private void writeReport(JavaRDD<ScoredImage> results, ConfusionCounts counts,
      double seconds, Evaluation evaluation, TrainedModel model, Configuration hadoop) {
    try {
      List<ScoringReport.ErrorRow> errorRows = new ArrayList<>();
      if (counts.errors() > 0) {
        for (ScoredImage r : results.filter(r -> r.error() != null).take(20)) {
          errorRows.add(new ScoringReport.ErrorRow(r.id(), r.error()));
        }
      }
      Map<String, String> shown = new LinkedHashMap<>();
      shown.put("model", model.source());
      shown.put("input", settings.input() + " (" + settings.format() + ")");
      shown.put("output", settings.output() + " (" + settings.outputFormat() + ")");
      shown.put("batch size, top k", settings.batchSize() + ", " + settings.topK());
      String html = ScoringReport.html("sparkconv: scoring with " + model.source(),
          counts.images(), counts.errors(), seconds, evaluation, model.classNames(), errorRows,
          shown);
      HadoopFiles.writeAtomically(HadoopFiles.path(settings.output() + ".report.html"),
          html.getBytes(java.nio.charset.StandardCharsets.UTF_8), hadoop);
    } catch (Exception | Error e) {
      log.println("report not written (" + e + "); the predictions and metrics are");
    }
  }

  private Thread progressReporter(LongAccumulator scored, long start) {
    Thread t = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(5000);
          double seconds = (System.nanoTime() - start) / 1e9;
          // Counts arrive as tasks finish, so a rate here would mislead: the final line has it.
          log.printf(Locale.ROOT, "scored %d images so far (%.0f s)%n", scored.value(),
              seconds);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "sparkconv-score-progress");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
