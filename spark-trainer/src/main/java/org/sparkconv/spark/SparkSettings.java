package org.sparkconv.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code spark} section of a job file.
 *
 * @param mode {@code gradient} (synchronous SGD: gradients summed every round) or
 *     {@code parameter} (each partition runs {@code localSteps} optimizer steps, then the driver
 *     averages parameters, optimizer state and batch-norm state weighted by examples)
 * @param localSteps k, for parameter averaging
 * @param partitions data partitions (0: the context's default parallelism)
 * @param treeDepth depth of {@code treeAggregate}
 * @param maxRounds stop after this many rounds (0: train all epochs); for benchmarks and tests
 * @param progressSeconds seconds between progress lines (0: one per round)
 */
public record SparkSettings(String mode, int localSteps, int partitions, int treeDepth,
    int maxRounds, double progressSeconds) {

  public static final SparkSettings DEFAULT = new SparkSettings("gradient", 1, 0, 2, 0, 5);

  /** Parses the section strictly; errors name the file and {@code spark.<setting>}. */
  public static SparkSettings parse(JsonNode node, String source) {
    Set<String> allowed = Set.of("mode", "local_steps", "partitions", "tree_depth", "max_rounds",
        "progress_seconds");
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw error(source, name, "is unknown; expected one of " + new TreeSet<>(allowed));
      }
    }
    String mode = node.path("mode").asText(DEFAULT.mode);
    if (!mode.equals(TrainingRun.GRADIENT) && !mode.equals(TrainingRun.PARAMETER)) {
      throw error(source, "mode", "must be \"gradient\" or \"parameter\", got " + node.get("mode"));
    }
    int k = integer(node, "local_steps", DEFAULT.localSteps, source, 1);
    int partitions = integer(node, "partitions", DEFAULT.partitions, source, 0);
    int depth = integer(node, "tree_depth", DEFAULT.treeDepth, source, 1);
    int maxRounds = integer(node, "max_rounds", DEFAULT.maxRounds, source, 0);
    JsonNode ps = node.get("progress_seconds");
    if (ps != null && (!ps.isNumber() || ps.doubleValue() < 0)) {
      throw error(source, "progress_seconds", "must be a number >= 0, got " + ps);
    }
    return new SparkSettings(mode, k, partitions, depth, maxRounds,
        ps == null ? DEFAULT.progressSeconds : ps.doubleValue());
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

  private static IllegalArgumentException error(String source, String field, String detail) {
    return new IllegalArgumentException(source + ": setting 'spark." + field + "' " + detail);
  }
}
