package org.sparkconv.spark.checkpoint;

import java.util.Set;
import org.sparkconv.engine.train.JobSettings;

/**
 * The {@code checkpoint} section of a job file.
 *
 * @param dir where checkpoints go: any Hadoop FileSystem URI or path; null disables them
 * @param everyRounds write one every this many rounds (0: not by rounds)
 * @param everyEpoch write one at the end of every epoch
 * @param keep how many complete checkpoints to keep (older ones are deleted after a newer one is
 *     complete)
 * @param resume resume from the newest valid checkpoint in {@code dir} when there is one
 * @param force resume even if the checkpoint's job configuration differs from this job's, and
 *     take over the directory's lease from a job that still looks alive
 * @param leaseSeconds a lease not renewed for this long belongs to a dead job
 */
public record CheckpointSettings(String dir, int everyRounds, boolean everyEpoch, int keep,
    boolean resume, boolean force, int leaseSeconds) {

  public static final CheckpointSettings NONE =
      new CheckpointSettings(null, 0, true, 3, true, false, 120);

  /** Settings with the default lease time. */
  public CheckpointSettings(String dir, int everyRounds, boolean everyEpoch, int keep,
      boolean resume, boolean force) {
    this(dir, everyRounds, everyEpoch, keep, resume, force, NONE.leaseSeconds);
  }

  public boolean enabled() {
    return dir != null;
  }

  /** Parses the section strictly; errors name the file (or --set) and the setting. */
  public static CheckpointSettings parse(JobSettings s) {
    s.rejectUnknown(Set.of("dir", "every_rounds", "every_epoch", "keep", "resume", "force",
        "lease_seconds"));
    String dir = s.has("dir") && !s.get("dir").isNull() ? s.text("dir") : null;
    return new CheckpointSettings(dir, s.integer("every_rounds", 0, 0),
        s.bool("every_epoch", true), s.integer("keep", 3, 1), s.bool("resume", true),
        s.bool("force", false), s.integer("lease_seconds", NONE.leaseSeconds, 1));
  }
}
