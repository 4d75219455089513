package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

/**
 * F(4x4, 3x3) with images in the vector lanes against convolution from its definition, summed
 * in double ({@link DirectConvTest#reference}), through {@link ImageLanesWinograd#toLanes},
 * {@link ImageLanesWinograd#convolve} and {@link ImageLanesWinograd#fromLanes}, with the
 * images read from and written to a batch at a stride. Tolerance 3e-4 of {@code 1 + |y|}, as
 * {@link WinogradConvTest}'s for F(4x4) (its transforms scale terms by up to 25 and 8, its
 * filter by thirds); the worst seen here is 4.7e-5 for one convolution, 9.6e-5 for two
 * chained (the second one's sums larger). The weight gradient, summed over two groups' tiles:
 * 1e-3 of {@code 1 + |dw|}, as {@link WinogradConvTest}'s F(4x4) weight gradient; 1.7e-4 seen
 * (32 images at 16 lanes), 1.1e-4 (16 at 8).
 */
class ImageLanesWinogradTest {

  private static final double TOLERANCE = 3e-4;
  private static final double WEIGHT_TOLERANCE = 1e-3;
  private static final int LANES = ImageLanesWinograd.LANES;

  @Test
  void convolutionMatchesTheDefinition() {
    // (inChannels, outChannels, height, width): ResNet-20's first stage (rows of 28: a last
    // block of columns overlapping the one before at 16 lanes), output channels that do not
    // fill the 8-row panels on one tile row, three panels on rows of two whole blocks, a
    // plane that is not square; sides that end in part tiles: ResNet-20's second stage (rows
    // narrower than 16 lanes), 7x7 (narrower than 8 too) and ResNet-20's third stage on it,
    // 9x13
    int[][] cases = {{16, 16, 28, 28}, {3, 13, 4, 16}, {8, 24, 8, 32}, {5, 8, 12, 20},
        {32, 32, 14, 14}, {6, 8, 7, 7}, {64, 64, 7, 7}, {4, 5, 9, 13}};
    for (int[] c : cases) {
      check(c[0], c[1], c[2], c[3]);
    }
  }

  @Test
  void twoConvolutionsChainInTheLanesLayout() {
    chainTwo(16);
    chainTwo(14); // part tiles: what the first writes past the plane the second reads
  }

  /** The first one's output is the second one's input, its border never written. */
  private static void chainTwo(int side) {
    int channels = 8;
    ImageLanesWinograd plan = new ImageLanesWinograd(channels, side, side, channels);
    int size = channels * side * side;
    float[] x = uniform(LANES * size, 21);
    float[] w1 = uniform(channels * channels * 9, 22);
    float[] w2 = uniform(channels * channels * 9, 23);
    float[] packed1 = new float[plan.packedSize()];
    float[] packed2 = new float[plan.packedSize()];
    plan.packWeights(w1, 0, packed1);
    plan.packWeights(w2, 0, packed2);
    float[] in = new float[plan.lanesSize(channels)];
    float[] middle = new float[plan.lanesSize(channels)];
    float[] out = new float[plan.lanesSize(channels)];
    plan.toLanes(x, 0, size, in);
    plan.convolve(in, packed1, middle);
    plan.convolve(middle, packed2, out);
    float[] y = new float[x.length];
    plan.fromLanes(out, y, 0, size);

    ConvGeometry g = same(channels, side, side);
    double[] first = DirectConvTest.reference(g, channels, LANES, x, w1, new float[channels],
        new float[x.length])[0];
    float[] firstF = new float[first.length];
    for (int i = 0; i < first.length; i++) {
      firstF[i] = (float) first[i];
    }
    double[] expected = DirectConvTest.reference(g, channels, LANES, firstF, w2,
        new float[channels], new float[x.length])[0];
    assertClose(expected, y, "two convolutions on " + side + "x" + side);
  }

