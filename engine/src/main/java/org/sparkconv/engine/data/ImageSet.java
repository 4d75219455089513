package org.sparkconv.engine.data;

import org.sparkconv.engine.tensor.Shape;

/**
 * Labelled 8-bit images held once, compactly: {@code pixels} is {@code count} images of
 * {@code shape}, NCHW, one unsigned byte per value (a quarter of the memory of floats;
 * normalisation to float happens per minibatch). {@code source} names where they came from.
 */
public record ImageSet(String source, Shape shape, int count, byte[] pixels, int[] labels,
    int classes) {

  public ImageSet {
    if ((long) count * shape.size() != pixels.length || labels.length != count) {
      throw new IllegalArgumentException(source + ": " + count + " images of " + shape
          + " need " + (long) count * shape.size() + " bytes and " + count + " labels, got "
          + pixels.length + " and " + labels.length);
    }
  }

  /** The first {@code n} images (for quick runs and tests). */
  public ImageSet head(int n) {
    int m = Math.min(n, count);
    byte[] p = java.util.Arrays.copyOf(pixels, m * shape.size());
    int[] l = java.util.Arrays.copyOf(labels, m);
    return new ImageSet(source + " (first " + m + ")", shape, m, p, l, classes);
  }

  /** Pixel value (0..255) of image {@code n}, flat index {@code i} within the image. */
  public int pixel(int n, int i) {
    return pixels[n * shape.size() + i] & 0xFF;
  }
}
