package org.sparkconv.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code checkpoint} section of a job file.
 *
 * @param dir where checkpoints go: any Hadoop FileSystem URI or path; null disables them
 * @param everyRounds write one every this many rounds (0: not by rounds)
 * @param everyEpoch write one at the end of every epoch
 * @param keep how many complete checkpoints to keep (older ones are deleted after a newer one is
 *     complete)
 * @param resume resume from the newest valid checkpoint in {@code dir} when there is one
 * @param force resume even if the checkpoint's job configuration differs from this job's
 */
public record CheckpointSettings(String dir, int everyRounds, boolean everyEpoch, int keep,
    boolean resume, boolean force) {

  public static final CheckpointSettings NONE =
      new CheckpointSettings(null, 0, true, 3, true, false);

  public boolean enabled() {
    return dir != null;
  }

  public static CheckpointSettings parse(JsonNode node, String source) {
    Set<String> allowed = Set.of("dir", "every_rounds", "every_epoch", "keep", "resume", "force");
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw error(source, name, "is unknown; expected one of " + new TreeSet<>(allowed));
      }
    }
    JsonNode dir = node.get("dir");
    if (dir != null && !dir.isNull() && !dir.isTextual()) {
      throw error(source, "dir", "expected a path or URI string, got " + dir);
    }
    int every = integer(node, "every_rounds", 0, source, 0);
    int keep = integer(node, "keep", 3, source, 1);
    return new CheckpointSettings(dir == null || dir.isNull() ? null : dir.textValue(), every,
        bool(node, "every_epoch", true, source), keep, bool(node, "resume", true, source),
        bool(node, "force", false, source));
  }

  private static int integer(JsonNode node, String field, int fallback, String source, int min) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min) {
      throw error(source, field, "must be an integer >= " + min + ", got " + v);
    }
    return v.intValue();
  }

  private static boolean bool(JsonNode node, String field, boolean fallback, String source) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw error(source, field, "expected true or false, got " + v);
    }
    return v.booleanValue();
  }

  private static IllegalArgumentException error(String source, String field, String detail) {
    return new IllegalArgumentException(source + ": setting 'checkpoint." + field + "' "
        + detail);
  }
}
