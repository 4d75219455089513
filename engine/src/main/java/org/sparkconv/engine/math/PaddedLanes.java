package org.sparkconv.engine.math;

/**
 * The input layout of a {@link WinogradConv#forwardByChannels} plan, pixel-major and padded:
 * an image is {@code (height, width, lanes)}, its pixel {@code (y, x)} of {@code rows x
 * columns} at {@code ((y + top) * width + x + left) * lanes}, its channels there consecutive and
 * rounded up to {@code lanes} (a multiple of 16), every other float zero. A convolution by
 * channels before that plan can write its output here directly
 * ({@link WinogradConv#writesInto}), so that neither its planes nor the plan's transposing pad
 * exist.
 */
public record PaddedLanes(int height, int width, int lanes, int top, int left, int rows,
    int columns) {

  public PaddedLanes {
    if (top < 0 || left < 0 || rows + top > height || columns + left > width || lanes <= 0) {
      throw new IllegalArgumentException("padded lanes: " + rows + "x" + columns
          + " at (" + top + ", " + left + ") must lie inside " + height + "x" + width
          + " of " + lanes + " lanes");
    }
  }

  /** Floats of one padded image. */
  public int imageSize() {
    return height * width * lanes;
  }

  /** Where pixel {@code (y, x)}'s channels start in an image. */
  public int pixel(int y, int x) {
    return ((y + top) * width + x + left) * lanes;
  }
}
