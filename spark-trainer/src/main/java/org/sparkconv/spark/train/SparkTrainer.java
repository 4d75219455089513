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
import org.sparkconv.spark.allreduce.ExchangeSecurity;
import org.sparkconv.spark.allreduce.Rendezvous;
import org.sparkconv.spark.checkpoint.Checkpointing;
import org.sparkconv.spark.data.RoundPlan;
import org.sparkconv.spark.data.ShardedData;
import org.sparkconv.spark.wire.ConfusionCounts;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.wire.SparkActions;
import org.sparkconv.spark.worker.PartitionEvaluation;
import org.sparkconv.spark.worker.TrainingRun;

/**
 * The driver loop of synchronous data-parallel training. Each job runs one round up the tree
 * ({@link TreeRound}) or several rounds of all-reduce among the executors ({@link AllReduceJob});
 * the loop checks each round's loss for divergence, takes the job's model, checkpoints, reports,
 * and evaluates the test set on the executors after every epoch. Failed jobs are retried, then
 * rolled back to the last good state. What differs between ways of synchronising is in the
 * {@link SyncRule}.
 */
public final class SparkTrainer {

  /**
   * What a run produced: the test evaluation after each epoch, the optimizer's final state, the
   * rounds run, the round-by-round record for metrics and reports, and the settings it ran
   * with (the tree, where the all-reduce default could not run).
   */
  public record Result(List<Evaluation> history, Optimizer optimizer, long rounds,
      TrainingHistory record, SparkSettings spark) {}

  private final JavaSparkContext jsc;
  private final PrintStream log;
  private final AtomicInteger injectedFailures = new AtomicInteger();
  private Rendezvous rendezvous; // while an all-reduce run is on
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
    if (spark.reduction().enabled()) {
      int partitions = train.partitions();
      String problem = Preflight.barrierProblem(jsc, partitions, 60);
      if (problem != null && spark.reduction().required()) {
        throw new IllegalStateException(problem);
      }
      if (problem != null) {
        log.printf(Locale.ROOT, "spark: summing up the tree, since all-reduce cannot run here:"
            + " %s%n", problem);
        spark = spark.withReduction(spark.reduction().tree());
      }
    }
    if (!spark.reduction().enabled()) {
      return train(net, train, test, normalization, settings, spark, checkpoints);
    }
    try (Rendezvous opened = Rendezvous.open(jsc.getConf().get("spark.driver.host"),
        ExchangeSecurity.ofSpark())) {
      rendezvous = opened;
      return train(net, train, test, normalization, settings, spark, checkpoints);
    } finally {
      rendezvous = null;
    }
  }

  private Result train(Network net, ShardedData train, ShardedData test,
      Normalization normalization, TrainSettings settings, SparkSettings spark,
      Checkpointing checkpoints) {
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
            + " per epoch, %s, %s%n", plan.partitions(), jsc.master(),
        plan.partitions(), plan.share(0), plan.roundsPerEpoch(), sync.describe(),
        spark.describeSummation());

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
      JobOutcome outcome;
      try {
        outcome = retried(run, sync, train.rdd(), net, optimizer, at, spark, checkpoints,
            progress);
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
      int bad = outcome.firstDiverged(divergence);
      if (bad >= 0) {
        double meanLoss = outcome.rounds().get(bad).lossSum() / outcome.rounds().get(bad).count();
        String what = String.format(Locale.ROOT, "loss became %s at epoch %d, round %d"
                + " (recent reference %.4g, learning rate %g)", meanLoss, at.epoch() + 1,
            outcome.firstRound() + outcome.offset(bad) + 1, divergence.reference(),
            outcome.rates()[bad]);
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
      outcome.adopt().run();
      progress.times().addUpdate(System.nanoTime() - b);
      long roundsBefore = at.roundsDone();
      for (int j = 0; j < outcome.rounds().size(); j++) {
        at = new ModelMetadata.Position(at.epoch(), at.round() + outcome.steps()[j],
            at.roundsDone() + 1);
        progress.round(at.epoch(), at.roundsDone(), outcome.rounds().get(j),
            outcome.rates()[j]);
      }
      boolean written = checkpoints.afterRound(net, optimizer, at, log);
      int every = recovery.snapshotRounds();
      if (written || every > 0 && at.roundsDone() / every > roundsBefore / every) {
        good = Snapshot.take(net, optimizer, at, history.size());
      }
    }
    if (history.isEmpty() || spark.maxRounds() > 0 && history.size() < settings.epochs()) {
      history.add(evaluate(test.rdd(), run, net, spark.treeDepth()));
    }
    return new Result(history, optimizer, at.roundsDone(), progress.history(), spark);
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
   * The next job (one round up the tree, or several rounds of all-reduce), run again with
   * backoff while it fails in a way that may pass (a lost executor, a filesystem hiccup); a
   * failure of the data or the code is thrown at once.
   */
  private JobOutcome retried(TrainingRun run, SyncRule sync, JavaRDD<Shard> trainRdd,
      Network net, Optimizer optimizer, ModelMetadata.Position at, SparkSettings spark,
      Checkpointing checkpoints, Progress progress) {
    RecoverySettings recovery = spark.recovery();
    for (int attempt = 0; ; attempt++) {
      try {
        return spark.reduction().enabled()
            ? AllReduceJob.next(jsc, trainRdd, run, sync, net, optimizer, at, spark,
                checkpoints.everyRounds(), rendezvous, progress.times(), this::injectedFault)
            : TreeRound.run(jsc, trainRdd, run, sync, net, optimizer, at, spark.treeDepth(),
                progress.times(), this::injectedFault);
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
    NetworkSummary evaluation = NetworkSummary.of(net.spec(),
        PartitionEvaluation.batchFor(net.spec(), 1), threads);
    NetworkSummary perPartition = training.trainingBytes() >= evaluation.trainingBytes()
        ? training : evaluation;
    Preflight.check(perPartition, spark.tasksStep(), optimizer.slots().length, resultBytes,
        plan.partitions(), spark.treeDepth(),
        jsc.getConf(), SparkResources.concurrentTasks(jsc), SparkResources.executorMemory(jsc),
        shardBytes);
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
