package org.sparkconv.engine.math;

/**
 * The element loop of a batch norm's backward with its ReLU fused, in SIMD registers when the
 * Vector API is resolved: the JIT does not vectorize the scalar form (its mask moves bits between
 * float and int registers).
 */
public final class BatchNormLoops {

  private BatchNormLoops() {}

  /**
   * {@code dIn[i] = gScale * g - xScale * (x[i] - mu) - offset} for i in [from, to), where g is
   * {@code dOut[i]} if the forward output {@code (x[i] - mu) * scale + beta} was positive, else 0
   * (the mask recomputed as in {@link Reductions#maskedSum}).
   */
  public static void inputGradientThroughRelu(float[] dOut, float[] x, float[] dIn, int from,
      int to, float mu, float scale, float beta, float gScale, float xScale, float offset) {
    if (VectorApi.RESOLVED) {
      VectorLoops.batchNormInputGradient(dOut, x, dIn, from, to, mu, scale, beta, gScale,
          xScale, offset);
    } else {
      ScalarLoops.batchNormInputGradient(dOut, x, dIn, from, to, mu, scale, beta, gScale,
          xScale, offset);
    }
  }
}
