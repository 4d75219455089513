package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;

/**
 * The direct convolution in image lanes against convolution from its definition, summed in
 * double ({@link DirectConvTest#reference}), with a folded scale, a bias, a residual (on the
 * 1x1 convolutions, as ResNet-20's projections add the branch) and a ReLU, read from
 * and written to {@link ImageLanesWinograd}'s layouts at starts of their own: every float of
 * the output layout, the border and what lies past the plane included (zero, never written).
 * Tolerance 1e-4 of {@code 1 + |y|}, as {@link DirectConvTest}'s.
 */
class ImageLanesDirectTest {

  private static final int LANES = ImageLanesWinograd.LANES;

  @BeforeEach
  void lanesApplyOnThisMachine() {
    Assumptions.assumeTrue(ImageLanesWinograd.applies(8, 16), "no image lanes here");
  }

  @Test
  void convolutionMatchesTheDefinition() {
    // (inChannels, height, width, outChannels, kernel, stride, pad): ResNet-20's downsampling
    // convolutions and 1x1 projections, sides that do not halve evenly, a last panel of 4
    // output channels, stride 1
    int[][] cases = {{16, 28, 28, 32, 3, 2, 1}, {32, 14, 14, 64, 3, 2, 1},
        {16, 28, 28, 32, 1, 2, 0}, {32, 14, 14, 64, 1, 2, 0}, {5, 9, 13, 12, 3, 2, 1},
        {3, 8, 16, 8, 3, 1, 1}, {4, 11, 11, 4, 3, 2, 0}};
    for (int[] c : cases) {
      check(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }
  }

  @Test
  void refusesWhatItCannotPlan() {
    assertFalse(ImageLanesDirect.applies(14, 14, 6, 3, 2, 1), "6 output channels");
    assertFalse(ImageLanesDirect.applies(14, 14, 8, 5, 1, 2), "padding 2");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ImageLanesDirect(16, 14, 14, 6, 3, 2, 1));
    assertTrue(e.getMessage().contains("16x14x14 -> 6"), e.getMessage());
    assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
  }

  private static void check(int cin, int height, int width, int cout, int kernel, int stride,
      int pad) {
    String what = cin + "x" + height + "x" + width + " -> " + cout + ", kernel " + kernel
        + ", stride " + stride + ", pad " + pad;
    int outH = (height + 2 * pad - kernel) / stride + 1;
    int outW = (width + 2 * pad - kernel) / stride + 1;
    ImageLanesDirect plan = new ImageLanesDirect(cin, height, width, cout, kernel, stride, pad);
    ImageLanesWinograd inLayout = new ImageLanesWinograd(cin, height, width, cin);
    ImageLanesWinograd outLayout = new ImageLanesWinograd(cout, outH, outW, cout);
    int inSize = cin * height * width;
    int outSize = cout * outH * outW;
    float[] x = uniform(LANES * inSize, 51 + cin);
    float[] w = uniform(cout * cin * kernel * kernel, 52 + cout);
    float[] scale = uniform(cout, 53);
    float[] bias = uniform(cout, 54);
    float[] packed = new float[plan.packedSize()];
    plan.packWeights(w, 0, scale, packed);
    int inAt = 7;
    int outAt = 9;
    float[] in = new float[inAt + inLayout.lanesSize(cin)];
    float[] out = new float[outAt + outLayout.lanesSize(cout)];
    inLayout.toLanes(x, 0, inSize, in, inAt);
    boolean residual = kernel == 1;
    float[] r = uniform(LANES * outSize, 55);
    int residualAt = 4;
    float[] residualLanes = new float[residualAt + outLayout.lanesSize(cout)];
    outLayout.toLanes(r, 0, outSize, residualLanes, residualAt);
    plan.convolve(in, inAt, packed, bias, residual ? residualLanes : null, residualAt, true, out,
        outAt);

    ConvGeometry g = new ConvGeometry(cin, height, width, kernel, kernel, stride, stride, pad,
        pad, 1, 1, outH, outW);
    double[] conv = DirectConvTest.reference(g, cout, LANES, x, w, new float[cout],
        new float[LANES * outSize])[0];
    float[] expected = new float[conv.length];
    int clipped = 0;
    for (int i = 0; i < conv.length; i++) {
      int o = i / (outH * outW) % cout;
      expected[i] = (float) Math.max(0, scale[o] * conv[i] + bias[o] + (residual ? r[i] : 0));
      clipped += expected[i] == 0f ? 1 : 0;
    }
    assertTrue(clipped > conv.length / 5, what + ": the ReLU has negatives to clip");
    float[] expectedLanes = new float[outAt + outLayout.lanesSize(cout)];
    outLayout.toLanes(expected, 0, outSize, expectedLanes, outAt);
    for (int i = 0; i < out.length; i++) {
      assertEquals(expectedLanes[i], out[i], 1e-4 * (1 + Math.abs(expectedLanes[i])),
          what + ": float " + i + " of the output layout");
    }
  }
}
