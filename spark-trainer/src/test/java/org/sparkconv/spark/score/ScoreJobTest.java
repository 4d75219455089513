package org.sparkconv.spark.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.engine.train.Evaluator;
import org.sparkconv.engine.train.TrainMain;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.engine.train.Trainer;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.data.ClassFolders;
import org.sparkconv.spark.job.ScoreJob;
import org.sparkconv.spark.train.Preflight;
import org.sparkconv.spark.train.SparkResources;
import org.sparkconv.spark.wire.TrainedModel;
import picocli.CommandLine;

/**
 * Batch scoring end to end: Fashion-MNIST test images written as PNG files into class-named
 * folders (plus one corrupt file), a LeNet-5 trained here, scored on Spark, read back.
 */
class ScoreJobTest {

  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static ImageSet test;
  static ImageSet train;
  static Network net;
  static Normalization norm;
  static Path modelFile;
  static Path pngRoot;

  @BeforeAll
  static void trainAndWriteImages(@TempDir Path dir) throws IOException {
    // The pure-Java GEMM computes every example the same way whatever batch it is in, so the
    // Spark scores and the engine's evaluation can be compared exactly.
    System.setProperty("sparkconv.gemm", "java");
    train = IdxReader.read(FASHION.resolve("train-images-idx3-ubyte.gz"),
        FASHION.resolve("train-labels-idx1-ubyte.gz"), 10).head(6000);
    test = IdxReader.read(FASHION.resolve("t10k-images-idx3-ubyte.gz"),
        FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10).head(600);
    var job = org.sparkconv.engine.train.JobConfig.read(
        Path.of("..", "conf", "jobs", "lenet5-fashion.json"), List.of(),
        TrainMain.SPARK_SECTIONS);
    net = Network.build(SpecJson.read(Path.of(job.model())));
    net.initialize(1);
    norm = Normalization.of(train);
    TrainSettings s = job.train();
    List<Evaluation> h = new Trainer(net, s, new PrintStream(new ByteArrayOutputStream()))
        .fit(train, test, norm);
    modelFile = dir.resolve("lenet5.spcv");
    ModelFile.of(net).save(modelFile);
    ModelFile.of(net).withMetadata(ModelMetadata.trained(norm, 1, h.get(0).accuracy()))
        .save(modelFile);
    pngRoot = dir.resolve("images");
    for (int n = 0; n < test.count(); n++) {
      BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      for (int i = 0; i < 784; i++) {
        img.getRaster().setSample(i % 28, i / 28, 0, test.pixel(n, i));
      }
      Path folder = pngRoot.resolve(ClassFolders.safeFolderName(
          net.spec().classNames().get(test.labels()[n])));
      Files.createDirectories(folder);
      ImageIO.write(img, "png", folder.resolve(String.format("%05d.png", n)).toFile());
    }
    Files.write(pngRoot.resolve("Bag").resolve("corrupt.png"), new byte[] {(byte) 0x89, 'P',
        'N', 'G', 1, 2, 3});
  }

  static SparkSession session() {
    return SparkSession.builder().sparkContext(LocalSpark.get().sc()).getOrCreate();
  }

  static ScoreJob job(String... args) {
    ScoreJob job = new ScoreJob();
    new CommandLine(job).parseArgs(args);
    return job;
  }

