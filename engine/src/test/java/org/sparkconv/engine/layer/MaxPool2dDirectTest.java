package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * Max pooling against a direct scan written from the definition, on inputs full of ties and
 * negative values: the output is the window maximum, and backward routes each gradient to the
 * first maximum in row-major window order (padding never wins). Covers the 2x2/stride-2 path
 * and the general one.
 */
class MaxPool2dDirectTest {

  private static void assertMatchesDirect(Shape input, int batch, MaxPool2d.Spec spec) {
    Layer pool = spec.build(input, 0, ComputeContext.defaults());
    pool.reserve(batch);
    SplittableRandom rng = new SplittableRandom(11);
    float[] x = new float[batch * input.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextInt(5) - 2; // five values: most windows hold ties
    }
    Shape out = pool.outputShape();
    float[] y = new float[batch * out.size()];
    pool.forward(x, y, batch, true);
    float[] dOut = new float[y.length];
    for (int i = 0; i < dOut.length; i++) {
      dOut[i] = i + 1; // distinct, so each routed gradient is identifiable
    }
    float[] dIn = new float[x.length];
    pool.backward(x, y, dOut, dIn, batch);

    float[] expectedDIn = new float[x.length];
    int h = input.height();
    int w = input.width();
    int planes = batch * input.channels();
    for (int p = 0; p < planes; p++) {
      for (int oy = 0; oy < out.height(); oy++) {
        for (int ox = 0; ox < out.width(); ox++) {
          int winner = -1;
          for (int ky = 0; ky < spec.kernelH(); ky++) {
            for (int kx = 0; kx < spec.kernelW(); kx++) {
              int iy = oy * spec.strideH() - spec.padH() + ky;
              int ix = ox * spec.strideW() - spec.padW() + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                continue;
              }
              int at = (p * h + iy) * w + ix;
              if (winner < 0 || x[at] > x[winner]) {
                winner = at;
              }
            }
          }
          int o = (p * out.height() + oy) * out.width() + ox;
          assertEquals(x[winner], y[o], "output " + o + " of " + spec + " on " + input);
          expectedDIn[winner] += dOut[o];
        }
      }
    }
    for (int i = 0; i < x.length; i++) {
      assertEquals(expectedDIn[i], dIn[i], "input gradient " + i + " of " + spec + " on "
          + input);
    }
  }

  @Test
  void pairWindowsMatchTheDirectScan() {
    assertMatchesDirect(new Shape(3, 8, 6), 2, MaxPool2d.Spec.of(2));
    assertMatchesDirect(new Shape(2, 7, 9), 3, MaxPool2d.Spec.of(2)); // odd: last row/column unused
    assertMatchesDirect(new Shape(4, 28, 28), 3, MaxPool2d.Spec.of(2)); // a vector a row
    assertMatchesDirect(new Shape(3, 6, 70), 2, MaxPool2d.Spec.of(2)); // three vectors a row
  }

  @Test
  void generalWindowsMatchTheDirectScan() {
    assertMatchesDirect(new Shape(2, 9, 8), 2, new MaxPool2d.Spec(3, 3, 2, 2, 1, 1));
    assertMatchesDirect(new Shape(2, 6, 7), 2, new MaxPool2d.Spec(2, 3, 1, 2, 1, 1));
    assertMatchesDirect(new Shape(1, 9, 9), 1, MaxPool2d.Spec.of(3));
  }

  /**
   * {@code infer} keeps no switches and pools 2x2 windows in vectors where the width is even: the
   * same values as the direct scan, at one and two threads, on planes narrower and wider than a
   * vector; the last plane ends the array (no read or write past it).
   */
  @Test
  void inferenceMatchesTheDirectScan() {
    Shape[] shapes = {new Shape(3, 8, 6), new Shape(2, 7, 10), new Shape(4, 28, 28),
        new Shape(6, 14, 14), new Shape(16, 10, 10), new Shape(1, 2, 2), new Shape(2, 9, 7)};
    for (int threads = 1; threads <= 2; threads++) {
      for (Shape input : shapes) {
        int batch = 3;
        Layer pool = MaxPool2d.Spec.of(2).build(input, 0,
            ComputeContext.defaults().withThreads(threads));
        pool.reserve(batch);
        SplittableRandom rng = new SplittableRandom(input.size());
        float[] x = new float[batch * input.size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) rng.nextGaussian();
        }
        Shape out = pool.outputShape();
        float[] y = new float[batch * out.size()];
        pool.infer(x, y, batch);
        int h = input.height();
        int w = input.width();
        for (int p = 0; p < batch * input.channels(); p++) {
          for (int oy = 0; oy < out.height(); oy++) {
            for (int ox = 0; ox < out.width(); ox++) {
              int at = (p * h + 2 * oy) * w + 2 * ox;
              float expected = Math.max(Math.max(x[at], x[at + 1]),
                  Math.max(x[at + w], x[at + w + 1]));
              assertEquals(expected, y[(p * out.height() + oy) * out.width() + ox],
                  "inference output " + p + "," + oy + "," + ox + " on " + input + " at "
                      + threads + " threads");
            }
          }
        }
      }
    }
  }

  @Test
  void aNanInAWindowWinsInInference() {
    Shape input = new Shape(1, 4, 36);
    Layer pool = MaxPool2d.Spec.of(2).build(input, 0, ComputeContext.defaults());
    pool.reserve(1);
    float[] x = new float[input.size()];
    x[3 * 36 + 21] = Float.NaN; // bottom row of window (1, 10)
    float[] y = new float[pool.outputShape().size()];
    pool.infer(x, y, 1);
    for (int o = 0; o < y.length; o++) {
      assertEquals(o == 18 + 10 ? Float.NaN : 0f, y[o], "output " + o);
    }
  }
}
