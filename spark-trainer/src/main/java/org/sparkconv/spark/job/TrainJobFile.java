package org.sparkconv.spark.job;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.sparkconv.engine.train.JobConfig;
import org.sparkconv.engine.train.JobFile;
import org.sparkconv.engine.train.JobSettings;
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
    if (!DriverPaths.isUri(location)) {
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
