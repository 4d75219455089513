package org.sparkconv.spark.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The named parts of the flat vector that partitions return and tree aggregation sums, back to
 * back in order, e.g. {@code gradients(62006) ++ state(0)}. A synchronisation rule writes its
 * parts on the executors and reads them on the driver through the same layout, so the two sides
 * cannot drift apart.
 */
public record VectorLayout(List<Part> parts) {

  /** One named range of the vector. */
  public record Part(String name, int offset, int length) {}

  /** A layout of {@code (name, length)} pairs, in order. */
  public static VectorLayout of(Object... namesAndLengths) {
    List<Part> parts = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < namesAndLengths.length; i += 2) {
      int length = (Integer) namesAndLengths[i + 1];
      parts.add(new Part((String) namesAndLengths[i], (int) offset, length));
      offset += length;
      if (offset > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("a round's vector of " + offset + " floats does not"
            + " fit one array");
      }
    }
    return new VectorLayout(List.copyOf(parts));
  }

  /** The part called {@code name}. */
  public Part part(String name) {
    for (Part p : parts) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new IllegalArgumentException("no part '" + name + "' in " + this);
  }

  /** Floats in the whole vector. */
  public int size() {
    Part last = parts.get(parts.size() - 1);
    return last.offset() + last.length();
  }

  /** Adds {@code scale * values} into part {@code name} of {@code vector}. */
  public void addScaled(String name, float[] values, double scale, float[] vector) {
    Part p = part(name);
    if (values.length != p.length()) {
      throw new IllegalStateException("part '" + name + "' holds " + p.length() + " floats, got "
          + values.length);
    }
    float f = (float) scale;
    for (int i = 0; i < values.length; i++) {
      vector[p.offset() + i] += values[i] * f;
    }
  }

  /** Writes part {@code name} of {@code vector}, times {@code scale}, into {@code out}. */
  public void readScaled(String name, float[] vector, double scale, float[] out) {
    Part p = part(name);
    float f = (float) scale;
    for (int i = 0; i < p.length(); i++) {
      out[i] = vector[p.offset() + i] * f;
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      sb.append(sb.length() == 0 ? "" : " ++ ").append(p.name()).append('(').append(p.length())
          .append(')');
    }
    return sb.toString();
  }
}
