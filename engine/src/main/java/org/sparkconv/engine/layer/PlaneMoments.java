package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ElementLoops;

/**
 * The mean and the sum of squared deviations of every (image, channel) plane of a
 * convolution's training output, recorded by the convolution as it writes each image (still
 * in cache) for the batch norm right after it, which merges them into its batch statistics
 * instead of reading the whole output back from memory for them. Recorded with the norm's own
 * float operations (the same {@link ElementLoops} calls on the same planes), so the statistics
 * are bit for bit those the norm would compute. Handed over once: the norm takes them for the
 * batch the convolution last wrote in training, and computes its own otherwise.
 */
final class PlaneMoments {

  private final int channels;
  private final int plane;
  private final ElementLoops loops;
  private float[] means = new float[0];
  private float[] squares = new float[0];
  private int batch = -1;

  PlaneMoments(int channels, int plane, ElementLoops loops) {
    this.channels = channels;
    this.plane = plane;
    this.loops = loops;
  }

  /** Before the convolution writes a training batch of {@code batch} images. */
  void start(int batch) {
    this.batch = -1;
    if (means.length < batch * channels) {
      means = new float[batch * channels];
      squares = new float[batch * channels];
    }
  }

  /**
   * Records images [from, to) of {@code out}, image n's planes from {@code n * imageSize}: a
   * range a worker has just written.
   */
  void record(float[] out, int imageSize, int from, int to) {
    for (int n = from; n < to; n++) {
      for (int c = 0; c < channels; c++) {
        int start = n * imageSize + c * plane;
        float mean = mean(loops, out, start, plane);
        means[n * channels + c] = mean;
        squares[n * channels + c] = loops.sumSquaredDeviations(out, start, start + plane, mean);
      }
    }
  }

  /**
   * The mean of the plane of {@code plane} floats at {@code a[start]}, as the norm computes it
   * where nothing was recorded: one definition for both, which must agree bit for bit.
   */
  static float mean(ElementLoops loops, float[] a, int start, int plane) {
    return loops.sum(a, start, start + plane) / plane;
  }

  /** After every image of the batch started with {@link #start} is recorded. */
  void finish(int batch) {
    this.batch = batch;
  }

  /**
   * Whether moments of a batch of {@code batch} images wait to be taken; after this call none
   * do until the convolution records the next batch.
   */
  boolean take(int batch) {
    boolean ready = this.batch == batch;
    this.batch = -1;
    return ready;
  }

  /** Plane (n, c)'s mean, as the norm computes it. */
  float mean(int n, int c) {
    return means[n * channels + c];
  }

  /** Plane (n, c)'s sum of squared deviations from {@link #mean}. */
  float squares(int n, int c) {
    return squares[n * channels + c];
  }
}