  @Test
  void scoresAFolderTreeWithTheEnginesExactAccuracyAndOneErrorRow(@TempDir Path out)
      throws Exception {
    String output = out.resolve("predictions").toString();
    BatchScoring.Summary summary = job("--model", modelFile.toString(), "--input",
        pngRoot.toString(), "--output", output, "--top-k", "3", "--batch-size", "64")
        .score(session(), ModelLoader.load(modelFile.toString(),
            LocalSpark.get().hadoopConfiguration(), System.out));
    List<Row> rows = session().read().parquet(output).collectAsList();
    assertEquals(test.count() + 1, rows.size(), "one row per file");
    List<Row> errors = rows.stream().filter(r -> !r.isNullAt(r.fieldIndex("error"))).toList();
    assertEquals(1, errors.size());
    assertTrue(errors.get(0).getString(errors.get(0).fieldIndex("error")).contains(
        "corrupt.png"), errors.get(0).toString());
    long correct = rows.stream().filter(r -> r.isNullAt(r.fieldIndex("error"))
        && r.getInt(r.fieldIndex("label")) == r.getInt(r.fieldIndex("prediction"))).count();
    Evaluation engine = Evaluator.evaluate(net, test, norm, 256);
    assertEquals(engine.correct(), correct, "accuracy read back from Parquet = the engine's");
    assertEquals(engine.correct(), summary.evaluation().correct());
    for (int k = 0; k < 10; k++) {
      assertEquals(engine.classAccuracy(k), summary.evaluation().classAccuracy(k), 0.0,
          "class " + k);
    }
    Row first = rows.stream().filter(r -> r.isNullAt(r.fieldIndex("error"))).findFirst()
        .orElseThrow();
    List<Float> probs = first.getList(first.fieldIndex("top_probabilities"));
    assertEquals(3, probs.size());
    assertTrue(probs.get(0) >= probs.get(1) && probs.get(1) >= probs.get(2), probs.toString());
    assertEquals(first.getString(first.fieldIndex("class")),
        first.getList(first.fieldIndex("top_classes")).get(0));
    String metrics = Files.readString(Path.of(output + ".metrics.json"));
    assertTrue(metrics.contains("\"errors\" : 1") && metrics.contains("\"accuracy\""), metrics);
    String report = Files.readString(Path.of(output + ".report.html"));
    assertTrue(report.contains(String.format(java.util.Locale.ROOT, "Accuracy %.2f%% (%d / %d",
        100 * engine.accuracy(), engine.correct(), engine.count()))
        && report.contains("Images that could not be scored") && report.contains("corrupt.png")
        && report.contains(">" + engine.confusion()[3][3] + "</td>"), report);
    java.util.regex.Matcher chart = java.util.regex.Pattern.compile(
        "data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(report);
    assertTrue(chart.find(), "the per-class chart is there");
    assertEquals(640, javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
        java.util.Base64.getDecoder().decode(chart.group(1)))).getWidth());
    try (var listing = Files.list(out)) {
      assertTrue(listing.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")),
          "no temporary output left");
    }
    IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
        () -> job("--model", modelFile.toString(), "--input", pngRoot.toString(), "--output",
            output).score(session(), ModelLoader.load(modelFile.toString(),
            LocalSpark.get().hadoopConfiguration(), System.out)));
    assertTrue(exists.getMessage().contains("--overwrite"), exists.getMessage());
  }

  /** A graph model (residual block, concatenated side branch) scores like any other. */
  @Test
  void aGraphModelScoresTheFolderAsTheEngineEvaluates(@TempDir Path out) throws Exception {
    NetworkSpec spec = NetworkBuilder.input("graph", 1, 28, 28).conv2d(6, 5, 2).batchNorm2d()
        .relu().named("stem").conv2d(6, 3, 1).batchNorm2d().named("branch")
        .add("branch", "stem").relu().named("block").from("stem").conv2d(2, 1, 0).named("side")
        .concat("block", "side").maxPool(4).flatten().dense(10)
        .classes(net.spec().classNames()).build();
    Network graph = Network.build(spec);
    graph.initialize(3);
    new Trainer(graph, new TrainSettings(1, 64, 3, OptimizerSpec.sgd(0.05f, 0.9f),
        Schedule.constant(), 0f, Augmentation.NONE, 60),
        new PrintStream(new ByteArrayOutputStream())).fit(train.head(3000), test, norm);
    Path file = out.resolve("graph.spcv");
    ModelFile.of(graph).withMetadata(ModelMetadata.trained(norm, 1, 0.0)).save(file);
    String output = out.resolve("graph-predictions").toString();
    BatchScoring.Summary summary = job("--model", file.toString(), "--input",
        pngRoot.toString(), "--output", output).score(session(), ModelLoader.load(
            file.toString(), LocalSpark.get().hadoopConfiguration(), System.out));
    Evaluation engine = Evaluator.evaluate(graph, test, norm, 256);
    assertTrue(engine.accuracy() > 0.6, "a trained graph model: " + engine.accuracy());
    assertEquals(engine.correct(), summary.evaluation().correct(),
        "Spark's scores of the PNG folder = the engine's evaluation");
    assertEquals(test.count() + 1, session().read().parquet(output).count());
  }

  @Test
  void scoringNeverReplacesItsInputsOrModelAndNamesAMissingInput(@TempDir Path out)
      throws Exception {
    TrainedModel model = ModelLoader.load(modelFile.toString(),
        LocalSpark.get().hadoopConfiguration(), System.out);
    long before;
    try (var files = Files.walk(pngRoot)) {
      before = files.count();
    }
    for (String target : List.of(pngRoot.toString(), pngRoot.getParent().toString(),
        modelFile.toString())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> job("--model", modelFile.toString(), "--input", pngRoot.toString(), "--output",
              target, "--overwrite").score(session(), model));
      assertTrue(e.getMessage().contains("would replace") && e.getMessage().contains(
          "even with --overwrite"), e.getMessage());
    }
    try (var files = Files.walk(pngRoot)) {
      assertEquals(before, files.count(), "every input file is still there");
    }
    assertTrue(Files.size(modelFile) > 0);
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> job("--model", modelFile.toString(), "--input", out.resolve("nothing").toString(),
            "--output", out.resolve("p").toString()).score(session(), model));
    assertTrue(missing.getMessage().startsWith("input ") && missing.getMessage().endsWith(
        "does not exist"), missing.getMessage());
  }

  @Test
  void idxFilesAreReadByTheExecutorsAndScoreAsTheEngineEvaluates(@TempDir Path out)
      throws Exception {
    BatchScoring.Summary summary = job("--model", modelFile.toString(), "--format", "idx",
        "--input", FASHION.resolve("t10k-images-idx3-ubyte.gz").toString(), "--labels",
        FASHION.resolve("t10k-labels-idx1-ubyte.gz").toString(), "--partitions", "3",
        "--output", out.resolve("idx").toString()).score(session(), ModelLoader.load(
            modelFile.toString(), LocalSpark.get().hadoopConfiguration(), System.out));
    ImageSet all = IdxReader.read(FASHION.resolve("t10k-images-idx3-ubyte.gz"),
        FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10);
    assertEquals(10000, summary.images());
    assertEquals(Evaluator.evaluate(net, all, norm, 256).correct(),
        summary.evaluation().correct(), "every image scored once, as the engine scores it");
    List<Row> rows = session().read().parquet(out.resolve("idx").toString())
        .filter("id = 'index 9999'").collectAsList();
    assertEquals(all.labels()[9999], rows.get(0).getInt(rows.get(0).fieldIndex("label")));
  }

  @Test
  void tooManyErrorsFailsAndWritesNothing(@TempDir Path out) throws Exception {
    String output = out.resolve("strict").toString();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> job("--model", modelFile.toString(), "--input", pngRoot.toString(), "--output",
            output, "--max-error-fraction", "0", "--output-format", "csv")
            .score(session(), ModelLoader.load(modelFile.toString(),
                LocalSpark.get().hadoopConfiguration(), System.out)));
    assertTrue(e.getMessage().contains("1 of " + (test.count() + 1))
        && e.getMessage().contains("nothing was written"), e.getMessage());
    assertTrue(!Files.exists(Path.of(output)));
  }

  @Test
  void aMinibatchTheExecutorsCannotHoldFailsFirstNamingOneThatFits(@TempDir Path out)
      throws Exception {
    TrainedModel model = ModelLoader.load(modelFile.toString(),
        LocalSpark.get().hadoopConfiguration(), System.out);
    String output = out.resolve("huge").toString();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> job("--model", modelFile.toString(), "--input", pngRoot.toString(), "--output",
            output, "--batch-size", "5000000").score(session(), model));
    Matcher fits = Pattern.compile("use --batch-size (\\d+) or less").matcher(e.getMessage());
    assertTrue(e.getMessage().contains("at --batch-size 5000000") && fits.find(),
        e.getMessage());
    assertTrue(!Files.exists(Path.of(output)), "nothing written");
    int largest = Integer.parseInt(fits.group(1));
    int threads = ComputeContext.defaults().parallel().threads();
    int tasks = SparkResources.concurrentTasks(LocalSpark.get());
    long heap = SparkResources.executorMemory(LocalSpark.get());
    Preflight.checkScoring(model.spec(), largest, "--batch-size", threads, tasks, heap);
    assertThrows(IllegalStateException.class,
        () -> Preflight.checkScoring(model.spec(), largest + 1, "--batch-size", threads, tasks,
            heap));
    IllegalStateException tiny = assertThrows(IllegalStateException.class,
        () -> Preflight.checkScoring(model.spec(), 8, "--batch-size", threads, tasks, 1 << 20));
    assertTrue(tiny.getMessage().contains("even one image a minibatch needs")
        && tiny.getMessage().contains("set spark.executor.memory to at least"), tiny.getMessage());
  }

  @Test
  void theMlModelScoresRawPixelColumnsAsTheEngineEvaluates() throws IOException {
    TrainedModel model = ModelLoader.load(modelFile.toString(),
        LocalSpark.get().hadoopConfiguration(), System.out);
    List<Row> input = new java.util.ArrayList<>();
    for (int n = 0; n < 50; n++) {
      input.add(org.apache.spark.sql.RowFactory.create("img" + n,
          java.util.Arrays.copyOfRange(test.pixels(), n * 784, (n + 1) * 784)));
    }
    var schema = new org.apache.spark.sql.types.StructType()
        .add("name", org.apache.spark.sql.types.DataTypes.StringType)
        .add("pixels", org.apache.spark.sql.types.DataTypes.BinaryType);
    var frame = session().createDataFrame(input, schema);
    List<Row> out = new org.sparkconv.spark.ml.ConvNetClassificationModel(model)
        .setImageCol("pixels").transform(frame).collectAsList();
    assertEquals(50, out.size());
    Evaluation engine = Evaluator.evaluate(net, test.head(50), norm, 256);
    long correct = 0;
    for (Row r : out) {
      int n = Integer.parseInt(r.getString(0).substring(3));
      if (r.getDouble(r.fieldIndex("prediction")) == test.labels()[n]) {
        correct++;
      }
      assertTrue(r.<org.apache.spark.ml.linalg.Vector>getAs("probability").apply(
          (int) r.getDouble(r.fieldIndex("prediction"))) > 0.0);
    }
    assertEquals(engine.correct(), correct);
  }
}
