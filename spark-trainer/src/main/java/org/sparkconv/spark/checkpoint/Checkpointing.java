package org.sparkconv.spark.checkpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;

/**
 * What the trainer does about checkpoints in one run: where they go, when, what job they belong
 * to, and where (if anywhere) the run resumes.
 */
public final class Checkpointing {

  /** No checkpoints: start from round 1, write none. */
  public static final Checkpointing NONE = new Checkpointing(null, CheckpointSettings.NONE, null,
      null, ModelMetadata.NONE);

  private static final ModelMetadata.Position START = new ModelMetadata.Position(0, 0, 0);

  private final CheckpointStore store;
  private final CheckpointSettings settings;
  private final JobFingerprint fingerprint;
  private final CheckpointStore.Loaded resumeFrom;
  private final ModelMetadata metadata;

  private Checkpointing(CheckpointStore store, CheckpointSettings settings,
      JobFingerprint fingerprint, CheckpointStore.Loaded resumeFrom, ModelMetadata metadata) {
    this.store = store;
    this.settings = settings;
    this.fingerprint = fingerprint;
    this.resumeFrom = resumeFrom;
    this.metadata = metadata;
  }

  /**
   * Opens the store and, when resuming is on, finds the newest valid checkpoint; refuses one
   * written by a different job (unless forced), saying which settings differ. {@code metadata}
   * (the normalisation) goes into every checkpoint written.
   */
  public static Checkpointing open(CheckpointStore store, CheckpointSettings settings,
      JobFingerprint fingerprint, ModelMetadata metadata, PrintStream log) throws IOException {
    CheckpointStore.Loaded loaded = null;
    if (settings.resume()) {
      loaded = store.newestValid().orElse(null);
      if (loaded != null) {
        List<String> differences = loaded.fingerprint().differences(fingerprint);
        if (!differences.isEmpty()) {
          String list = String.join("\n  ", differences);
          if (!settings.force()) {
            throw new IllegalStateException("checkpoint " + loaded.name() + " was written by a"
                + " different job; it differs in:\n  " + list + "\nResume anyway with --set"
                + " checkpoint.force=true, or point checkpoint.dir elsewhere.");
          }
          log.println("checkpoint: resuming despite differences (checkpoint.force):\n  " + list);
        }
        log.printf("checkpoint: resuming from %s (epoch %d, round %d, %d rounds done)%n",
            loaded.name(), loaded.position().epoch() + 1, loaded.position().round(),
            loaded.position().roundsDone());
      }
    }
    return new Checkpointing(store, settings, fingerprint, loaded, metadata);
  }

  /**
   * Restores parameters, state and optimizer from the checkpoint being resumed, if any, and
   * returns where training stands: the next round to run (the start when not resuming).
   */
  public ModelMetadata.Position restore(Network net, Optimizer optimizer) {
    if (resumeFrom == null) {
      return START;
    }
    resumeFrom.model().restore(net, optimizer, resumeFrom.name());
    return resumeFrom.position();
  }

  /** Writes a checkpoint if one is due after round {@code position.roundsDone()}. */
  public void afterRound(Network net, Optimizer optimizer, ModelMetadata.Position position,
      PrintStream log) {
    if (settings.everyRounds() > 0 && position.roundsDone() % settings.everyRounds() == 0) {
      save(net, optimizer, position, log);
    }
  }

  /** Writes a checkpoint if one is due at the end of an epoch. */
  public void afterEpoch(Network net, Optimizer optimizer, ModelMetadata.Position position,
      PrintStream log) {
    if (settings.everyEpoch()) {
      save(net, optimizer, position, log);
    }
  }

  /** Writes a checkpoint of the current model; a failure is reported, not fatal. */
  private void save(Network net, Optimizer optimizer, ModelMetadata.Position position,
      PrintStream log) {
    if (store == null) {
      return;
    }
    try {
      var path = store.save(ModelFile.of(net, optimizer, metadata), position, fingerprint);
      log.printf("checkpoint: wrote %s%n", path);
    } catch (IOException | RuntimeException e) {
      log.printf("checkpoint: WARNING: could not write a checkpoint at round %d (%s); the"
          + " previous one is intact and training goes on%n", position.roundsDone(), e);
    }
  }
}