  @Test
  void theAdjointPlanComputesTheInputGradient() {
    // a 16 -> 8 convolution's input gradient: an 8 -> 16 plan with its weights turned
    int cin = 16;
    int cout = 8;
    int side = 16;
    ImageLanesWinograd adjoint = new ImageLanesWinograd(cout, side, side, cin);
    int inSize = cin * side * side;
    int outSize = cout * side * side;
    float[] x = uniform(LANES * inSize, 41);
    float[] w = uniform(cout * cin * 9, 42);
    float[] dy = uniform(LANES * outSize, 43);
    float[] packed = new float[adjoint.packedSize()];
    adjoint.packAdjointWeights(w, 0, packed);
    float[] in = new float[adjoint.lanesSize(cout)];
    float[] out = new float[adjoint.lanesSize(cin)];
    adjoint.toLanes(dy, 0, outSize, in);
    adjoint.convolve(in, packed, out);
    float[] dx = new float[x.length];
    adjoint.fromLanes(out, dx, 0, inSize);
    double[] expected = DirectConvTest.reference(same(cin, side, side), cout, LANES, x, w,
        new float[cout], dy)[1];
    assertClose(expected, dx, "input gradient");
  }

  @Test
  void theWeightGradientSumsTheGroupsThroughTheTransforms() {
    weightGradient(12, 8, 28); // a last block of one tile; input channels in tiles of 6
    weightGradient(12, 8, 14); // part tiles: the output gradient read past the plane, zero
    weightGradient(16, 16, 14); // input channels in tiles of 6, 6 and 4
    weightGradient(7, 6, 9); // channels left over from the tiles, taken one by one
  }

