package org.sparkconv.spark;

import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.train.Evaluator;

/** What a partition does in a round, run inside Spark tasks. */
final class PartitionWork {

  private PartitionWork() {}

  /**
   * Gradient averaging: the gradient of the summed loss over this partition's share of the
   * round, and its batch-norm state weighted by its example count. Vector: grads ++ n*state.
   */
  static Contribution gradients(Shard shard, TrainingRun run, ModelVector model, int epoch,
      int round) {
    long start = System.nanoTime();
    Worker w = Worker.borrow(run);
    try {
      w.load(model);
      int[] order = w.epochOrder(run.plan(), epoch, shard.partition);
      int n = w.assemble(shard, run, order, round, run.step(epoch, round));
      double[] lossAndCorrect = w.forwardBackward(n, run.classes(),
          new SoftmaxCrossEntropy(run.labelSmoothing()), 1.0, run.step(epoch, round),
          shard.partition, run.plan().partitions());
      Network net = w.net;
      int p = net.params().length;
      float[] sums = new float[p + net.state().length];
      System.arraycopy(net.grads(), 0, sums, 0, p);
      addScaled(net.state(), n, sums, p);
      return new Contribution(sums, lossAndCorrect[0], n, (long) lossAndCorrect[1],
          System.nanoTime() - start);
    } finally {
      Worker.release(run, w);
    }
  }

  /**
   * Parameter averaging: up to {@code k} local optimizer steps from the broadcast model on this
   * partition's shares of data rounds {@code firstRound ...}; returns parameters, state and
   * optimizer slots weighted by the examples processed. Vector: n*params ++ n*state ++ n*slots.
   */
  static Contribution localSteps(Shard shard, TrainingRun run, ModelVector model, int epoch,
      int firstRound, int steps) {
    long start = System.nanoTime();
    Worker w = Worker.borrow(run);
    try {
      w.load(model);
      Network net = w.net;
      Optimizer optimizer = w.optimizer(run, model);
      int[] order = w.epochOrder(run.plan(), epoch, shard.partition);
      SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(run.labelSmoothing());
      double lossSum = 0;
      long correct = 0;
      long count = 0;
      for (int j = 0; j < steps; j++) {
        long step = run.step(epoch, firstRound + j);
        int n = w.assemble(shard, run, order, firstRound + j, step);
        double[] lc = w.forwardBackward(n, run.classes(), loss, n, step, shard.partition,
            run.plan().partitions());
        optimizer.step(net.params(), net.grads(), run.rate(step));
        lossSum += lc[0];
        correct += (long) lc[1];
        count += n;
      }
      int p = net.params().length;
      int s = net.state().length;
      float[][] slots = optimizer.slots();
      float[] sums = new float[p + s + slots.length * p];
      addScaled(net.params(), count, sums, 0);
      addScaled(net.state(), count, sums, p);
      for (int i = 0; i < slots.length; i++) {
        addScaled(slots[i], count, sums, p + s + i * p);
      }
      return new Contribution(sums, lossSum, count, correct, System.nanoTime() - start);
    } finally {
      Worker.release(run, w);
    }
  }

  /** Evaluation of the broadcast model on every example of {@code shard}. */
  static EvalSum evaluate(Shard shard, TrainingRun run, ModelVector model) {
    Worker w = Worker.borrow(run);
    try {
      w.load(model);
      byte[] pixels = new byte[shard.count * run.inputShape().size()];
      int[] labels = new int[shard.count];
      for (int i = 0; i < shard.count; i++) {
        shard.pixels(i, pixels, i * run.inputShape().size());
        labels[i] = shard.label(i);
      }
      ImageSet set = new ImageSet("partition " + shard.partition, run.inputShape(), shard.count,
          pixels, labels, run.classes());
      return EvalSum.of(Evaluator.evaluate(w.net, set, run.normalization(), 256));
    } finally {
      Worker.release(run, w);
    }
  }

  private static void addScaled(float[] src, double scale, float[] dst, int off) {
    float f = (float) scale;
    for (int i = 0; i < src.length; i++) {
      dst[off + i] += src[i] * f;
    }
  }
}
