package org.sparkconv.spark.job;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.sparkconv.engine.train.JobConfig;
import org.sparkconv.engine.train.JobFile;
import org.sparkconv.engine.train.JobSettings;
import org.sparkconv.spark.checkpoint.CheckpointSettings;
import org.sparkconv.spark.train.SparkSettings;

/**
 * A training job file as the Spark trainer reads it, every section typed: the engine's part
 * (model, data, training, normalisation, output), the {@code spark} section and the
 * {@code checkpoint} section. Errors name the file (or the {@code --set}) and the setting.
 */
public record TrainJobFile(JobConfig job, SparkSettings spark, CheckpointSettings checkpoint) {

  private static final Set<String> OWN_SECTIONS = Set.of("spark", "checkpoint");

  /** Reads {@code path} with {@code overrides} ({@code setting=value}) applied. */
  public static TrainJobFile read(Path path, List<String> overrides) {
    JobFile file = JobFile.read(path, overrides);
    JobSettings top = file.settings();
    return new TrainJobFile(JobConfig.parse(file, OWN_SECTIONS),
        SparkSettings.parse(top.child("spark")),
        CheckpointSettings.parse(top.child("checkpoint")));
  }
}
