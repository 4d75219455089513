package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API versions of {@link Reductions} (one vector accumulator: as many partial sums as
 * lanes) and of the element loops in {@link BatchNormLoops}; masks are vector compares. Loaded
 * only when the module is resolved.
 */
final class VectorLoops {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private VectorLoops() {}

  static float sum(float[] a, int from, int to) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      acc = acc.add(FloatVector.fromArray(SPECIES, a, i));
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) {
      s += a[i];
    }
    return s;
  }

  static float sumSquaredDeviations(float[] a, int from, int to, float center) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector d = FloatVector.fromArray(SPECIES, a, i).sub(center);
      acc = d.fma(d, acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) {
      float d = a[i] - center;
      s += d * d;
    }
    return s;
  }

  static float centeredDot(float[] g, float[] x, int from, int length, float center) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = from;
    int to = from + length;
    for (; i + LANES <= to; i += LANES) {
      FloatVector d = FloatVector.fromArray(SPECIES, x, i).sub(center);
      acc = FloatVector.fromArray(SPECIES, g, i).fma(d, acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) {
      s += g[i] * (x[i] - center);
    }
    return s;
  }

  static float maskedSum(float[] g, float[] x, int from, int to, float mu, float scale,
      float beta) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      acc = acc.add(FloatVector.fromArray(SPECIES, g, i),
          positiveOutputs(FloatVector.fromArray(SPECIES, x, i), mu, scale, beta));
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) {
      s += Reductions.passWherePositive(g[i], (x[i] - mu) * scale + beta);
    }
    return s;
  }

  static float maskedCenteredDot(float[] g, float[] x, int from, int to, float mu, float scale,
      float beta) {
    FloatVector acc = FloatVector.zero(SPECIES);
    FloatVector zero = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector xv = FloatVector.fromArray(SPECIES, x, i);
      FloatVector gm = zero.blend(FloatVector.fromArray(SPECIES, g, i),
          positiveOutputs(xv, mu, scale, beta));
      acc = gm.fma(xv.sub(mu), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < to; i++) {
      s += Reductions.passWherePositive(g[i], (x[i] - mu) * scale + beta) * (x[i] - mu);
    }
    return s;
  }

  /** Lanes where {@code (x - mu) * scale + beta > 0}, computed as the scalar forward does. */
  private static VectorMask<Float> positiveOutputs(FloatVector x, float mu, float scale,
      float beta) {
    return x.sub(mu).mul(scale).add(beta).compare(VectorOperators.GT, 0f);
  }

  static void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to,
      float mu, float scale, float beta, float gScale, float xScale, float offset) {
    FloatVector zero = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector xv = FloatVector.fromArray(SPECIES, x, i);
      FloatVector g = zero.blend(FloatVector.fromArray(SPECIES, dOut, i),
          positiveOutputs(xv, mu, scale, beta));
      g.mul(gScale).sub(xv.sub(mu).mul(xScale)).sub(offset).intoArray(dIn, i);
    }
    ScalarLoops.batchNormInputGradient(dOut, x, dIn, i, to, mu, scale, beta, gScale, xScale,
        offset);
  }
}
