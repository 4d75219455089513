package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The direct stride-1 kernel against convolution from its definition, summed in double: the
 * forward pass, the input gradient through the adjoint plan and the weight gradient over
 * several images, for kernels, paddings (valid, "same" incl. the asymmetric even-kernel case,
 * "full"), strides, dilations and channel counts that exercise every edge of the 8 x 3-vector
 * tiles, the 1-vector run ends, and the 8- and 16-tap tiles of the weight gradient by channels
 * (outputs 1 to 64, depths 2 to 576); at stride 1 the weight gradient by pixels too (its 4 x 6
 * and 4 x 4 tiles and the rows and steps left over, its runs crossing from one image to the
 * next).
 */
class DirectConvTest {

  /**
   * (inChannels, outChannels, h, w, kh, kw, padTop, padLeft, padBottom, padRight, dh, dw[, sh,
   * sw]): stride 1 unless given.
   */
  private static final int[][] CASES = {
      {1, 6, 28, 28, 5, 5, 2, 2, 2, 2, 1, 1}, // LeNet-5's first conv, "same"
      {16, 16, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1}, // ResNet-20 stage 1
      {64, 64, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1}, // stage 3: runs shorter than a tile
      {32, 32, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1}, // stage 2: runs end 2 vectors past a tile
      {5, 50, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1}, // 50 outputs in 64 lanes: 6-tap tiles, 3 taps left
      {3, 100, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1}, // 100 outputs: channel tiles of 4, 2 and 1 vectors
      {3, 64, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1}, // 49 pixels: eight 6-pixel tiles and one alone
      {3, 5, 9, 7, 3, 3, 0, 0, 0, 0, 1, 1}, // valid; 5 outputs: partial panels and dot tiles
      {2, 3, 6, 5, 4, 4, 1, 1, 2, 2, 1, 1}, // "same" with an even kernel: asymmetric
      {2, 7, 8, 7, 3, 3, 2, 2, 2, 2, 2, 2}, // "same" with dilation 2
      {3, 2, 4, 4, 3, 3, 2, 2, 2, 2, 1, 1}, // "full"
      {5, 9, 5, 11, 2, 3, 0, 1, 1, 1, 1, 2}, // mixed kernel and dilation per axis
      {1, 1, 7, 1, 3, 1, 1, 0, 1, 0, 1, 1}, // one-pixel-wide rows
      {4, 8, 6, 7, 3, 2, 1, 0, 1, 1, 1, 1}, // two columns wide: steps in pairs, no wide tiles
      // By channels, sliding along rows (at most 16 outputs, 5-wide kernels):
      {6, 16, 14, 14, 5, 5, 0, 0, 0, 0, 1, 1}, // LeNet-5's second conv: rows of one tile
      {3, 12, 13, 24, 5, 5, 2, 2, 2, 2, 1, 1}, // 12 outputs, rows of 24: tiles overlap by 6
      {4, 16, 9, 13, 5, 5, 1, 1, 1, 1, 1, 1}, // rows of 11: tiles overlap by 9
      {3, 14, 12, 16, 5, 5, 4, 2, 4, 2, 2, 1}, // dilated only along columns
      // Strided: phase planes; the input gradient is left to GEMM + col2im.
      {16, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2}, // ResNet-20's downsampling conv
      {16, 32, 28, 28, 1, 1, 0, 0, 0, 0, 1, 1, 2, 2}, // and its projection shortcut
      {3, 5, 11, 9, 3, 2, 1, 0, 1, 1, 2, 1, 3, 2}, // stride 3x2, dilated rows, unused last rows
      {2, 3, 8, 8, 5, 5, 2, 2, 2, 2, 1, 1, 2, 2}, // odd padded extent: phases of unequal size
  };

  static ConvGeometry geometry(int[] c) {
    int sh = c.length > 12 ? c[12] : 1;
    int sw = c.length > 12 ? c[13] : 1;
    int outH = ConvGeometry.outputLength(c[2], c[6], c[8], c[4], sh, c[10]);
    int outW = ConvGeometry.outputLength(c[3], c[7], c[9], c[5], sw, c[11]);
    return new ConvGeometry(c[0], c[2], c[3], c[4], c[5], sh, sw, c[6], c[7], c[10], c[11],
        outH, outW);
  }

