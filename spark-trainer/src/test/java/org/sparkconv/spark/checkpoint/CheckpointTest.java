package org.sparkconv.spark.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.MiniHdfs;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.data.ShardedData;
import org.sparkconv.spark.train.GradientAveraging;
import org.sparkconv.spark.train.SparkSettings;
import org.sparkconv.spark.train.SparkTrainer;
import org.sparkconv.spark.wire.KryoRegistration;

/** Checkpoints on a real in-process HDFS (MiniDFSCluster) and exact resume. */
class CheckpointTest {

  static MiniHdfs hdfs;
  static String root;
  static final ImageSet DATA = TestImages.quadrants(400, 8, 21);
  static final Normalization NORM = Normalization.of(DATA);

  @BeforeAll
  static void startHdfs(@TempDir Path base) throws IOException {
    hdfs = MiniHdfs.start(base);
    root = hdfs.root();
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  /**
   * BN, dropout and Adam: state, RNG position and optimizer moments all matter for resume. A
   * graph (a residual block), so that its wiring travels through checkpoints too.
   */
  static NetworkSpec net() {
    return NetworkBuilder.input("ckpt", 1, 8, 8).conv2d(4, 3, 1).batchNorm2d().relu()
        .named("stem").conv2d(4, 3, 1).batchNorm2d().named("branch").add("branch", "stem")
        .relu().maxPool(2).flatten().dropout(0.3f, 5).dense(4).build();
  }

  static final TrainSettings SETTINGS = new TrainSettings(2, 32, 7, OptimizerSpec.adam(0.01f),
      new Schedule("cosine", 0.25f, 0f, 1f, 0f), 0.05f, new Augmentation(1, false), 60);

  static JavaSparkContext newDriver() {
    SparkConf conf = KryoRegistration.configure(new SparkConf().setMaster("local[2]")
        .setAppName("sparkconv-checkpoints").set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1"));
    return new JavaSparkContext(conf);
  }

  record Outcome(float[] params, float[] state, float[][] slots, long steps, String log) {}

  /** One driver's run: up to {@code maxRounds} rounds, checkpointing as {@code ckpt} says. */
  static Outcome run(JavaSparkContext jsc, int maxRounds, CheckpointSettings ckpt,
      TrainSettings settings) throws IOException {
    Network net = Network.build(net());
    net.initialize(settings.seed());
    SparkSettings spark = new SparkSettings(new GradientAveraging(), 2, 2, maxRounds, 60);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(bytes, true);
    ShardedData train = ShardedData.dealt(jsc, DATA, 2, settings.seed());
    ShardedData test = ShardedData.contiguous(jsc, DATA.head(64), 2);
    SparkTrainer.Result result;
    try (Checkpointing checkpoints = open(jsc, ckpt, net, settings, spark, log)) {
      result = new SparkTrainer(jsc, log).fit(net, train, test, NORM, settings, spark,
          checkpoints);
    }
    return new Outcome(net.params().clone(), net.state().clone(),
        result.optimizer().slots(), result.optimizer().steps(), bytes.toString());
  }

  static Checkpointing open(JavaSparkContext jsc, CheckpointSettings ckpt, Network net,
      TrainSettings settings, SparkSettings spark, PrintStream log) throws IOException {
    if (!ckpt.enabled()) {
      return Checkpointing.NONE;
    }
    return Checkpointing.open(new CheckpointStore(ckpt.dir(), ckpt.keep(),
            jsc.hadoopConfiguration(), log), ckpt,
        JobFingerprint.of(net.spec(), settings, spark.sync().fingerprint(), 2, NORM,
            DATA.source()), ModelMetadata.NONE, "the checkpoint tests' driver", log);
  }

  static CheckpointSettings every(String dir, int rounds, int keep) {
    return new CheckpointSettings(root + dir, rounds, false, keep, true, false);
  }

  @Test
  void resumingInANewDriverGivesBitIdenticalParametersAndOptimizerState() throws IOException {
    // 400 examples, 2 partitions of 16 per round: 12 rounds per epoch; 20 rounds cross epochs.
    Outcome straight;
    try (JavaSparkContext jsc = newDriver()) {
      straight = run(jsc, 20, CheckpointSettings.NONE, SETTINGS);
    }
    try (JavaSparkContext jsc = newDriver()) {
      Outcome first = run(jsc, 10, every("/exact", 10, 3), SETTINGS);
      assertTrue(first.log().contains("checkpoint: wrote"), first.log());
    }
    Outcome resumed;
    try (JavaSparkContext jsc = newDriver()) {
      resumed = run(jsc, 20, every("/exact", 10, 3), SETTINGS);
    }
    assertTrue(resumed.log().contains("resuming from") && resumed.log().contains("10 rounds"),
        resumed.log());
    assertArrayEquals(straight.params(), resumed.params(), "parameters");
    assertArrayEquals(straight.state(), resumed.state(), "batch-norm running statistics");
    assertEquals(straight.steps(), resumed.steps(), "Adam step count");
    assertArrayEquals(straight.slots()[0], resumed.slots()[0], "Adam first moments");
    assertArrayEquals(straight.slots()[1], resumed.slots()[1], "Adam second moments");
  }

  @Test
  void corruptOrTruncatedNewestCheckpointFallsBackToThePreviousOne() throws IOException {
    try (JavaSparkContext jsc = newDriver()) {
      run(jsc, 12, every("/corrupt", 4, 5), SETTINGS);
      Configuration conf = jsc.hadoopConfiguration();
      CheckpointStore store = new CheckpointStore(root + "/corrupt", 5, conf, System.out);
      List<org.apache.hadoop.fs.Path> files = store.list();
      assertEquals(3, files.size(), "checkpoints after rounds 4, 8 and 12");
      org.apache.hadoop.fs.Path newest = files.get(2);
      byte[] good = HadoopFiles.readAll(newest, conf);
      byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
      overwrite(newest, truncated, conf);
      Outcome resumed = run(jsc, 12, every("/corrupt", 0, 5), SETTINGS);
      assertTrue(resumed.log().contains(newest.getName() + " is unusable")
          && resumed.log().contains("truncated")
          && resumed.log().contains("resuming from " + files.get(1)), resumed.log());
      byte[] flipped = good.clone();
      flipped[good.length / 3] ^= 0x40;
      overwrite(newest, flipped, conf);
      resumed = run(jsc, 12, every("/corrupt", 0, 5), SETTINGS);
      assertTrue(resumed.log().contains("CRC32 mismatch")
          && resumed.log().contains("resuming from " + files.get(1)), resumed.log());
    }
  }

  @Test
  void retentionKeepsTheNewestKAndAFailedWriteLeavesThePreviousIntact() throws IOException {
    try (JavaSparkContext jsc = newDriver()) {
      Configuration conf = jsc.hadoopConfiguration();
      run(jsc, 10, every("/keep", 2, 2), SETTINGS);
      CheckpointStore store = new CheckpointStore(root + "/keep", 2, conf, System.out);
      List<org.apache.hadoop.fs.Path> kept = store.list();
      assertEquals(List.of("ckpt-000000000008.spcv", "ckpt-000000000010.spcv"),
          kept.stream().map(org.apache.hadoop.fs.Path::getName).toList());
      byte[] before = HadoopFiles.readAll(kept.get(1), conf);
      // The next checkpoint's name is taken by a non-empty directory: the rename must fail.
      FileSystem fs = kept.get(0).getFileSystem(conf);
      fs.mkdirs(new org.apache.hadoop.fs.Path(root + "/keep/ckpt-000000000012.spcv/blocker"));
      Outcome more = run(jsc, 12, every("/keep", 2, 2), SETTINGS);
      assertTrue(more.log().contains("could not write a checkpoint at round 12"), more.log());
      assertArrayEquals(before, HadoopFiles.readAll(kept.get(1), conf), "previous intact");
      for (var status : fs.listStatus(new org.apache.hadoop.fs.Path(root + "/keep"))) {
        assertFalse(status.getPath().getName().endsWith(".tmp"), "temporary left: "
            + status.getPath());
      }
    }
  }

  @Test
  void aCheckpointOfAnotherJobIsRefusedWithTheDifferencesUnlessForced() throws IOException {
    try (JavaSparkContext jsc = newDriver()) {
      run(jsc, 4, every("/other", 4, 3), SETTINGS);
      TrainSettings otherLr = new TrainSettings(2, 32, 7, OptimizerSpec.adam(0.02f),
          SETTINGS.schedule(), 0.05f, SETTINGS.augmentation(), 60);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> run(jsc, 8, every("/other", 4, 3), otherLr));
      assertTrue(e.getMessage().contains("different job") && e.getMessage().contains("optimizer:")
          && e.getMessage().contains("lr=0.01") && e.getMessage().contains("lr=0.02")
          && e.getMessage().contains("checkpoint.force=true"), e.getMessage());
      Outcome forced = run(jsc, 8, new CheckpointSettings(root + "/other", 4, false, 3, true,
          true), otherLr);
      assertTrue(forced.log().contains("resuming despite differences"), forced.log());
    }
  }

  private static void overwrite(org.apache.hadoop.fs.Path p, byte[] bytes, Configuration conf)
      throws IOException {
    try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(bytes);
    }
  }
}
