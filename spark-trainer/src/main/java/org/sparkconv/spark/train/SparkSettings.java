package org.sparkconv.spark.train;

import java.util.Set;
import org.sparkconv.engine.train.JobSettings;

/**
 * The {@code spark} section of a job file.
 *
 * @param sync how replicas are kept in step ({@code mode}: {@code gradient}, or
 *     {@code parameter} with {@code local_steps})
 * @param partitions data partitions (0: the context's default parallelism)
 * @param treeDepth depth of {@code treeAggregate}
 * @param maxRounds stop after this many rounds (0: train all epochs); for benchmarks and tests
 * @param progressSeconds seconds between progress lines (0: one per round)
 * @param recovery how failures and divergence are ridden out inside the job
 * @param reduction how contributions are summed: up a tree to the driver, or among the
 *     executors ({@code sync}, {@code rounds_per_job}, {@code exchange_timeout_seconds})
 */
public record SparkSettings(SyncRule sync, int partitions, int treeDepth, int maxRounds,
    double progressSeconds, RecoverySettings recovery, AllReduceSettings reduction) {

  /** What a job file without a {@code spark} section gets. */
  public static final SparkSettings DEFAULT = new SparkSettings(new GradientAveraging(), 0, 2, 0,
      5, RecoverySettings.DEFAULT, AllReduceSettings.DEFAULT);

  /**
   * Settings with the default recovery, summing up the tree (programmatic use; add
   * {@link #withReduction} for all-reduce).
   */
  public SparkSettings(SyncRule sync, int partitions, int treeDepth, int maxRounds,
      double progressSeconds) {
    this(sync, partitions, treeDepth, maxRounds, progressSeconds, RecoverySettings.DEFAULT,
        AllReduceSettings.TREE);
  }

  /** Parses the section strictly; errors name the file (or --set) and {@code spark.<field>}. */
  public static SparkSettings parse(JobSettings s) {
    s.rejectUnknown(Set.of("mode", "local_steps", "partitions", "tree_depth", "max_rounds",
        "progress_seconds", "round_retries", "retry_backoff_seconds", "recoveries",
        "snapshot_rounds", "divergence_factor", "divergence_lr_scale", "divergence_retries",
        "sync", "rounds_per_job", "exchange_timeout_seconds"));
    int k = s.integer("local_steps", 1, 1);
    SyncRule sync;
    try {
      sync = SyncRule.named(s.text("mode", DEFAULT.sync.mode()), k);
    } catch (IllegalArgumentException e) {
      throw s.error("mode", e.getMessage());
    }
    double progress = s.number("progress_seconds", (float) DEFAULT.progressSeconds);
    if (!(progress >= 0)) {
      throw s.error("progress_seconds", "must be a number >= 0, got " + progress);
    }
    return new SparkSettings(sync, s.integer("partitions", DEFAULT.partitions, 0),
        s.integer("tree_depth", DEFAULT.treeDepth, 1), s.integer("max_rounds", 0, 0), progress,
        RecoverySettings.parse(s), AllReduceSettings.parse(s, DEFAULT.reduction));
  }

  /** The same settings with {@code recovery} instead. */
  public SparkSettings withRecovery(RecoverySettings recovery) {
    return new SparkSettings(sync, partitions, treeDepth, maxRounds, progressSeconds, recovery,
        reduction);
  }

  /** The same settings with {@code sync} as the synchronisation rule. */
  public SparkSettings withSync(SyncRule sync) {
    return new SparkSettings(sync, partitions, treeDepth, maxRounds, progressSeconds, recovery,
        reduction);
  }

  /**
   * Whether a training task steps an optimizer on its own replica, so holds parameters and
   * optimizer state of its own: local steps, or all-reduce, where every replica applies the
   * round's sum itself (counted so even where the job falls back to the tree).
   */
  public boolean tasksStep() {
    return sync.stepsInTasks() || reduction.enabled();
  }

  /** How contributions are summed, as logs and reports say it. */
  public String describeSummation() {
    return reduction.enabled() ? reduction.describe() : "tree depth " + treeDepth;
  }

  /** The same settings with {@code reduction} as the way contributions are summed. */
  public SparkSettings withReduction(AllReduceSettings reduction) {
    return new SparkSettings(sync, partitions, treeDepth, maxRounds, progressSeconds, recovery,
        reduction);
  }
}
