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

  void reset() {
    rounds = jobs = broadcast = compute = aggregateAndSchedule = allReduce = update = 0;
  }

  /** A round's Spark job: its broadcast, longest compute, and aggregation plus scheduling. */
  void add(long broadcastNanos, long computeNanos, long aggregateNanos) {
    rounds++;
    jobs++;
    broadcast += broadcastNanos;
    compute += computeNanos;
    aggregateAndSchedule += Math.max(aggregateNanos, 0);
  }

  /** An all-reduce job of {@code jobRounds} rounds. */
  void addAllReduceJob(int jobRounds, long broadcastNanos, long computeNanos,
      long allReduceNanos, long jobNanos) {
    rounds += jobRounds;
    jobs++;
    broadcast += broadcastNanos;
    compute += computeNanos;
    allReduce += allReduceNanos;
    aggregateAndSchedule += Math.max(jobNanos, 0);
  }

  /** The driver's update after the round's job. */
  void addUpdate(long updateNanos) {
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

  /** Mean milliseconds per round by part, the parts this kind of job has. */
  java.util.Map<String, Double> perRound() {
    java.util.Map<String, Double> split = TrainingHistory.split();
    if (rounds == 0) {
      return split;
    }
    if (allReduce > 0) {
      split.put("compute", ms(compute));
      split.put("all-reduce", ms(allReduce));
      split.put("job start/end", ms(aggregateAndSchedule));
      split.put("broadcast + update", ms(broadcast + update));
    } else {
      split.put("broadcast", ms(broadcast));
      split.put("compute", ms(compute));
      split.put("aggregate/schedule", ms(aggregateAndSchedule));
      split.put("driver update", ms(update));
    }
    return split;
  }

  private double ms(long nanos) {
    return nanos / (double) rounds / 1e6;
  }
}
