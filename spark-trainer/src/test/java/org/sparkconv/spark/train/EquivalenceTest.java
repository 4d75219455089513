package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.tensor.Tensor;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.data.RoundPlan;
import org.sparkconv.spark.data.Sharding;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.worker.TrainingRun;
import org.sparkconv.spark.worker.NetworkPool;
import org.sparkconv.spark.worker.Worker;

/**
 * Distributed training on real Spark (local[2], 4 partitions) against single-JVM training on the
 * same union batches: parameters after 5 rounds agree to 1e-5 relative.
 */
public class EquivalenceTest {

  public static final int PARTITIONS = 4;
  public static final int BATCH = 32;
  public static final int ROUNDS = 5;
  public static final long SEED = 17;

  public static NetworkSpec plain() {
    return NetworkBuilder.input("plain", 1, 8, 8).conv2d(4, 3, 1).relu().maxPool(2).flatten()
        .dense(4).build();
  }

  /**
   * Layers before batch norm have no bias: BN removes it, so its gradient is pure rounding noise,
   * which Adam would blow up into full-size steps of either sign.
   */
  public static NetworkSpec withBatchNorm() {
    return NetworkBuilder.input("bn", 1, 8, 8)
        .layer(new Conv2d.Spec(0, 4, 3, 3, 1, 1, Padding.of(1), 1, 1, false, Init.HE_NORMAL))
        .batchNorm2d().relu().maxPool(2).flatten()
        .layer(new Dense.Spec(0, 8, false, Init.HE_NORMAL)).batchNorm1d().relu().dense(4).build();
  }

  /**
   * A graph: a residual block (identity shortcut from a fused BN+ReLU that feeds two layers)
   * and a side branch joined by concatenation.
   */
  public static NetworkSpec graph() {
    Conv2d.Spec conv = new Conv2d.Spec(0, 4, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    return NetworkBuilder.input("graph", 1, 8, 8)
        .layer(conv).batchNorm2d().relu().named("stem")
        .layer(conv).batchNorm2d().relu().layer(conv).batchNorm2d().named("branch")
        .add("branch", "stem").relu().named("block")
        .from("stem").layer(new Conv2d.Spec(0, 2, 1, 1, 1, 1, Padding.of(0), 1, 1, false,
            Init.HE_NORMAL)).named("side")
        .concat("block", "side").maxPool(2).flatten().dense(4).build();
  }

  public static TrainSettings settings(OptimizerSpec optimizer) {
    return new TrainSettings(1, BATCH, SEED, optimizer, Schedule.constant(), 0f,
        Augmentation.NONE, 60);
  }

  /** Spark training for {@code ROUNDS} rounds; returns params ++ state. */
  static float[] spark(NetworkSpec spec, ImageSet data, TrainSettings settings, SyncRule sync) {
    Network net = Network.build(spec);
    net.initialize(SEED);
    SparkSettings spark = new SparkSettings(sync, PARTITIONS, 2, ROUNDS, 60);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    SparkTrainer.Result result = new SparkTrainer(LocalSpark.get(), quiet)
        .fit(net, data, data.head(64), Normalization.of(data), settings, spark);
    assertEquals(ROUNDS, result.rounds());
    return concat(net.params(), net.state());
  }

  /**
   * The same rounds on one JVM: the union of the partitions' shares, each share normalised by
   * batch norm with its own statistics (ghost batches), gradients summed over the union and
   * divided by its size, running statistics averaged weighted by share.
   */
  public static float[] singleJvm(NetworkSpec spec, ImageSet data, TrainSettings settings) {
    return singleJvm(spec, data, settings, PARTITIONS, ROUNDS);
  }

  /** The same for {@code partitions} shares and {@code rounds} rounds. */
  public static float[] singleJvm(NetworkSpec spec, ImageSet data, TrainSettings settings,
      int partitions, int rounds) {
    Network net = Network.build(spec);
    net.initialize(SEED);
    Optimizer optimizer = Optimizer.create(settings.optimizer(), net.layout());
    Normalization norm = Normalization.of(data);
    List<Shard> shards = Sharding.dealt(data, partitions, SEED);
    RoundPlan plan = new RoundPlan(BATCH, SEED, shards.stream().mapToInt(Shard::count).toArray());
    SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    int size = data.shape().size();
    int classes = net.outputShape().size();
    for (int round = 0; round < rounds; round++) {
      net.zeroGrad();
      float[] state0 = net.state().clone();
      float[] stateSum = new float[state0.length];
      for (Shard shard : shards) {
        int p = shard.partition();
        int n = plan.share(p);
        int[] order = plan.epochOrder(0, p);
        float[] images = new float[n * size];
        int[] labels = new int[n];
        byte[] raw = new byte[size];
        for (int k = 0; k < n; k++) {
          int local = order[plan.firstOfRound(round, p) + k];
          shard.pixels(local, raw, 0);
          norm.apply(raw, 0, data.shape(), images, k * size);
          labels[k] = shard.label(local);
        }
        System.arraycopy(state0, 0, net.state(), 0, state0.length);
        Tensor logits = net.forward(new Tensor(images, 0, n, net.inputShape()), true);
        float[] dLogits = new float[n * classes];
        loss.lossAndGradient(logits.data(), labels, n, classes, dLogits, BATCH);
        net.backward(dLogits);
        for (int i = 0; i < stateSum.length; i++) {
          stateSum[i] += net.state()[i] * n;
        }
      }
      for (int i = 0; i < stateSum.length; i++) {
        net.state()[i] = stateSum[i] / BATCH;
      }
      optimizer.step(net.params(), net.grads(), settings.optimizer().lr());
    }
    return concat(net.params(), net.state());
  }

  public static float[] concat(float[] a, float[] b) {
    float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  public static void assertRelativelyClose(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + ": sizes");
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(expected[i] - actual[i]);
      if (diff > 1e-5 * Math.max(Math.abs(expected[i]), 1e-2 * scale)) {
        fail(what + "[" + i + "]: single JVM " + expected[i] + ", Spark " + actual[i]);
      }
    }
  }

