package org.sparkconv.bench;

import java.util.SplittableRandom;

/** Inputs and weights for the benchmarks: standard normal floats. */
final class RandomArrays {

  private RandomArrays() {}

  static float[] gaussian(SplittableRandom rng, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }
}
