package org.sparkconv.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.sparkconv.engine.net.JsonFields;

/**
 * Strict, typed reading of one object of a job file, addressed by dotted setting names
 * ({@code optimizer.lr}) so that every error names the file and the setting as a user would
 * write it on the command line, and the {@code --set} when the command line gave the value.
 */
public final class JobSettings extends JsonFields {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String source;
  private final String prefix;
  private final Map<String, String> overridden;

  JobSettings(JsonNode node, String source, String prefix, Map<String, String> overridden) {
    super(node);
    this.source = source;
    this.prefix = prefix;
    this.overridden = overridden;
  }

  @Override
  public IllegalArgumentException error(String field, String detail) {
    return new IllegalArgumentException(origin(field) + ": setting '" + prefix + field + "': "
        + detail);
  }

  /** The file, plus the command-line override when it set {@code field} or a parent of it. */
  private String origin(String field) {
    String name = prefix + field;
    for (Map.Entry<String, String> e : overridden.entrySet()) {
      if (name.equals(e.getKey()) || name.startsWith(e.getKey() + ".")
          || e.getKey().startsWith(name + ".")) {
        return source + " (command line --set " + e.getValue() + ")";
      }
    }
    return source;
  }

  /** Where these settings come from, for messages. */
  public String source() {
    return source;
  }

  public JsonNode get(String field) {
    return node().get(field);
  }

  /** The object at {@code field} (an empty one when absent). */
  public JobSettings child(String field) {
    if (!has(field) || node().get(field).isNull()) {
      return new JobSettings(MAPPER.createObjectNode(), source, prefix + field + ".",
          overridden);
    }
    JsonNode v = node().get(field);
    if (!v.isObject()) {
      throw error(field, "expected an object, got " + v);
    }
    return new JobSettings(v, source, prefix + field + ".", overridden);
  }

  /** An integer of at least {@code min}, or {@code fallback} when absent. */
  public int integer(String field, int fallback, int min) {
    int v = integer(field, fallback);
    if (v < min) {
      throw error(field, "must be an integer >= " + min + ", got " + v);
    }
    return v;
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

  /** Runs a constructor whose validation names the setting, adding where it came from. */
  public <T> T construct(java.util.function.Supplier<T> make) {
    try {
      return make.get();
    } catch (IllegalArgumentException e) {
      String m = e.getMessage() == null ? "" : e.getMessage();
      if (m.startsWith(source)) {
        throw e;
      }
      int quote = m.indexOf("setting '");
      String setting = quote < 0 ? "" : m.substring(quote + 9, m.indexOf('\'', quote + 9));
      String origin = setting.startsWith(prefix) ? origin(setting.substring(prefix.length()))
          : source;
      throw new IllegalArgumentException(origin + ": " + m, e);
    }
  }

  /**
   * Applies a command-line override {@code a.b.c=value} to a job tree and returns the setting's
   * name. The value is read as JSON when it parses (numbers, booleans, arrays), else as a string.
   */
  static String override(ObjectNode root, String assignment, String source) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("override '" + assignment + "' is not of the form"
          + " setting=value (for example optimizer.lr=0.05)");
    }
    String name = assignment.substring(0, eq).trim();
    String[] path = name.split("\\.");
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
    return name;
  }
}
