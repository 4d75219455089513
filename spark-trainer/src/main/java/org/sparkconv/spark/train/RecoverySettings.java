package org.sparkconv.spark.train;

import org.sparkconv.engine.train.JobSettings;

/**
 * How a training job rides out failures inside the job (settings of the {@code spark}
 * section).
 *
 * @param roundRetries times a failed round is run again, after Spark's own task retries, before
 *     the job falls back to its last good state ({@code round_retries})
 * @param retryBackoffSeconds wait before the first retry, doubling for each further one
 *     ({@code retry_backoff_seconds})
 * @param recoveries times the job goes back to its last good state (the newest checkpoint or
 *     in-memory snapshot) after a round's retries are spent, before it stops ({@code recoveries})
 * @param snapshotRounds rounds between in-memory snapshots of the model on the driver, besides
 *     one at every checkpoint and epoch end; 0 for none in between ({@code snapshot_rounds})
 * @param divergenceFactor a round whose loss exceeds this multiple of the median of the recent
 *     rounds' losses has diverged, as has one whose loss is NaN or infinite; 0 checks only for
 *     NaN and infinity ({@code divergence_factor})
 * @param lrScale factor applied to the learning rate after a divergence ({@code
 *     divergence_lr_scale})
 * @param divergenceRetries rollbacks after a divergence before the job stops
 *     ({@code divergence_retries})
 */
public record RecoverySettings(int roundRetries, double retryBackoffSeconds, int recoveries,
    int snapshotRounds, double divergenceFactor, double lrScale, int divergenceRetries) {

  public static final RecoverySettings DEFAULT = new RecoverySettings(3, 1.0, 2, 100, 10.0, 0.5,
      3);

  /** The recovery settings of a {@code spark} section, strictly. */
  static RecoverySettings parse(JobSettings s) {
    RecoverySettings d = DEFAULT;
    double backoff = s.number("retry_backoff_seconds", (float) d.retryBackoffSeconds);
    if (!(backoff >= 0)) {
      throw s.error("retry_backoff_seconds", "must be >= 0, got " + backoff);
    }
    double factor = s.number("divergence_factor", (float) d.divergenceFactor);
    if (!(factor == 0 || factor > 1)) {
      throw s.error("divergence_factor", "must be 0 (off) or greater than 1, got " + factor);
    }
    double scale = s.number("divergence_lr_scale", (float) d.lrScale);
    if (!(scale > 0 && scale < 1)) {
      throw s.error("divergence_lr_scale", "must be in (0, 1), got " + scale);
    }
    return new RecoverySettings(s.integer("round_retries", d.roundRetries, 0), backoff,
        s.integer("recoveries", d.recoveries, 0), s.integer("snapshot_rounds", d.snapshotRounds,
        0), factor, scale, s.integer("divergence_retries", d.divergenceRetries, 0));
  }
}
