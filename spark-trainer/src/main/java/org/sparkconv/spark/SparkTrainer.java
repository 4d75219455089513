package org.sparkconv.spark;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.engine.train.TrainingDivergedException;

/**
 * The driver loop of synchronous data-parallel training. Every round: broadcast the model,
 * let each partition compute on its share ({@link PartitionWork}), {@code treeAggregate} the
 * sums to the driver (zero value null, allocated lazily, so no dense zero vector rides in every
 * task closure), update, destroy the broadcast. After every epoch the test set is evaluated on
 * the executors.
 *
 * <p>Gradient averaging equals single-JVM training on the union of the partitions' shares,
 * except that batch norm normalises each partition's share with its own statistics (as
 * PyTorch's DistributedDataParallel does without SyncBatchNorm); running statistics are averaged
 * weighted by examples.
 */
public final class SparkTrainer {

  /** What a run produced. */
  public record Result(List<Evaluation> history, Optimizer optimizer, long rounds) {}

  private final JavaSparkContext jsc;
  private final PrintStream log;

  public SparkTrainer(JavaSparkContext jsc, PrintStream log) {
    this.jsc = jsc;
    this.log = log;
  }

  /** Trains on image sets held by the driver (IDX, CIFAR), sharded to the partitions. */
  public Result fit(Network net, ImageSet train, ImageSet test, Normalization normalization,
      TrainSettings settings, SparkSettings spark) {
    int partitions = spark.partitions() > 0 ? spark.partitions() : jsc.defaultParallelism();
    net.requireFits(train.shape(), train.classes(), train.source());
    ShardedData trainData = ShardedData.dealt(jsc, train, partitions, settings.seed());
    ShardedData testData = ShardedData.contiguous(jsc, test, partitions);
    try {
      return fit(net, trainData, testData, normalization, settings, spark);
    } finally {
      trainData.release();
      testData.release();
    }
  }

  /** Trains on data already sharded and cached on the executors. */
  public Result fit(Network net, ShardedData train, ShardedData test,
      Normalization normalization, TrainSettings settings, SparkSettings spark) {
    return fit(net, train, test, normalization, settings, spark, Checkpointing.NONE);
  }

