package org.sparkconv.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;

/**
 * What the trainer does about checkpoints in one run: where they go, when, what job they belong
 * to, and where (if anywhere) the run resumes.
 */
final class Checkpointing {

  static final Checkpointing NONE = new Checkpointing(null, CheckpointSettings.NONE, null, null,
      null);

  final CheckpointStore store;
  final CheckpointSettings settings;
  final JobFingerprint fingerprint;
  final CheckpointStore.Loaded resumeFrom;
  private final String metadata;

  Checkpointing(CheckpointStore store, CheckpointSettings settings, JobFingerprint fingerprint,
      CheckpointStore.Loaded resumeFrom, String metadata) {
    this.store = store;
    this.settings = settings;
    this.fingerprint = fingerprint;
    this.resumeFrom = resumeFrom;
    this.metadata = metadata;
  }

  /**
   * Opens the store and, when resuming is on, finds the newest valid checkpoint; refuses one
   * written by a different job (unless forced), saying which settings differ.
   */
  static Checkpointing open(CheckpointStore store, CheckpointSettings settings,
      JobFingerprint fingerprint, String metadata, PrintStream log) throws IOException {
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

  boolean enabled() {
    return store != null;
  }

  /** Restores parameters, state and optimizer from the checkpoint being resumed. */
  void restore(Network net, Optimizer optimizer) {
    ModelFile m = resumeFrom.model();
    if (m.params().length != net.params().length || m.state().length != net.state().length) {
      throw new IllegalStateException(resumeFrom.name() + " holds " + m.params().length
          + " parameters; the model has " + net.params().length);
    }
    System.arraycopy(m.params(), 0, net.params(), 0, m.params().length);
    System.arraycopy(m.state(), 0, net.state(), 0, m.state().length);
    if (m.optimizerSlots().length != optimizer.slots().length
        || !m.optimizerType().equals(optimizer.spec().type())) {
      throw new IllegalStateException(resumeFrom.name() + " holds " + m.optimizerType()
          + " state with " + m.optimizerSlots().length + " slots; the job's optimizer is "
          + optimizer.spec().type() + " with " + optimizer.slots().length);
    }
    for (int s = 0; s < m.optimizerSlots().length; s++) {
      System.arraycopy(m.optimizerSlots()[s], 0, optimizer.slots()[s], 0, m.params().length);
    }
    optimizer.steps(m.optimizerSteps());
  }

  /** Writes a checkpoint of the current model; a failure is reported, not fatal. */
  void save(Network net, Optimizer optimizer, CheckpointStore.Position position,
      PrintStream log) {
    if (store == null) {
      return;
    }
    try {
      var path = store.save(new ModelFile(net.spec(), net.params(), net.state(),
          optimizer.spec().type(), optimizer.steps(), optimizer.slots(), metadata), position,
          fingerprint);
      log.printf("checkpoint: wrote %s%n", path);
    } catch (IOException | RuntimeException e) {
      log.printf("checkpoint: WARNING: could not write a checkpoint at round %d (%s); the"
          + " previous one is intact and training goes on%n", position.roundsDone(), e);
    }
  }
}
