package org.sparkconv.spark.worker;

import java.util.function.Function;
import org.sparkconv.engine.data.Minibatches;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.train.TrainingStep;
import org.sparkconv.spark.data.RoundPlan;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;

/**
 * One executor thread's engine for a model, pooled per JVM ({@link NetworkPool}): the network
 * (built once, reused across rounds and tasks), and, made when first needed, the training step,
 * an optimizer for local steps and the input buffers. A task borrows one, points it at the
 * broadcast weights (or copies them in, to step on them) and gives it back.
 */
public final class Worker {

  private final String specJson;
  private final Network net;
  private TrainingStep step;
  private float stepSmoothing;
  private Optimizer optimizer;
  private float[] images = new float[0]; // (n, C, H, W) of the current share
  private int[] labels = new int[0];
  private final float[] scratch;
  private final byte[] raw;
  // The last epoch order computed: the same for every round of an epoch on a partition.
  private RoundPlan orderPlan;
  private int orderEpoch;
  private int orderPartition;
  private int[] order;

  private Worker(String specJson) {
    this(specJson, Network.build(SpecJson.parse(specJson, "broadcast model spec")));
  }

  private Worker(String specJson, Network net) {
    this.specJson = specJson;
    this.net = net;
    this.scratch = new float[net.inputShape().size()];
    this.raw = new byte[net.inputShape().size()];
  }

  /** A new worker whose network reads {@code model}'s parameters ({@link Network#buildReading}). */
  private static Worker reading(String specJson, ModelVector model) {
    return new Worker(specJson, Network.buildReading(
        SpecJson.parse(specJson, "broadcast model spec"), ComputeContext.defaults(),
        model.params(), model.state()));
  }

  /** A pooled worker for {@code specJson}, or a newly built one. */
  public static Worker borrow(String specJson) {
    return NetworkPool.borrow(specJson, () -> new Worker(specJson));
  }

  /**
   * Runs {@code task} on a pooled worker for {@code specJson} holding {@code model}'s weights,
   * and gives the worker back however the task ends. A task that takes optimizer steps
   * ({@code steps}) gets a copy of the parameters of its own; one that only computes gradients
   * or predictions reads the broadcast's, so the executor's tasks of a round hold them once
   * ({@link Network#readParamsOf}) and keep no optimizer state.
   */
  public static <T> T withModel(String specJson, ModelVector model, boolean steps,
      Function<Worker, T> task) {
    // a read-only task's new worker reads the broadcast's parameters from the start
    Worker w = steps ? borrow(specJson)
        : NetworkPool.borrow(specJson, () -> reading(specJson, model));
    if (steps) {
      w.load(model);
    } else {
      w.network().readParamsOf(model.params(), model.state());
      w.optimizer = null; // its slots (one or two arrays of the parameters' size) go too
    }
    try {
      return task.apply(w);
    } finally {
      w.release();
    }
  }

  /** Gives this worker back to the pool. */
  public void release() {
    NetworkPool.release(specJson, this);
  }

  public Network network() {
    return net;
  }

  /** Loads the broadcast parameters and state into the network. */
  public Worker load(ModelVector model) {
    net.load(model.params(), model.state());
    return this;
  }

  /** An optimizer of {@code spec} holding the broadcast slots and step count. */
  public Optimizer optimizer(OptimizerSpec spec, ModelVector model) {
    if (optimizer == null || !optimizer.spec().equals(spec)) {
      optimizer = Optimizer.create(spec, net.layout());
    }
    for (int s = 0; s < model.slots().length; s++) {
      System.arraycopy(model.slots()[s], 0, optimizer.slots()[s], 0, model.slots()[s].length);
    }
    optimizer.steps(model.optimizerSteps());
    return optimizer;
  }

  /** Whether a task has made this worker an optimizer (one that took local steps). */
  public boolean holdsOptimizer() {
    return optimizer != null;
  }

  /** Partition {@code partition}'s visiting order in {@code epoch}, computed once per epoch. */
  public int[] epochOrder(RoundPlan plan, int epoch, int partition) {
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
   * Prepares {@code shard}'s examples of data round {@code round} of {@code epoch}, normalised
   * and augmented as the single-JVM trainer would, runs forward and backward over them with the
   * loss divided by {@code normalizer}, and returns the step's loss sum and correct count; the
   * gradient is left in the network.
   */
  public TrainingStep.Result step(Shard shard, TrainingRun run, int epoch, int round,
      double normalizer) {
    RoundPlan plan = run.plan();
    int partition = shard.partition();
    long globalStep = run.step(epoch, round);
    int n = plan.share(partition);
    int size = net.inputShape().size();
    if (images.length < n * size) {
      images = new float[n * size];
      labels = new int[n];
    }
    int[] order = epochOrder(plan, epoch, partition);
    int first = plan.firstOfRound(round, partition);
    for (int k = 0; k < n; k++) {
      int local = order[first + k];
      labels[k] = shard.label(local);
      shard.pixels(local, raw, 0);
      Minibatches.prepare(raw, 0, net.inputShape(), run.normalization(), run.augmentation(),
          run.seed() + partition, globalStep, k, images, k * size, scratch);
    }
    if (step == null || stepSmoothing != run.labelSmoothing()) {
      step = new TrainingStep(net, run.labelSmoothing());
      stepSmoothing = run.labelSmoothing();
    }
    net.positionDropout(globalStep * plan.partitions() + partition);
    return step.run(images, labels, n, normalizer);
  }
}
