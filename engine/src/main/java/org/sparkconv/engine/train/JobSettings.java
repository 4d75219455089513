package org.sparkconv.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict, typed reading of one object of a job file, addressed by dotted setting names
 * ({@code optimizer.lr}) so that every error names the file and the setting as a user would
 * write it on the command line.
 */
final class JobSettings {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final JsonNode node;
  private final String source;
  private final String prefix;

  JobSettings(JsonNode node, String source, String prefix) {
    this.node = node;
    this.source = source;
    this.prefix = prefix;
  }

  IllegalArgumentException error(String field, String detail) {
    return new IllegalArgumentException(source + ": setting '" + prefix + field + "' " + detail);
  }

  void rejectUnknown(Set<String> allowed) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw error(name, "is unknown; expected one of " + new TreeSet<>(allowed));
      }
    }
  }

  boolean has(String field) {
    return node.has(field) && !node.get(field).isNull();
  }

  JsonNode get(String field) {
    return node.get(field);
  }

  JobSettings child(String field) {
    if (!has(field)) {
      return new JobSettings(MAPPER.createObjectNode(), source, prefix + field + ".");
    }
    JsonNode v = node.get(field);
    if (!v.isObject()) {
      throw error(field, "expected an object, got " + v);
    }
    return new JobSettings(v, source, prefix + field + ".");
  }

  String text(String field, String fallback) {
    if (!has(field)) {
      if (fallback == null) {
        throw error(field, "is missing");
      }
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isTextual()) {
      throw error(field, "expected a string, got " + v);
    }
    return v.textValue();
  }

  int integer(String field, int fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw error(field, "expected an integer, got " + v);
    }
    return v.intValue();
  }

  long longInteger(String field, long fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw error(field, "expected an integer, got " + v);
    }
    return v.longValue();
  }

  float number(String field, float fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isNumber()) {
      throw error(field, "expected a number, got " + v);
    }
    return v.floatValue();
  }

  boolean bool(String field, boolean fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isBoolean()) {
      throw error(field, "expected true or false, got " + v);
    }
    return v.booleanValue();
  }

  float[] numbers(String field) {
    JsonNode v = node.get(field);
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
