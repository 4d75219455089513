package org.sparkconv.spark.train;

import org.sparkconv.engine.train.JobSettings;

/**
 * How the replicas' contributions are summed (settings of the {@code spark} section). The
 * default is all-reduce, measured faster than the tree on every model and cluster shape here
 * (README); when barrier mode cannot run the job (more partitions than task slots, dynamic
 * allocation) and all-reduce was not asked for by name, the tree is used and the log says why.
 *
 * @param enabled {@code spark.sync}: {@code tree} sends every round's contributions up a
 *     {@code treeAggregate} to the driver, one Spark job per round; {@code allreduce} runs one
 *     barrier-mode job per {@code roundsPerJob} rounds whose tasks sum among themselves
 * @param roundsPerJob rounds one all-reduce job runs at most ({@code rounds_per_job}); a job
 *     also ends at each epoch end, checkpoint and {@code max_rounds}
 * @param timeoutSeconds how long a replica waits for a peer before it fails the job's stage
 *     (Spark then runs the stage again) ({@code exchange_timeout_seconds})
 * @param required all-reduce was asked for by name: where it cannot run, the job stops
 *     instead of falling back to the tree
 */
public record AllReduceSettings(boolean enabled, int roundsPerJob, double timeoutSeconds,
    boolean required) {

  /** Rounds of one job are numbered in 20 bits of the exchange's message tags. */
  static final int MAX_ROUNDS_PER_JOB = (1 << 20) - 1;

  public static final AllReduceSettings TREE = new AllReduceSettings(false, 50, 120, false);

  /** The job files' default: all-reduce where barrier mode can run, else the tree. */
  public static final AllReduceSettings DEFAULT = new AllReduceSettings(true, 50, 120, false);

  /** All-reduce, required, with {@code roundsPerJob} rounds per job and the default timeout. */
  public static AllReduceSettings allReduce(int roundsPerJob) {
    return new AllReduceSettings(true, roundsPerJob, TREE.timeoutSeconds, true);
  }

  /** The tree with the same other settings. */
  AllReduceSettings tree() {
    return new AllReduceSettings(false, roundsPerJob, timeoutSeconds, false);
  }

  /** The settings of a {@code spark} section, strictly. */
  static AllReduceSettings parse(JobSettings s, AllReduceSettings defaults) {
    String sync = s.text("sync", defaults.enabled ? "allreduce" : "tree");
    boolean named = s.has("sync");
    if (!sync.equals("tree") && !sync.equals("allreduce")) {
      throw s.error("sync", "must be \"tree\" or \"allreduce\", got \"" + sync + "\"");
    }
    double timeout = s.number("exchange_timeout_seconds", (float) defaults.timeoutSeconds);
    if (!(timeout > 0)) {
      throw s.error("exchange_timeout_seconds", "must be > 0, got " + timeout);
    }
    int roundsPerJob = s.integer("rounds_per_job", defaults.roundsPerJob, 1);
    if (roundsPerJob > MAX_ROUNDS_PER_JOB) {
      throw s.error("rounds_per_job", "must be at most " + MAX_ROUNDS_PER_JOB + ", got "
          + roundsPerJob);
    }
    return new AllReduceSettings(sync.equals("allreduce"), roundsPerJob, timeout,
        named && sync.equals("allreduce"));
  }

  long timeoutMillis() {
    return (long) (timeoutSeconds * 1000);
  }

  public String describe() {
    return enabled ? "all-reduce between executors, up to " + roundsPerJob + " rounds per job"
        : "tree aggregation to the driver, one job per round";
  }
}
