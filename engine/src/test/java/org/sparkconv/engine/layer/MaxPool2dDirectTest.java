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
  }

  @Test
  void generalWindowsMatchTheDirectScan() {
    assertMatchesDirect(new Shape(2, 9, 8), 2, new MaxPool2d.Spec(3, 3, 2, 2, 1, 1));
    assertMatchesDirect(new Shape(2, 6, 7), 2, new MaxPool2d.Spec(2, 3, 1, 2, 1, 1));
    assertMatchesDirect(new Shape(1, 9, 9), 1, MaxPool2d.Spec.of(3));
  }
}
