package org.sparkconv.spark;

import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.sparkconv.engine.data.Minibatches;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.tensor.Tensor;

/**
 * One executor thread's engine for a model: the network (built once per JVM and model, then
 * reused across rounds and tasks), its optimizer for local steps, and the input buffers. Workers
 * are pooled per JVM: a task borrows one, copies the broadcast model in, and returns it, so no
 * layer is rebuilt and no workspace reallocated per round. A network is never shared by two
 * running tasks.
 */
final class Worker {

  private static final ConcurrentHashMap<String, Queue<Worker>> POOL = new ConcurrentHashMap<>();

  final Network net;
  private Optimizer optimizer;
  private float[] images = new float[0];
  private int[] labels = new int[0];
  private float[] dLogits = new float[0];
  private final float[] scratch;
  private final byte[] raw;
  // The last epoch order computed: the same for every round of an epoch on a partition.
  private RoundPlan orderPlan;
  private int orderEpoch;
  private int orderPartition;
  private int[] order;

  private Worker(String specJson) {
    this.net = Network.build(SpecJson.parse(specJson, "broadcast model spec"));
    this.scratch = new float[net.inputShape().size()];
    this.raw = new byte[net.inputShape().size()];
  }

  static Worker borrow(TrainingRun run) {
    Worker w = POOL.computeIfAbsent(run.workerKey(), k -> new ConcurrentLinkedQueue<>()).poll();
    return w != null ? w : new Worker(run.specJson());
  }

  static void release(TrainingRun run, Worker w) {
    POOL.get(run.workerKey()).add(w);
  }

  /** How many distinct networks this JVM has built (for tests of the reuse). */
  static int pooledCount() {
    return POOL.values().stream().mapToInt(Queue::size).sum();
  }

  void load(ModelVector model) {
    System.arraycopy(model.params, 0, net.params(), 0, model.params.length);
    System.arraycopy(model.state, 0, net.state(), 0, model.state.length);
  }

  Optimizer optimizer(TrainingRun run, ModelVector model) {
    if (optimizer == null) {
      optimizer = Optimizer.create(run.optimizer(), net.layout());
    }
    for (int s = 0; s < model.slots.length; s++) {
      System.arraycopy(model.slots[s], 0, optimizer.slots()[s], 0, model.slots[s].length);
    }
    optimizer.steps(model.optimizerSteps);
    return optimizer;
  }

  /** Partition {@code partition}'s visiting order in {@code epoch}, computed once per epoch. */
  int[] epochOrder(RoundPlan plan, int epoch, int partition) {
    if (order == null || epoch != orderEpoch || partition != orderPartition
        || !plan.equals(orderPlan)) {
      order = plan.epochOrder(epoch, partition);
      orderPlan = plan;
      orderEpoch = epoch;
      orderPartition = partition;
    }
    return order;
  }

  /**
   * Prepares partition {@code shard}'s examples of data round {@code round} of {@code epoch}
   * (normalised and augmented as the single-JVM trainer would) and returns how many.
   */
  int assemble(Shard shard, TrainingRun run, int[] order, int round, long step) {
    RoundPlan plan = run.plan();
    int n = plan.share(shard.partition);
    int size = net.inputShape().size();
    if (images.length < n * size) {
      images = new float[n * size];
      labels = new int[n];
    }
    int first = plan.firstOfRound(round, shard.partition);
    for (int k = 0; k < n; k++) {
      int local = order[first + k];
      labels[k] = shard.label(local);
      shard.pixels(local, raw, 0);
      Minibatches.prepare(raw, 0, net.inputShape(), run.normalization(), run.augmentation(),
          run.seed() + shard.partition, step, k, images, k * size, scratch);
    }
    return n;
  }

  /**
   * Forward and backward over the assembled batch of global step {@code step} on partition
   * {@code partition} of {@code partitions}; returns {lossSum, correct}.
   */
  double[] forwardBackward(int n, int classes, SoftmaxCrossEntropy loss, double normalizer,
      long step, int partition, int partitions) {
    if (dLogits.length < n * classes) {
      dLogits = new float[n * classes];
    }
    net.positionDropout(step * partitions + partition);
    net.zeroGrad();
    Tensor logits = net.forward(new Tensor(images, 0, n, net.inputShape()), true);
    int correct = 0;
    for (int i = 0; i < n; i++) {
      if (org.sparkconv.engine.train.Evaluator.argMax(logits.data(), i * classes, classes)
          == labels[i]) {
        correct++;
      }
    }
    double value = loss.lossAndGradient(logits.data(), labels, n, classes, dLogits, normalizer);
    net.backward(dLogits);
    return new double[] {value * normalizer, correct};
  }
}
