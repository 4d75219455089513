package org.sparkconv.engine.data;

import java.util.Arrays;
import org.sparkconv.engine.tensor.Shape;

/**
 * Per-channel normalisation of 8-bit pixels: {@code x = (p / 255 - mean[c]) / std[c]}.
 * Statistics come from the training set ({@link #of}) or are given, never from the test set.
 */
public record Normalization(float[] mean, float[] std)
    implements java.io.Serializable {

  public Normalization {
    if (mean.length != std.length || mean.length == 0) {
      throw new IllegalArgumentException("normalisation needs one mean and one std per channel,"
          + " got " + mean.length + " and " + std.length);
    }
    for (float s : std) {
      if (!(s > 0f)) {
        throw new IllegalArgumentException("normalisation std must be positive, got "
            + Arrays.toString(std));
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** Only scales to [0, 1]. */
  public static Normalization unit(int channels) {
    float[] zero = new float[channels];
    float[] one = new float[channels];
    Arrays.fill(one, 1f);
    return new Normalization(zero, one);
  }

  /** Mean and standard deviation per channel over every pixel of {@code set}. */
  public static Normalization of(ImageSet set) {
    return new ChannelStatistics(set.shape()).add(set.pixels(), 0, set.count()).normalization();
  }

  /** Normalises image {@code n} of {@code set} into {@code out[outOff ...]}. */
  public void apply(ImageSet set, int n, float[] out, int outOff) {
    apply(set.pixels(), n * set.shape().size(), set.shape(), out, outOff);
  }

  /** Normalises the image of {@code shape} at {@code pixels[srcOff ...]} into {@code out}. */
  public void apply(byte[] pixels, int srcOff, Shape shape, float[] out, int outOff) {
    int plane = shape.planeSize();
    for (int c = 0; c < shape.channels(); c++) {
      float scale = 1f / (255f * std[c]);
      float shift = mean[c] / std[c];
      int base = c * plane;
      for (int i = 0; i < plane; i++) {
        out[outOff + base + i] = (pixels[srcOff + base + i] & 0xFF) * scale - shift;
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization other && Arrays.equals(mean, other.mean)
        && Arrays.equals(std, other.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std);
  }
}
