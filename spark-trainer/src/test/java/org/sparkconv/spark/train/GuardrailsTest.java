package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.data.RoundPlan;
import org.sparkconv.spark.wire.SparkActions;

/** Failures that must come with a message that says what to do. */
class GuardrailsTest {

  @Test
  void anUnregisteredClassIsNamedWithWhereToRegisterIt() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> SparkActions.run(() -> LocalSpark.get().parallelize(List.of(1, 2, 3, 4), 2)
            .map(i -> new ArrayList<>(List.of(i))).collect()));
    assertTrue(e.getMessage().contains("java.util.ArrayList")
        && e.getMessage().contains("KryoRegistration.registerClasses")
        && e.getMessage().contains("registrationRequired"), e.getMessage());
  }

  @Test
  void batchSmallerThanPartitionsIsRejectedBeforeAnyRound() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RoundPlan(3, 1, new int[] {10, 10, 10, 10}));
    assertTrue(e.getMessage().contains("batch_size 3") && e.getMessage().contains("4 partitions"),
        e.getMessage());
  }

  @Test
  void aBatchLargerThanTheDataSetIsRejectedWithTheFix() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RoundPlan(64, 1, new int[] {20, 20}));
    assertTrue(e.getMessage().contains("batch_size 64 is larger than the 40 training examples")
        && e.getMessage().contains("lower batch_size"), e.getMessage());
  }

  @Test
  void modelLargerThanMaxResultSizeIsRejectedWithTheSetting() {
    Network net = Network.build(NetworkBuilder.input("wide", 1, 28, 28).flatten().dense(4096)
        .dense(10).build());
    SparkConf conf = new SparkConf().set("spark.driver.maxResultSize", "8m");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Preflight.check(net.summary(32), false, 0, 4L * net.params().length, 16, 2, conf,
            2, 4L << 30, 0));
    assertTrue(e.getMessage().contains("spark.driver.maxResultSize")
        && e.getMessage().contains("8.0 MiB"), e.getMessage());
  }

  /**
   * VGG16 at 224x224 (138,357,544 parameters, 6.1 GB to train a batch of 32): the pre-flight,
   * sized from the spec alone, says what executor memory that batch needs. A gradient-averaging
   * task reads the broadcast's 553 MB of parameters; a task that steps Adam holds its own and
   * two slots (1.66 GB more), and the broadcast carries the slots too.
   */
  @Test
  void vgg16SaysWhatExecutorMemoryABatchOf32Needs() {
    NetworkSpec vgg16 = SpecJson.read(java.nio.file.Path.of("..", "conf", "models",
        "vgg16.json"));
    org.sparkconv.engine.net.NetworkSummary summary =
        org.sparkconv.engine.net.NetworkSummary.of(vgg16, 32, 1);
    long resultBytes = 4L * summary.paramCount();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Preflight.check(summary, false, 1, resultBytes, 1, 2,
            new SparkConf().set("spark.driver.maxResultSize", "0"), 1, 4L << 30, 0));
    long params = 553_430_176L;
    assertEquals(summary.trainingBytes() - params, Preflight.taskBytes(summary, false, 1));
    assertEquals(summary.trainingBytes() + 2 * params, Preflight.taskBytes(summary, true, 2));
    long state = 4L * summary.stateCount();
    assertEquals(params + state, Preflight.broadcastBytes(summary, false, 1));
    assertEquals(3 * params + state, Preflight.broadcastBytes(summary, true, 2));
    long needed = summary.trainingBytes() + 2 * resultBytes + state;
    String setting = (long) Math.ceil(needed / 0.6 / (1L << 30)) + "g";
    assertTrue(e.getMessage().contains("set spark.executor.memory to at least " + setting
        + " for a batch of 32 per partition"), e.getMessage());
    assertEquals(32, org.sparkconv.spark.worker.PartitionEvaluation.batchFor(vgg16, 32),
        "evaluation does not raise a large model's batch above its training share");
    assertEquals(org.sparkconv.spark.worker.PartitionEvaluation.BATCH,
        org.sparkconv.spark.worker.PartitionEvaluation.batchFor(EquivalenceTest.plain(), 8));
  }

  @Test
  void executorMemoryTooSmallForTheBatchIsRejectedWithNumbers() {
    Network net = Network.build(NetworkBuilder.input("big", 3, 64, 64).conv2d(64, 3, 1).relu()
        .conv2d(64, 3, 1).relu().flatten().dense(10).build());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Preflight.check(net.summary(256), false, 0, 4L * net.params().length, 2, 2,
            new SparkConf(), 4, 512L << 20, 0));
    assertTrue(e.getMessage().contains("spark.executor.memory")
        && e.getMessage().contains("256 examples per partition"), e.getMessage());
  }

  @Test
  void aDivergingRunStopsWithTheRoundAndTheFix() {
    var data = TestImages.quadrants(200, 8, 9);
    Network net = Network.build(EquivalenceTest.plain());
    net.initialize(1);
    var settings = EquivalenceTest.settings(OptimizerSpec.sgd(1e30f, 0.9f));
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> new SparkTrainer(LocalSpark.get(), new PrintStream(new ByteArrayOutputStream()))
            .fit(net, data, data, Normalization.of(data), settings,
                new SparkSettings(new GradientAveraging(), 2, 2, 0, 60)));
    assertTrue(e.getMessage().contains("loss became") && e.getMessage().contains("round")
        && e.getMessage().contains("optimizer.lr"), e.getMessage());
  }
}
