package org.sparkconv.spark.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSummary;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.train.DivergenceGuard;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.engine.train.TrainingDivergedException;
import org.sparkconv.spark.checkpoint.Checkpointing;
import org.sparkconv.spark.data.RoundPlan;
import org.sparkconv.spark.data.ShardedData;
import org.sparkconv.spark.wire.ConfusionCounts;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.wire.SparkActions;
import org.sparkconv.spark.worker.PartitionEvaluation;
import org.sparkconv.spark.worker.TrainingRun;

/**
 * The driver loop of synchronous data-parallel training. Every round: broadcast what the
 * synchronisation rule needs, let each partition compute its contribution, sum the
 * contributions on their way to the driver ({@code treeAggregate}, zero value null so no dense
 * zero vector rides in every task closure), let the rule update the model, destroy the
 * broadcast, checkpoint and report. After every epoch the test set is evaluated on the
 * executors. Everything that differs between ways of synchronising is in the {@link SyncRule}.
 */
public final class SparkTrainer {

  /** What a run produced. */
  public record Result(List<Evaluation> history, Optimizer optimizer, long rounds) {}

  private final JavaSparkContext jsc;
  private final PrintStream log;
  private final AtomicInteger injectedFailures = new AtomicInteger();
  private volatile RuntimeException injectedCause;

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
      return fit(net, trainData, testData, normalization, settings, spark, Checkpointing.NONE);
    } finally {
      trainData.release();
      testData.release();
    }
  }

  /** Trains on data cached on the executors, checkpointing and resuming as told. */
  public Result fit(Network net, ShardedData train, ShardedData test, Normalization normalization,
      TrainSettings settings, SparkSettings spark, Checkpointing checkpoints) {
    net.requireFits(train.shape(), train.classes(), train.source());
    net.requireFits(test.shape(), test.classes(), test.source());
    SyncRule sync = spark.sync();
    RoundPlan plan = new RoundPlan(settings.batchSize(), settings.seed(), train.sizes());
    TrainingRun run = new TrainingRun(SpecJson.write(net.spec()), net.inputShape(),
        net.outputShape().size(), plan, normalization, settings.augmentation(),
        settings.optimizer(), settings.schedule(), settings.epochs(), settings.labelSmoothing(),
        settings.seed());
    Optimizer optimizer = Optimizer.create(settings.optimizer(), net.layout());
    preflight(net, train, test, plan, optimizer, spark);
    log.printf(Locale.ROOT, "spark: %d partitions (%s), %d x %d examples per round, %d rounds"
            + " per epoch, %s, tree depth %d%n", plan.partitions(), jsc.master(),
        plan.partitions(), plan.share(0), plan.roundsPerEpoch(), sync.describe(),
        spark.treeDepth());

    ModelMetadata.Position at = checkpoints.restore(net, optimizer);
    int perRound = sync.stepsPerRound();
    int dataRounds = plan.roundsPerEpoch();
    long totalRounds = (long) settings.epochs() * ((dataRounds + perRound - 1) / perRound);
    if (spark.maxRounds() > 0) {
      totalRounds = Math.min(totalRounds, spark.maxRounds());
    }
    RecoverySettings recovery = spark.recovery();
    Progress progress = new Progress(log, settings.epochs(), totalRounds, at.roundsDone(),
        spark.progressSeconds());
    DivergenceGuard divergence = new DivergenceGuard(recovery.divergenceFactor());
    List<Evaluation> history = new ArrayList<>();
    Snapshot good = Snapshot.take(net, optimizer, at, 0);
    int recoveriesLeft = recovery.recoveries();
    int divergencesLeft = recovery.divergenceRetries();
    progress.startEpoch(at.round(), dataRounds);
    while (at.epoch() < settings.epochs()
        && !(spark.maxRounds() > 0 && at.roundsDone() >= spark.maxRounds())) {
      if (at.round() >= dataRounds) {
        Evaluation eval = evaluate(test.rdd(), run, net, spark.treeDepth());
        history.add(eval);
        progress.endEpoch(at.epoch(), eval);
        at = new ModelMetadata.Position(at.epoch() + 1, 0, at.roundsDone());
        checkpoints.afterEpoch(net, optimizer, at, log);
        good = Snapshot.take(net, optimizer, at, history.size());
        progress.startEpoch(0, dataRounds);
        continue;
      }
      int steps = Math.min(perRound, dataRounds - at.round());
      float lr = run.rate(run.step(at.epoch(), at.round()));
      Contribution sum;
      try {
        sum = retried(run, sync, train.rdd(), net, optimizer, at, steps, spark, progress);
      } catch (SparkActions.JobFailedException e) {
        if (!SparkActions.isTransient(e)) {
          throw e; // bad data fails the same way from any earlier state
        }
        if (recoveriesLeft-- == 0) {
          throw new IllegalStateException(String.format(Locale.ROOT, "round %d failed %d times"
                  + " and the job went back %d times: %s; %s", at.roundsDone() + 1,
              recovery.roundRetries() + 1, recovery.recoveries(), e.getMessage(),
              checkpoints.resumeAdvice()), e);
        }
        log.printf(Locale.ROOT, "recovery: round %d still fails after %d retries (%s); going"
            + " back to round %d and going on%n", at.roundsDone() + 1, recovery.roundRetries(),
            e.getMessage(), good.position().roundsDone() + 1);
        at = rollBack(good, net, optimizer, history, divergence, progress, dataRounds);
        continue;
      }
      double meanLoss = sum.lossSum() / sum.count();
      if (divergence.diverged(meanLoss)) {
        String what = String.format(Locale.ROOT, "loss became %s at epoch %d, round %d"
                + " (recent reference %.4g, learning rate %g)", meanLoss, at.epoch() + 1,
            at.round() + 1, divergence.reference(), lr);
        if (divergencesLeft-- == 0) {
          throw new TrainingDivergedException(what + " after " + recovery.divergenceRetries()
              + " rollbacks with lower rates: lower optimizer.lr or set optimizer.clip_norm;"
              + " no model was written");
        }
        run = run.withLearningRateScaled(recovery.lrScale());
        log.printf(Locale.ROOT, "divergence: %s; going back to round %d with the learning rate"
            + " times %s%n", what, good.position().roundsDone() + 1, recovery.lrScale());
        at = rollBack(good, net, optimizer, history, divergence, progress, dataRounds);
        continue;
      }
      long b = System.nanoTime();
      sync.apply(sum, net, optimizer, steps, lr);
      progress.times().addUpdate(System.nanoTime() - b);
      at = new ModelMetadata.Position(at.epoch(), at.round() + steps, at.roundsDone() + 1);
      boolean written = checkpoints.afterRound(net, optimizer, at, log);
      if (written || recovery.snapshotRounds() > 0
          && at.roundsDone() % recovery.snapshotRounds() == 0) {
        good = Snapshot.take(net, optimizer, at, history.size());
      }
      progress.round(at.epoch(), at.roundsDone(), sum, lr);
    }
    if (history.isEmpty() || spark.maxRounds() > 0 && history.size() < settings.epochs()) {
      history.add(evaluate(test.rdd(), run, net, spark.treeDepth()));
    }
    return new Result(history, optimizer, at.roundsDone());
  }

  /** Puts the model back to {@code good} and returns where training goes on from. */
  private static ModelMetadata.Position rollBack(Snapshot good, Network net, Optimizer optimizer,
      List<Evaluation> history, DivergenceGuard divergence, Progress progress, int dataRounds) {
    good.restore(net, optimizer);
    history.subList(good.evaluations(), history.size()).clear();
    divergence.reset();
    progress.startEpoch(good.position().round(), dataRounds);
    return good.position();
  }

  /**
   * One round, run again with backoff while it fails in a way that may pass (a lost executor,
   * a filesystem hiccup); a failure of the data or the code is thrown at once.
   */
  private Contribution retried(TrainingRun run, SyncRule sync, JavaRDD<Shard> trainRdd,
      Network net, Optimizer optimizer, ModelMetadata.Position at, int steps,
      SparkSettings spark, Progress progress) {
    RecoverySettings recovery = spark.recovery();
    for (int attempt = 0; ; attempt++) {
      try {
        return round(trainRdd, run, sync, net, optimizer, at.epoch(), at.round(), steps,
            spark.treeDepth(), progress.times());
      } catch (RuntimeException e) {
        if (!SparkActions.isTransient(e) || attempt >= recovery.roundRetries()) {
          throw e;
        }
        long waitMillis = (long) (1000 * recovery.retryBackoffSeconds() * (1L << attempt));
        log.printf(Locale.ROOT, "retry: round %d failed (%s); trying again in %.1f s (%d of"
            + " %d)%n", at.roundsDone() + 1, e.getMessage(), waitMillis / 1000.0, attempt + 1,
            recovery.roundRetries());
        sleep(waitMillis);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to retry a round", e);
    }
  }

  private void preflight(Network net, ShardedData train, ShardedData test, RoundPlan plan,
      Optimizer optimizer, SparkSettings spark) {
    long resultBytes = 4L * spark.sync().layout(net.params().length, net.state().length,
        optimizer.slots().length).size();
    long shardBytes = (long) train.shape().size() * (train.count() + test.count())
        / plan.partitions();
    int threads = ComputeContext.defaults().parallel().threads();
    NetworkSummary training = NetworkSummary.of(net.spec(), plan.share(0), threads);
    NetworkSummary evaluation = NetworkSummary.of(net.spec(), PartitionEvaluation.BATCH,
        threads);
    NetworkSummary perPartition = training.trainingBytes() >= evaluation.trainingBytes()
        ? training : evaluation;
    Preflight.check(perPartition, resultBytes, plan.partitions(), spark.treeDepth(),
        jsc.getConf(), SparkResources.concurrentTasks(jsc), SparkResources.executorMemory(jsc),
        shardBytes);
  }

  /**
   * One synchronous round's contributions: broadcast, every partition's contribution to data
   * rounds [round, round + steps), summed on the way to the driver, the broadcast destroyed.
   * The caller checks the sum and lets the rule apply it.
   */
  private Contribution round(JavaRDD<Shard> trainRdd, TrainingRun run, SyncRule sync,
      Network net, Optimizer optimizer, int epoch, int round, int steps, int depth,
      RoundTimes times) {
    long b0 = System.nanoTime();
    Broadcast<ModelVector> model = jsc.broadcast(sync.broadcast(net, optimizer));
    long b1 = System.nanoTime();
    try {
      Contribution sum = SparkActions.run(() -> {
        injectedFault();
        return trainRdd.treeAggregate(null,
            (acc, shard) -> Contribution.merge(acc,
                sync.compute(shard, run, model.value(), epoch, round, steps)),
            Contribution::merge, depth);
      });
      long b2 = System.nanoTime();
      times.add(b1 - b0, sum.computeNanos(), b2 - b1 - sum.computeNanos());
      return sum;
    } finally {
      model.destroy();
    }
  }

  /** For tests: the next {@code count} rounds fail as a lost Spark job would. */
  void injectRoundFailures(int count) {
    injectRoundFailures(count, null);
  }

  /** For tests: the same, the failures caused by {@code cause} (null: a lost executor). */
  void injectRoundFailures(int count, RuntimeException cause) {
    injectedCause = cause;
    injectedFailures.set(count);
  }

  private void injectedFault() {
    if (injectedFailures.getAndUpdate(n -> Math.max(n - 1, 0)) > 0) {
      throw new SparkActions.JobFailedException("Spark job failed: injected fault (test hook)",
          injectedCause);
    }
  }

  private Evaluation evaluate(JavaRDD<Shard> testRdd, TrainingRun run, Network net, int depth) {
    Broadcast<ModelVector> model = jsc.broadcast(ModelVector.weights(net.params(),
        net.state()));
    try {
      return SparkActions.run(() -> testRdd.treeAggregate(null,
          (acc, shard) -> ConfusionCounts.merge(acc,
              PartitionEvaluation.evaluate(shard, run, model.value())),
          ConfusionCounts::merge, depth)).toEvaluation();
    } finally {
      model.destroy();
    }
  }
}
