package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.engine.train.TrainingStep;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.data.RoundPlan;
import org.sparkconv.spark.data.Sharding;
import org.sparkconv.spark.wire.Shard;

/**
 * Parameter averaging with k = 3 local steps and SGD with momentum on real Spark (local[2], 4
 * partitions) against a single-JVM simulation: every partition runs 3 optimizer steps of its
 * own from the common model and optimizer state, then parameters, batch-norm state and momentum
 * are averaged weighted by examples.
 */
class ParameterAveragingTest {

  static final int K = 3;
  static final int SYNC_ROUNDS = 3;

  /** The simulation: {@code SYNC_ROUNDS} rounds of k local steps per partition, averaged. */
  static float[] simulate(NetworkSpec spec, ImageSet data, TrainSettings settings) {
    Network driver = Network.build(spec);
    driver.initialize(EquivalenceTest.SEED);
    Optimizer driverOptimizer = Optimizer.create(settings.optimizer(), driver.layout());
    Normalization norm = Normalization.of(data);
    List<Shard> shards = Sharding.dealt(data, EquivalenceTest.PARTITIONS, EquivalenceTest.SEED);
    RoundPlan plan = new RoundPlan(EquivalenceTest.BATCH, EquivalenceTest.SEED,
        shards.stream().mapToInt(Shard::count).toArray());
    Network replica = Network.build(spec);
    Optimizer replicaOptimizer = Optimizer.create(settings.optimizer(), replica.layout());
    TrainingStep step = new TrainingStep(replica, 0f);
    int size = data.shape().size();
    int p = driver.params().length;
    int s = driver.state().length;
    int slots = driverOptimizer.slots().length;
    for (int sync = 0; sync < SYNC_ROUNDS; sync++) {
      float[] sums = new float[p + s + slots * p];
      long count = 0;
      for (Shard shard : shards) {
        replica.load(driver.params(), driver.state());
        for (int k = 0; k < slots; k++) {
          System.arraycopy(driverOptimizer.slots()[k], 0, replicaOptimizer.slots()[k], 0, p);
        }
        int n = plan.share(shard.partition());
        int[] order = plan.epochOrder(0, shard.partition());
        for (int j = 0; j < K; j++) {
          int round = sync * K + j;
          float[] images = new float[n * size];
          int[] labels = new int[n];
          byte[] raw = new byte[size];
          for (int i = 0; i < n; i++) {
            int local = order[plan.firstOfRound(round, shard.partition()) + i];
            shard.pixels(local, raw, 0);
            norm.apply(raw, 0, data.shape(), images, i * size);
            labels[i] = shard.label(local);
          }
          step.run(images, labels, n, n);
          replicaOptimizer.step(replica.params(), replica.grads(), settings.optimizer().lr());
        }
        long examples = (long) K * n;
        addScaled(replica.params(), examples, sums, 0);
        addScaled(replica.state(), examples, sums, p);
        for (int k = 0; k < slots; k++) {
          addScaled(replicaOptimizer.slots()[k], examples, sums, p + s + k * p);
        }
        count += examples;
      }
      float inverse = (float) (1.0 / count);
      for (int i = 0; i < p; i++) {
        driver.params()[i] = sums[i] * inverse;
      }
      for (int i = 0; i < s; i++) {
        driver.state()[i] = sums[p + i] * inverse;
      }
      for (int k = 0; k < slots; k++) {
        for (int i = 0; i < p; i++) {
          driverOptimizer.slots()[k][i] = sums[p + s + k * p + i] * inverse;
        }
      }
    }
    return EquivalenceTest.concat(EquivalenceTest.concat(driver.params(), driver.state()),
        driverOptimizer.slots()[0]);
  }

  private static void addScaled(float[] values, long scale, float[] sums, int offset) {
    for (int i = 0; i < values.length; i++) {
      sums[offset + i] += values[i] * (float) scale;
    }
  }

  static float[] spark(NetworkSpec spec, ImageSet data, TrainSettings settings) {
    Network net = Network.build(spec);
    net.initialize(EquivalenceTest.SEED);
    SparkSettings spark = new SparkSettings(new ParameterAveraging(K),
        EquivalenceTest.PARTITIONS, 2, SYNC_ROUNDS, 60);
    SparkTrainer.Result result = new SparkTrainer(LocalSpark.get(),
        new PrintStream(new ByteArrayOutputStream()))
        .fit(net, data, data.head(64), Normalization.of(data), settings, spark);
    assertEquals(SYNC_ROUNDS, result.rounds());
    assertEquals((long) SYNC_ROUNDS * K, result.optimizer().steps(), "optimizer steps counted");
    return EquivalenceTest.concat(EquivalenceTest.concat(net.params(), net.state()),
        result.optimizer().slots()[0]);
  }

  @Test
  void threeLocalStepsWithMomentumEqualTheSimulatedAverageOfReplicas() {
    ImageSet data = TestImages.quadrants(400, 8, 31);
    TrainSettings sgd = EquivalenceTest.settings(OptimizerSpec.sgd(0.05f, 0.9f));
    EquivalenceTest.assertRelativelyClose("parameter averaging, k = 3, SGD with momentum"
            + " (params ++ state ++ momentum)", simulate(EquivalenceTest.withBatchNorm(), data,
        sgd), spark(EquivalenceTest.withBatchNorm(), data, sgd));
  }
}
