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
 * position in training and the job's fingerprint. Writes are atomic; after a write completes,
 * all but the newest {@code keep} are deleted.
 */
public final class CheckpointStore {

  private static final Pattern NAME = Pattern.compile("ckpt-(\\d{12})\\.spcv");

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

  public CheckpointStore(String dir, int keep, Configuration conf, PrintStream log) {
    this.dir = HadoopFiles.path(dir);
    this.keep = keep;
    this.conf = conf;
    this.log = log;
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
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      dir.getFileSystem(conf).delete(all.get(i), false);
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
    List<Path> all = list();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      try {
        ModelFile model = ModelFile.decode(HadoopFiles.readAll(p, conf), p.toString());
        if (!model.metadata().isCheckpoint()) {
          throw new IllegalArgumentException(p + ": is a model file but not a checkpoint");
        }
        return Optional.of(new Loaded(p.toString(), model));
      } catch (IllegalArgumentException | IOException e) {
        log.println("checkpoint: " + p.getName() + " is unusable and skipped: " + e.getMessage()
            + (i > 0 ? "; trying the previous one" : ""));
      }
    }
    return Optional.empty();
  }
}
