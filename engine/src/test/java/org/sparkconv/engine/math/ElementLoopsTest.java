package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Both implementations of the element loops (scalar chains; the Vector API) against plain double
 * loops, over lengths that leave every remainder, with masks that keep about a third.
 */
class ElementLoopsTest {

  private static final List<ElementLoops> BOTH = List.of(new ScalarLoops(), new VectorLoops());

  private static String name(ElementLoops loops) {
    return loops.getClass().getSimpleName();
  }

  @Test
  void theTestsRunWithTheVectorApi() {
    assertTrue(VectorApi.RESOLVED, "the tests run with jdk.incubator.vector");
    assertTrue(ElementLoops.BEST instanceof VectorLoops, "with the module, the vector loops");
  }

  /**
   * A ReLU's gradient to one output and to two: dOut where y is positive (zero and negative y
   * drop it, y = 0 being a ReLU's output for every input at or below zero; -0 drops it, +NaN
   * passes it, as {@link ElementLoops#passWherePositive} says), nothing outside the range
   * written.
   */
  @Test
  void reluGradientPassesWhereTheOutputIsPositive() {
    float[] y = uniform(100, 3);
    for (int i = 0; i < y.length; i += 5) {
      y[i] = 0f;
    }
    for (int i = 2; i < y.length; i += 11) {
      y[i] = -0f;
    }
    for (int i = 3; i < y.length; i += 13) {
      y[i] = Float.NaN;
    }
    float[] dOut = uniform(100, 4);
    for (ElementLoops loops : BOTH) {
      for (int from = 0; from < 3; from++) {
        for (int length = 0; length <= 40; length++) {
          int to = from + length;
          for (boolean two : new boolean[] {false, true}) {
            float[] dIn = uniform(100, 5);
            float[] dIn2 = two ? uniform(100, 6) : null;
            float[] before = dIn.clone();
            loops.reluGradient(dOut, y, dIn, dIn2, from, to);
            for (int i = 0; i < dIn.length; i++) {
              boolean kept = y[i] > 0 || Float.isNaN(y[i]);
              float expected = i < from || i >= to ? before[i] : kept ? dOut[i] : 0f;
              String at = " (" + name(loops) + ") at " + i + " of [" + from + ", " + to + ")";
              assertEquals(expected, dIn[i], 0f, "first output" + at);
              if (two && i >= from && i < to) {
                assertEquals(expected, dIn2[i], 0f, "second output" + at);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void sumsMatchPlainLoops() {
    float[] a = uniform(100, 1);
    float[] g = uniform(100, 2);
    float mu = 0.25f;
    float scale = 1.5f;
    float beta = -0.1f; // (a - mu) * scale + beta > 0 for about a third of a
    for (ElementLoops loops : BOTH) {
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
            centered += g[i] * (a[i] - 0.25); // mu is 0.25
            if ((a[i] - mu) * scale + beta > 0) {
              maskedSum += g[i];
              maskedCentered += g[i] * (a[i] - 0.25);
            }
          }
          String at = " (" + name(loops) + ") over [" + from + ", " + to + ")";
          assertEquals(sum, loops.sum(a, from, to), 1e-5, "sum" + at);
          assertEquals(squares, loops.sumSquaredDeviations(a, from, to, 0.25f), 1e-5,
              "squared deviations" + at);
          double[] sums = {1, 2}; // added onto
          loops.gradientSums(g, a, from, to, mu, scale, beta, false, sums);
          assertEquals(1 + sumOfG(g, from, to), sums[0], 1e-5, "gradient sum" + at);
          assertEquals(2 + centered, sums[1], 1e-5, "centered dot" + at);
          double[] masked = {-1, 3};
          loops.gradientSums(g, a, from, to, mu, scale, beta, true, masked);
          assertEquals(maskedSum - 1, masked[0], 1e-5, "masked sum" + at);
          assertEquals(maskedCentered + 3, masked[1], 1e-5, "masked centered dot" + at);
        }
      }
    }
  }

  private static double sumOfG(float[] g, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      s += g[i];
    }
    return s;
  }

  @Test
  void passWherePositiveKeepsExactlyThePositiveOutputs() {
    assertEquals(3f, ElementLoops.passWherePositive(3f, 0.5f));
    assertEquals(0f, ElementLoops.passWherePositive(3f, 0f));
    assertEquals(0f, ElementLoops.passWherePositive(3f, -0f));
    assertEquals(0f, ElementLoops.passWherePositive(3f, -2f));
    assertEquals(-1.5f, ElementLoops.passWherePositive(-1.5f, Float.MIN_VALUE));
  }

  /**
   * A batch norm's output (with and without its ReLU) and its input gradient without one, to
   * the bit of the formulas in float, in the same order of operations: lengths that leave every
   * remainder (7x7 planes are 49 floats), outputs of exactly zero, a NaN input; nothing outside
   * the range written.
   */
  @Test
  void batchNormOutputAndPlainGradientAreTheirFormulas() {
    float mu = 0.25f;
    float scale = 1.5f;
    float beta = -0.375f; // (x - mu) * scale + beta is exactly 0 at x = 0.5
    float[] x = uniform(100, 7);
    x[9] = 0.5f;
    x[17] = Float.NaN;
    x[30] = 0.5f;
    float[] dOut = uniform(100, 8);
    for (ElementLoops loops : BOTH) {
      for (int from = 0; from < 3; from++) {
        for (int length = 0; length <= 52; length++) {
          int to = from + length;
          String at = " (" + name(loops) + ") over [" + from + ", " + to + ")";
          for (boolean relu : new boolean[] {false, true}) {
            float[] out = uniform(100, 9);
            float[] before = out.clone();
            loops.batchNormOutput(x, out, from, to, mu, scale, beta, relu);
            for (int i = 0; i < out.length; i++) {
              float y = (x[i] - mu) * scale + beta;
              float expected = i < from || i >= to ? before[i] : relu ? Math.max(y, 0f) : y;
              assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[i]),
                  (relu ? "output with ReLU" : "output") + at + " at " + i);
            }
          }
          float[] dIn = uniform(100, 10);
          float[] before = dIn.clone();
          loops.batchNormInputGradient(dOut, x, dIn, from, to, mu, 1.5f, 0.5f, 0.2f);
          for (int i = 0; i < dIn.length; i++) {
            float expected = i < from || i >= to ? before[i]
                : 1.5f * dOut[i] - 0.5f * (x[i] - mu) - 0.2f;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(dIn[i]),
                "input gradient" + at + " at " + i);
          }
        }
      }
    }
  }

