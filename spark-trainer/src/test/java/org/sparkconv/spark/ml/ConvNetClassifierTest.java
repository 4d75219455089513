package org.sparkconv.spark.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.spark.data.ClassFolders;

/**
 * The Spark ML API in a session made the plain way ({@code SparkSession.builder()
 * .master("local[2]").getOrCreate()}: Spark's default Java serializer), on Fashion-MNIST images
 * written as PNG files and read back with Spark's {@code image} and {@code binaryFile} sources.
 */
class ConvNetClassifierTest {

  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static final String LENET = Path.of("..", "conf", "models", "lenet5.json").toAbsolutePath()
      .toString();
  static SparkSession spark;
  static Path root;

  @BeforeAll
  static void writeImages(@TempDir Path dir) throws IOException {
    root = dir;
    ImageSet train = IdxReader.read(FASHION.resolve("train-images-idx3-ubyte.gz"),
        FASHION.resolve("train-labels-idx1-ubyte.gz"), 10).head(1500);
    ImageSet test = IdxReader.read(FASHION.resolve("t10k-images-idx3-ubyte.gz"),
        FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10).head(500);
    write(train, dir.resolve("train"));
    write(test, dir.resolve("test"));
    Files.write(dir.resolve("test").resolve("Bag").resolve("corrupt.png"),
        new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    spark = SparkSession.builder().master("local[2]").appName("sparkconv-ml-tests")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static void write(ImageSet set, Path dir) throws IOException {
    List<String> names = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    for (int n = 0; n < set.count(); n++) {
      BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      for (int i = 0; i < 784; i++) {
        img.getRaster().setSample(i % 28, i / 28, 0, set.pixel(n, i));
      }
      Path folder = dir.resolve(ClassFolders.safeFolderName(names.get(set.labels()[n])));
      Files.createDirectories(folder);
      ImageIO.write(img, "png", folder.resolve(String.format("%05d.png", n)).toFile());
    }
  }

  /** Spark's image source, with the class (folder name) as a string column. */
  static Dataset<Row> images(String split) {
    return spark.read().format("image").option("dropInvalid", true)
        .load(root.resolve(split) + "/*/*.png")
        .withColumn("class", regexp_extract(col("image.origin"), "/([^/]+)/[^/]+$", 1));
  }

  static Dataset<Row> binaryFiles(String split) {
    return spark.read().format("binaryFile").load(root.resolve(split) + "/*/*.png")
        .withColumn("class", regexp_extract(col("path"), "/([^/]+)/[^/]+$", 1));
  }

  static ConvNetClassifier lenet(int epochs) {
    return new ConvNetClassifier().setModelSpec(LENET).setEpochs(epochs).setBatchSize(64)
        .setLearningRate(0.05).setWarmupEpochs(0.1);
  }

  static double accuracy(Dataset<Row> predictions) {
    return new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(predictions.filter(col("error").isNull()));
  }

  /**
   * LeNet-5 on 1,500 images for 3 epochs: measured here at about 75% on the 500 test images;
   * 65% leaves room for thread-order noise while a model that did not learn (10%) fails.
   */
  @Test
  void aPipelineWithStringIndexerFitsScoresSavesAndLoads() throws IOException {
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new StringIndexer().setInputCol("class").setOutputCol("label"), lenet(3)});
    PipelineModel fitted = pipeline.fit(images("train"));
    Dataset<Row> predictions = fitted.transform(images("test")).cache();
    double accuracy = accuracy(predictions);
    assertTrue(accuracy >= 0.65, "accuracy " + accuracy);
    assertEquals(500, predictions.count(), "the corrupt file is dropped by the image source");
    Row first = predictions.first();
    Vector probability = first.getAs("probability");
    assertEquals(10, probability.size());
    assertEquals(1.0, java.util.Arrays.stream(probability.toArray()).sum(), 1e-5);
    assertEquals(probability.argmax(), (double) first.getAs("prediction"), 0.0);
    assertEquals(10, ((Vector) first.getAs("rawPrediction")).size());
    assertTrue(List.of(predictions.columns()).containsAll(List.of("image", "class", "label")),
        "input columns kept");
    ConvNetClassificationModel model = (ConvNetClassificationModel) fitted.stages()[1];
    assertEquals(3, model.history().epochs().size(), "the training history is on the model");

    String saved = root.resolve("pipeline-model").toString();
    fitted.write().overwrite().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    List<Row> before = predictions.select("prediction", "probability").collectAsList();
    List<Row> after = loaded.transform(images("test")).select("prediction", "probability")
        .collectAsList();
    assertEquals(before, after, "identical predictions after save and load");

    String estimator = root.resolve("estimator").toString();
    lenet(3).setLearningRate(0.02).write().overwrite().save(estimator);
    assertEquals(0.02, ConvNetClassifier.load(estimator).real(
        ConvNetClassifier.load(estimator).learningRate()), 0.0);
  }