  /** Trains with checkpoints, resuming where {@code checkpoints} says. */
  Result fit(Network net, ShardedData train, ShardedData test, Normalization normalization,
      TrainSettings settings, SparkSettings spark, Checkpointing checkpoints) {
    net.requireFits(train.shape, train.classes, train.source);
    net.requireFits(test.shape, test.classes, test.source);
    int classes = net.outputShape().size();
    int partitions = train.partitions();
    RoundPlan plan = new RoundPlan(settings.batchSize(), settings.seed(), train.sizes);
    boolean parameterMode = spark.mode().equals(TrainingRun.PARAMETER);
    TrainingRun run = new TrainingRun(SpecJson.write(net.spec()), net.inputShape(), classes, plan,
        normalization, settings.augmentation(), settings.optimizer(), settings.schedule(),
        settings.epochs(), settings.labelSmoothing(), settings.seed(), spark.mode(),
        spark.localSteps());
    Optimizer optimizer = Optimizer.create(settings.optimizer(), net.layout());

    int p = net.params().length;
    int s = net.state().length;
    long resultBytes = 4L * (parameterMode ? p + s + optimizer.slots().length * p : p + s);
    long shardBytes = (long) train.shape.size() * (train.count() + test.count()) / partitions;
    Preflight.check(net, plan.share(0), resultBytes, partitions, spark.treeDepth(), jsc.getConf(),
        SparkResources.concurrentTasks(jsc), SparkResources.executorMemory(jsc), shardBytes);
    JavaRDD<Shard> trainRdd = train.rdd;
    JavaRDD<Shard> testRdd = test.rdd;
    log.printf(Locale.ROOT, "spark: %d partitions (%s), %d x %d examples per round, %d rounds"
            + " per epoch, mode %s%s, tree depth %d%n", partitions, jsc.master(), partitions,
        plan.share(0), plan.roundsPerEpoch(), spark.mode(),
        parameterMode ? " (k = " + spark.localSteps() + ")" : "", spark.treeDepth());

    List<Evaluation> history = new ArrayList<>();
    RoundTimes times = new RoundTimes();
    int perRound = parameterMode ? spark.localSteps() : 1;
    long rounds = 0;
    int startEpoch = 0;
    int startRound = 0;
    if (checkpoints.resumeFrom != null) {
      checkpoints.restore(net, optimizer);
      CheckpointStore.Position at = checkpoints.resumeFrom.position();
      startEpoch = at.epoch();
      startRound = at.round();
      rounds = at.roundsDone();
    }
    long roundsAtStart = rounds;
    long start = System.nanoTime();
    long lastReport = start;
    int dataRounds = plan.roundsPerEpoch();
    long totalRounds = (long) settings.epochs() * ((dataRounds + perRound - 1) / perRound);
    if (spark.maxRounds() > 0) {
      totalRounds = Math.min(totalRounds, spark.maxRounds());
    }
    epochs:
    for (int epoch = startEpoch; epoch < settings.epochs(); epoch++) {
      times.reset();
      double epochLoss = 0;
      long epochCount = 0;
      long epochCorrect = 0;
      long epochStart = System.nanoTime();
      for (int round = epoch == startEpoch ? startRound : 0; round < dataRounds;
          round += perRound) {
        if (spark.maxRounds() > 0 && rounds >= spark.maxRounds()) {
          break epochs;
        }
        int steps = Math.min(perRound, dataRounds - round);
        float lr = run.rate(run.step(epoch, round));
        Contribution sum = round(trainRdd, run, net, optimizer, epoch, round, steps, lr,
            spark.treeDepth(), times);
        long now = System.nanoTime();
        rounds++;
        if (checkpoints.settings.everyRounds() > 0
            && rounds % checkpoints.settings.everyRounds() == 0) {
          checkpoints.save(net, optimizer, new CheckpointStore.Position(epoch, round + steps,
              rounds), log);
        }
        epochLoss += sum.lossSum;
        epochCount += sum.count;
        epochCorrect += sum.correct;
        if ((now - lastReport) / 1e9 >= spark.progressSeconds()) {
          lastReport = now;
          double seconds = (now - start) / 1e9;
          long eta = (long) ((totalRounds - rounds) * seconds / (rounds - roundsAtStart));
          log.printf(Locale.ROOT, "epoch %d/%d round %d/%d loss %.4f acc %.2f%% lr %.3g %.0f"
                  + " img/s ETA %d:%02d%n", epoch + 1, settings.epochs(), rounds, totalRounds,
              epochLoss / epochCount, 100.0 * epochCorrect / epochCount, lr,
              epochCount / ((now - epochStart) / 1e9), eta / 60, eta % 60);
        }
      }
      double trainSeconds = (System.nanoTime() - epochStart) / 1e9;
      Evaluation eval = evaluate(testRdd, run, net, spark.treeDepth());
      history.add(eval);
      if (checkpoints.settings.everyEpoch() && checkpoints.enabled()) {
        checkpoints.save(net, optimizer, new CheckpointStore.Position(epoch + 1, 0, rounds), log);
      }
      if (epochCount == 0) {
        log.printf(Locale.ROOT, "epoch %d/%d (resumed at its end): test loss %.4f, test accuracy"
            + " %.2f%%%n", epoch + 1, settings.epochs(), eval.loss(), 100 * eval.accuracy());
        continue;
      }
      double seconds = (System.nanoTime() - epochStart) / 1e9;
      log.printf(Locale.ROOT, "epoch %d/%d done: train loss %.4f, train accuracy %.2f%%, test"
              + " loss %.4f, test accuracy %.2f%%, %.1f s (train %.0f img/s)%n  per round: %s%n",
          epoch + 1, settings.epochs(), epochLoss / epochCount,
          100.0 * epochCorrect / epochCount, eval.loss(), 100 * eval.accuracy(), seconds,
          epochCount / trainSeconds, times);
    }
    if (history.isEmpty() || spark.maxRounds() > 0 && history.size() < settings.epochs()) {
      history.add(evaluate(testRdd, run, net, spark.treeDepth()));
    }
    return new Result(history, optimizer, rounds);
  }

