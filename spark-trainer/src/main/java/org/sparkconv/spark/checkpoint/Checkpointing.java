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
public final class Checkpointing implements AutoCloseable {

  /** No checkpoints: start from round 1, write none. */
  public static final Checkpointing NONE = new Checkpointing(null, CheckpointSettings.NONE, null,
      null, ModelMetadata.NONE, null);

  private static final ModelMetadata.Position START = new ModelMetadata.Position(0, 0, 0);

  private final CheckpointStore store;
  private final CheckpointSettings settings;
  private final JobFingerprint fingerprint;
  private final CheckpointStore.Loaded resumeFrom;
  private final ModelMetadata metadata;
  private final Lease lease;
  private String newest;

  private Checkpointing(CheckpointStore store, CheckpointSettings settings,
      JobFingerprint fingerprint, CheckpointStore.Loaded resumeFrom, ModelMetadata metadata,
      Lease lease) {
    this.store = store;
    this.settings = settings;
    this.fingerprint = fingerprint;
    this.resumeFrom = resumeFrom;
    this.metadata = metadata;
    this.lease = lease;
    this.newest = resumeFrom == null ? null : resumeFrom.name();
  }

  /**
   * Takes the directory's lease for {@code holder} (refused while another live job holds it),
   * removes what interrupted writes left behind, reads the checkpoints there and, when resuming
   * is on, picks the newest valid one; refuses one written by a different job (unless forced),
   * saying which settings differ. {@code metadata} (the normalisation) goes into every
   * checkpoint written. Close it when the run ends, to release the lease.
   */
  public static Checkpointing open(CheckpointStore store, CheckpointSettings settings,
      JobFingerprint fingerprint, ModelMetadata metadata, String holder, PrintStream log)
      throws IOException {
    Lease lease = Lease.acquire(store.dir(), holder, settings.leaseSeconds(), settings.force(),
        store.configuration(), log);
    try {
      store.removeOrphans();
      CheckpointStore.Loaded newestValid = store.scan(fingerprint).orElse(null);
      CheckpointStore.Loaded loaded = settings.resume() ? resumable(newestValid, settings,
          fingerprint, log) : null;
      if (loaded == null) {
        log.printf("checkpoint: %s in %s, starting from round 1%n", settings.resume()
            ? "no usable checkpoint" : "resume is off, checkpoints go", store.dir());
      }
      return new Checkpointing(store, settings, fingerprint, loaded, metadata, lease);
    } catch (IOException | RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  private static CheckpointStore.Loaded resumable(CheckpointStore.Loaded loaded,
      CheckpointSettings settings, JobFingerprint fingerprint, PrintStream log) {
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
    return loaded;
  }

  /** Releases the checkpoint directory's lease. */
  @Override
  public void close() {
    if (lease != null) {
      lease.close();
    }
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

  /** Rounds between checkpoints; 0 when only epochs (or nothing) are checkpointed. */
  public int everyRounds() {
    return settings.everyRounds();
  }

  /**
   * Writes a checkpoint if one is due after round {@code position.roundsDone()}; returns
   * whether one was written.
   */
  public boolean afterRound(Network net, Optimizer optimizer, ModelMetadata.Position position,
      PrintStream log) {
    return settings.everyRounds() > 0 && position.roundsDone() % settings.everyRounds() == 0
        && save(net, optimizer, position, log);
  }

  /** Writes a checkpoint if one is due at the end of an epoch; returns whether one was. */
  public boolean afterEpoch(Network net, Optimizer optimizer, ModelMetadata.Position position,
      PrintStream log) {
    return settings.everyEpoch() && save(net, optimizer, position, log);
  }

  /** Writes a checkpoint of the current model; a failure is reported, not fatal. */
  private boolean save(Network net, Optimizer optimizer, ModelMetadata.Position position,
      PrintStream log) {
    if (store == null) {
      return false;
    }
    try {
      var path = store.save(ModelFile.of(net, optimizer, metadata), position, fingerprint);
      newest = path.toString();
      log.printf("checkpoint: wrote %s%n", path);
      return true;
    } catch (IOException | RuntimeException e) {
      log.printf("checkpoint: WARNING: could not write a checkpoint at round %d (%s); the"
          + " previous one is intact and training goes on%n", position.roundsDone(), e);
      return false;
    }
  }

  /**
   * Where a rerun of the job would resume, as a user reads it in a final error: the newest
   * checkpoint and that running the same command resumes from it, or that progress is lost.
   */
  public String resumeAdvice() {
    if (store == null) {
      return "checkpoints are off, so the progress of this run is lost (set checkpoint.dir to"
          + " keep it)";
    }
    if (newest == null) {
      return "no checkpoint was written in " + store.dir() + " yet; a rerun starts over";
    }
    return "the newest checkpoint is " + newest + "; run the same command again to resume"
        + " from it";
  }
}
