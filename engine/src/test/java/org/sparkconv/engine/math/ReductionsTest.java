package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

/**
 * Both implementations of the reductions (eight scalar chains; the Vector API) against plain
 * double loops, over lengths that leave every remainder, with masks that keep about a third.
 */
class ReductionsTest {

  private interface Sums {
    float sum(float[] a, int from, int to);

    float squares(float[] a, int from, int to, float center);

    float centered(float[] g, float[] x, int from, int length, float center);

    float maskedSum(float[] g, float[] x, int from, int to, float mu, float scale, float beta);

    float maskedCentered(float[] g, float[] x, int from, int to, float mu, float scale,
        float beta);
  }

  private static void assertMatchesPlainLoops(String which, Sums sums) {
    float[] a = uniform(100, 1);
    float[] g = uniform(100, 2);
    float mu = 0.25f;
    float scale = 1.5f;
    float beta = -0.1f; // (a - mu) * scale + beta > 0 for about a third of a
    for (int from = 0; from < 3; from++) {
      for (int length = 0; length <= 40; length++) {
        int to = from + length;
        double sum = 0;
        double squares = 0;
        double centered = 0;
        double maskedSum = 0;
        double maskedCentered = 0;
        for (int i = from; i < to; i++) {
          sum += a[i];
          squares += (a[i] - 0.25) * (a[i] - 0.25);
          centered += g[i] * (a[i] - 0.25);
          if ((a[i] - mu) * scale + beta > 0) {
            maskedSum += g[i];
            maskedCentered += g[i] * (a[i] - 0.25);
          }
        }
        String at = " (" + which + ") over [" + from + ", " + to + ")";
        assertEquals(sum, sums.sum(a, from, to), 1e-5, "sum" + at);
        assertEquals(squares, sums.squares(a, from, to, 0.25f), 1e-5, "squared deviations" + at);
        assertEquals(centered, sums.centered(g, a, from, length, 0.25f), 1e-5,
            "centered dot" + at);
        assertEquals(maskedSum, sums.maskedSum(g, a, from, to, mu, scale, beta), 1e-5,
            "masked sum" + at);
        assertEquals(maskedCentered, sums.maskedCentered(g, a, from, to, mu, scale, beta), 1e-5,
            "masked centered dot" + at);
      }
    }
  }

  @Test
  void scalarChainsMatchPlainLoops() {
    assertMatchesPlainLoops("scalar", new Sums() {
      public float sum(float[] a, int from, int to) {
        return ScalarLoops.sum(a, from, to);
      }

      public float squares(float[] a, int from, int to, float center) {
        return ScalarLoops.sumSquaredDeviations(a, from, to, center);
      }

      public float centered(float[] g, float[] x, int from, int length, float center) {
        return ScalarLoops.centeredDot(g, x, from, length, center);
      }

      public float maskedSum(float[] g, float[] x, int from, int to, float mu, float scale,
          float beta) {
        return ScalarLoops.maskedSum(g, x, from, to, mu, scale, beta);
      }

      public float maskedCentered(float[] g, float[] x, int from, int to, float mu,
          float scale, float beta) {
        return ScalarLoops.maskedCenteredDot(g, x, from, to, mu, scale, beta);
      }
    });
  }

  @Test
  void vectorApiMatchesPlainLoops() {
    assertEquals(true, VectorApi.RESOLVED, "the tests run with jdk.incubator.vector");
    assertMatchesPlainLoops("vector", new Sums() {
      public float sum(float[] a, int from, int to) {
        return VectorLoops.sum(a, from, to);
      }

      public float squares(float[] a, int from, int to, float center) {
        return VectorLoops.sumSquaredDeviations(a, from, to, center);
      }

      public float centered(float[] g, float[] x, int from, int length, float center) {
        return VectorLoops.centeredDot(g, x, from, length, center);
      }

      public float maskedSum(float[] g, float[] x, int from, int to, float mu, float scale,
          float beta) {
        return VectorLoops.maskedSum(g, x, from, to, mu, scale, beta);
      }

      public float maskedCentered(float[] g, float[] x, int from, int to, float mu,
          float scale, float beta) {
        return VectorLoops.maskedCenteredDot(g, x, from, to, mu, scale, beta);
      }
    });
  }

  @Test
  void passWherePositiveKeepsExactlyThePositiveOutputs() {
    assertEquals(3f, Reductions.passWherePositive(3f, 0.5f));
    assertEquals(0f, Reductions.passWherePositive(3f, 0f));
    assertEquals(0f, Reductions.passWherePositive(3f, -0f));
    assertEquals(0f, Reductions.passWherePositive(3f, -2f));
    assertEquals(-1.5f, Reductions.passWherePositive(-1.5f, Float.MIN_VALUE));
  }

  @Test
  void batchNormInputGradientThroughReluMatchesThePlainFormula() {
    float[] dOut = uniform(70, 4);
    float[] x = uniform(70, 5);
    float mu = 0.1f;
    float scale = 2f;
    float beta = 0.3f;
    for (int to = 50; to <= 70; to += 7) {
      float[] scalar = new float[70];
      float[] vector = new float[70];
      ScalarLoops.batchNormInputGradient(dOut, x, scalar, 3, to, mu, scale, beta, 1.5f, 0.5f,
          0.2f);
      VectorLoops.batchNormInputGradient(dOut, x, vector, 3, to, mu, scale, beta, 1.5f, 0.5f,
          0.2f);
      for (int i = 0; i < 70; i++) {
        float g = (x[i] - mu) * scale + beta > 0 ? dOut[i] : 0f;
        double expected = i < 3 || i >= to ? 0 : 1.5 * g - 0.5 * (x[i] - mu) - 0.2;
        assertEquals(expected, scalar[i], 1e-6, "scalar dIn[" + i + "] up to " + to);
        assertEquals(expected, vector[i], 1e-6, "vector dIn[" + i + "] up to " + to);
      }
    }
  }
}
