package org.sparkconv.spark.job;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.sparkconv.engine.io.Locations;
import org.sparkconv.engine.train.JobConfig;
import org.sparkconv.engine.train.JobFile;
import org.sparkconv.engine.train.JobSettings;
import org.sparkconv.engine.train.SettingHelp;
import org.sparkconv.spark.checkpoint.CheckpointSettings;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.train.SparkSettings;

/**
 * A training job file as the Spark trainer reads it, every section typed: the engine's part
 * (model, data, training, normalisation, output), the {@code spark} section and the
 * {@code checkpoint} section. Errors name the file (or the {@code --set}) and the setting.
 */
public record TrainJobFile(JobConfig job, SparkSettings spark, CheckpointSettings checkpoint) {

  private static final Set<String> OWN_SECTIONS = Set.of("spark", "checkpoint");

  /** Every setting a Spark job file takes: the engine's, then the spark and checkpoint ones. */
  public static final List<SettingHelp> SETTINGS = java.util.stream.Stream.concat(
      SettingHelp.JOB.stream(), java.util.stream.Stream.of(
          new SettingHelp("spark.mode", "text", "gradient", "gradient (synchronous SGD) or"
              + " parameter (averaging after local steps)"),
          new SettingHelp("spark.local_steps", "integer", "1", "parameter: local steps per round"),
          new SettingHelp("spark.sync", "text", "allreduce", "allreduce (among executors) or"
              + " tree (through the driver)"),
          new SettingHelp("spark.rounds_per_job", "integer", "50", "allreduce: rounds per Spark"
              + " job at most"),
          new SettingHelp("spark.exchange_timeout_seconds", "number", "120", "allreduce: wait"
              + " for a peer at most"),
          new SettingHelp("spark.partitions", "integer", "0", "data partitions (0: default"
              + " parallelism)"),
          new SettingHelp("spark.tree_depth", "integer", "2", "tree: treeAggregate depth"),
          new SettingHelp("spark.max_rounds", "integer", "0", "stop after this many rounds"
              + " (0: all epochs)"),
          new SettingHelp("spark.progress_seconds", "number", "5", "seconds between progress"
              + " lines (0: every round)"),
          new SettingHelp("spark.round_retries", "integer", "3", "reruns of a failed round"),
          new SettingHelp("spark.retry_backoff_seconds", "number", "1", "first wait before a"
              + " rerun, doubling"),
          new SettingHelp("spark.recoveries", "integer", "2", "returns to the last good state"),
          new SettingHelp("spark.snapshot_rounds", "integer", "100", "rounds between in-memory"
              + " snapshots"),
          new SettingHelp("spark.divergence_factor", "number", "10", "loss over this times the"
              + " recent median diverged (0: NaN only)"),
          new SettingHelp("spark.divergence_lr_scale", "number", "0.5", "learning rate factor"
              + " after a divergence"),
          new SettingHelp("spark.divergence_retries", "integer", "3", "rollbacks after"
              + " divergence"),
          new SettingHelp("checkpoint.dir", "URI", "-", "checkpoints (any Hadoop URI; off"
              + " without)"),
          new SettingHelp("checkpoint.every_rounds", "integer", "0", "rounds between"
              + " checkpoints (0: epochs only)"),
          new SettingHelp("checkpoint.every_epoch", "boolean", "true", "a checkpoint at every"
              + " epoch end"),
          new SettingHelp("checkpoint.keep", "integer", "3", "newest valid checkpoints kept"),
          new SettingHelp("checkpoint.resume", "boolean", "true", "resume from the newest"
              + " valid one"),
          new SettingHelp("checkpoint.force", "boolean", "false", "take over another job's"
              + " directory"),
          new SettingHelp("checkpoint.lease_seconds", "integer", "120", "lease on the"
              + " directory"))).toList();

  /** Reads the local file {@code path} with {@code overrides} ({@code setting=value}) applied. */
  public static TrainJobFile read(Path path, List<String> overrides) {
    return of(JobFile.read(path, overrides));
  }

  /**
   * Reads the job file at {@code location} (any Hadoop URI; a plain path is the local disk)
   * through Hadoop's FileSystem API, as a driver in cluster deploy mode must; relative locations
   * inside resolve against the file's own folder.
   */
  public static TrainJobFile read(String location, List<String> overrides,
      Configuration conf) {
    if (!Locations.isUri(location)) {
      return read(Path.of(location), overrides);
    }
    String text = HadoopFiles.readText(location, "job file", conf);
    String base = location.substring(0, location.lastIndexOf('/'));
    return of(JobFile.parse(text, location, base, overrides));
  }

  private static TrainJobFile of(JobFile file) {
    JobSettings top = file.settings();
    return new TrainJobFile(JobConfig.parse(file, OWN_SECTIONS),
        SparkSettings.parse(top.child("spark")),
        CheckpointSettings.parse(top.child("checkpoint")));
  }
}