  @Test
  void forwardInputGradientAndWeightGradientMatchTheDefinition() {
    long seed = 7;
    for (int[] c : CASES) {
      ConvGeometry g = geometry(c);
      int cout = c[1];
      assertTrue(DirectConv.supports(g), "supported: " + g);
      int images = 11; // more than one weight-gradient chunk
      int inSize = g.imageSize();
      int outSize = cout * g.outH() * g.outW();
      float[] x = uniform(images * inSize, seed++);
      float[] w = uniform(cout * g.colRows(), seed++);
      float[] bias = uniform(cout, seed++);
      float[] dy = uniform(images * outSize, seed++);

      boolean strided = g.strideH() > 1 || g.strideW() > 1;
      assertEquals(!strided, DirectConv.hasAdjoint(g), "an adjoint for " + g);
      DirectConv f = DirectConv.forward(g, cout);
      DirectConv b = strided ? null : DirectConv.adjoint(g, cout);
      float[] packed = new float[f.packedWeightsSize()];
      f.packWeights(w, 0, packed);
      float[] packedAdjoint = strided ? null : new float[b.packedWeightsSize()];
      if (!strided) {
        b.packAdjointWeights(w, 0, packedAdjoint);
      }
      float[] y = new float[images * outSize];
      float[] dx = new float[images * inSize];
      float[] padded = new float[images * f.paddedSize()];
      float[] dyT = new float[images * f.transposedGradientSize()];
      float[] result = new float[f.resultSize()];
      float[] paddedGrad = strided ? null : new float[b.paddedSize()];
      float[] resultGrad = strided ? null : new float[b.resultSize()];
      for (int n = 0; n < images; n++) {
        f.pad(x, n * inSize, padded, n * f.paddedSize());
        f.convolve(Arrays.copyOfRange(padded, n * f.paddedSize(),
            (n + 1) * f.paddedSize()), packed, bias, 0, y, n * outSize, result);
        f.transposeGradient(dy, n * outSize, dyT, n * f.transposedGradientSize());
        if (!strided) {
          b.pad(dy, n * outSize, paddedGrad, 0);
          b.convolve(paddedGrad, packedAdjoint, null, 0, dx, n * inSize, resultGrad);
        }
      }
      float[] dw = uniform(w.length, seed++); // accumulated onto, as a layer's gradient is
      float[] dwBefore = dw.clone();
      float[] accT = new float[f.transposedWeightsSize()];
      int[] chunkOffsets = f.chunkPixelOffsets(images - 4); // a chunk of 4, then the rest
      f.weightGradientByChannels(padded, dyT, 4, chunkOffsets, accT);
      f.weightGradientByChannels(Arrays.copyOfRange(padded, 4 * f.paddedSize(), padded.length),
          Arrays.copyOfRange(dyT, 4 * f.transposedGradientSize(), dyT.length), images - 4,
          chunkOffsets, accT);
      f.addTransposedWeights(accT, dw, 0);

      double[][] expected = reference(g, cout, images, x, w, bias, dy);
      assertClose(expected[0], y, "forward " + g);
      if (!strided) {
        assertClose(expected[1], dx, "input gradient " + g);
      }
      // vectors over output channels: the same convolutions, transposed
      float[] packedT = new float[f.channelPackedWeightsSize()];
      f.packWeightsByChannels(w, 0, packedT);
      float[] resultT = new float[f.channelResultSize()];
      float[] yT = new float[images * outSize];
      float[] dxT = new float[images * inSize];
      float[] packedAdjointT = strided ? null : new float[b.channelPackedWeightsSize()];
      float[] resultGradT = strided ? null : new float[b.channelResultSize()];
      if (!strided) {
        b.packAdjointWeightsByChannels(w, 0, packedAdjointT);
      }
      for (int n = 0; n < images; n++) {
        f.convolveByChannels(Arrays.copyOfRange(padded, n * f.paddedSize(),
            (n + 1) * f.paddedSize()), packedT, bias, 0, yT, n * outSize, resultT, null, null,
            false, null);
        if (!strided) {
          b.pad(dy, n * outSize, paddedGrad, 0);
          b.convolveByChannels(paddedGrad, packedAdjointT, null, 0, dxT, n * inSize,
              resultGradT, null, null, false, null);
        }
      }
      assertClose(expected[0], yT, "forward by channels " + g);
      if (!strided) {
        assertClose(expected[1], dxT, "input gradient by channels " + g);
      }
      double[] dwExpected = expected[2];
      for (int i = 0; i < dw.length; i++) {
        dwExpected[i] += dwBefore[i];
      }
      assertClose(dwExpected, dw, "weight gradient " + g);
      if (!strided) {
        // by pixels: the output gradient in the padded image's rows, chunks of 4 and 7 images
        float[] dyP = new float[images * f.paddedGradientSize()];
        for (int n = 0; n < images; n++) {
          f.padGradient(dy, n * outSize, dyP, n * f.paddedGradientSize());
        }
        float[] partial = new float[f.pixelPartialsSize()];
        f.weightGradientByPixels(padded, dyP, 4, partial);
        f.weightGradientByPixels(Arrays.copyOfRange(padded, 4 * f.paddedSize(), padded.length),
            Arrays.copyOfRange(dyP, 4 * f.paddedGradientSize(), dyP.length), images - 4,
            partial);
        float[] dwByPixels = dwBefore.clone();
        f.addPixelPartials(partial, dwByPixels, 0);
        assertClose(dwExpected, dwByPixels, "weight gradient by pixels " + g);
      }
    }
  }

