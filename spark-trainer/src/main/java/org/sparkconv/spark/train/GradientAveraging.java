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
 * Synchronous SGD: every round each partition computes the gradient of the summed loss over its
 * share of one global minibatch, the driver divides the total by the batch size and takes one
 * optimizer step. Equals single-JVM training on the union of the shares, except that batch norm
 * normalises each share with its own statistics (as PyTorch's DistributedDataParallel does
 * without SyncBatchNorm); running statistics are averaged weighted by examples.
 *
 * <p>Vector: {@code gradients ++ n·state}.
 */
public record GradientAveraging() implements SyncRule {

  static final String MODE = "gradient";

  @Override
  public String mode() {
    return MODE;
  }

  @Override
  public int stepsPerRound() {
    return 1;
  }

  @Override
  public boolean stepsInTasks() {
    return false;
  }

  @Override
  public VectorLayout layout(int params, int state, int slots) {
    return VectorLayout.of("gradients", params, "state", state);
  }

  @Override
  public ModelVector broadcast(Network net, Optimizer optimizer) {
    return ModelVector.weights(net.params(), net.state());
  }

  @Override
  public Contribution compute(Worker worker, Optimizer optimizer, Shard shard, TrainingRun run,
      int epoch, int firstRound, int steps) {
    long start = System.nanoTime();
    TrainingStep.Result r = worker.step(shard, run, epoch, firstRound, 1.0);
    int n = run.plan().share(shard.partition());
    return new Contribution(pack(worker.network(), n), r.lossSum(), n, r.correct(),
        System.nanoTime() - start);
  }

  /** The vector of a partition whose {@code n} examples left their gradient sum in net. */
  float[] pack(Network net, int n) {
    VectorLayout layout = layout(net.params().length, net.state().length, 0);
    float[] sums = new float[layout.size()];
    layout.addScaled("gradients", net.grads(), 1, sums);
    layout.addScaled("state", net.state(), n, sums);
    return sums;
  }

  @Override
  public void apply(Contribution sum, Network net, Optimizer optimizer, int steps, float lr) {
    VectorLayout layout = layout(net.params().length, net.state().length, 0);
    double perExample = 1.0 / sum.count();
    layout.readScaled("state", sum.sums(), perExample, net.state());
    layout.readScaled("gradients", sum.sums(), perExample, net.grads());
    optimizer.step(net.params(), net.grads(), lr);
  }

  @Override
  public Map<String, String> fingerprint() {
    return Map.of("spark.mode", MODE, "spark.local_steps", "1");
  }

  @Override
  public String describe() {
    return "gradient averaging";
  }
}
