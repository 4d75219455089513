package org.sparkconv.spark.train;

import java.util.Locale;

/**
 * Where the time of a round goes, summed over an epoch. Tree aggregation: broadcasting the
 * model, the longest partition's compute, aggregation plus scheduling (the rest of the Spark
 * job), and the driver's update. All-reduce: the broadcast, the longest replica's compute
 * (update included), the all-reduce among the replicas, and starting and ending the job
 * (scheduling, the report), the last two shared by the job's rounds.
 */
public final class RoundTimes {

  private long rounds;
  private long jobs;
  private long broadcast;
  private long compute;
  private long aggregateAndSchedule;
  private long allReduce;
  private long update;
  // The last job alone: its rounds and its parts, for the per-round metrics.
  private int lastRounds;
  private long[] last = new long[5]; // broadcast, compute, aggregate/schedule, all-reduce, update

  void reset() {
    rounds = jobs = broadcast = compute = aggregateAndSchedule = allReduce = update = 0;
  }

  /** A round's Spark job: its broadcast, longest compute, and aggregation plus scheduling. */
  void add(long broadcastNanos, long computeNanos, long aggregateNanos) {
    lastRounds = 1;
    last = new long[] {broadcastNanos, computeNanos, Math.max(aggregateNanos, 0), 0, 0};
    rounds++;
    jobs++;
    broadcast += broadcastNanos;
    compute += computeNanos;
    aggregateAndSchedule += Math.max(aggregateNanos, 0);
  }

  /** An all-reduce job of {@code jobRounds} rounds. */
  void addAllReduceJob(int jobRounds, long broadcastNanos, long computeNanos,
      long allReduceNanos, long jobNanos) {
    lastRounds = jobRounds;
    last = new long[] {broadcastNanos, computeNanos, Math.max(jobNanos, 0), allReduceNanos, 0};
    rounds += jobRounds;
    jobs++;
    broadcast += broadcastNanos;
    compute += computeNanos;
    allReduce += allReduceNanos;
    aggregateAndSchedule += Math.max(jobNanos, 0);
  }

  /** The driver's update after the round's job. */
  void addUpdate(long updateNanos) {
    last[4] += updateNanos;
    update += updateNanos;
  }

  @Override
  public String toString() {
    if (rounds == 0) {
      return "no rounds";
    }
    double total = broadcast + compute + aggregateAndSchedule + allReduce + update;
    if (allReduce > 0) {
      return String.format(Locale.ROOT, "%.1f ms = compute %.1f + all-reduce %.1f + job"
              + " start/end %.1f + broadcast %.1f (%.1f rounds per job; compute %.0f%%)",
          total / rounds / 1e6, ms(compute), ms(allReduce), ms(aggregateAndSchedule),
          ms(broadcast + update), rounds / (double) jobs, 100 * compute / total);
    }
    return String.format(Locale.ROOT, "%.1f ms = broadcast %.1f + compute %.1f"
            + " + aggregate/schedule %.1f + driver update %.1f (compute %.0f%%)",
        total / rounds / 1e6, ms(broadcast), ms(compute), ms(aggregateAndSchedule), ms(update),
        100 * compute / total);
  }

  /** The last job's milliseconds per round by part (a tree job is one round). */
  java.util.Map<String, Double> lastJobPerRound() {
    return split(last[0], last[1], last[2], last[3], last[4], lastRounds);
  }

  /** Mean milliseconds per round by part since the epoch began. */
  java.util.Map<String, Double> perRound() {
    return split(broadcast, compute, aggregateAndSchedule, allReduce, update, rounds);
  }

  /** Parts in nanoseconds over {@code n} rounds as milliseconds per round, by kind of job. */
  private static java.util.Map<String, Double> split(long broadcastNanos, long computeNanos,
      long jobNanos, long allReduceNanos, long updateNanos, long n) {
    java.util.Map<String, Double> split = TrainingHistory.split();
    if (n == 0) {
      return split;
    }
    double r = n * 1e6;
    if (allReduceNanos > 0) {
      split.put("compute", computeNanos / r);
      split.put("all-reduce", allReduceNanos / r);
      split.put("job start/end", jobNanos / r);
      split.put("broadcast + update", (broadcastNanos + updateNanos) / r);
    } else {
      split.put("broadcast", broadcastNanos / r);
      split.put("compute", computeNanos / r);
      split.put("aggregate/schedule", jobNanos / r);
      split.put("driver update", updateNanos / r);
    }
    return split;
  }

  private double ms(long nanos) {
    return nanos / (double) rounds / 1e6;
  }
}
