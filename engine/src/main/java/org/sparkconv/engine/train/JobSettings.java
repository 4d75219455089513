package org.sparkconv.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparkconv.engine.net.JsonFields;

/**
 * Strict, typed reading of one object of a job file, addressed by dotted setting names
 * ({@code optimizer.lr}) so that every error names the file and the setting as a user would
 * write it on the command line.
 */
final class JobSettings extends JsonFields {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String source;
  private final String prefix;

  JobSettings(JsonNode node, String source, String prefix) {
    super(node);
    this.source = source;
    this.prefix = prefix;
  }

  @Override
  protected IllegalArgumentException error(String field, String detail) {
    return new IllegalArgumentException(source + ": setting '" + prefix + field + "': "
        + detail);
  }

  JsonNode get(String field) {
    return node().get(field);
  }

  /** The object at {@code field} (an empty one when absent). */
  JobSettings child(String field) {
    if (!has(field)) {
      return new JobSettings(MAPPER.createObjectNode(), source, prefix + field + ".");
    }
    JsonNode v = node().get(field);
    if (!v.isObject()) {
      throw error(field, "expected an object, got " + v);
    }
    return new JobSettings(v, source, prefix + field + ".");
  }

  float[] numbers(String field) {
    JsonNode v = node().get(field);
    if (v == null || !v.isArray()) {
      throw error(field, "expected an array of numbers, got " + v);
    }
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      if (!v.get(i).isNumber()) {
        throw error(field, "expected an array of numbers, got " + v);
      }
      out[i] = v.get(i).floatValue();
    }
    return out;
  }

  /**
   * Applies a command-line override {@code a.b.c=value} to a job tree. The value is read as
   * JSON when it parses (numbers, booleans, arrays), else as a string.
   */
  static void override(ObjectNode root, String assignment, String source) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("override '" + assignment + "' is not of the form"
          + " setting=value (for example optimizer.lr=0.05)");
    }
    String[] path = assignment.substring(0, eq).trim().split("\\.");
    String raw = assignment.substring(eq + 1).trim();
    JsonNode value;
    try {
      value = MAPPER.readTree(raw);
      if (value == null || value.isMissingNode()) {
        value = MAPPER.getNodeFactory().textNode(raw);
      }
    } catch (java.io.IOException e) {
      value = MAPPER.getNodeFactory().textNode(raw);
    }
    ObjectNode target = root;
    for (int i = 0; i < path.length - 1; i++) {
      JsonNode next = target.get(path[i]);
      if (next == null || next.isNull()) {
        next = target.putObject(path[i]);
      } else if (!next.isObject()) {
        throw new IllegalArgumentException(source + ": override '" + assignment + "': setting '"
            + String.join(".", java.util.Arrays.copyOf(path, i + 1)) + "' is not an object");
      }
      target = (ObjectNode) next;
    }
    target.set(path[path.length - 1], value);
  }
}
