package org.sparkconv.spark.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
    Progress progress = new Progress(log, settings.epochs(), totalRounds, at.roundsDone(),
        spark.progressSeconds());
    List<Evaluation> history = new ArrayList<>();
    long rounds = at.roundsDone();
    epochs:
    for (int epoch = at.epoch(); epoch < settings.epochs(); epoch++) {
      progress.startEpoch();
      for (int round = epoch == at.epoch() ? at.round() : 0; round < dataRounds;
          round += perRound) {
        if (spark.maxRounds() > 0 && rounds >= spark.maxRounds()) {
          break epochs;
        }
        int steps = Math.min(perRound, dataRounds - round);
        float lr = run.rate(run.step(epoch, round));
        Contribution sum = round(train.rdd(), run, sync, net, optimizer, epoch, round, steps,
            lr, spark.treeDepth(), progress.times());
        rounds++;
        checkpoints.afterRound(net, optimizer, new ModelMetadata.Position(epoch, round + steps,
            rounds), log);
        progress.round(epoch, rounds, sum, lr);
      }
      Evaluation eval = evaluate(test.rdd(), run, net, spark.treeDepth());
      history.add(eval);
      checkpoints.afterEpoch(net, optimizer, new ModelMetadata.Position(epoch + 1, 0, rounds),
          log);
      progress.endEpoch(epoch, eval);
    }
    if (history.isEmpty() || spark.maxRounds() > 0 && history.size() < settings.epochs()) {
      history.add(evaluate(test.rdd(), run, net, spark.treeDepth()));
    }
    return new Result(history, optimizer, rounds);
  }

  private void preflight(Network net, ShardedData train, ShardedData test, RoundPlan plan,
      Optimizer optimizer, SparkSettings spark) {
    long resultBytes = 4L * spark.sync().layout(net.params().length, net.state().length,
        optimizer.slots().length).size();
    long shardBytes = (long) train.shape().size() * (train.count() + test.count())
        / plan.partitions();
    NetworkSummary perPartition = NetworkSummary.of(net.spec(), plan.share(0),
        ComputeContext.defaults().parallel().threads());
    Preflight.check(perPartition, resultBytes, plan.partitions(), spark.treeDepth(),
        jsc.getConf(), SparkResources.concurrentTasks(jsc), SparkResources.executorMemory(jsc),
        shardBytes);
  }

  /**
   * One synchronous round: broadcast, every partition's contribution to data rounds
   * [round, round + steps), summed on the way to the driver, the rule's update, the broadcast
   * destroyed.
   */
  private Contribution round(JavaRDD<Shard> trainRdd, TrainingRun run, SyncRule sync,
      Network net, Optimizer optimizer, int epoch, int round, int steps, float lr, int depth,
      RoundTimes times) {
    long b0 = System.nanoTime();
    Broadcast<ModelVector> model = jsc.broadcast(sync.broadcast(net, optimizer));
    long b1 = System.nanoTime();
    Contribution sum = SparkActions.run(() -> trainRdd.treeAggregate(null,
        (acc, shard) -> Contribution.merge(acc,
            sync.compute(shard, run, model.value(), epoch, round, steps)),
        Contribution::merge, depth));
    long b2 = System.nanoTime();
    model.destroy();
    if (!Double.isFinite(sum.lossSum())) {
      throw new TrainingDivergedException(String.format(Locale.ROOT, "loss became %s at epoch"
              + " %d, round %d (learning rate %g): lower optimizer.lr or set optimizer.clip_norm;"
              + " no model was written", sum.lossSum(), epoch + 1, round + 1, lr));
    }
    sync.apply(sum, net, optimizer, steps, lr);
    times.add(b1 - b0, sum.computeNanos(), b2 - b1 - sum.computeNanos(),
        System.nanoTime() - b2);
    return sum;
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
