package org.sparkconv.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkconv.engine.io.ModelFile;

/**
 * Checkpoints in one directory of any Hadoop FileSystem, named {@code ckpt-<rounds>.spcv} by the
 * number of rounds done. Each is an engine model file (CRC32-checked) whose metadata holds the
 * position in training and the job's fingerprint. Writes are atomic; after a write completes,
 * all but the newest {@code keep} are deleted.
 */
final class CheckpointStore {

  private static final Pattern NAME = Pattern.compile("ckpt-(\\d{12})\\.spcv");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where training stood when a checkpoint was written: the next round to run. */
  record Position(int epoch, int round, long roundsDone) {}

  /** A checkpoint that decoded and checked out. */
  record Loaded(String name, ModelFile model, Position position, JobFingerprint fingerprint) {}

  private final Path dir;
  private final int keep;
  private final Configuration conf;
  private final PrintStream log;

  CheckpointStore(String dir, int keep, Configuration conf, PrintStream log) {
    this.dir = HadoopFiles.path(dir);
    this.keep = keep;
    this.conf = conf;
    this.log = log;
  }

  Path dir() {
    return dir;
  }

  /** Writes a checkpoint atomically, then applies retention; returns its path. */
  Path save(ModelFile model, Position position, JobFingerprint fingerprint) throws IOException {
    ObjectNode meta = (ObjectNode) JSON.readTree(model.metadata());
    meta.put("kind", "checkpoint");
    meta.put("epoch", position.epoch());
    meta.put("round", position.round());
    meta.put("rounds_done", position.roundsDone());
    meta.set("job", fingerprint.toJson());
    ModelFile withMeta = new ModelFile(model.spec(), model.params(), model.state(),
        model.optimizerType(), model.optimizerSteps(), model.optimizerSlots(), meta.toString());
    Path target = new Path(dir, String.format("ckpt-%012d.spcv", position.roundsDone()));
    HadoopFiles.writeAtomically(target, withMeta.encode(), conf);
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      dir.getFileSystem(conf).delete(all.get(i), false);
    }
    return target;
  }

  /** Complete checkpoints, oldest first (temporary files are not listed). */
  List<Path> list() throws IOException {
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
  Optional<Loaded> newestValid() throws IOException {
    List<Path> all = list();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      try {
        ModelFile model = ModelFile.decode(HadoopFiles.readAll(p, conf), p.toString());
        JsonNode meta = JSON.readTree(model.metadata());
        Matcher m = NAME.matcher(p.getName());
        if (!meta.path("kind").asText().equals("checkpoint") || !m.matches()) {
          throw new IllegalArgumentException(p + ": is a model file but not a checkpoint");
        }
        Position position = new Position(meta.get("epoch").intValue(),
            meta.get("round").intValue(), meta.get("rounds_done").longValue());
        return Optional.of(new Loaded(p.toString(), model, position,
            JobFingerprint.fromJson(meta.get("job"))));
      } catch (IllegalArgumentException | IOException e) {
        log.println("checkpoint: " + p.getName() + " is unusable and skipped: " + e.getMessage()
            + (i > 0 ? "; trying the previous one" : ""));
      }
    }
    return Optional.empty();
  }
}
