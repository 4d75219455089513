package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.job.TrainJobFile;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.ReplicaReport;

/**
 * {@code spark.sync=allreduce} on real Spark (local[2], two barrier tasks summing through the
 * ring): after 20 rounds in jobs of 8, 8 and 4 rounds, parameters and batch-norm statistics
 * equal tree aggregation's and single-JVM training's on the union batches to 1e-5, for plain
 * SGD, momentum and Adam with batch norm; parameter averaging (k = 3) equals its tree run.
 */
public class AllReduceTrainingTest {

  static final int PARTITIONS = 2;
  static final int ROUNDS = 20;

  /** Trains {@code rounds} rounds with {@code spark}; returns params ++ state and the log. */
  static float[] train(JavaSparkContext jsc, NetworkSpec spec, ImageSet data,
      TrainSettings settings, SparkSettings spark, StringBuilder log) {
    Network net = Network.build(spec);
    net.initialize(EquivalenceTest.SEED);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SparkTrainer.Result result = new SparkTrainer(jsc, new PrintStream(bytes, true))
        .fit(net, data, data.head(64), Normalization.of(data), settings, spark);
    log.append(bytes.toString(StandardCharsets.UTF_8));
    assertEquals(spark.maxRounds(), result.rounds(), log.toString());
    return EquivalenceTest.concat(net.params(), net.state());
  }

  static SparkSettings settings(SyncRule sync, int rounds, boolean allReduce) {
    SparkSettings spark = new SparkSettings(sync, PARTITIONS, 2, rounds, 0);
    return allReduce ? spark.withReduction(AllReduceSettings.allReduce(8)) : spark;
  }

  static void assertAllThreeAgree(NetworkSpec spec, ImageSet data, TrainSettings settings) {
    float[] single = EquivalenceTest.singleJvm(spec, data, settings, PARTITIONS, ROUNDS);
    StringBuilder log = new StringBuilder();
    float[] tree = train(LocalSpark.get(), spec, data, settings,
        settings(new GradientAveraging(), ROUNDS, false), log);
    float[] allReduce = train(LocalSpark.get(), spec, data, settings,
        settings(new GradientAveraging(), ROUNDS, true), log);
    EquivalenceTest.assertRelativelyClose("tree vs single JVM", single, tree);
    EquivalenceTest.assertRelativelyClose("all-reduce vs single JVM", single, allReduce);
    EquivalenceTest.assertRelativelyClose("all-reduce vs tree", tree, allReduce);
    assertTrue(log.toString().contains("all-reduce between executors, up to 8 rounds per job"),
        log.toString());
  }