  /**
   * The output gradient transposed to pixel-major rows equals its definition bit for bit:
   * whole vectors of channels (gathered with 512-bit vectors), channels past them, no whole
   * vector, at an offset; the padding channels and everything outside the rows stay untouched.
   */
  @Test
  void transposedGradientIsTheGradientByPixel() {
    int[][] cases = {{32, 28}, {24, 7}, {5, 9}, {64, 14}, {16, 3}}; // (outChannels, side)
    long seed = 41;
    for (int[] c : cases) {
      int k = c[0];
      int side = c[1];
      ConvGeometry g = new ConvGeometry(3, side, side, 3, 3, 1, 1, 1, 1, 1, 1, side, side);
      DirectConv f = DirectConv.forward(g, k);
      int pixels = side * side;
      int width = f.transposedGradientSize() / pixels;
      assertTrue(width >= k && width % 16 == 0, "rows of whole 16-channel groups: " + width);
      int off = 3;
      int dyOff = 5;
      float[] dOut = uniform(off + k * pixels + 2, seed++);
      float[] dyT = new float[dyOff + f.transposedGradientSize() + 4];
      Arrays.fill(dyT, Float.NaN);
      f.transposeGradient(dOut, off, dyT, dyOff);
      for (int i = 0; i < dyT.length; i++) {
        int q = (i - dyOff) / width;
        int o = (i - dyOff) % width;
        boolean inside = i >= dyOff && q < pixels && o < k;
        float expected = inside ? dOut[off + o * pixels + q] : Float.NaN;
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(dyT[i]),
            k + " channels of " + side + "x" + side + ": at " + i);
      }
    }
  }

  /**
   * Which convolutions by channels slide along rows ({@link SlidingRowKernel}): the four cases
   * above marked so, and the adjoint of a 16-to-16 5x5 conv; not dilated rows, more than 16
   * outputs, rows narrower than a tile, other kernel widths or strides. Where it would compute
   * few dropped columns by pixels, it does not pay.
   */
  @Test
  void slidingRowsTakeNarrowOutputsOnRowsAtLeastATileWide() {
    int[][] slide = {
        {6, 16, 14, 14, 5, 5, 0, 0, 0, 0, 1, 1}, {3, 12, 13, 24, 5, 5, 2, 2, 2, 2, 1, 1},
        {4, 16, 9, 13, 5, 5, 1, 1, 1, 1, 1, 1}, {3, 14, 12, 16, 5, 5, 4, 2, 4, 2, 2, 1}};
    for (int[] c : slide) {
      ConvGeometry g = geometry(c);
      assertTrue(DirectConv.forward(g, c[1]).slidesRows(), "forward " + g + " -> " + c[1]);
    }
    ConvGeometry sixteen = geometry(new int[] {16, 16, 20, 20, 5, 5, 2, 2, 2, 2, 1, 1});
    assertTrue(DirectConv.adjoint(sixteen, 16).slidesRows(), "16-channel adjoint");
    assertTrue(DirectConv.forward(geometry(slide[0]), 16).slidingRowsPay(), "LeNet-5's second");
    assertFalse(DirectConv.forward(geometry(
        new int[] {3, 16, 32, 32, 5, 5, 0, 0, 0, 0, 1, 1}), 16).slidingRowsPay(),
        "rows of 28 in 32: 7 of 8 positions computed by pixels are outputs");
    int[][] none = {
        {2, 7, 8, 7, 3, 3, 2, 2, 2, 2, 2, 2}, // dilated rows
        {3, 17, 13, 24, 5, 5, 2, 2, 2, 2, 1, 1}, // 17 outputs
        {3, 16, 13, 13, 5, 5, 0, 0, 0, 0, 1, 1}, // rows of 9 for a tile of 10
        {16, 16, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1}, // 3-wide kernel
        {3, 16, 20, 20, 7, 7, 3, 3, 3, 3, 1, 1}, // 7-wide kernel
        {16, 16, 28, 28, 5, 5, 2, 2, 2, 2, 1, 1, 2, 2}}; // stride 2
    for (int[] c : none) {
      ConvGeometry g = geometry(c);
      assertFalse(DirectConv.forward(g, c[1]).slidesRows(), "forward " + g + " -> " + c[1]);
    }
    assertFalse(DirectConv.forward(geometry(slide[0]), 11).slidingRowsPay(), "11 of 16 lanes");
  }

  @Test
  void paddingBeyondTheKernelHasNoAdjointButConvolvesForward() {
    // padding 5 > kernel extent 2: output rows of only zeros; the adjoint would need negative
    // padding, so the input gradient is left to GEMM + col2im
    ConvGeometry g = new ConvGeometry(1, 3, 4, 3, 3, 1, 1, 5, 1, 1, 1, 11, 4);
    assertFalse(DirectConv.hasAdjoint(g));
    float[] x = uniform(g.imageSize(), 1);
    float[] w = uniform(2 * g.colRows(), 2);
    DirectConv f = DirectConv.forward(g, 2);
    float[] packed = new float[f.packedWeightsSize()];
    f.packWeights(w, 0, packed);
    float[] padded = new float[f.paddedSize()];
    f.pad(x, 0, padded, 0);
    float[] y = new float[2 * 11 * 4];
    f.convolve(padded, packed, null, 0, y, 0, new float[f.resultSize()]);
    double[][] expected = reference(g, 2, 1, x, w, new float[2], new float[y.length]);
    assertClose(expected[0], y, "forward " + g);
  }

  /** {y, dx, dw} from the definition, in double. */
  static double[][] reference(ConvGeometry g, int cout, int images, float[] x,
      float[] w, float[] bias, float[] dy) {
    int cin = g.channels();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int inSize = g.imageSize();
    int outSize = cout * g.outH() * g.outW();
    double[] y = new double[images * outSize];
    double[] dx = new double[images * inSize];
    double[] dw = new double[w.length];
    for (int n = 0; n < images; n++) {
      for (int o = 0; o < cout; o++) {
        for (int oy = 0; oy < g.outH(); oy++) {
          for (int ox = 0; ox < g.outW(); ox++) {
            int yi = n * outSize + (o * g.outH() + oy) * g.outW() + ox;
            double sum = bias[o];
            for (int c = 0; c < cin; c++) {
              for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                  int iy = oy * g.strideH() - g.padTop() + i * g.dilationH();
                  int ix = ox * g.strideW() - g.padLeft() + j * g.dilationW();
                  if (iy < 0 || iy >= g.height() || ix < 0 || ix >= g.width()) {
                    continue;
                  }
                  int xi = n * inSize + (c * g.height() + iy) * g.width() + ix;
                  int wi = ((o * cin + c) * kh + i) * kw + j;
                  sum += (double) w[wi] * x[xi];
                  dx[xi] += (double) w[wi] * dy[yi];
                  dw[wi] += (double) dy[yi] * x[xi];
                }
              }
            }
            y[yi] = sum;
          }
        }
      }
    }
    return new double[][] {y, dx, dw};
  }

  static void assertClose(double[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])),
          what + " at " + i);
    }
  }
}
