package org.sparkconv.spark.train;

import java.util.Map;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.train.TrainingStep;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.worker.TrainingRun;
import org.sparkconv.spark.worker.Worker;

/**
 * Local SGD: each partition takes up to {@code localSteps} optimizer steps of its own from the
 * broadcast model (and optimizer state) on its shares of consecutive data rounds; the driver
 * then averages parameters, batch-norm state and optimizer slots, weighted by the examples each
 * partition processed. One Spark job per k data rounds instead of per round; with k = 1 it is
 * gradient averaging.
 *
 * <p>Vector: {@code n·params ++ n·state ++ n·slot 0 ++ ... ++ n·slot s-1}.
 */
public record ParameterAveraging(int localSteps) implements SyncRule {

  static final String MODE = "parameter";

  public ParameterAveraging {
    if (localSteps < 1) {
      throw new IllegalArgumentException("spark.local_steps must be at least 1, got "
          + localSteps);
    }
  }

  @Override
  public String mode() {
    return MODE;
  }

  @Override
  public int stepsPerRound() {
    return localSteps;
  }

  @Override
  public VectorLayout layout(int params, int state, int slots) {
    Object[] parts = new Object[4 + 2 * slots];
    parts[0] = "params";
    parts[1] = params;
    parts[2] = "state";
    parts[3] = state;
    for (int k = 0; k < slots; k++) {
      parts[4 + 2 * k] = slot(k);
      parts[5 + 2 * k] = params;
    }
    return VectorLayout.of(parts);
  }

  private static String slot(int k) {
    return "slot " + k;
  }

  @Override
  public boolean stepsInTasks() {
    return true;
  }

  @Override
  public ModelVector broadcast(Network net, Optimizer optimizer) {
    return new ModelVector(net.params(), net.state(), optimizer.slots(), optimizer.steps());
  }

  @Override
  public Contribution compute(Worker worker, Optimizer optimizer, Shard shard, TrainingRun run,
      int epoch, int firstRound, int steps) {
    long start = System.nanoTime();
    Network net = worker.network();
    int share = run.plan().share(shard.partition());
    double lossSum = 0;
    long correct = 0;
    long count = 0;
    for (int j = 0; j < steps; j++) {
      TrainingStep.Result r = worker.step(shard, run, epoch, firstRound + j, share);
      optimizer.step(net.params(), net.grads(), run.rate(run.step(epoch, firstRound + j)));
      lossSum += r.lossSum();
      correct += r.correct();
      count += share;
    }
    return new Contribution(pack(net, optimizer, count), lossSum, count, correct,
        System.nanoTime() - start);
  }

  /** The vector of a partition that ended at {@code net}, {@code optimizer} after n examples. */
  float[] pack(Network net, Optimizer optimizer, long n) {
    float[][] slots = optimizer.slots();
    VectorLayout layout = layout(net.params().length, net.state().length, slots.length);
    float[] sums = new float[layout.size()];
    layout.addScaled("params", net.params(), n, sums);
    layout.addScaled("state", net.state(), n, sums);
    for (int k = 0; k < slots.length; k++) {
      layout.addScaled(slot(k), slots[k], n, sums);
    }
    return sums;
  }

  @Override
  public void apply(Contribution sum, Network net, Optimizer optimizer, int steps, float lr) {
    float[][] slots = optimizer.slots();
    VectorLayout layout = layout(net.params().length, net.state().length, slots.length);
    double perExample = 1.0 / sum.count();
    layout.readScaled("state", sum.sums(), perExample, net.state());
    layout.readScaled("params", sum.sums(), perExample, net.params());
    for (int k = 0; k < slots.length; k++) {
      layout.readScaled(slot(k), sum.sums(), perExample, slots[k]);
    }
    optimizer.steps(optimizer.steps() + steps);
  }

  @Override
  public Map<String, String> fingerprint() {
    return Map.of("spark.mode", MODE, "spark.local_steps", Integer.toString(localSteps));
  }

  @Override
  public String describe() {
    return "parameter averaging (k = " + localSteps + ")";
  }
}
