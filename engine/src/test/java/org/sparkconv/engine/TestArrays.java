package org.sparkconv.engine;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Random inputs and tolerant comparisons shared by the engine tests. */
public final class TestArrays {

  private TestArrays() {}

  /** Uniform values in [-1, 1). */
  public static float[] uniform(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return a;
  }

  /** Asserts |actual - expected| <= abs + rel * |expected| element by element. */
  public static void assertClose(String what, float[] expected, float[] actual, int length,
      double rel, double abs) {
    for (int i = 0; i < length; i++) {
      double e = expected[i];
      double a = actual[i];
      if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
        fail(what + "[" + i + "]: expected " + e + " but was " + a + " (rel " + rel + ", abs "
            + abs + ")");
      }
    }
  }

  public static void assertClose(String what, float[] expected, float[] actual, double rel,
      double abs) {
    if (expected.length != actual.length) {
      fail(what + ": expected " + expected.length + " values but got " + actual.length);
    }
    assertClose(what, expected, actual, expected.length, rel, abs);
  }
}
