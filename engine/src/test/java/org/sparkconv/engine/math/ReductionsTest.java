package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

/** The unrolled sums against plain double loops, over lengths that leave every remainder. */
class ReductionsTest {

  @Test
  void matchPlainSumsOverEveryRemainder() {
    float[] a = uniform(100, 1);
    float[] b = uniform(100, 2);
    for (int from = 0; from < 3; from++) {
      for (int length = 0; length <= 40; length++) {
        int to = from + length;
        double sum = 0;
        double squares = 0;
        double centered = 0;
        for (int i = from; i < to; i++) {
          sum += a[i];
          squares += (a[i] - 0.25) * (a[i] - 0.25);
          centered += b[i] * (a[i] - 0.25);
        }
        String at = " over [" + from + ", " + to + ")";
        assertEquals(sum, Reductions.sum(a, from, to), 1e-5, "sum" + at);
        assertEquals(squares, Reductions.sumSquaredDeviations(a, from, to, 0.25f), 1e-5,
            "squared deviations" + at);
        assertEquals(centered, Reductions.centeredDot(b, a, from, length, 0.25f), 1e-5,
            "centered dot" + at);
      }
    }
  }
}
