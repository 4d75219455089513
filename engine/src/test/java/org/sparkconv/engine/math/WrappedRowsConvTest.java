package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

/**
 * The convolution on wrapping rows against convolution from its definition, summed in double:
 * forward (with a bias, and without one: then written in place where the output channels
 * fill the kernel's 8-row panels), the input gradient through its adjoint plan and the weight
 * gradient by pixels, over several images with the scratch reused, for "same" geometries whose
 * border columns wrap by one and two columns, on one side or both (an even kernel, rows
 * narrower than the kernel), with partial panels of output channels, planes that end past
 * their whole vectors or are shorter than one, and border columns of 4 to 28 pixels (the
 * pixel lists' tiles of 7 and 4); and the geometries it declines.
 */
class WrappedRowsConvTest {

  /** As {@link DirectConvTest}'s cases: every one a "same" convolution. */
  private static final int[][] CASES = {
      {1, 6, 28, 28, 5, 5, 2, 2, 2, 2, 1, 1}, // LeNet-5's first conv: two columns each side
      {16, 16, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1}, // ResNet-20 stage 1
      {32, 32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1}, // stage 2: runs of 192, a tail of 4 pixels
      {5, 50, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1}, // 50 outputs: a partial panel
      {9, 3, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1}, // 3 outputs, 9 channels
      {2, 3, 6, 5, 4, 4, 1, 1, 2, 2, 1, 1}, // even kernel: one column left, two right
      {3, 4, 6, 2, 5, 5, 2, 2, 2, 2, 1, 1}, // rows narrower than the kernel: both sides wrap
      {2, 5, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1}, // a 12-pixel plane: shorter than a vector
      {1, 1, 7, 1, 3, 1, 1, 0, 1, 0, 1, 1}, // one-column kernel: nothing wraps
  };

  @Test
  void forwardAndInputGradientMatchTheDefinition() {
    long seed = 3;
    for (int[] c : CASES) {
      ConvGeometry g = DirectConvTest.geometry(c);
      int cout = c[1];
      assertTrue(WrappedRowsConv.applies(g), "applies to " + g);
      int images = 3;
      int inSize = g.imageSize();
      int outSize = cout * g.outH() * g.outW();
      float[] x = uniform(images * inSize, seed++);
      float[] w = uniform(cout * g.colRows(), seed++);
      float[] bias = uniform(cout, seed++);
      float[] dy = uniform(images * outSize, seed++);

      WrappedRowsConv f = WrappedRowsConv.forward(g, cout);
      WrappedRowsConv b = WrappedRowsConv.adjoint(g, cout);
      float[] packed = new float[DirectConv.forward(g, cout).packedWeightsSize()];
      DirectConv.forward(g, cout).packWeights(w, 0, packed);
      float[] packedAdjoint = new float[DirectConv.adjoint(g, cout).packedWeightsSize()];
      DirectConv.adjoint(g, cout).packAdjointWeights(w, 0, packedAdjoint);
      float[] lists = new float[f.listWeightsSize()];
      f.packListWeights(packed, lists);
      float[] adjointLists = new float[b.listWeightsSize()];
      b.packListWeights(packedAdjoint, adjointLists);

      float[] y = new float[images * outSize];
      float[] unbiased = new float[images * outSize];
      float[] dx = new float[images * inSize];
      float[] padded = new float[f.paddedSize()];
      float[] result = new float[f.resultSize()];
      float[] paddedGrad = new float[b.paddedSize()];
      float[] resultGrad = new float[b.resultSize()];
      for (int n = 0; n < images; n++) {
        f.pad(x, n * inSize, padded);
        f.convolve(padded, packed, lists, bias, 0, y, n * outSize, result, null, null, false,
            null);
        f.convolve(padded, packed, lists, null, 0, unbiased, n * outSize, result, null, null,
            false, null);
        b.pad(dy, n * outSize, paddedGrad);
        b.convolve(paddedGrad, packedAdjoint, adjointLists, null, 0, dx, n * inSize,
            resultGrad, null, null, false, null);
      }
      // the weight gradient by pixels, one image at a time into the same lane partial sums,
      // the output gradient copied to whole runs; where its planes are whole runs (28x28:
      // LeNet-5's first conv, ResNet-20's stage 1), read in place too, to the same bits
      float[] partial = new float[f.pixelPartialsSize()];
      float[] dyP = new float[f.gradientSize()];
      for (int n = 0; n < images; n++) {
        f.pad(x, n * inSize, padded);
        f.padGradient(dy, n * outSize, dyP);
        f.weightGradientByPixels(padded, dyP, 0, dyP, partial);
      }
      assertEquals(g.outH() * g.outW() % 16 == 0, f.readsGradientInPlace(), "in place: " + g);
      if (f.readsGradientInPlace()) {
        float[] inPlace = new float[f.pixelPartialsSize()];
        float[] scratch = new float[f.gradientSize()];
        for (int n = 0; n < images; n++) {
          f.pad(x, n * inSize, padded);
          f.weightGradientByPixels(padded, dy, n * outSize, scratch, inPlace);
        }
        assertArrayEquals(partial, inPlace, "weight gradient read in place " + g);
      }
      float[] dw = uniform(w.length, seed++); // accumulated onto, as a layer's gradient is
      double[] dwExpected = new double[w.length];
      for (int i = 0; i < w.length; i++) {
        dwExpected[i] = dw[i];
      }
      f.addPixelPartials(partial, dw, 0);

      double[][] expected = DirectConvTest.reference(g, cout, images, x, w, bias, dy);
      DirectConvTest.assertClose(expected[0], y, "forward " + g);
      double[] expectedUnbiased = DirectConvTest.reference(g, cout, images, x, w,
          new float[cout], dy)[0];
      DirectConvTest.assertClose(expectedUnbiased, unbiased,
          "forward without a bias" + (f.writesInPlace() ? " (in place) " : " ") + g);
      DirectConvTest.assertClose(expected[1], dx, "input gradient " + g);
      for (int i = 0; i < w.length; i++) {
        dwExpected[i] += expected[2][i];
      }
      DirectConvTest.assertClose(dwExpected, dw, "weight gradient by pixels " + g);
    }
  }

  @Test
  void declinesWhatIsNotASameConvolution() {
    int[][] others = {
        {3, 5, 9, 7, 3, 3, 0, 0, 0, 0, 1, 1}, // valid
        {3, 2, 4, 4, 3, 3, 2, 2, 2, 2, 1, 1}, // full
        {2, 7, 8, 7, 3, 3, 2, 2, 2, 2, 2, 2}, // dilated
        {16, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2}, // strided
    };
    for (int[] c : others) {
      ConvGeometry g = DirectConvTest.geometry(c);
      assertEquals(false, WrappedRowsConv.applies(g), "declines " + g);
    }
  }
}
