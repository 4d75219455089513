package org.sparkconv.spark.train;

import java.util.Locale;

/**
 * Where the time of a round goes, summed over an epoch: broadcasting the model, the longest
 * partition's compute, aggregation plus scheduling (the rest of the Spark job), and the driver's
 * update.
 */
public final class RoundTimes {

  private long rounds;
  private long broadcast;
  private long compute;
  private long aggregateAndSchedule;
  private long update;

  void reset() {
    rounds = broadcast = compute = aggregateAndSchedule = update = 0;
  }

  /** A round's Spark job: its broadcast, longest compute, and aggregation plus scheduling. */
  void add(long broadcastNanos, long computeNanos, long aggregateNanos) {
    rounds++;
    broadcast += broadcastNanos;
    compute += computeNanos;
    aggregateAndSchedule += Math.max(aggregateNanos, 0);
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
    double total = broadcast + compute + aggregateAndSchedule + update;
    return String.format(Locale.ROOT, "%.1f ms = broadcast %.1f + compute %.1f"
            + " + aggregate/schedule %.1f + driver update %.1f (compute %.0f%%)",
        total / rounds / 1e6, broadcast / (double) rounds / 1e6, compute / (double) rounds / 1e6,
        aggregateAndSchedule / (double) rounds / 1e6, update / (double) rounds / 1e6,
        100 * compute / total);
  }
}