  /**
   * One synchronous round: broadcast the model, let every partition compute on its share of
   * data rounds [round, round + steps), sum the contributions on their way to the driver
   * (treeAggregate, zero value null), update the model, destroy the broadcast.
   */
  private Contribution round(JavaRDD<Shard> trainRdd, TrainingRun run, Network net,
      Optimizer optimizer, int epoch, int round, int steps, float lr, int depth,
      RoundTimes times) {
    boolean parameterMode = run.mode().equals(TrainingRun.PARAMETER);
    long b0 = System.nanoTime();
    Broadcast<ModelVector> model = jsc.broadcast(new ModelVector(net.params(), net.state(),
        parameterMode ? optimizer.slots() : new float[0][], optimizer.steps()));
    long b1 = System.nanoTime();
    Contribution sum = guard(() -> trainRdd.treeAggregate(null,
        (acc, shard) -> Contribution.merge(acc, parameterMode
            ? PartitionWork.localSteps(shard, run, model.value(), epoch, round, steps)
            : PartitionWork.gradients(shard, run, model.value(), epoch, round)),
        Contribution::merge, depth));
    long b2 = System.nanoTime();
    model.destroy();
    if (!Double.isFinite(sum.lossSum)) {
      throw new TrainingDivergedException(String.format(Locale.ROOT, "loss became %s at epoch"
              + " %d, round %d (learning rate %g): lower optimizer.lr or set optimizer.clip_norm;"
              + " no model was written", sum.lossSum, epoch + 1, round + 1, lr));
    }
    apply(sum, net, optimizer, parameterMode, steps, lr);
    times.add(b1 - b0, sum.computeNanos, b2 - b1 - sum.computeNanos, System.nanoTime() - b2);
    return sum;
  }

  /** The driver's update from the round's sums. */
  private static void apply(Contribution sum, Network net, Optimizer optimizer,
      boolean parameterMode, int steps, float lr) {
    float[] v = sum.sums;
    float inv = (float) (1.0 / sum.count);
    float[] params = net.params();
    float[] state = net.state();
    int p = params.length;
    for (int i = 0; i < state.length; i++) {
      state[i] = v[p + i] * inv;
    }
    if (!parameterMode) {
      float[] grads = net.grads();
      for (int i = 0; i < p; i++) {
        grads[i] = v[i] * inv;
      }
      optimizer.step(params, grads, lr);
      return;
    }
    for (int i = 0; i < p; i++) {
      params[i] = v[i] * inv;
    }
    float[][] slots = optimizer.slots();
    int base = p + state.length;
    for (int k = 0; k < slots.length; k++) {
      for (int i = 0; i < p; i++) {
        slots[k][i] = v[base + k * p + i] * inv;
      }
    }
    optimizer.steps(optimizer.steps() + steps);
  }

  private Evaluation evaluate(JavaRDD<Shard> testRdd, TrainingRun run, Network net, int depth) {
    Broadcast<ModelVector> model = jsc.broadcast(new ModelVector(net.params(), net.state(),
        new float[0][], 0));
    try {
      EvalSum sum = guard(() -> testRdd.treeAggregate(null,
          (acc, shard) -> EvalSum.merge(acc, PartitionWork.evaluate(shard, run, model.value())),
          EvalSum::merge, depth));
      return sum.toEvaluation();
    } finally {
      model.destroy();
    }
  }

  /**
   * Runs a Spark action, turning a missing Kryo registration into a message that says so. Spark
   * throws its checked {@code SparkException} undeclared (from Scala); it is rethrown unchecked.
   */
  static <T> T guard(java.util.function.Supplier<T> action) {
    try {
      return action.get();
    } catch (Exception e) {
      IllegalStateException kryo = KryoRegistration.explain(e);
      if (kryo != null) {
        throw kryo;
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("Spark job failed: " + e.getMessage(), e);
    }
  }
}
