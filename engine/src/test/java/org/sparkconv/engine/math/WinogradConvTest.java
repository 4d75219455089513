package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) against convolution from its definition, summed in
 * double: the forward pass with bias, the input gradient through the adjoint plan and (by
 * tiles) the weight gradient, for "same", "valid", "full" and asymmetric paddings, odd output
 * sizes (a last tile partly outside), channel counts that are not multiples of the 8-row
 * panels, and chunks that the last images fill only partly. Tolerance: F(2x2)'s transforms add
 * up to 16 terms before the GEMM and 16 products after it, so the result carries a few more
 * float roundings than the direct sum; it stays within 1e-5 of {@code 1 + |y|} here (the direct
 * kernel's test allows 1e-4). F(4x4)'s transforms scale terms by up to 25 (B) and 8 (A) and its
 * filter by thirds, which costs about a decimal digit: {@link #TOLERANCE_4X4}. Weight
 * gradients sum over 7 images' tiles: {@link #WEIGHT_TOLERANCE} and
 * {@link #WEIGHT_TOLERANCE_4X4} (F(4x4): 4.4e-4 seen, four to five times F(2x2)'s 8.6e-5).
 */
class WinogradConvTest {

  private static final double TOLERANCE = 1e-5;
  private static final double TOLERANCE_4X4 = 3e-4;
  private static final double WEIGHT_TOLERANCE = 1e-4;
  private static final double WEIGHT_TOLERANCE_4X4 = 1e-3;

  /** (inChannels, outChannels, h, w, padTop, padLeft, padBottom, padRight). */
  private static final int[][] CASES = {
      {16, 16, 28, 28, 1, 1, 1, 1}, // ResNet-20 stage 1
      {64, 64, 7, 7, 1, 1, 1, 1}, // stage 3: odd plane, tiles half outside
      {32, 64, 14, 14, 1, 1, 1, 1}, // VGG-small's third conv
      {3, 5, 9, 7, 0, 0, 0, 0}, // valid, odd outputs
      {3, 2, 4, 4, 2, 2, 2, 2}, // "full"
      {5, 13, 6, 9, 1, 0, 1, 2}, // asymmetric padding
      {1, 9, 5, 5, 1, 1, 1, 1}, // one input channel
      {2, 3, 1, 6, 1, 1, 1, 1}, // one row
      {32, 32, 28, 28, 1, 1, 1, 1}, // VGG-small's second conv: an image in two blocks
      {8, 8, 3, 5, 1, 1, 1, 1}, // many images to a block, the last block partly filled
  };

  /**
   * F(4x4) cases beyond {@link #CASES}: rows of 2, 3 and 4 zipped vectors and a second run, and
   * an image in two blocks (its weight gradient too).
   */
  private static final int[][] WIDE_CASES = {
      {4, 8, 5, 70, 1, 1, 1, 1},
      {3, 4, 6, 130, 1, 1, 1, 1},
      {2, 9, 7, 40, 0, 0, 0, 0},
      {48, 16, 36, 36, 1, 1, 1, 1},
  };

  @Test
  void forwardAndInputGradientMatchTheDefinition() {
    check(2, false, CASES, TOLERANCE, 11);
  }

  /**
   * The GEMMs by channels ({@link WinogradConv#forwardByChannels}): the same cases, channel
   * counts that fill no whole vector (the output's scalar channels, zero-padded weights), one
   * that fills one and four, and blocks whose tiles leave single-tile rows of the kernel; their
   * weight gradient, by real tiles only, too.
   */
  @Test
  void gemmsByChannelsMatchTheDefinition() {
    check(2, true, CASES, TOLERANCE, 311);
    // the last: chunks of 3 and 6 images, so the weight gradient sums over several
    int[][] more = {{16, 80, 7, 7, 1, 1, 1, 1}, {24, 32, 5, 9, 1, 1, 1, 1},
        {8, 16, 28, 28, 1, 1, 1, 1}};
    check(2, true, more, TOLERANCE, 411);
    check(4, true, CASES, TOLERANCE_4X4, 511);
    check(4, true, more, TOLERANCE_4X4, 611);
  }

  @Test
  void fourByFourTilesMatchTheDefinition() {
    check(4, false, CASES, TOLERANCE_4X4, 111);
    check(4, false, WIDE_CASES, TOLERANCE_4X4, 211);
  }

  @Test
  void tilesOtherThanTwoAndFourAndChunksTooLargeAreRefused() {
    ConvGeometry g = new ConvGeometry(4, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 8);
    assertThrows(IllegalArgumentException.class, () -> WinogradConv.forward(g, 4, 3));
    WinogradConv lanes = WinogradConv.forwardByChannels(g, 4);
    int images = lanes.weightChunk() + 1;
    assertThrows(IllegalStateException.class,
        () -> lanes.weightGradient(new float[images * lanes.paddedImageSize()], images,
            new float[images * 1024], 1024, new float[lanes.weightTransformedSize()],
            new float[lanes.transformedGradientSize()],
            new float[lanes.transformedWeightsSize()]));
  }

  private static void check(int tile, boolean byChannels, int[][] cases, double tolerance,
      long seed) {
    double worst = 0;
    double worstWeights = 0;
    for (int[] c : cases) {
      int outH = ConvGeometry.outputLength(c[2], c[4], c[6], 3, 1, 1);
      int outW = ConvGeometry.outputLength(c[3], c[5], c[7], 3, 1, 1);
      ConvGeometry g = new ConvGeometry(c[0], c[2], c[3], 3, 3, 1, 1, c[4], c[5], 1, 1, outH,
          outW);
      int cout = c[1];
      assertTrue(WinogradConv.applies(g), "applies: " + g);
      int images = 7;
      int inSize = g.imageSize();
      int outSize = cout * outH * outW;
      float[] x = uniform(images * inSize, seed++);
      float[] w = uniform(cout * g.colRows(), seed++);
      float[] bias = uniform(cout, seed++);
      float[] dy = uniform(images * outSize, seed++);

      WinogradConv f = byChannels ? WinogradConv.forwardByChannels(g, cout, tile)
          : WinogradConv.forward(g, cout, tile);
      WinogradConv b = byChannels ? WinogradConv.adjointByChannels(g, cout, tile)
          : WinogradConv.adjoint(g, cout, tile);
      assertEquals(byChannels, f.byChannels());
      float[] y = new float[images * outSize];
      float[] dx = new float[images * inSize];
      run(f, false, w, x, inSize, bias, y, outSize, images);
      run(b, true, w, dy, outSize, null, dx, inSize, images);
      double[][] expected = DirectConvTest.reference(g, cout, images, x, w, bias, dy);
      assertClose(expected[0], y, tolerance, "forward " + g);
      assertClose(expected[1], dx, tolerance, "input gradient " + g);
      worst = Math.max(worst, Math.max(worstError(expected[0], y), worstError(expected[1], dx)));
      float[] dw = uniform(w.length, seed++); // accumulated onto, as a layer's gradient is
      float[] dwBefore = dw.clone();
      weightGradient(f, DirectConv.forward(g, cout), x, inSize, dy, outSize, images, dw);
      for (int i = 0; i < dw.length; i++) {
        expected[2][i] += dwBefore[i];
      }
      // summed over 7 images' tiles: a larger sum, a proportionally larger rounding
      double weightTolerance = tile == 2 ? WEIGHT_TOLERANCE : WEIGHT_TOLERANCE_4X4;
      for (int i = 0; i < dw.length; i++) {
        assertEquals(expected[2][i], dw[i], weightTolerance * (1 + Math.abs(expected[2][i])),
            "weight gradient " + g + " at " + i);
      }
      worstWeights = Math.max(worstWeights, worstError(expected[2], dw));
    }
    System.out.printf("F(%dx%d, 3x3)%s: worst error %.2e of 1 + |y|, weight gradient %.2e%n",
        tile, tile, byChannels ? " by channels" : "", worst, worstWeights);
  }

  /** The largest error relative to 1 + |expected|. */
  private static double worstError(double[] expected, float[] actual) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / (1 + Math.abs(expected[i])));
    }
    return worst;
  }

  /**
   * Packing the weights (forward and adjoint) and the weight gradient's back-transform keep
   * their scratch from pass to pass: they allocated it every pass, 2-4 MB a ResNet-20 training
   * step, which hid the hundreds of MB a kernel left on the Vector API's Java fallback
   * allocates in less. Scratch kept from packing other weights must not show in the next
   * packing: each is compared with a fresh plan's.
   */
  @Test
  void packingAndTheWeightGradientsBackTransformAllocateNothingAfterTheFirstPass() {
    ConvGeometry g = new ConvGeometry(64, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7);
    int cout = 64;
    for (WinogradConv[] plans : new WinogradConv[][] {
        {WinogradConv.forwardByChannels(g, cout, 4), WinogradConv.adjointByChannels(g, cout, 4)},
        {WinogradConv.forward(g, cout, 2), WinogradConv.adjoint(g, cout, 2)}}) {
      WinogradConv f = plans[0];
      WinogradConv b = plans[1];
      float[] packed = new float[f.packedWeightsSize()];
      float[] packedAdjoint = new float[b.packedWeightsSize()];
      float[] accT = uniform(f.transformedWeightsSize(), 5);
      float[] dw = new float[cout * g.colRows()];
      f.packWeights(uniform(dw.length, 1), 0, packed);
      b.packAdjointWeights(uniform(dw.length, 1), 0, packedAdjoint);
      f.addWeightGradient(accT, dw, 0);

      float[] w = uniform(dw.length, 2);
      long before = allocatedBytes();
      f.packWeights(w, 0, packed);
      b.packAdjointWeights(w, 0, packedAdjoint);
      f.addWeightGradient(accT, dw, 0);
      long allocated = allocatedBytes() - before;
      assertTrue(allocated < 4096, "the second pass allocated " + allocated + " bytes");

      WinogradConv freshForward = f.byChannels() ? WinogradConv.forwardByChannels(g, cout, 4)
          : WinogradConv.forward(g, cout, 2);
      WinogradConv freshAdjoint = f.byChannels() ? WinogradConv.adjointByChannels(g, cout, 4)
          : WinogradConv.adjoint(g, cout, 2);
      float[] expected = new float[packed.length];
      freshForward.packWeights(w, 0, expected);
      assertArrayEquals(expected, packed, "forward packing after other weights");
      float[] expectedAdjoint = new float[packedAdjoint.length];
      freshAdjoint.packAdjointWeights(w, 0, expectedAdjoint);
      assertArrayEquals(expectedAdjoint, packedAdjoint, "adjoint packing after other weights");
    }
  }

  /** Bytes this thread has allocated so far. */
  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
        .getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void appliesToStrideOneThreeByThreeOnly() {
    assertFalse(WinogradConv.applies(new ConvGeometry(4, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 4)));
    assertFalse(WinogradConv.applies(new ConvGeometry(4, 8, 8, 3, 3, 1, 1, 2, 2, 2, 2, 8, 8)));
    assertFalse(WinogradConv.applies(new ConvGeometry(4, 8, 8, 5, 5, 1, 1, 2, 2, 1, 1, 8, 8)));
    // padding beyond the kernel: rows of only padding, no stride-1 adjoint
    assertFalse(WinogradConv.applies(new ConvGeometry(4, 8, 8, 3, 3, 1, 1, 3, 3, 1, 1, 12, 12)));
  }

  /** Within tolerance of the definition, relative to 1 + |expected| (inputs are in [-1, 1)). */
  private static void assertClose(double[] expected, float[] actual, double tolerance,
      String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance * (1 + Math.abs(expected[i])),
          what + " at " + i);
    }
  }

  /** Adds the weight gradient of {@code images} images to {@code dw}, a chunk at a time. */
  private static void weightGradient(WinogradConv plan, DirectConv transposer, float[] x,
      int inSize, float[] dy, int outSize, int images, float[] dw) {
    float[] padded = new float[plan.weightPaddedSize()];
    int dyStride = transposer.transposedGradientSize();
    float[] dyT = new float[plan.weightChunk() * dyStride];
    float[] transformed = new float[plan.weightTransformedSize()];
    float[] dm = new float[plan.transformedGradientSize()];
    float[] accT = new float[plan.transformedWeightsSize()];
    for (int first = 0; first < images; first += plan.weightChunk()) {
      int count = Math.min(plan.weightChunk(), images - first);
      for (int i = 0; i < count; i++) {
        plan.pad(x, (first + i) * inSize, padded, i);
        transposer.transposeGradient(dy, (first + i) * outSize, dyT, i * dyStride);
      }
      plan.weightGradient(padded, count, dyT, dyStride, transformed, dm, accT);
    }
    plan.addWeightGradient(accT, dw, 0);
  }

  /**
   * A convolution by channels that writes its output in the next one's padded input layout
   * ({@link WinogradConv#convolveLanes} with a layout), the next one reading it there with no
   * pad of its own: the next one's output is bit for bit that of the two through planes, with
   * 2x2 and 4x4 tiles, channels that fill whole vectors and ones that do not, a folded map
   * and ReLU between them, and the next one's pooled output too; the buffer between them held
   * other values before, which its border must not keep.
   */
  @Test
  void aConvolutionWritesTheNextOnesPaddedInputAsItsPadWould() {
    // (inChannels, middle channels, outChannels, height, width)
    int[][] cases = {{32, 64, 64, 14, 14}, {16, 20, 24, 6, 10}, {8, 16, 8, 7, 5}};
    long seed = 91;
    for (int tile : new int[] {2, 4}) {
      for (int[] c : cases) {
        ConvGeometry first = new ConvGeometry(c[0], c[3], c[4], 3, 3, 1, 1, 1, 1, 1, 1, c[3],
            c[4]);
        ConvGeometry second = new ConvGeometry(c[1], c[3], c[4], 3, 3, 1, 1, 1, 1, 1, 1, c[3],
            c[4]);
        WinogradConv a = WinogradConv.forwardByChannels(first, c[1], tile);
        WinogradConv b = WinogradConv.forwardByChannels(second, c[2], tile);
        PaddedLanes layout = b.paddedInput();
        assertTrue(a.writesInto(layout), "writes into " + layout);
        assertFalse(a.writesInto(new PaddedLanes(layout.height(), layout.width(),
            layout.lanes() + 16, layout.top(), layout.left(), layout.rows(), layout.columns())),
            "not into a layout of other lanes");
        assertFalse(a.writesInto(new PaddedLanes(layout.height(), layout.width(),
            layout.lanes(), 0, 0, layout.rows() - 1, layout.columns())), "nor of other rows");
        int images = 5;
        int plane = c[3] * c[4];
        float[] x = uniform(images * first.imageSize(), seed++);
        float[] wa = uniform(c[1] * first.colRows(), seed++);
        float[] wb = uniform(c[2] * second.colRows(), seed++);
        float[] bias = uniform(c[1], seed++);
        float[] scale = uniform(c[1], seed++);
        float[] shift = uniform(c[1], seed++);
        float[] middle = new float[images * c[1] * plane];
        run(a, false, wa, x, first.imageSize(), bias, scale, shift, true, null, middle,
            c[1] * plane, images);
        boolean pool = c[3] % 2 == 0 && c[4] % 2 == 0;
        int outSize = c[2] * plane / (pool ? 4 : 1);
        float[] expected = new float[images * outSize];
        run(b, false, wb, middle, c[1] * plane, null, null, null, false, null, pool, expected,
            outSize, images);

        float[] handed = uniform(images * layout.imageSize(), seed++); // what was there before
        float[] packed = new float[a.packedWeightsSize()];
        a.packWeights(wa, 0, packed);
        float[] padded = new float[a.paddedSize()];
        for (int from = 0; from < images; from += a.chunk()) {
          int count = Math.min(a.chunk(), images - from);
          for (int i = 0; i < count; i++) {
            a.pad(x, (from + i) * first.imageSize(), padded, i);
          }
          a.convolveLanes(padded, 0, count, packed, bias, 0, scale, shift, true, null, false,
              layout, handed, from * layout.imageSize(), layout.imageSize(),
              new float[a.transformedInputSize()], new float[a.productSize()],
              new float[a.outputScratchSize()]);
        }
        float[] packedB = new float[b.packedWeightsSize()];
        b.packWeights(wb, 0, packedB);
        float[] out = new float[images * outSize];
        for (int from = 0; from < images; from += b.chunk()) {
          int count = Math.min(b.chunk(), images - from);
          b.convolveLanes(handed, from * layout.imageSize(), count, packedB, null, 0, null, null,
              false, null, pool, null, out, from * outSize, outSize,
              new float[b.transformedInputSize()], new float[b.productSize()],
              new float[b.outputScratchSize()]);
        }
        for (int i = 0; i < out.length; i++) {
          assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(out[i]),
              "F(" + tile + "x" + tile + ") " + Arrays.toString(c) + " at " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> a.convolveLanes(padded, 0, 1, packed,
            null, 0, null, null, false, null, true, layout, handed, 0, layout.imageSize(),
            new float[a.transformedInputSize()], new float[a.productSize()],
            new float[a.outputScratchSize()]), "a pooled output into a layout");
      }
    }
    WinogradConv byTiles = WinogradConv.forward(
        new ConvGeometry(16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 8), 16);
    assertEquals(null, byTiles.paddedInput());
    assertFalse(byTiles.writesInto(new PaddedLanes(10, 10, 16, 1, 1, 8, 8)));
  }

  @Test
  void foldedMapResidualAndReluEqualASeparatePass() {
    fusedEqualsSeparate(2, false);
    fusedEqualsSeparate(4, false);
    fusedEqualsSeparate(2, true);
    fusedEqualsSeparate(4, true);
  }

  private static void fusedEqualsSeparate(int tile, boolean byChannels) {
    // (inChannels, outChannels, side): an image in two blocks; an odd plane whose last row and
    // column are half tiles, and whose plane end the zipped stores must not pass; several
    // images to a block
    int[][] cases = {{32, 32, 28}, {64, 64, 7}, {8, 8, 5}};
    long seed = 41;
    for (int[] c : cases) {
      ConvGeometry g = new ConvGeometry(c[0], c[2], c[2], 3, 3, 1, 1, 1, 1, 1, 1, c[2], c[2]);
      int cout = c[1];
      int images = 5;
      int inSize = g.imageSize();
      int plane = c[2] * c[2];
      int outSize = cout * plane;
      float[] x = uniform(images * inSize, seed++);
      float[] w = uniform(cout * g.colRows(), seed++);
      float[] bias = uniform(cout, seed++);
      float[] scale = uniform(cout, seed++);
      float[] shift = uniform(cout, seed++);
      float[] residual = uniform(images * outSize, seed++);
      WinogradConv f = byChannels ? WinogradConv.forwardByChannels(g, cout, tile)
          : WinogradConv.forward(g, cout, tile);
      float[] plain = new float[images * outSize];
      run(f, false, w, x, inSize, bias, plain, outSize, images);
      for (boolean relu : new boolean[] {false, true}) {
        for (float[] r : new float[][] {null, residual}) {
          float[] fused = new float[images * outSize];
          run(f, false, w, x, inSize, bias, scale, shift, relu, r, fused, outSize, images);
          for (int i = 0; i < fused.length; i++) {
            int o = i % outSize / plane;
            float v = plain[i] * scale[o] + shift[o];
            if (r != null) {
              v += r[i];
            }
            assertEquals(relu ? Math.max(v, 0f) : v, fused[i], "at " + i + ", relu " + relu
                + ", residual " + (r != null) + ", " + g);
          }
        }
      }
    }
  }

  @Test
  void pooledOutputIsTheMaxPoolOfTheOutput() {
    // (inChannels, outChannels, h, w): an image in two blocks (VGG-small's second conv), VGG's
    // fourth (pooled to 7x7), several images to a block with odd pooled sides, and pooled rows
    // of 35 (F(4x4): a row's zipped vectors run on past it, the plane's last ones must not);
    // by channels too, with 24 outputs: a whole vector of channels and 8 past it
    int[][] cases = {{32, 32, 28, 28}, {64, 64, 14, 14}, {8, 8, 6, 6}, {4, 8, 10, 70},
        {8, 24, 6, 10}};
    long seed = 71;
    for (int variant = 0; variant < 4; variant++) {
      int tile = variant % 2 == 0 ? 2 : 4;
      boolean byChannels = variant >= 2;
      for (int[] c : cases) {
        ConvGeometry g = new ConvGeometry(c[0], c[2], c[3], 3, 3, 1, 1, 1, 1, 1, 1, c[2], c[3]);
        int cout = c[1];
        int images = 5;
        int inSize = g.imageSize();
        int outSize = cout * c[2] * c[3];
        int pooledH = c[2] / 2;
        int pooledW = c[3] / 2;
        int pooledSize = cout * pooledH * pooledW;
        float[] x = uniform(images * inSize, seed++);
        float[] w = uniform(cout * g.colRows(), seed++);
        float[] bias = uniform(cout, seed++);
        float[] scale = uniform(cout, seed++); // negative too: a pool after the map, not before
        float[] shift = uniform(cout, seed++);
        WinogradConv f = byChannels ? WinogradConv.forwardByChannels(g, cout, tile)
            : WinogradConv.forward(g, cout, tile);
        for (boolean relu : new boolean[] {false, true}) {
          float[] full = new float[images * outSize];
          run(f, false, w, x, inSize, bias, scale, shift, relu, null, false, full, outSize,
              images);
          float[] pooled = new float[images * pooledSize];
          run(f, false, w, x, inSize, bias, scale, shift, relu, null, true, pooled, pooledSize,
              images);
          for (int i = 0; i < images; i++) {
            for (int o = 0; o < cout; o++) {
              for (int y = 0; y < pooledH; y++) {
                for (int px = 0; px < pooledW; px++) {
                  int top = i * outSize + (o * c[2] + 2 * y) * c[3] + 2 * px;
                  float expected = Math.max(Math.max(full[top], full[top + 1]),
                      Math.max(full[top + c[3]], full[top + c[3] + 1]));
                  int at = i * pooledSize + (o * pooledH + y) * pooledW + px;
                  assertEquals(expected, pooled[at], "tile " + tile + (byChannels
                      ? " by channels, " : ", ") + g + ", relu " + relu + ", image " + i
                      + ", channel " + o + ", (" + y + ", " + px + ")");
                }
              }
            }
          }
        }
      }
    }
  }

  @Test
  void aPooledOutputRefusesOddSidesAndAResidual() {
    ConvGeometry g = new ConvGeometry(2, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 5, 6);
    WinogradConv f = WinogradConv.forward(g, 2, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> f.convolve(new float[f.paddedSize()], 1, new float[f.packedWeightsSize()], null, 0,
            null, null, false, null, true, new float[30], 0, 30,
            new float[f.transformedInputSize()], new float[f.productSize()],
            new float[f.outputScratchSize()]));
    assertEquals("a pooled output takes even sides and no residual: 5x6", e.getMessage());
  }

  /** Convolves every image through {@code plan} a chunk at a time, as the layer does. */
  private static void run(WinogradConv plan, boolean adjoint, float[] w, float[] in, int inSize,
      float[] bias, float[] out, int outSize, int images) {
    run(plan, adjoint, w, in, inSize, bias, null, null, false, null, out, outSize, images);
  }

  /** As above, with a folded map, residual and ReLU applied on the way out. */
  private static void run(WinogradConv plan, boolean adjoint, float[] w, float[] in, int inSize,
      float[] bias, float[] scale, float[] shift, boolean relu, float[] residual, float[] out,
      int outSize, int images) {
    run(plan, adjoint, w, in, inSize, bias, scale, shift, relu, residual, false, out, outSize,
        images);
  }

  /** As above, writing the 2x2 max pool of each plane where {@code pool}. */
  private static void run(WinogradConv plan, boolean adjoint, float[] w, float[] in, int inSize,
      float[] bias, float[] scale, float[] shift, boolean relu, float[] residual, boolean pool,
      float[] out, int outSize, int images) {
    float[] packed = new float[plan.packedWeightsSize()];
    float[] sharedOut = new float[packed.length]; // the input channels over three workers
    if (adjoint) {
      plan.packAdjointWeights(w, 0, packed);
      plan.packAdjointWeights(w, 0, sharedOut, Parallel.of(3));
    } else {
      plan.packWeights(w, 0, packed);
      plan.packWeights(w, 0, sharedOut, Parallel.of(3));
    }
    assertArrayEquals(packed, sharedOut, "weights packed over three workers");
    float[] padded = new float[plan.paddedSize()];
    float[] transformed = new float[plan.transformedInputSize()];
    float[] products = new float[plan.productSize()];
    float[] scratch = new float[plan.outputScratchSize()];
    for (int first = 0; first < images; first += plan.chunk()) {
      int count = Math.min(plan.chunk(), images - first);
      for (int i = 0; i < count; i++) {
        plan.pad(in, (first + i) * inSize, padded, i);
      }
      plan.convolve(padded, count, packed, bias, 0, scale, shift, relu, residual, pool, out,
          first * outSize, outSize, transformed, products, scratch);
    }
    assertEquals(images * outSize, out.length);
  }
}
