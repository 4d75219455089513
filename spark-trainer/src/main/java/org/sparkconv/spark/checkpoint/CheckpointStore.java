package org.sparkconv.spark.checkpoint;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.spark.data.HadoopFiles;

/**
 * Checkpoints in one directory of any Hadoop FileSystem, named {@code ckpt-<rounds>.spcv} by the
 * number of rounds done. Each is an engine model file (CRC32-checked) whose metadata holds the
 * position in training and the job's fingerprint. Writes are atomic. Retention counts only the
 * checkpoints known to be valid and of this job (found so by {@link #scan}, or written by this
 * store): after a write completes, all but the newest {@code keep} of those are deleted, so a
 * corrupt or foreign file, whatever its name, never pushes a good checkpoint out.
 */
public final class CheckpointStore {

  private static final Pattern NAME = Pattern.compile("ckpt-(\\d{12})\\.spcv");
  /** Temporary files of interrupted writes (and their checksum files on local disks). */
  private static final Pattern ORPHAN =
      Pattern.compile("\\.+ckpt-\\d{12}\\.spcv\\..*\\.tmp(\\.crc)?");

  /** A checkpoint that decoded and checked out. */
  public record Loaded(String name, ModelFile model) {

    public ModelMetadata.Position position() {
      return model.metadata().position();
    }

    public JobFingerprint fingerprint() {
      return new JobFingerprint(model.metadata().job());
    }
  }

  private final Path dir;
  private final int keep;
  private final Configuration conf;
  private final PrintStream log;
  private final List<Path> ours = new ArrayList<>(); // valid and this job's, oldest first

  public CheckpointStore(String dir, int keep, Configuration conf, PrintStream log) {
    this.dir = HadoopFiles.path(dir);
    this.keep = keep;
    this.conf = conf;
    this.log = log;
  }

  Configuration configuration() {
    return conf;
  }

  /** The directory, as a Hadoop path. */
  public Path dir() {
    return dir;
  }

  /**
   * Writes {@code model} as the checkpoint at {@code position} of the job
   * {@code fingerprint}, atomically, then applies retention; returns its path.
   */
  public Path save(ModelFile model, ModelMetadata.Position position, JobFingerprint fingerprint)
      throws IOException {
    ModelFile checkpoint = model.withMetadata(model.metadata().atCheckpoint(position,
        fingerprint.settings()));
    Path target = new Path(dir, String.format("ckpt-%012d.spcv", position.roundsDone()));
    HadoopFiles.writeAtomically(target, checkpoint.encode(), conf);
    ours.remove(target);
    ours.add(target);
    ours.sort((a, b) -> a.getName().compareTo(b.getName()));
    while (ours.size() > keep) {
      dir.getFileSystem(conf).delete(ours.remove(0), false);
    }
    return target;
  }

  /** Complete checkpoints, oldest first (temporary files are not listed). */
  public List<Path> list() throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    List<Path> out = new ArrayList<>();
    FileStatus[] statuses;
    try {
      statuses = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return out;
    }
    for (FileStatus s : statuses) {
      if (s.isFile() && NAME.matcher(s.getPath().getName()).matches()) {
        out.add(s.getPath());
      }
    }
    out.sort((a, b) -> a.getName().compareTo(b.getName()));
    return out;
  }

  /**
   * The newest checkpoint that decodes and carries a position; each unusable newer one (bad CRC,
   * wrong magic, truncated) is reported by name and skipped.
   */
  public Optional<Loaded> newestValid() throws IOException {
    return scan(null);
  }

  /**
   * Reads every checkpoint in the directory, newest first: reports each unusable one by name,
   * returns the newest valid one, and counts for retention those of the job {@code job} (null:
   * none, for read-only use).
   */
  public Optional<Loaded> scan(JobFingerprint job) throws IOException {
    List<Path> all = list();
    Loaded newest = null;
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      try {
        ModelFile model = ModelFile.decode(HadoopFiles.readAll(p, conf), p.toString());
        if (!model.metadata().isCheckpoint()) {
          throw new IllegalArgumentException(p + ": is a model file but not a checkpoint");
        }
        Loaded loaded = new Loaded(p.toString(), model);
        if (job != null && loaded.fingerprint().differences(job).isEmpty()) {
          ours.add(0, p);
        }
        if (newest == null) {
          newest = loaded;
          if (job == null) {
            break;
          }
        }
      } catch (IllegalArgumentException | IOException e) {
        log.println("checkpoint: " + p.getName() + " is unusable and skipped: " + e.getMessage()
            + (i > 0 ? "; trying the previous one" : ""));
      }
    }
    return Optional.ofNullable(newest);
  }

  /** Deletes what interrupted writes left behind (call only while holding the lease). */
  void removeOrphans() throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    FileStatus[] statuses;
    try {
      statuses = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return;
    }
    for (FileStatus s : statuses) {
      if (s.isFile() && ORPHAN.matcher(s.getPath().getName()).matches()) {
        fs.delete(s.getPath(), false);
        log.println("checkpoint: removed " + s.getPath().getName() + ", left by an interrupted"
            + " write");
      }
    }
  }
}