  @Test
  void batchNormInputGradientThroughReluMatchesThePlainFormula() {
    float[] dOut = uniform(70, 4);
    float[] x = uniform(70, 5);
    float mu = 0.1f;
    float scale = 2f;
    float beta = 0.3f;
    for (ElementLoops loops : BOTH) {
      for (int to = 50; to <= 70; to += 7) {
        float[] dIn = new float[70];
        loops.batchNormInputGradient(dOut, x, dIn, 3, to, mu, scale, beta, 1.5f, 0.5f, 0.2f);
        for (int i = 0; i < 70; i++) {
          float g = (x[i] - mu) * scale + beta > 0 ? dOut[i] : 0f;
          double expected = i < 3 || i >= to ? 0 : 1.5 * g - 0.5 * (x[i] - mu) - 0.2;
          assertEquals(expected, dIn[i], 1e-6, name(loops) + " dIn[" + i + "] up to " + to);
        }
      }
    }
  }

  @Test
  void addAccumulatesOneRunOntoAnother() {
    for (ElementLoops loops : BOTH) {
      for (int length = 0; length <= 40; length++) {
        float[] src = uniform(45, 6);
        float[] dst = uniform(50, 7);
        float[] expected = dst.clone();
        for (int i = 0; i < length; i++) {
          expected[4 + i] += src[2 + i];
        }
        loops.add(src, 2, dst, 4, length);
        for (int i = 0; i < dst.length; i++) {
          assertEquals(expected[i], dst[i], name(loops) + " dst[" + i + "] after adding "
              + length);
        }
      }
    }
  }

