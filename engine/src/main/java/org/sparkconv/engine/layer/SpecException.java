package org.sparkconv.engine.layer;

/**
 * A model spec that cannot be built: names where (file, layer index and type, field) and says
 * what was expected and what was found.
 */
public final class SpecException extends IllegalArgumentException {

  private final String source;
  private final int layerIndex;
  private final String layerType;
  private final String field;
  private final String detail;
  private final String nodeName;

  public SpecException(String source, int layerIndex, String layerType, String field,
      String detail) {
    this(source, layerIndex, null, layerType, field, detail);
  }

  private SpecException(String source, int layerIndex, String nodeName, String layerType,
      String field, String detail) {
    super(format(source, layerIndex, nodeName, layerType, field, detail));
    this.source = source;
    this.layerIndex = layerIndex;
    this.nodeName = nodeName;
    this.layerType = layerType;
    this.field = field;
    this.detail = detail;
  }

  /** An error in layer {@code index} of type {@code type}, field {@code field}. */
  public static SpecException at(int index, String type, String field, String detail) {
    return new SpecException(null, index, type, field, detail);
  }

  /** An error outside the layer list (input shape, top-level fields); index -1. */
  public static SpecException top(String field, String detail) {
    return new SpecException(null, -1, null, field, detail);
  }

  /** The same error attributed to a file. */
  public SpecException inSource(String newSource) {
    SpecException e = new SpecException(newSource, layerIndex, nodeName, layerType, field,
        detail);
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** The same error naming the layer also by its node name (graphs name their nodes). */
  public SpecException atNode(String name) {
    SpecException e = new SpecException(source, layerIndex, name, layerType, field, detail);
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** The node name the error names, or null. */
  public String nodeName() {
    return nodeName;
  }

  public String source() {
    return source;
  }

  public int layerIndex() {
    return layerIndex;
  }

  public String field() {
    return field;
  }

  private static String format(String source, int index, String nodeName, String type,
      String field, String detail) {
    StringBuilder sb = new StringBuilder();
    if (source != null) {
      sb.append(source).append(": ");
    }
    if (index >= 0) {
      sb.append("layer ").append(index);
      if (nodeName != null) {
        sb.append(" '").append(nodeName).append('\'');
      }
      if (type != null) {
        sb.append(" (").append(type).append(')');
      }
      if (field != null) {
        sb.append(", ");
      }
    }
    if (field != null) {
      sb.append("field '").append(field).append('\'');
    }
    if (index >= 0 || field != null) {
      sb.append(": ");
    }
    return sb.append(detail).toString();
  }
}
