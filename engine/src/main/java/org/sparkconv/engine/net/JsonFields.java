package org.sparkconv.engine.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import org.sparkconv.engine.layer.SpecException;

/**
 * Typed, strict access to the fields of one JSON object, with errors that name the field and
 * say what was expected. By default errors are {@link SpecException}s naming a model file's
 * layer index and type (or the top level); subclasses name things their own way (job files name
 * the dotted setting).
 */
public class JsonFields {

  private final JsonNode node;
  private final int index;
  private final String type;

  JsonFields(JsonNode node, int index, String type) {
    this.node = node;
    this.index = index;
    this.type = type;
  }

  /** For subclasses that override {@link #error}. */
  protected JsonFields(JsonNode node) {
    this(node, -1, null);
  }

  /** The error for {@code field}; {@code detail} says what was expected and found. */
  protected IllegalArgumentException error(String field, String detail) {
    return index < 0 ? SpecException.top(field, detail)
        : SpecException.at(index, type, field, detail);
  }

  /** The object itself. */
  protected JsonNode node() {
    return node;
  }

  /** Fails on any field not in {@code allowed}, listing what is allowed. */
  public void rejectUnknown(Set<String> allowed) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw error(name, "unknown field; expected one of " + new TreeSet<>(allowed));
      }
    }
  }

  public boolean has(String field) {
    return node.has(field) && !node.get(field).isNull();
  }

  public JsonNode require(String field, String expected) {
    if (!has(field)) {
      throw error(field, "missing; expected " + expected);
    }
    return node.get(field);
  }

  public int integer(String field) {
    JsonNode v = require(field, "an integer");
    return asInt(field, v);
  }

  public int integer(String field, int fallback) {
    return has(field) ? asInt(field, node.get(field)) : fallback;
  }

  private int asInt(String field, JsonNode v) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw error(field, "expected an integer, got " + v);
    }
    return v.intValue();
  }

  public long longInteger(String field, long fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw error(field, "expected an integer, got " + v);
    }
    return v.longValue();
  }

  public float number(String field) {
    return asFloat(field, require(field, "a number"));
  }

  public float number(String field, float fallback) {
    return has(field) ? asFloat(field, node.get(field)) : fallback;
  }

  private float asFloat(String field, JsonNode v) {
    if (!v.isNumber()) {
      throw error(field, "expected a number, got " + v);
    }
    return v.floatValue();
  }

  public boolean bool(String field, boolean fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isBoolean()) {
      throw error(field, "expected true or false, got " + v);
    }
    return v.booleanValue();
  }

  /** A required string. */
  public String text(String field) {
    JsonNode v = require(field, "a string");
    if (!v.isTextual()) {
      throw error(field, "expected a string, got " + v);
    }
    return v.textValue();
  }

  public String text(String field, String fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode v = node.get(field);
    if (!v.isTextual()) {
      throw error(field, "expected a string, got " + v);
    }
    return v.textValue();
  }

  /** An integer {@code n} (meaning n, n) or a pair {@code [h, w]}. */
  public int[] pair(String field) {
    return asPair(field, require(field, "an integer or [height, width]"));
  }

  public int[] pair(String field, int[] fallback) {
    return has(field) ? asPair(field, node.get(field)) : fallback;
  }

  public int[] asPair(String field, JsonNode v) {
    if (v.isIntegralNumber() && v.canConvertToInt()) {
      return new int[] {v.intValue(), v.intValue()};
    }
    if (v.isArray() && v.size() == 2 && v.get(0).isIntegralNumber()
        && v.get(1).isIntegralNumber()) {
      return new int[] {v.get(0).intValue(), v.get(1).intValue()};
    }
    throw error(field, "expected an integer or [height, width], got " + v);
  }
}