  @Test
  void gradientAveragingEqualsSingleJvmOnTheUnionBatches() {
    ImageSet data = TestImages.quadrants(400, 8, 1);
    TrainSettings sgd = settings(OptimizerSpec.sgd(0.05f, 0.9f));
    float[] reference = singleJvm(plain(), data, sgd);
    float[] initial = Network.build(plain()).params().clone();
    assertRelativelyClose("plain net", reference,
        spark(plain(), data, sgd, new GradientAveraging()));
    Network fresh = Network.build(plain());
    fresh.initialize(SEED);
    assertTrue(!java.util.Arrays.equals(fresh.params(), java.util.Arrays.copyOf(reference,
        fresh.params().length)), "training moved the parameters");
    assertEquals(initial.length, fresh.params().length);
  }

  @Test
  void gradientAveragingWithBatchNormEqualsGhostBatchSingleJvm() {
    ImageSet data = TestImages.quadrants(400, 8, 2);
    TrainSettings adam = settings(OptimizerSpec.adam(0.01f));
    assertRelativelyClose("net with batch norm (params ++ running statistics)",
        singleJvm(withBatchNorm(), data, adam),
        spark(withBatchNorm(), data, adam, new GradientAveraging()));
  }

  @Test
  void parameterAveragingWithOneLocalStepReducesToGradientAveraging() {
    ImageSet data = TestImages.quadrants(400, 8, 3);
    TrainSettings sgd = settings(OptimizerSpec.sgd(0.05f, 0.9f));
    assertRelativelyClose("parameter averaging, k = 1, SGD with momentum",
        singleJvm(plain(), data, sgd), spark(plain(), data, sgd, new ParameterAveraging(1)));
  }

  @Test
  void executorsBuildEachNetworkOncePerThreadNotPerRound() {
    ImageSet data = TestImages.quadrants(400, 8, 4);
    spark(plain(), data, settings(OptimizerSpec.sgd(0.05f, 0.9f)), new GradientAveraging());
    // local[2]: at most two tasks at once, so at most two pooled workers for all rounds.
    int pooled = NetworkPool.idleCount(SpecJson.write(plain()));
    assertTrue(pooled >= 1 && pooled <= 2, "pooled workers: " + pooled);
  }

  /**
   * Tasks that only compute gradients read the broadcast's parameters and make no optimizer;
   * tasks that take local steps copy them and have one. In local mode the broadcast value is the
   * driver's object itself (Spark keeps it deserialized in the driver's block manager), so the
   * former read the driver's own array, which its update changes in place round after round.
   * (The evaluation after each epoch reads it too, so the tasks' arrays are recorded as they
   * compute.)
   */
  @Test
  void gradientAveragingTasksReadTheBroadcastParametersAndHoldNoOptimizer() {
    ImageSet data = TestImages.quadrants(400, 8, 5);
    TrainSettings settings = settings(OptimizerSpec.sgd(0.05f, 0.9f));
    for (SyncRule sync : List.of(new GradientAveraging(), new ParameterAveraging(2))) {
      Network driver = Network.build(plain());
      driver.initialize(SEED);
      RecordedTasks.SEEN.clear();
      new SparkTrainer(LocalSpark.get(), new PrintStream(new ByteArrayOutputStream()))
          .fit(driver, data, data.head(64), Normalization.of(data), settings,
              new SparkSettings(new RecordedTasks(sync), PARTITIONS, 2, 2, 60));
      assertEquals(2 * PARTITIONS, RecordedTasks.SEEN.size(), sync.describe() + ": tasks");
      for (RecordedTasks.Task task : RecordedTasks.SEEN) {
        assertEquals(!sync.stepsInTasks(), task.params() == driver.params(),
            sync.describe() + ": reads the broadcast parameters");
        assertEquals(sync.stepsInTasks(), task.optimizer(), sync.describe() + ": optimizer");
      }
    }
  }

  /** A rule that records, as each task computes, what its worker holds (local mode: one JVM). */
  private record RecordedTasks(SyncRule rule) implements SyncRule {

    record Task(float[] params, boolean optimizer) {}

    static final Queue<Task> SEEN = new ConcurrentLinkedQueue<>();

    @Override
    public Contribution compute(Worker worker, Optimizer optimizer, Shard shard,
        TrainingRun run, int epoch, int firstRound, int steps) {
      SEEN.add(new Task(worker.network().params(), worker.holdsOptimizer()));
      return rule.compute(worker, optimizer, shard, run, epoch, firstRound, steps);
    }

    @Override
    public String mode() {
      return rule.mode();
    }

    @Override
    public int stepsPerRound() {
      return rule.stepsPerRound();
    }

    @Override
    public boolean stepsInTasks() {
      return rule.stepsInTasks();
    }

    @Override
    public VectorLayout layout(int params, int state, int slots) {
      return rule.layout(params, state, slots);
    }

    @Override
    public ModelVector broadcast(Network net, Optimizer optimizer) {
      return rule.broadcast(net, optimizer);
    }

    @Override
    public void apply(Contribution sum, Network net, Optimizer optimizer, int steps, float lr) {
      rule.apply(sum, net, optimizer, steps, lr);
    }

    @Override
    public Map<String, String> fingerprint() {
      return rule.fingerprint();
    }

    @Override
    public String describe() {
      return rule.describe();
    }
  }
}
