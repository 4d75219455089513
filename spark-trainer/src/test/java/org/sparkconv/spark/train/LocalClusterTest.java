package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.train.DataSpec;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.MiniHdfs;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.checkpoint.CheckpointSettings;
import org.sparkconv.spark.checkpoint.CheckpointStore;
import org.sparkconv.spark.checkpoint.Checkpointing;
import org.sparkconv.spark.checkpoint.JobFingerprint;
import org.sparkconv.spark.data.ShardedData;
import org.sparkconv.spark.data.SourceShards;
import org.sparkconv.spark.wire.KryoRegistration;

/**
 * Two executor JVMs ({@code local-cluster[2,1,1024]}): models, data blocks and sums really cross
 * process boundaries through Kryo, the result still equals single-JVM training, and an executor
 * killed mid-training is replaced without changing the result.
 */
class LocalClusterTest {

  static JavaSparkContext jsc;

  @BeforeAll
  static void startCluster() throws IOException {
    String sparkHome = System.getenv("SPARK_HOME");
    Files.createDirectories(Path.of(sparkHome, "jars"));
    String jvmFlags = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dio.netty")
            || a.startsWith("-Djdk.reflect") || a.equals("-XX:+IgnoreUnrecognizedVMOptions"))
        .collect(Collectors.joining(" "));
    SparkConf conf = KryoRegistration.configure(new SparkConf()
        .setMaster("local-cluster[2,1,1024]").setAppName("sparkconv-local-cluster")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .set("spark.executor.extraJavaOptions", jvmFlags + " -Djava.io.tmpdir="
            + System.getProperty("java.io.tmpdir"))
        .set("spark.executorEnv.OPENBLAS_NUM_THREADS", "1"));
    jsc = new JavaSparkContext(conf);
    jsc.setLogLevel("ERROR");
  }

  /**
   * Waits until both executors are registered: at start-up, and after a test killed one (the
   * Master launches a replacement, which takes a while to register).
   */
  @BeforeEach
  void awaitTwoExecutors() throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (jsc.sc().getExecutorIds().size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
  }

  @AfterAll
  static void stopCluster() {
    if (jsc != null) {
      jsc.stop();
    }
  }

  @Test
  void twoExecutorProcessesGiveTheSingleJvmResult() {
    ImageSet data = TestImages.quadrants(400, 8, 5);
    TrainSettings adam = EquivalenceTest.settings(OptimizerSpec.adam(0.01f));
    Network net = Network.build(EquivalenceTest.withBatchNorm());
    net.initialize(EquivalenceTest.SEED);
    SparkTrainer.Result result = new SparkTrainer(jsc,
        new PrintStream(new ByteArrayOutputStream())).fit(net, data, data.head(64),
        Normalization.of(data), adam, new SparkSettings(new GradientAveraging(),
            EquivalenceTest.PARTITIONS, 2, EquivalenceTest.ROUNDS, 60));
    assertEquals(EquivalenceTest.ROUNDS, result.rounds());
    assertEquals(2, jsc.sc().getExecutorIds().size(), "two executor processes");
    EquivalenceTest.assertRelativelyClose("local-cluster vs single JVM",
        EquivalenceTest.singleJvm(EquivalenceTest.withBatchNorm(), data, adam),
        EquivalenceTest.concat(net.params(), net.state()));
  }

  @Test
  void allReduceBetweenTwoExecutorProcessesGivesTheSingleJvmResult() {
    ImageSet data = TestImages.quadrants(800, 8, 8);
    TrainSettings adam = EquivalenceTest.settings(OptimizerSpec.adam(0.01f));
    Network net = Network.build(EquivalenceTest.withBatchNorm());
    net.initialize(EquivalenceTest.SEED);
    new SparkTrainer(jsc, new PrintStream(new ByteArrayOutputStream())).fit(net, data,
        data.head(64), Normalization.of(data), adam, new SparkSettings(new GradientAveraging(),
            2, 2, 20, 60).withReduction(AllReduceSettings.allReduce(8)));
    EquivalenceTest.assertRelativelyClose("all-reduce on local-cluster vs single JVM",
        EquivalenceTest.singleJvm(EquivalenceTest.withBatchNorm(), data, adam, 2, 20),
        EquivalenceTest.concat(net.params(), net.state()));
  }

  /** {@code data} as IDX training files in {@code dir}, its first 64 images as test files. */
  static DataSpec.Idx idxFiles(ImageSet data, Path dir) throws IOException {
    TestImages.writeIdx(data, dir.resolve("train-images"), dir.resolve("train-labels"));
    TestImages.writeIdx(data.head(64), dir.resolve("test-images"), dir.resolve("test-labels"));
    return new DataSpec.Idx(4, dir.resolve("train-images").toString(),
        dir.resolve("train-labels").toString(), dir.resolve("test-images").toString(),
        dir.resolve("test-labels").toString());
  }

  /** Trains on IDX files the executors read themselves; kills an executor at {@code killAt}. */
  static float[] train(DataSpec.Idx files, int rounds, int killAt, StringBuilder record) {
    return train(files, rounds, killAt, record, null);
  }

  /** The same, checkpointing every 4 rounds to {@code checkpointDir} unless it is null. */
  static float[] train(DataSpec.Idx files, int rounds, int killAt, StringBuilder record,
      String checkpointDir) {
    return train(files, rounds, killAt, record, checkpointDir, AllReduceSettings.TREE);
  }

  /** The same, the contributions summed as {@code reduction} says. */
  static float[] train(DataSpec.Idx files, int rounds, int killAt, StringBuilder record,
      String checkpointDir, AllReduceSettings reduction) {
    Shape shape = new Shape(1, 8, 8);
    ShardedData train = SourceShards.training(jsc, files, 0, 2, EquivalenceTest.SEED, shape);
    ShardedData test = SourceShards.test(jsc, files, 2, shape);
    Network net = Network.build(EquivalenceTest.plain());
    net.initialize(EquivalenceTest.SEED);
    PrintStream log = new PrintStream(new ExecutorKiller(killAt, record), true);
    TrainSettings settings = EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0.9f));
    SparkSettings spark = new SparkSettings(new GradientAveraging(), 2, 2, rounds, 0)
        .withReduction(reduction);
    try (Checkpointing checkpoints = checkpointDir == null ? Checkpointing.NONE
        : Checkpointing.open(new CheckpointStore(checkpointDir, 2, jsc.hadoopConfiguration(),
                log), new CheckpointSettings(checkpointDir, 4, false, 2, true, false),
            JobFingerprint.of(net.spec(), settings, spark.sync().fingerprint(), 2,
                Normalization.unit(1), files.trainLocation()), ModelMetadata.NONE,
            "local-cluster test", log)) {
      new SparkTrainer(jsc, log).fit(net, train, test, train.statistics(), settings, spark,
          checkpoints);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      train.release();
      test.release();
    }
    return EquivalenceTest.concat(net.params(), net.state());
  }

  @Test
  void anExecutorKilledMidTrainingIsReplacedAndTheParametersEqualAnUnfaultedRun(
      @TempDir Path dir) throws IOException {
    ImageSet data = TestImages.quadrants(600, 8, 6);
    DataSpec.Idx files = idxFiles(data, dir);
    long t0 = System.nanoTime();
    float[] clean = train(files, 16, -1, new StringBuilder());
    long t1 = System.nanoTime();
    StringBuilder record = new StringBuilder();
    float[] faulted = train(files, 16, 5, record);
    System.out.printf("local-cluster, 16 rounds: unfaulted %.1f s, with %s %.1f s%n",
        (t1 - t0) / 1e9, record, (System.nanoTime() - t1) / 1e9);
    assertTrue(record.toString().startsWith("killed executor"), record.toString());
    assertArrayEquals(clean, faulted, "the same parameters, bit for bit, with 2 partitions");
  }

  @Test
  void anExecutorKilledDuringAnAllReduceJobGivesTheParametersOfAnUnfaultedRun(
      @TempDir Path dir) throws IOException {
    ImageSet data = TestImages.quadrants(600, 8, 9);
    DataSpec.Idx files = idxFiles(data, dir);
    AllReduceSettings jobsOfFour = AllReduceSettings.allReduce(4);
    long t0 = System.nanoTime();
    float[] clean = train(files, 16, -1, new StringBuilder(), null, jobsOfFour);
    long t1 = System.nanoTime();
    StringBuilder record = new StringBuilder();
    // Round 4 is reported when the first job ends; the kill lands in the second.
    float[] faulted = train(files, 16, 4, record, null, jobsOfFour);
    System.out.printf("local-cluster all-reduce, 16 rounds: unfaulted %.1f s, with %s %.1f s%n",
        (t1 - t0) / 1e9, record, (System.nanoTime() - t1) / 1e9);
    assertTrue(record.toString().startsWith("killed executor"), record.toString());
    assertArrayEquals(clean, faulted, "the same parameters, bit for bit");
    float[] tree = train(files, 16, -1, new StringBuilder());
    EquivalenceTest.assertRelativelyClose("all-reduce vs tree on local-cluster", tree, clean);
  }

  @Test
  void withCheckpointsOnHdfsTheKilledRunAlsoEqualsTheUnfaultedOne(@TempDir Path dir)
      throws IOException {
    try (MiniHdfs hdfs = MiniHdfs.start(dir)) {
      String root = hdfs.root();
      ImageSet data = TestImages.quadrants(600, 8, 7);
      DataSpec.Idx files = idxFiles(data, dir);
      float[] clean = train(files, 16, -1, new StringBuilder(), root + "/clean");
      StringBuilder record = new StringBuilder();
      float[] faulted = train(files, 16, 6, record, root + "/faulted");
      assertTrue(record.toString().startsWith("killed executor"), record.toString());
      assertArrayEquals(clean, faulted, "the same parameters with checkpoints on HDFS");
      for (String run : List.of("/clean", "/faulted")) {
        CheckpointStore store = new CheckpointStore(root + run, 2, jsc.hadoopConfiguration(),
            new PrintStream(new ByteArrayOutputStream()));
        assertEquals(16, store.newestValid().orElseThrow().position().roundsDone(), run);
      }
    }
  }

  /**
   * A log that kills one of the application's executor JVMs ({@code kill -9}) when training
   * reports round {@code killAt}, and notes what it killed in {@code record}.
   */
  static final class ExecutorKiller extends OutputStream {
    private final int killAt;
    private final StringBuilder record;
    private final StringBuilder line = new StringBuilder();

    ExecutorKiller(int killAt, StringBuilder record) {
      this.killAt = killAt;
      this.record = record;
    }

    @Override
    public void write(int b) {
      if (b != '\n') {
        line.append((char) b);
        return;
      }
      if (killAt > 0 && record.length() == 0 && line.toString().contains(" round " + killAt
          + "/")) {
        String app = jsc.sc().applicationId();
        List<ProcessHandle> executors = ProcessHandle.allProcesses()
            .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend")
                && commandLine(p).contains(app)).toList();
        if (!executors.isEmpty()) {
          executors.get(0).destroyForcibly();
          record.append("killed executor process ").append(executors.get(0).pid())
              .append(" of ").append(executors.size());
        } else {
          record.append("no executor process found for ").append(app);
        }
      }
      line.setLength(0);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }

    /** The process's whole command line (Linux), which ProcessHandle may cut short. */
    private static String commandLine(ProcessHandle p) {
      try {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()),
            "cmdline")), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        return "";
      }
    }
  }
}
