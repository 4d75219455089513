package org.sparkconv.engine.data;

import org.sparkconv.engine.tensor.Shape;

/**
 * Per-channel sums of 8-bit pixel values and of their squares, accumulated image by image and
 * mergeable, so the same statistics come out whether one JVM scans a whole set or Spark
 * partitions each scan theirs and add up. Integer sums per plane (exact), double across planes.
 * {@link #normalization} turns them into the mean and standard deviation of {@code p / 255}.
 */
public final class ChannelStatistics {

  private final int channels;
  private final int plane;
  private final double[] sums; // (2, C): sums then sums of squares
  private long images;

  public ChannelStatistics(Shape shape) {
    this(shape.channels(), shape.planeSize(), new double[2 * shape.channels()], 0);
  }

  private ChannelStatistics(int channels, int plane, double[] sums, long images) {
    this.channels = channels;
    this.plane = plane;
    this.sums = sums;
    this.images = images;
  }

  /** Adds {@code count} consecutive CHW images starting at {@code pixels[offset]}. */
  public ChannelStatistics add(byte[] pixels, int offset, int count) {
    for (int n = 0; n < count; n++) {
      for (int c = 0; c < channels; c++) {
        int start = offset + (n * channels + c) * plane;
        long sum = 0;
        long squares = 0;
        for (int i = start; i < start + plane; i++) {
          int p = pixels[i] & 0xFF;
          sum += p;
          squares += p * p;
        }
        sums[c] += sum;
        sums[channels + c] += squares;
      }
    }
    images += count;
    return this;
  }

  /** Adds {@code other}'s sums into this one. */
  public ChannelStatistics merge(ChannelStatistics other) {
    if (other.channels != channels || other.plane != plane) {
      throw new IllegalArgumentException("cannot merge statistics of " + other.channels
          + " channels of " + other.plane + " pixels into " + channels + " of " + plane);
    }
    for (int i = 0; i < sums.length; i++) {
      sums[i] += other.sums[i];
    }
    images += other.images;
    return this;
  }

  /** The sums as plain numbers (for sending them between JVMs): images, then the sums. */
  public double[] toArray() {
    double[] out = new double[sums.length + 1];
    out[0] = images;
    System.arraycopy(sums, 0, out, 1, sums.length);
    return out;
  }

  /** The inverse of {@link #toArray} for images of {@code shape}. */
  public static ChannelStatistics fromArray(Shape shape, double[] values) {
    if (values.length != 2 * shape.channels() + 1) {
      throw new IllegalArgumentException("statistics of " + (values.length - 1) / 2
          + " channels do not fit images of " + shape);
    }
    return new ChannelStatistics(shape.channels(), shape.planeSize(),
        java.util.Arrays.copyOfRange(values, 1, values.length), (long) values[0]);
  }

  /** Mean and standard deviation per channel of {@code p / 255} over every pixel added. */
  public Normalization normalization() {
    if (images == 0) {
      throw new IllegalStateException("no images to compute normalisation statistics from");
    }
    float[] mean = new float[channels];
    float[] std = new float[channels];
    double m = (double) images * plane;
    for (int c = 0; c < channels; c++) {
      double mu = sums[c] / m / 255.0;
      double variance = sums[channels + c] / m / (255.0 * 255.0) - mu * mu;
      mean[c] = (float) mu;
      std[c] = (float) Math.sqrt(Math.max(variance, 1e-12));
    }
    return new Normalization(mean, std);
  }
}
