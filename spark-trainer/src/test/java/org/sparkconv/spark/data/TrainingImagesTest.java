package org.sparkconv.spark.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.checkpoint.Checkpointing;
import org.sparkconv.spark.train.EquivalenceTest;
import org.sparkconv.spark.train.SparkSettings;
import org.sparkconv.spark.train.SparkTrainer;
import org.sparkconv.spark.wire.LabelledPixels;
import org.sparkconv.spark.wire.SparkActions;

class TrainingImagesTest {

  @TempDir
  Path dir;

  private static final List<String> CLASSES = List.of("top/left", "top-right", "bottom left",
      "bottom_right");

  private static SparkSession session() {
    return SparkSession.builder().sparkContext(LocalSpark.get().sc()).getOrCreate();
  }

  /** Writes {@code set} as 8-bit grey PNGs under one folder per class, returns the root. */
  private Path writePngs(ImageSet set, String name) throws IOException {
    Path root = dir.resolve(name);
    int side = set.shape().height();
    for (int n = 0; n < set.count(); n++) {
      BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
          int v = set.pixel(n, y * side + x);
          img.getRaster().setSample(x, y, 0, v);
        }
      }
      Path folder = root.resolve(ClassFolders.safeFolderName(CLASSES.get(set.labels()[n])));
      Files.createDirectories(folder);
      ImageIO.write(img, "png", folder.resolve(String.format("%05d.png", n)).toFile());
    }
    return root;
  }

  @Test
  void imageFolderGivesTheExactPixelsAndLabelsAndSkipsCorruptFiles() throws IOException {
    ImageSet set = TestImages.quadrants(60, 8, 11);
    Path root = writePngs(set, "train");
    Files.writeString(root.resolve(ClassFolders.safeFolderName(CLASSES.get(0))).resolve(
        "broken.png"), "not a png");
    long[] skipped = new long[1];
    List<LabelledPixels> read = new ArrayList<>(TrainingImages.imageFolder(session(),
        root.toString(), set.shape(), CLASSES, skipped).collect());
    assertEquals(1, skipped[0], "the corrupt file is counted");
    assertEquals(60, read.size());
    read.sort(Comparator.comparing(LabelledPixels::origin));
    List<LabelledPixels> byName = new ArrayList<>(read);
    for (LabelledPixels e : byName) {
      int n = Integer.parseInt(e.origin().substring(e.origin().lastIndexOf('/') + 1,
          e.origin().length() - 4));
      assertEquals(set.labels()[n], e.label(), e.origin());
      byte[] expected = java.util.Arrays.copyOfRange(set.pixels(), n * 64, n * 64 + 64);
      assertArrayEquals(expected, e.pixels(), e.origin());
    }
  }

  @Test
  void imagesAreResizedBilinearlyAndColourBecomesLuma() throws IOException {
    Path root = dir.resolve("colour");
    Files.createDirectories(root.resolve("a"));
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        int r = 40 * x;
        int g = 30 * y;
        int b = 100;
        img.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    ImageIO.write(img, "png", root.resolve("a/one.png").toFile());
    List<LabelledPixels> read = TrainingImages.imageFolder(session(), root.toString(),
        new Shape(1, 2, 2), List.of(), new long[1]).collect();
    assertEquals(1, read.size());
    assertEquals(0, read.get(0).label(), "sorted folder names are the classes");
    // Halving with aligned pixel centres averages each 2x2 block of the luma.
    for (int oy = 0; oy < 2; oy++) {
      for (int ox = 0; ox < 2; ox++) {
        double sum = 0;
        for (int y = 2 * oy; y < 2 * oy + 2; y++) {
          for (int x = 2 * ox; x < 2 * ox + 2; x++) {
            sum += 0.299 * 40 * x + 0.587 * 30 * y + 0.114 * 100;
          }
        }
        assertEquals(sum / 4, read.get(0).pixels()[oy * 2 + ox] & 0xFF, 1.0);
      }
    }
    List<LabelledPixels> rgb = TrainingImages.imageFolder(session(), root.toString(),
        new Shape(3, 4, 4), List.of(), new long[1]).collect();
    assertEquals(40 * 3, rgb.get(0).pixels()[3] & 0xFF, "red plane first");
    assertEquals(30 * 2, rgb.get(0).pixels()[16 + 8] & 0xFF, "then green");
    assertEquals(100, rgb.get(0).pixels()[32] & 0xFF, "then blue");
  }

  @Test
  void unknownClassFolderIsNamed() throws IOException {
    Path root = writePngs(TestImages.quadrants(4, 8, 3), "unknown");
    Exception e = assertThrows(Exception.class, () -> SparkActions.run(() ->
        TrainingImages.imageFolder(session(), root.toString(), new Shape(1, 8, 8),
            List.of("cat", "dog", "bird", "fish"), new long[1]).collect()));
    String m = String.valueOf(e.getMessage()) + e.getCause();
    assertTrue(m.contains("is not one of the model's classes"), m);
  }

  @Test
  void parquetWithBinaryOrUnitFloatColumnsGivesTheSamePixels() {
    ImageSet set = TestImages.quadrants(40, 8, 12);
    List<Row> binaryRows = new ArrayList<>();
    List<Row> floatRows = new ArrayList<>();
    for (int n = 0; n < set.count(); n++) {
      byte[] px = java.util.Arrays.copyOfRange(set.pixels(), n * 64, n * 64 + 64);
      binaryRows.add(RowFactory.create(set.labels()[n], px));
      List<Float> unit = new ArrayList<>();
      for (byte b : px) {
        unit.add((b & 0xFF) / 255f);
      }
      floatRows.add(RowFactory.create((long) set.labels()[n], unit));
    }
    StructType binary = new StructType().add("label", DataTypes.IntegerType)
        .add("image", DataTypes.BinaryType);
    StructType floats = new StructType().add("y", DataTypes.LongType)
        .add("x", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> a = session().createDataFrame(binaryRows, binary);
    Dataset<Row> b = session().createDataFrame(floatRows, floats);
    a.write().parquet(dir.resolve("binary.parquet").toString());
    b.write().parquet(dir.resolve("floats.parquet").toString());
    List<LabelledPixels> fromBinary = TrainingImages.parquet(session(),
        dir.resolve("binary.parquet").toString(), "image", "label", set.shape(), false).collect();
    List<LabelledPixels> fromFloats = TrainingImages.parquet(session(),
        dir.resolve("floats.parquet").toString(), "x", "y", set.shape(), true).collect();
    assertEquals(40, fromBinary.size());
    java.util.Map<Integer, Long> sums = new java.util.HashMap<>();
    for (List<LabelledPixels> list : List.of(fromBinary, fromFloats)) {
      long total = 0;
      for (LabelledPixels e : list) {
        for (byte v : e.pixels()) {
          total += v & 0xFF;
        }
        total += 1000L * e.label();
      }
      sums.merge(list == fromBinary ? 0 : 1, total, Long::sum);
    }
    assertEquals(sums.get(0), sums.get(1), "binary and 0-1 float columns give the same data");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainingImages.parquet(session(), dir.resolve("binary.parquet").toString(), "pixels",
            "label", set.shape(), false));
    assertTrue(e.getMessage().contains("no column 'pixels'") && e.getMessage().contains(
        "[label, image]"), e.getMessage());
  }

  @Test
  void nestedFilesTakeTheirTopFolderAndHiddenNamesAreListedNotSilentlyDropped()
      throws IOException {
    ImageSet set = TestImages.quadrants(8, 8, 14);
    Path root = writePngs(set, "nested");
    Path deep = root.resolve(ClassFolders.safeFolderName(CLASSES.get(2))).resolve("more/deeper");
    Files.createDirectories(deep);
    Files.copy(firstPng(root), deep.resolve("deep.png"));
    Files.copy(firstPng(root), root.resolve("_draft.png"));
    Files.copy(firstPng(root), root.resolve(".thumb.png"));
    Files.createFile(deep.resolve("empty.png"));
    List<LabelledPixels> read = TrainingImages.imageFolder(session(), root.toString(),
        set.shape(), CLASSES, new long[1]).collect();
    assertEquals(9, read.size(), "the nested file is read; hidden and empty ones are not");
    assertEquals(2, read.stream().filter(e -> e.origin().endsWith("deep.png")).findFirst()
        .orElseThrow().label(), "labelled by its top folder");
    ImageFiles.Ignored ignored = ImageFiles.ignored(session().sparkContext()
        .hadoopConfiguration(), root.toString(), 5);
    assertEquals(2, ignored.count());
    assertEquals(1, ignored.emptyCount());
    assertTrue(ignored.describe(root.toString()).contains("1 files under " + root
        + " are empty: " + ClassFolders.safeFolderName(CLASSES.get(2)) + "/more/deeper/empty.png"),
        ignored.describe(root.toString()));
    assertTrue(ignored.describe(root.toString()).contains("_draft.png")
        && ignored.describe(root.toString()).contains(".thumb.png"), ignored.toString());
  }

  private static Path firstPng(Path root) throws IOException {
    try (var files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".png")).sorted().findFirst()
          .orElseThrow();
    }
  }

  @Test
  void trainingFromAnImageFolderLearnsOnTheExecutors() throws IOException {
    ImageSet set = TestImages.quadrants(300, 8, 13);
    Path root = writePngs(set, "learn");
    ShardedData data = ShardedData.packed(TrainingImages.imageFolder(session(), root.toString(),
        set.shape(), CLASSES, new long[1]), 2, set.shape(), 4, root.toString());
    assertEquals(300, data.count());
    Network net = Network.build(EquivalenceTest.plain());
    net.initialize(3);
    TrainSettings settings = new TrainSettings(3, 16, 3, OptimizerSpec.adam(0.01f),
        org.sparkconv.engine.optim.Schedule.constant(), 0f,
        org.sparkconv.engine.data.Augmentation.NONE, 60);
    SparkTrainer.Result result = new SparkTrainer(LocalSpark.get(),
        new PrintStream(new ByteArrayOutputStream())).fit(net, data, data, data.statistics(),
        settings, SparkSettings.DEFAULT, Checkpointing.NONE);
    double accuracy = result.history().get(2).accuracy();
    assertTrue(accuracy > 0.9, "accuracy " + accuracy);
  }
}
