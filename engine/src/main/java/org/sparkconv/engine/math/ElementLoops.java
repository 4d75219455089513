package org.sparkconv.engine.math;

/**
 * The element loops of the engine that the JIT does not vectorize by itself: the per-plane sums
 * of batch norm and bias gradients, batch norm's output and input gradient (C2 vectorizes the
 * plain loops, but on 7x7 planes its unrolled vector loop never runs: 49 floats went one by
 * one), the accumulation at the heart of col2im, and 2x2 max pooling (with or without its
 * winners).
 * {@link #BEST} runs them in SIMD registers when the Vector API is resolved ({@link VectorLoops}),
 * else as scalar loops with independent accumulators ({@link ScalarLoops}); the same seam as
 * {@link Gemm} and {@link GemmSelector}, one level down.
 *
 * <p>Callers sum runs of a few hundred elements (one feature-map plane) and add the run results
 * in double, so the float partial sums stay short. Every range is [from, to).
 */
public interface ElementLoops {

  /** The best implementation this JVM can run: the default of {@link ComputeContext}. */
  ElementLoops BEST = VectorApi.RESOLVED ? new VectorLoops() : new ScalarLoops();

  /** The plain-Java loops (for comparisons, and JVMs without the Vector API). */
  static ElementLoops scalar() {
    return new ScalarLoops();
  }

  /** {@code a[from] + ... + a[to - 1]}. */
  float sum(float[] a, int from, int to);

  /** {@code sum (a[i] - center)^2}. */
  float sumSquaredDeviations(float[] a, int from, int to, float center);

  /**
   * Adds to {@code sums[0]} the sum of g and to {@code sums[1]} the sum of
   * {@code g * (x[i] - mu)}, in one pass, where g is {@code gOut[i]}, or with {@code masked}
   * {@code gOut[i]} only where the batch-norm output {@code (x[i] - mu) * scale + beta} is
   * positive (else 0): the sums of a batch norm's backward (its ReLU fused where masked), with
   * the mask recomputed from x by the same float operations as the forward rather than read
   * from a stored output.
   */
  void gradientSums(float[] gOut, float[] x, int from, int to, float mu, float scale,
      float beta, boolean masked, double[] sums);

  /**
   * {@code out[i] = (x[i] - mu) * scale + beta}, then {@code max(out[i], 0)} if {@code relu} (as
   * {@link Math#max}): a batch norm's output in training, with its ReLU fused.
   */
  void batchNormOutput(float[] x, float[] out, int from, int to, float mu, float scale,
      float beta, boolean relu);

  /**
   * {@code out[i] = (x[i] - mu) * scale + beta + residual[i]}, then {@code max(out[i], 0)} if
   * {@code relu}: a batch norm's output with the residual sum that reads it (and the sum's
   * ReLU) folded in, by the same float operations in the same order as the two passes.
   */
  void batchNormOutputAdding(float[] x, float[] residual, float[] out, int from, int to,
      float mu, float scale, float beta, boolean relu);

  /**
   * {@code dIn[i] = gScale * dOut[i] - xScale * (x[i] - mu) - offset}: a batch norm's input
   * gradient in training, without a ReLU.
   */
  void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to, float mu,
      float gScale, float xScale, float offset);

  /**
   * {@code dIn[i] = gScale * g - xScale * (x[i] - mu) - offset}, where g is {@code dOut[i]} if
   * the forward output {@code (x[i] - mu) * scale + beta} was positive, else 0 (the mask as in
   * {@link #gradientSums}).
   */
  void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to, float mu,
      float scale, float beta, float gScale, float xScale, float offset);

  /**
   * {@code dIn[i] = g} and, where {@code dIn2} is not null, {@code dIn2[i] = g}, where g is
   * {@code dOut[i]} if the ReLU's output {@code y[i]} is positive, else 0: a ReLU's input
   * gradient, or a residual sum's with its ReLU fused, handed to both its inputs in one pass.
   */
  void reluGradient(float[] dOut, float[] y, float[] dIn, float[] dIn2, int from, int to);

  /**
   * {@code dst[dstOff + i] += src[srcOff + i]} for i in [0, length). The JIT does not vectorize
   * it (it cannot rule out that the two runs overlap).
   */
  void add(float[] src, int srcOff, float[] dst, int dstOff, int length);

  /**
   * Max pooling of 2x2 windows at stride 2, values only: planes [fromPlane, toPlane) of
   * {@code h x w} ({@code w} even) in {@code in} to planes of {@code h / 2 x w / 2} in
   * {@code out} (an odd last row is dropped), each output the {@link Math#max} of its window (a
   * NaN in a window wins).
   */
  void maxPool2x2(float[] in, float[] out, int fromPlane, int toPlane, int h, int w);

  /**
   * As {@link #maxPool2x2}, keeping in {@code switches} (indexed as {@code out}) the index in
   * {@code in} of each window's winner, for backward: a tournament, left against right in each
   * row, then bottom over top only when strictly greater, each comparison the sign bit of a
   * difference (so the first of equal values wins, except that +0 beats an earlier -0, as in
   * {@link Math#max}; a NaN difference has its sign bit set on x86).
   */
  void maxPool2x2(float[] in, float[] out, int[] switches, int fromPlane, int toPlane, int h,
      int w);

  /**
   * {@code g} where {@code y > 0}, else 0: the gradient through a ReLU whose output is y,
   * without a branch. y > 0 exactly when its bits b are a positive int, i.e. when neither b nor
   * b - 1 has the sign bit (this also rejects -0, whose bits are the most negative int); the
   * mask keeps or clears all of g's bits.
   */
  static float passWherePositive(float g, float y) {
    int bits = Float.floatToRawIntBits(y);
    int keep = ~((bits - 1) | bits) >> 31;
    return Float.intBitsToFloat(Float.floatToRawIntBits(g) & keep);
  }
}