  @Test
  void maxPoolTakesTheMaximumOfEachTwoByTwoWindow() {
    int[][] shapes = {{2, 2}, {4, 6}, {7, 10}, {14, 14}, {28, 28}, {10, 40}, {3, 34}};
    for (ElementLoops loops : BOTH) {
      for (int[] shape : shapes) {
        int h = shape[0];
        int w = shape[1];
        int planes = 5;
        float[] in = uniform(planes * h * w, h * 100 + w);
        int outPlane = (h / 2) * (w / 2);
        float[] out = uniform(planes * outPlane, 9); // what is not written stays
        float[] before = out.clone();
        loops.maxPool2x2(in, out, 1, planes, h, w); // the last plane ends the array
        for (int i = 0; i < outPlane; i++) {
          assertEquals(before[i], out[i], name(loops) + ": plane 0 is not in the range");
        }
        for (int p = 1; p < planes; p++) {
          for (int r = 0; r < h / 2; r++) {
            for (int c = 0; c < w / 2; c++) {
              int at = p * h * w + 2 * r * w + 2 * c;
              float expected = Math.max(Math.max(in[at], in[at + 1]),
                  Math.max(in[at + w], in[at + w + 1]));
              assertEquals(expected, out[p * outPlane + r * (w / 2) + c],
                  name(loops) + " " + h + "x" + w + " plane " + p + " at " + r + "," + c);
            }
          }
        }
        float[] partly = before.clone(); // a range another worker's planes follow
        loops.maxPool2x2(in, partly, 1, planes - 1, h, w);
        for (int i = (planes - 1) * outPlane; i < partly.length; i++) {
          assertEquals(before[i], partly[i], name(loops) + " " + h + "x" + w
              + ": the plane past the range is not written");
        }
        assertEquals(out[outPlane], partly[outPlane], name(loops) + " " + h + "x" + w);
      }
    }
  }

  /**
   * The vector tournament picks the scalar one's winners: on ties, signed zeros and NaNs, with
   * rows of one vector, three, and less than one, and a range whose last row ends the array.
   */
  @Test
  void maxPoolWinnersAreTheScalarTournaments() {
    float[] values = {-1f, 0f, -0f, 1f, Float.NaN, 1f, 0f};
    int[][] shapes = {{4, 32}, {6, 70}, {5, 9}, {28, 28}, {2, 2}};
    for (int[] shape : shapes) {
      int h = shape[0];
      int w = shape[1];
      int planes = 4;
      java.util.SplittableRandom rng = new java.util.SplittableRandom(h * 31 + w);
      float[] in = new float[planes * h * w];
      for (int i = 0; i < in.length; i++) {
        in[i] = values[rng.nextInt(values.length)];
      }
      int outputs = planes * (h / 2) * (w / 2);
      float[] expected = new float[outputs];
      int[] expectedSwitches = new int[outputs];
      new ScalarLoops().maxPool2x2(in, expected, expectedSwitches, 1, planes, h, w);
      float[] actual = new float[outputs];
      int[] actualSwitches = new int[outputs];
      new VectorLoops().maxPool2x2(in, actual, actualSwitches, 1, planes, h, w);
      for (int o = (h / 2) * (w / 2); o < outputs; o++) {
        assertEquals(expectedSwitches[o], actualSwitches[o], h + "x" + w + " winner " + o);
        assertEquals(Float.floatToRawIntBits(expected[o]), Float.floatToRawIntBits(actual[o]),
            h + "x" + w + " value " + o);
      }
    }
  }
}
