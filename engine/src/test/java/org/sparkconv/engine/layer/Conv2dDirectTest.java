package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkconv.engine.TestArrays.assertClose;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/** Conv2d (im2col + GEMM) against a direct seven-loop convolution written from the definition. */
class Conv2dDirectTest {

  private static void assertMatchesDirect(Shape input, int batch, Conv2d.Spec spec) {
    Network net = Network.build(NetworkSpec.sequential("direct", input, List.of(spec)));
    System.arraycopy(uniform(net.params().length, 5), 0, net.params(), 0, net.params().length);
    float[] x = uniform(batch * input.size(), 6);
    Tensor y = net.forward(new Tensor(x, 0, batch, input), false);

    int cin = input.channels();
    int h = input.height();
    int w = input.width();
    int top = spec.padding().before(h, spec.kernelH(), spec.strideH(), spec.dilationH(), true);
    int left = spec.padding().before(w, spec.kernelW(), spec.strideW(), spec.dilationW(), false);
    Shape out = y.shape();
    float[] weight = net.params();
    int biasAt = spec.outChannels() * cin * spec.kernelH() * spec.kernelW();
    float[] expected = new float[y.length()];
    for (int n = 0; n < batch; n++) {
      for (int co = 0; co < out.channels(); co++) {
        for (int oy = 0; oy < out.height(); oy++) {
          for (int ox = 0; ox < out.width(); ox++) {
            double sum = spec.bias() ? weight[biasAt + co] : 0;
            for (int ci = 0; ci < cin; ci++) {
              for (int ky = 0; ky < spec.kernelH(); ky++) {
                for (int kx = 0; kx < spec.kernelW(); kx++) {
                  int iy = oy * spec.strideH() - top + ky * spec.dilationH();
                  int ix = ox * spec.strideW() - left + kx * spec.dilationW();
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                    continue;
                  }
                  sum += weight[((co * cin + ci) * spec.kernelH() + ky) * spec.kernelW() + kx]
                      * x[((n * cin + ci) * h + iy) * w + ix];
                }
              }
            }
            expected[((n * out.channels() + co) * out.height() + oy) * out.width() + ox] =
                (float) sum;
          }
        }
      }
    }
    assertClose("conv output for " + spec + " on " + input, expected, y.toArray(), 1e-5, 1e-5);
  }

  private static Conv2d.Spec spec(int out, int kh, int kw, int s, Padding p, int d, boolean b) {
    return new Conv2d.Spec(0, out, kh, kw, s, s, p, d, d, b, Init.HE_NORMAL);
  }

  @Test
  void matchesDirectConvolutionOverGeometries() {
    Shape in = new Shape(3, 9, 8);
    assertMatchesDirect(in, 2, spec(4, 3, 3, 1, Padding.of(1), 1, true));
    assertMatchesDirect(in, 2, spec(4, 3, 3, 2, Padding.of(1), 1, true));
    assertMatchesDirect(in, 2, spec(2, 5, 3, 1, Padding.of(2, 1), 1, false));
    assertMatchesDirect(in, 1, spec(5, 3, 3, 1, Padding.VALID, 2, true));
    assertMatchesDirect(in, 2, spec(3, 4, 4, 1, Padding.SAME, 1, true));
    assertMatchesDirect(in, 2, spec(3, 3, 3, 2, Padding.SAME, 1, true));
    assertMatchesDirect(in, 2, spec(3, 2, 3, 1, Padding.FULL, 1, true));
    assertMatchesDirect(in, 3, spec(6, 1, 1, 1, Padding.of(0), 1, true));
    assertMatchesDirect(new Shape(1, 28, 28), 2, spec(6, 5, 5, 1, Padding.of(2), 1, true));
  }

  @Test
  void paddingModesGiveTheDocumentedOutputSizes() {
    Shape in = new Shape(1, 10, 7);
    int k = 3;
    assertEquals(new Shape(2, 10 - k + 1, 7 - k + 1),
        spec(2, k, k, 1, Padding.VALID, 1, true).outputShape(in, 0));
    assertEquals(new Shape(2, 10, 7), spec(2, k, k, 1, Padding.SAME, 1, true).outputShape(in, 0));
    assertEquals(new Shape(2, 10 + k - 1, 7 + k - 1),
        spec(2, k, k, 1, Padding.FULL, 1, true).outputShape(in, 0));
    assertEquals(new Shape(2, 10, 7), spec(2, 4, 4, 1, Padding.SAME, 1, true).outputShape(in, 0));
    assertEquals(new Shape(2, 5, 4), spec(2, 3, 3, 2, Padding.SAME, 1, true).outputShape(in, 0));
    // floor((N + 2P - D(K-1) - 1) / S) + 1 = floor((10 + 2 - 4 - 1) / 2) + 1 = 4
    assertEquals(new Shape(2, 4, 3), spec(2, 3, 3, 2, Padding.of(1), 2, true).outputShape(in, 0));
  }
}
