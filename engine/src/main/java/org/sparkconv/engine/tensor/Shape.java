package org.sparkconv.engine.tensor;

/**
 * The shape of one example: channels, height, width. A batch of {@code n} examples of this shape
 * is stored NCHW, example after example, {@link #size()} floats each. Dense activations are
 * {@code (features, 1, 1)}, so flattening never moves data.
 */
public record Shape(int channels, int height, int width) implements java.io.Serializable {

  public Shape {
    if (channels <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException(
          "shape dimensions must be positive, got (" + channels + ", " + height + ", " + width
              + ")");
    }
    long size = (long) channels * height * width;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("an example of shape (" + channels + ", " + height
          + ", " + width + ") holds " + size + " values; one array holds at most 2^31");
    }
  }

  /** A flat vector of {@code features} values, as dense layers produce. */
  public static Shape flat(int features) {
    return new Shape(features, 1, 1);
  }

  /** Floats per example. */
  public int size() {
    return Math.multiplyExact(Math.multiplyExact(channels, height), width);
  }

  /** Height times width: the size of one channel plane. */
  public int planeSize() {
    return height * width;
  }

  public boolean isFlat() {
    return height == 1 && width == 1;
  }

  @Override
  public String toString() {
    return "(" + channels + ", " + height + ", " + width + ")";
  }
}