  /** {@code cin -> cout} channels on {@code side x side}, two groups of images. */
  private static void weightGradient(int cin, int cout, int side) {
    ImageLanesWinograd plan = new ImageLanesWinograd(cin, side, side, cout);
    ImageLanesWinograd gradientLayout = new ImageLanesWinograd(cout, side, side, cin);
    int inSize = cin * side * side;
    int outSize = cout * side * side;
    int images = 2 * LANES;
    float[] x = uniform(images * inSize, 51);
    float[] w = uniform(cout * cin * 9, 52);
    float[] dy = uniform(images * outSize, 53);
    float[] in = new float[plan.lanesSize(cin)];
    float[] dOut = new float[plan.lanesSize(cout)];
    float[] dw = new float[w.length];
    for (int group = 0; group < 2; group++) {
      plan.toLanes(x, group * LANES * inSize, inSize, in);
      gradientLayout.toLanes(dy, group * LANES * outSize, outSize, dOut);
      plan.accumulateWeightGradient(in, dOut);
    }
    plan.addWeightGradient(dw, 0);
    double[] expected = DirectConvTest.reference(same(cin, side, side), cout, images, x, w,
        new float[cout], dy)[2];
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - dw[i]) / (1 + Math.abs(expected[i])));
    }
    assertTrue(worst < WEIGHT_TOLERANCE, side + "x" + side + ": worst error " + worst
        + " of 1 + |dw|");
    // the partial sums are spent: a second call adds nothing
    float[] again = new float[w.length];
    plan.addWeightGradient(again, 0);
    for (float g : again) {
      assertEquals(0f, g);
    }
  }

  @Test
  void foldedNormResidualAndReluAreAppliedAsTheOutputIsPlaced() {
    // y = max(0, scale[o] conv + bias[o] + residual): a residual block's second convolution
    // with its batch norm folded in; the residual written into and read from the output array
    int channels = 8;
    int side = 16;
    ImageLanesWinograd plan = new ImageLanesWinograd(channels, side, side, channels);
    int size = channels * side * side;
    float[] x = uniform(LANES * size, 31);
    float[] w = uniform(channels * channels * 9, 32);
    float[] r = uniform(LANES * size, 33);
    float[] scale = uniform(channels, 34);
    float[] bias = uniform(channels, 35);
    float[] packed = new float[plan.packedSize()];
    plan.packWeights(w, 0, scale, packed);
    float[] in = new float[plan.lanesSize(channels)];
    float[] out = new float[plan.lanesSize(channels)];
    plan.toLanes(x, 0, size, in);
    plan.toLanes(r, 0, size, out);
    plan.convolve(in, packed, bias, out, true, out);
    float[] y = new float[x.length];
    plan.fromLanes(out, y, 0, size);

    double[] conv = DirectConvTest.reference(same(channels, side, side), channels, LANES, x, w,
        new float[channels], new float[x.length])[0];
    double[] expected = new double[conv.length];
    int negatives = 0;
    for (int i = 0; i < conv.length; i++) {
      int o = i / (side * side) % channels;
      double v = scale[o] * conv[i] + bias[o] + r[i];
      negatives += v < 0 ? 1 : 0;
      expected[i] = Math.max(0, v);
    }
    assertTrue(negatives > conv.length / 4, "the ReLU has negatives to clip: " + negatives);
    assertClose(expected, y, "folded norm, residual and ReLU");
    assertThrows(IllegalArgumentException.class, () -> plan.convolve(in, packed, in));
  }

  @Test
  void activationsStartingAnywhereGiveTheSameBits() {
    // a residual block's second convolution, its input, residual and output each from an
    // index of its own (as ImageLanesRun starts them at their arrays' cache lines), against
    // all three from index 0; part tiles at 14x14
    int channels = 8;
    int side = 14;
    ImageLanesWinograd plan = new ImageLanesWinograd(channels, side, side, channels);
    int size = channels * side * side;
    float[] x = uniform(LANES * size, 41);
    float[] r = uniform(LANES * size, 42);
    float[] bias = uniform(channels, 43);
    float[] packed = new float[plan.packedSize()];
    plan.packWeights(uniform(channels * channels * 9, 44), 0, packed);
    int lanes = plan.lanesSize(channels);
    float[] in = new float[lanes];
    float[] residual = new float[lanes];
    float[] out = new float[lanes];
    plan.toLanes(x, 0, size, in);
    plan.toLanes(r, 0, size, residual);
    plan.convolve(in, 0, packed, bias, residual, 0, true, out, 0);
    float[] expected = new float[x.length];
    plan.fromLanes(out, 0, expected, 0, size);

    int inAt = 5;
    int residualAt = 11;
    int outAt = 3;
    float[] shiftedIn = new float[lanes + inAt];
    float[] shiftedResidual = new float[lanes + residualAt];
    float[] shiftedOut = new float[lanes + outAt];
    plan.toLanes(x, 0, size, shiftedIn, inAt);
    plan.toLanes(r, 0, size, shiftedResidual, residualAt);
    plan.convolve(shiftedIn, inAt, packed, bias, shiftedResidual, residualAt, true, shiftedOut,
        outAt);
    float[] y = new float[x.length];
    plan.fromLanes(shiftedOut, outAt, y, 0, size);
    for (int i = 0; i < y.length; i++) {
      assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(y[i]),
          "output " + i);
    }
    for (int i = 0; i < outAt; i++) {
      assertEquals(0f, shiftedOut[i], "before the output's start");
    }
  }

  @Test
  void refusesWhatItCannotPlan() {
    assertFalse(ImageLanesWinograd.applies(1, LANES - 1)); // fewer pixels than lanes
    assertFalse(ImageLanesWinograd.applies(0, 28));
    assertTrue(ImageLanesWinograd.applies(28, 28) || LANES != 8 && LANES != 16);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ImageLanesWinograd(16, 1, LANES - 1, 16));
    assertTrue(e.getMessage().contains("16x1x" + (LANES - 1) + " -> 16"), e.getMessage());
    assertTrue(e.getMessage().contains("one vector's pixels"), e.getMessage());
  }

  /** A batch of two groups, the first image of the second at an offset into the batch. */
  private static void check(int cin, int cout, int height, int width) {
    ImageLanesWinograd plan = new ImageLanesWinograd(cin, height, width, cout);
    int inSize = cin * height * width;
    int outSize = cout * height * width;
    int images = 2 * LANES;
    float[] x = uniform(images * inSize, 11 + cin);
    float[] w = uniform(cout * cin * 9, 12 + cout);
    float[] packed = new float[plan.packedSize()];
    plan.packWeights(w, 0, packed);
    float[] y = new float[images * outSize];
    float[] in = new float[plan.lanesSize(cin)];
    float[] out = new float[plan.lanesSize(cout)];
    for (int group = 0; group < 2; group++) {
      plan.toLanes(x, group * LANES * inSize, inSize, in);
      plan.convolve(in, packed, out);
      plan.fromLanes(out, y, group * LANES * outSize, outSize);
    }
    double[] expected = DirectConvTest.reference(same(cin, height, width), cout, images, x, w,
        new float[cout], new float[images * outSize])[0];
    assertClose(expected, y, cin + "x" + height + "x" + width + " -> " + cout);
  }

  private static ConvGeometry same(int channels, int height, int width) {
    return new ConvGeometry(channels, height, width, 3, 3, 1, 1, 1, 1, 1, 1, height, width);
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], TOLERANCE * (1 + Math.abs(expected[i])),
          what + " at " + i);
    }
  }
}
