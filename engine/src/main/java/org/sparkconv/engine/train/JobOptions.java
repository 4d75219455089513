package org.sparkconv.engine.train;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The command-line options every training entry point shares (a picocli mixin): the job file,
 * {@code --set} overrides, and the data folder and output that override the file's.
 */
public final class JobOptions {

  @Option(names = "--job", description = "Job file (JSON): a local path, e.g."
      + " conf/jobs/lenet5-fashion.json, or any Hadoop URI (required)")
  String job;

  @Option(names = "--list-settings", description = "List every setting --set takes, with its"
      + " type, default and meaning, and exit")
  boolean listSettings;

  @Option(names = "--set", paramLabel = "SETTING=VALUE", description = "Override a job"
      + " setting, e.g. --set epochs=3 --set optimizer.lr=0.05 (repeatable)")
  List<String> sets = new ArrayList<>();

  @Option(names = "--data-dir", description = "Folder or URI holding the data files"
      + " (overrides data.dir)")
  String dataDir;

  @Option(names = "--output", description = "Model file to write (overrides output)")
  String output;

  @Option(names = "--overwrite", description = "Replace the output model file if it exists")
  boolean overwrite;

  @Option(names = "--verbose", description = "Print stack traces with errors, and Spark's"
      + " INFO log")
  boolean verbose;

  /** Whether {@code --verbose} was given. */
  public boolean verbose() {
    return verbose;
  }

  /** The job file as given: a local path or a Hadoop URI; fails when none was. */
  public String job() {
    if (job == null) {
      throw new IllegalArgumentException("--job is required: a job file such as"
          + " conf/jobs/lenet5-fashion.json (--list-settings shows what it may hold)");
    }
    return job;
  }

  /** Whether {@code --list-settings} was given. */
  public boolean listSettings() {
    return listSettings;
  }

  /** Whether an existing output model may be replaced. */
  public boolean overwrite() {
    return overwrite;
  }

  /** Every override, {@code --data-dir} and {@code --output} included. */
  public List<String> overrides() {
    return JobFile.overrides(sets, dataDir, output);
  }
}
