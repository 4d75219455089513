package org.sparkconv.spark.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.spark.allreduce.Rendezvous;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.ReplicaReport;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.wire.SparkActions;
import org.sparkconv.spark.worker.TrainingRun;
import scala.Function1;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * One barrier-mode Spark job running several rounds with the replicas summing among
 * themselves ({@link ReplicaLoop}): the driver broadcasts its model and optimizer once,
 * collects one report per partition at the end, checks that every replica ended with the same
 * bits, and takes the model from partition 0. A failed task fails the stage, which Spark runs
 * again whole from the same broadcast, so a retried job ends exactly where an unfailed one
 * would.
 */
final class AllReduceJob {

  private AllReduceJob() {}

  /**
   * The next job: up to {@code spark.rounds_per_job} rounds, ending early at the epoch's end,
   * the next checkpoint ({@code checkpointEvery} rounds, 0 for none) and {@code max_rounds}, so
   * those happen between jobs as they do between tree rounds. Adopting it loads the model the
   * replicas agreed on. {@code beforeJob} runs just before the Spark job (a test hook).
   */
  static JobOutcome next(JavaSparkContext jsc, JavaRDD<Shard> trainRdd, TrainingRun run,
      SyncRule sync, Network net, Optimizer optimizer, ModelMetadata.Position at,
      SparkSettings spark, int checkpointEvery, Rendezvous rendezvous, RoundTimes times,
      Runnable beforeJob) {
    int perRound = sync.stepsPerRound();
    int dataRounds = run.plan().roundsPerEpoch();
    long rounds = Math.min(spark.reduction().roundsPerJob(),
        (dataRounds - at.round() + perRound - 1) / perRound);
    if (spark.maxRounds() > 0) {
      rounds = Math.min(rounds, spark.maxRounds() - at.roundsDone());
    }
    if (checkpointEvery > 0) {
      rounds = Math.min(rounds, checkpointEvery - at.roundsDone() % checkpointEvery);
    }
    int jobRounds = (int) Math.max(1, rounds);
    ReplicaReport report = SparkActions.run(() -> {
      beforeJob.run();
      return run(jsc, trainRdd, run, sync, net, optimizer, at.epoch(), at.round(), jobRounds,
          spark.reduction(), rendezvous, times);
    });
    List<Contribution> perRoundSums = new ArrayList<>();
    int[] steps = new int[jobRounds];
    float[] rates = new float[jobRounds];
    int round = at.round();
    for (int j = 0; j < jobRounds; j++) {
      steps[j] = Math.min(perRound, dataRounds - round);
      rates[j] = run.rate(run.step(at.epoch(), round));
      perRoundSums.add(new Contribution(new float[0], report.lossSums()[j], report.counts()[j],
          report.correct()[j], 0));
      round += steps[j];
    }
    ModelVector end = report.model();
    return new JobOutcome(at.round(), perRoundSums, steps, rates, () -> {
      net.load(end.params(), end.state());
      for (int k = 0; k < end.slots().length; k++) {
        System.arraycopy(end.slots()[k], 0, optimizer.slots()[k], 0, end.slots()[k].length);
      }
      optimizer.steps(end.optimizerSteps());
    });
  }

  private static ReplicaReport run(JavaSparkContext jsc, JavaRDD<Shard> shards, TrainingRun run,
      SyncRule sync, Network net, Optimizer optimizer, int epoch, int firstRound, int rounds,
      AllReduceSettings settings, Rendezvous rendezvous, RoundTimes times) {
    long b0 = System.nanoTime();
    Broadcast<ModelVector> start = jsc.broadcast(new ModelVector(net.params(), net.state(),
        optimizer.slots(), optimizer.steps()));
    long b1 = System.nanoTime();
    long timeout = settings.timeoutMillis();
    String meetAt = rendezvous.contact();
    long job = rendezvous.nextJob();
    try {
      Function1<Iterator<Shard>, Iterator<ReplicaReport>> replica =
          (Function1<Iterator<Shard>, Iterator<ReplicaReport>> & Serializable) it ->
              CollectionConverters.asScala(List.of(ReplicaLoop.run(it.next(), run, sync,
                  start.value(), epoch, firstRound, rounds, meetAt, job, timeout)).iterator());
      ClassTag<ReplicaReport> tag = ClassTag$.MODULE$.apply(ReplicaReport.class);
      RDD<ReplicaReport> reports = shards.rdd().barrier().mapPartitions(replica, false, tag);
      List<ReplicaReport> all = new JavaRDD<>(reports, tag).collect();
      long b2 = System.nanoTime();
      ReplicaReport first = check(all, shards.getNumPartitions());
      long compute = all.stream().mapToLong(ReplicaReport::computeNanos).max().orElse(0);
      times.addAllReduceJob(rounds, b1 - b0, compute, first.reduceNanos(),
          b2 - b1 - compute - first.reduceNanos());
      return first;
    } finally {
      start.destroy();
    }
  }

  /** Partition 0's report, once every replica has reported the same final model. */
  static ReplicaReport check(List<ReplicaReport> all, int partitions) {
    if (all.size() != partitions) {
      throw new IllegalStateException("the all-reduce job returned " + all.size()
          + " reports for " + partitions + " partitions");
    }
    ReplicaReport first = all.stream().filter(r -> r.partition() == 0).findFirst()
        .orElseThrow(() -> new IllegalStateException("no report from partition 0"));
    for (ReplicaReport r : all) {
      if (r.checksum() != first.checksum()) {
        throw new IllegalStateException(String.format(Locale.ROOT, "replicas disagree after"
                + " an all-reduce job: partition %d ended with checksum %x, partition 0 with"
                + " %x; the model is not taken (a bug: replicas must apply identical sums)",
            r.partition(), r.checksum(), first.checksum()));
      }
      if (!Arrays.equals(r.lossSums(), first.lossSums())) {
        throw new IllegalStateException("replicas saw different summed losses in one job");
      }
    }
    if (first.model() == null) {
      throw new IllegalStateException("partition 0 sent no model back");
    }
    return first;
  }
}