  @Test
  void plainSgdEqualsTreeAndSingleJvm() {
    assertAllThreeAgree(EquivalenceTest.plain(), TestImages.quadrants(800, 8, 21),
        EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0f)));
  }

  @Test
  void momentumEqualsTreeAndSingleJvm() {
    assertAllThreeAgree(EquivalenceTest.plain(), TestImages.quadrants(800, 8, 22),
        EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0.9f)));
  }

  @Test
  void adamWithBatchNormEqualsTreeAndSingleJvm() {
    assertAllThreeAgree(EquivalenceTest.withBatchNorm(), TestImages.quadrants(800, 8, 23),
        EquivalenceTest.settings(OptimizerSpec.adam(0.01f)));
  }

  @Test
  void aGraphModelWithMomentumEqualsTreeAndSingleJvm() {
    assertAllThreeAgree(EquivalenceTest.graph(), TestImages.quadrants(800, 8, 26),
        EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0.9f)));
  }

  @Test
  void parameterAveragingWithThreeLocalStepsEqualsItsTreeRun() {
    ImageSet data = TestImages.quadrants(800, 8, 24);
    TrainSettings adam = EquivalenceTest.settings(OptimizerSpec.adam(0.01f));
    StringBuilder log = new StringBuilder();
    float[] tree = train(LocalSpark.get(), EquivalenceTest.withBatchNorm(), data, adam,
        settings(new ParameterAveraging(3), 6, false), log);
    float[] allReduce = train(LocalSpark.get(), EquivalenceTest.withBatchNorm(), data, adam,
        settings(new ParameterAveraging(3), 6, true).withReduction(
            AllReduceSettings.allReduce(4)), log);
    EquivalenceTest.assertRelativelyClose("parameter averaging k = 3, all-reduce vs tree",
        tree, allReduce);
  }

  @Test
  void morePartitionsThanTaskSlotsIsOneClearLineBeforeAnyJob() {
    ImageSet data = TestImages.quadrants(400, 8, 25);
    Network net = Network.build(EquivalenceTest.plain());
    SparkSettings three = new SparkSettings(new GradientAveraging(), 3, 2, 4, 0)
        .withReduction(AllReduceSettings.allReduce(8));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new SparkTrainer(LocalSpark.get(), new PrintStream(new ByteArrayOutputStream()))
            .fit(net, data, data.head(64), Normalization.of(data),
                EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0f)), three));
    assertTrue(e.getMessage().startsWith("spark.sync=allreduce runs all 3 partitions at once")
        && e.getMessage().contains("has 2 task slots")
        && e.getMessage().contains("spark.partitions to at most 2"), e.getMessage());
  }

  @Test
  void byDefaultMorePartitionsThanSlotsFallBackToTheTreeAndSaySo() {
    ImageSet data = TestImages.quadrants(400, 8, 26);
    StringBuilder log = new StringBuilder();
    SparkSettings three = new SparkSettings(new GradientAveraging(), 3, 2, 4, 0)
        .withReduction(AllReduceSettings.DEFAULT);
    train(LocalSpark.get(), EquivalenceTest.plain(), data,
        EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0f)), three, log);
    assertTrue(log.toString().startsWith("spark: summing up the tree, since all-reduce cannot"
        + " run here: spark.sync=allreduce runs all 3 partitions at once")
        && log.toString().contains("tree depth 2"), log.toString());
  }

  @Test
  void theJobFileNamesTheWayToSum() {
    Path job = Path.of("..", "conf", "jobs", "lenet5-fashion.json");
    AllReduceSettings byDefault = TrainJobFile.read(job, List.of()).spark().reduction();
    assertTrue(byDefault.enabled() && !byDefault.required(), byDefault.toString());
    AllReduceSettings named = TrainJobFile.read(job, List.of("spark.sync=allreduce",
        "spark.rounds_per_job=7")).spark().reduction();
    assertTrue(named.enabled() && named.required() && named.roundsPerJob() == 7,
        named.toString());
    assertFalse(TrainJobFile.read(job, List.of("spark.sync=tree")).spark().reduction()
        .enabled());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainJobFile.read(job, List.of("spark.sync=ring")));
    assertTrue(e.getMessage().contains("spark.sync") && e.getMessage().contains("\"tree\" or"
        + " \"allreduce\""), e.getMessage());
  }

  @Test
  void replicasThatDifferByOneBitAreCaughtAndTheirModelIsNotTaken() {
    Network net = Network.build(EquivalenceTest.plain());
    net.initialize(1);
    org.sparkconv.engine.optim.Optimizer adam = org.sparkconv.engine.optim.Optimizer.create(
        OptimizerSpec.adam(0.01f), net.layout());
    long same = ReplicaLoop.checksum(net, adam);
    net.params()[17] = Math.nextUp(net.params()[17]);
    long moved = ReplicaLoop.checksum(net, adam);
    assertTrue(same != moved, "one ulp changes the checksum");
    ModelVector model = ModelVector.weights(net.params(), net.state());
    ReplicaReport zero = new ReplicaReport(0, new double[] {1}, new long[] {2},
        new long[] {1}, 0, 0, same, model);
    ReplicaReport one = new ReplicaReport(1, new double[] {1}, new long[] {2},
        new long[] {1}, 0, 0, moved, null);
    ReplicaReport agreeing = new ReplicaReport(0, new double[] {1}, new long[] {2},
        new long[] {1}, 0, 0, moved, model);
    assertSame(agreeing, AllReduceJob.check(List.of(one, agreeing), 2));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> AllReduceJob.check(List.of(zero, one), 2));
    assertTrue(e.getMessage().startsWith("replicas disagree after an all-reduce job: partition 1"),
        e.getMessage());
  }
}
