package org.sparkconv.engine.tensor;

/**
 * A batch of {@code batch} examples of {@link #shape()} stored NCHW in {@code data} starting at
 * {@code offset}. A view: it never copies and never owns more than the slice it names.
 */
public record Tensor(float[] data, int offset, int batch, Shape shape) {

  public Tensor {
    if (batch <= 0) {
      throw new IllegalArgumentException("batch must be positive, got " + batch);
    }
    long needed = (long) offset + (long) batch * shape.size();
    if (offset < 0 || needed > data.length) {
      throw new IllegalArgumentException("tensor of " + batch + " x " + shape + " at offset "
          + offset + " needs " + needed + " floats, array has " + data.length);
    }
  }

  /** A fresh zero tensor. */
  public static Tensor zeros(int batch, Shape shape) {
    return new Tensor(new float[Math.multiplyExact(batch, shape.size())], 0, batch, shape);
  }

  /** Number of floats in the view. */
  public int length() {
    return batch * shape.size();
  }

  /** A copy of the viewed floats. */
  public float[] toArray() {
    float[] copy = new float[length()];
    System.arraycopy(data, offset, copy, 0, copy.length);
    return copy;
  }
}