  @Test
  void encodedPngBytesFromBinaryFileTrainAndScoreToo() {
    Dataset<Row> train = binaryFiles("train");
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new StringIndexer().setInputCol("class").setOutputCol("label"),
        lenet(3).setImageCol("content")});
    Dataset<Row> predictions = pipeline.fit(train).transform(binaryFiles("test")).cache();
    assertTrue(accuracy(predictions) >= 0.65, "accuracy " + accuracy(predictions));
    List<Row> failed = predictions.filter(col("error").isNotNull()).collectAsList();
    assertEquals(1, failed.size(), "the corrupt PNG is one error row, not a failed job");
    assertNull(failed.get(0).getAs("prediction"));
    assertTrue(failed.get(0).<String>getAs("error").contains("row"), failed.toString());
  }

  @Test
  void crossValidationOverTwoLearningRatesPicksAModel() {
    Dataset<Row> all = images("train");
    // Labels indexed once on every class, so that no fold meets a class it was not fit on.
    Dataset<Row> train = new StringIndexer().setInputCol("class").setOutputCol("label").fit(all)
        .transform(all).sample(0.6, 5);
    ConvNetClassifier cnn = lenet(2).setBatchSize(32);
    ParamMap[] grid = new ParamGridBuilder().addGrid(cnn.learningRate(),
        new double[] {0.005, 0.05}).build();
    CrossValidatorModel cv = new CrossValidator().setEstimator(cnn)
        .setEstimatorParamMaps(grid).setNumFolds(2).setSeed(3)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
        .fit(train);
    double[] metrics = cv.avgMetrics();
    assertEquals(2, metrics.length);
    assertTrue(Math.max(metrics[0], metrics[1]) > 0.4, java.util.Arrays.toString(metrics));
    ConvNetClassificationModel best = (ConvNetClassificationModel) cv.bestModel();
    double chosen = ((ConvNetClassifier) best.parent()).real(cnn.learningRate());
    assertEquals(metrics[1] > metrics[0] ? 0.05 : 0.005, chosen, 0.0,
        "the model of the better learning rate");
  }

  @Test
  void transformStreamsInMinibatchesNotWholePartitions() {
    ConvNetClassificationModel model = lenet(1).fit(new StringIndexer().setInputCol("class")
        .setOutputCol("label").fit(images("train")).transform(images("train").limit(300)))
        .setScoreBatchSize(32);
    StructType schema = new StructType().add("pixels", DataTypes.createArrayType(
        DataTypes.IntegerType));
    List<Row> rows = new ArrayList<>();
    for (int n = 0; n < 1000; n++) {
      Integer[] pixels = new Integer[784];
      for (int i = 0; i < 784; i++) {
        pixels[i] = (n * 7 + i) % 256;
      }
      rows.add(RowFactory.create((Object) java.util.Arrays.asList(pixels)));
    }
    Dataset<Row> thousand = spark.createDataFrame(rows, schema).coalesce(1);
    ConvNetClassificationModel.PEAK_ROWS_HELD.set(0);
    long scored = model.setImageCol("pixels").transform(thousand)
        .filter(col("prediction").isNotNull()).count();
    assertEquals(1000, scored);
    int peak = ConvNetClassificationModel.PEAK_ROWS_HELD.get();
    assertTrue(peak <= 32 && peak > 0, "rows held at once: " + peak + " (minibatch 32)");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> model.setScoreBatchSize(5_000_000).transform(thousand));
    assertTrue(e.getMessage().contains("at scoreBatchSize 5000000")
        && e.getMessage().contains("use scoreBatchSize "), e.getMessage());
  }

  @Test
  void badColumnsFailInTransformSchemaNamingTheColumn() {
    StructType strings = new StructType().add("image", DataTypes.StringType)
        .add("label", DataTypes.DoubleType);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> lenet(1).transformSchema(strings));
    assertTrue(e.getMessage().contains("image column 'image' is string")
        && e.getMessage().contains("image struct"), e.getMessage());
    StructType textLabels = new StructType().add("image", DataTypes.BinaryType)
        .add("label", DataTypes.StringType);
    e = assertThrows(IllegalArgumentException.class, () -> lenet(1).transformSchema(textLabels));
    assertTrue(e.getMessage().contains("label column 'label' is string")
        && e.getMessage().contains("StringIndexer"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> lenet(1).transformSchema(new StructType().add("x", DataTypes.BinaryType)));
    assertTrue(e.getMessage().contains("no image column 'image'"), e.getMessage());
    assertNotNull(lenet(1).transformSchema(new StructType().add("image",
        DataTypes.BinaryType).add("label", DataTypes.IntegerType)).apply("probability"));
  }
}
