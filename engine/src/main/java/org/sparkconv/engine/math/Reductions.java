package org.sparkconv.engine.math;

/**
 * Sums over a contiguous run of floats, the reductions of batch norm and bias gradients. With the
 * Vector API resolved they run in SIMD registers ({@link VectorLoops}), otherwise with eight
 * scalar accumulators ({@link ScalarLoops}). Callers sum runs of a few hundred elements (one
 * feature-map plane) here and add the run results in double, so the float partial sums stay
 * short.
 */
public final class Reductions {

  private Reductions() {}

  /** {@code a[from] + ... + a[to - 1]}. */
  public static float sum(float[] a, int from, int to) {
    return VectorApi.RESOLVED ? VectorLoops.sum(a, from, to)
        : ScalarLoops.sum(a, from, to);
  }

  /** {@code sum (a[i] - center)^2} over [from, to). */
  public static float sumSquaredDeviations(float[] a, int from, int to, float center) {
    return VectorApi.RESOLVED ? VectorLoops.sumSquaredDeviations(a, from, to, center)
        : ScalarLoops.sumSquaredDeviations(a, from, to, center);
  }

  /** {@code sum g[from + i] * (x[from + i] - center)} for i in [0, length). */
  public static float centeredDot(float[] g, float[] x, int from, int length, float center) {
    return VectorApi.RESOLVED ? VectorLoops.centeredDot(g, x, from, length, center)
        : ScalarLoops.centeredDot(g, x, from, length, center);
  }

  /**
   * {@code sum g[i]} over the i in [from, to) where the batch-norm output
   * {@code (x[i] - mu) * scale + beta} is positive: the sums of a batch norm's backward with its
   * ReLU fused, with the mask recomputed from x (the same float operations as the forward) rather
   * than read from a stored output.
   */
  public static float maskedSum(float[] g, float[] x, int from, int to, float mu, float scale,
      float beta) {
    return VectorApi.RESOLVED ? VectorLoops.maskedSum(g, x, from, to, mu, scale, beta)
        : ScalarLoops.maskedSum(g, x, from, to, mu, scale, beta);
  }

  /** {@code sum g[i] * (x[i] - mu)} over the same masked i as {@link #maskedSum}. */
  public static float maskedCenteredDot(float[] g, float[] x, int from, int to, float mu,
      float scale, float beta) {
    return VectorApi.RESOLVED
        ? VectorLoops.maskedCenteredDot(g, x, from, to, mu, scale, beta)
        : ScalarLoops.maskedCenteredDot(g, x, from, to, mu, scale, beta);
  }

  /**
   * {@code g} where {@code y > 0}, else 0: the gradient through a ReLU whose output is y,
   * without a branch. y > 0 exactly when its bits b are a positive int, i.e. when neither b nor
   * b - 1 has the sign bit (this also rejects -0, whose bits are the most negative int); the
   * mask keeps or clears all of g's bits.
   */
  public static float passWherePositive(float g, float y) {
    int bits = Float.floatToRawIntBits(y);
    int keep = ~((bits - 1) | bits) >> 31;
    return Float.intBitsToFloat(Float.floatToRawIntBits(g) & keep);
  }
}
