package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.PointwiseConv;
import org.sparkconv.engine.tensor.Shape;

/**
 * A convolution layer computed by the direct kernel equals the same layer lowered by im2col:
 * output, input gradient, weight and bias gradients, and the output again after a backward
 * pass (scratch reused), at 1 and 2 threads, with the backward pass direct, by im2col after
 * a direct forward pass, and split (a strided conv's weight gradient direct, its input
 * gradient lowered), a stride-2 conv's input gradient by phases, "same" convs on rows that
 * wrap, with a batch that splits unevenly across threads and chunks. Within {@link #TOLERANCE}
 * of {@code 1 + |x|}; a weight gradient by F(4x4) tiles within
 * {@link #LARGE_TILE_WEIGHT_TOLERANCE} (its transforms scale terms by up to 25 and 64 before
 * a sum over the batch's tiles: 2.4e-4 seen on 64x12x12 -> 40, batch 19).
 */
class DirectConvolutionLayerTest {

  private static final double TOLERANCE = 2e-4;
  private static final double LARGE_TILE_WEIGHT_TOLERANCE = 1e-3;

  @Test
  void directPassesEqualTheLoweredOnes() {
    Conv2d.Spec eight = new Conv2d.Spec(0, 8, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    DirectConvPasses eightPasses = ((Conv2d) eight.build(new Shape(8, 24, 24), 0,
        ComputeContext.defaults())).directPasses();
    assertTrue(eightPasses.runsWeightsByPixels(), "8 outputs on 24x24: weights by pixels");
    assertTrue(eightPasses.runsWrappedRows(), "a same conv on 24x24: rows that wrap");
    check(new Shape(8, 24, 24), eight, true);
    // on 7x7 the wrapped rows would save nothing and add their corrections: padded rows (their
    // kernel stops at 48 of 49 pixels, but the 49th alone costs about a vector column: DenseNet's
    // 48x7x7->12 ran 0.88-0.90x wrapped)
    assertFalse(((Conv2d) eight.build(new Shape(8, 7, 7), 0, ComputeContext.defaults()))
        .directPasses().runsWrappedRows(), "a same conv on 7x7: padded rows");
    Conv2d.Spec twelve = new Conv2d.Spec(0, 12, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    assertFalse(((Conv2d) twelve.build(new Shape(48, 7, 7), 0, ComputeContext.defaults()))
        .directPasses().runsWrappedRows(), "48x7x7->12: padded rows");
    check(new Shape(8, 7, 7), eight, true);
    // LeNet-5's second conv: its adjoint pads 10x10 by 4 on every side, and still gains; its
    // forward pass slides along rows of 10 with vectors over its 16 outputs (the pixel kernel
    // would compute 160 positions for 100), the adjoint's 6 outputs by pixels
    Conv2d.Spec lenetSecond = new Conv2d.Spec(0, 16, 5, 5, 1, 1, Padding.of(0), 1, 1, true,
        Init.HE_NORMAL);
    DirectConvPasses lenetPasses = ((Conv2d) lenetSecond.build(new Shape(6, 14, 14), 0,
        ComputeContext.defaults())).directPasses();
    assertTrue(lenetPasses.runsChannelLanes(), "6x14x14->16, 5x5 valid: by channels");
    assertTrue(lenetPasses.writesPooled(), "6x14x14->16: its 10x10 output pools");
    check(new Shape(6, 14, 14), lenetSecond, true);
    // ResNet-20's 16-channel stage: rows that wrap compute no dropped columns, and stay; its
    // weight gradient by pixels where one vector holds the 16 outputs, by channels on AVX2's
    // 8 lanes (two vectors)
    Conv2d.Spec resnetFirst = new Conv2d.Spec(0, 16, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    DirectConvPasses resnetPasses = ((Conv2d) resnetFirst.build(new Shape(16, 28, 28), 0,
        ComputeContext.defaults())).directPasses();
    assertTrue(resnetPasses.runsWrappedRows(), "16x28x28->16: rows that wrap");
    assertEquals(FloatVector.SPECIES_PREFERRED.length() >= 16,
        resnetPasses.runsWeightsByPixels(), "16x28x28->16: weights by pixels on 16 lanes only");
    check(new Shape(16, 28, 28), resnetFirst, true);
    // A first conv: one input channel, whose adjoint would be 8x the lowered work
    check(new Shape(1, 28, 28), new Conv2d.Spec(0, 6, 5, 5, 1, 1, Padding.of(2), 1, 1, true,
        Init.HE_NORMAL), false);
    check(new Shape(2, 9, 8), new Conv2d.Spec(0, 3, 2, 3, 1, 1, Padding.SAME, 2, 1, false,
        Init.HE_NORMAL), null);
    // Stride 2 (ResNet-20's downsampling): forward direct, the weight gradient by channels,
    // the input gradient by phases (1x1, 1x2, 2x1 and 2x2 taps)
    Conv2d.Spec downsampling = new Conv2d.Spec(0, 32, 3, 3, 2, 2, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    DirectConvPasses down = ((Conv2d) downsampling.build(new Shape(16, 28, 28), 0,
        ComputeContext.defaults())).directPasses();
    assertTrue(down.computesWeightGradient(), "stride 2, 32 outputs: weights by channels");
    assertTrue(down.runsStridedAdjoint(), "stride 2, even sides: input gradient by phases");
    check(new Shape(16, 28, 28), downsampling, true);
    // odd sides: phases of unequal size, the input gradient by im2col
    check(new Shape(16, 9, 11), downsampling, false);
    // 2x2 stride 2 unpadded: one tap per phase
    check(new Shape(8, 12, 10), new Conv2d.Spec(0, 16, 2, 2, 2, 2, Padding.of(0), 1, 1, true,
        Init.HE_NORMAL), true);
    // 5x5 padded by 2: the phases' paddings differ (1 and 0), so im2col
    check(new Shape(4, 12, 12), new Conv2d.Spec(0, 16, 5, 5, 2, 2, Padding.of(2), 1, 1, true,
        Init.HE_NORMAL), false);
    // 64 outputs on 7x7 planes: forward and adjoint with vectors over output channels, by
    // Winograd where it is on (the GEMMs by channels, the weight gradient too)
    Conv2d.Spec stage3 = new Conv2d.Spec(0, 64, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    assertTrue(((Conv2d) stage3.build(new Shape(64, 7, 7), 0, ComputeContext.defaults()
        .withWinograd(false))).directPasses().runsChannelLanes(),
        "64 outputs on 7x7: channel lanes");
    DirectConvPasses stage3Winograd = ((Conv2d) stage3.build(new Shape(64, 7, 7), 0,
        ComputeContext.defaults().withWinograd(true))).directPasses();
    assertTrue(stage3Winograd.runsWinogradByChannels(), "64x7x7 -> 64: Winograd by channels");
    assertEquals(4, stage3Winograd.winogradTile(), "64x7x7 -> 64: 4x4 tiles");
    assertTrue(stage3Winograd.runsWinogradWeightsByChannels(),
        "64x7x7 -> 64: weights by the forward pass's plan");
    assertEquals(4, stage3Winograd.winogradWeightsTile(), "64x7x7 -> 64: weights by 4x4 tiles");
    assertTrue(stage3Winograd.sharesOutputGradients(), "64x7x7 -> 64: dY transposed once");
    // its weight-gradient sums (36 x 64 x 64 floats a piece) split the batch one piece a thread;
    // the direct kernel's (9 x 64 x 64) four a thread
    assertEquals(2, ((Conv2d) stage3.build(new Shape(64, 7, 7), 0, ComputeContext.defaults()
        .withThreads(2).withWinograd(true))).directPasses().backwardPieces(), "large sums");
    assertEquals(8, ((Conv2d) stage3.build(new Shape(64, 7, 7), 0, ComputeContext.defaults()
        .withThreads(2).withWinograd(false))).directPasses().backwardPieces(), "direct sums");
    check(new Shape(64, 7, 7), stage3, true);
    Conv2d.Spec down64 = new Conv2d.Spec(0, 64, 3, 3, 2, 2, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    assertTrue(((Conv2d) down64.build(new Shape(32, 14, 14), 0, ComputeContext.defaults()))
        .directPasses().runsChannelLanes(), "stride 2 to 64x7x7: channel lanes");
    check(new Shape(32, 14, 14), down64, true);
    // 24 outputs do not fill whole vectors: the whole backward pass by im2col
    Conv2d.Spec partial = new Conv2d.Spec(0, 24, 3, 3, 2, 2, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    assertFalse(((Conv2d) partial.build(new Shape(4, 10, 10), 0, ComputeContext.defaults()))
        .directPasses().computesWeightGradient(), "stride 2, 24 outputs: weights lowered");
    check(new Shape(4, 10, 10), partial, false);
  }

  @Test
  void winogradPassesEqualTheLoweredOnes() {
    // 40 outputs: the GEMMs' last panel of 8 rows is partly padding
    Shape input = new Shape(64, 12, 12);
    Conv2d.Spec spec = new Conv2d.Spec(0, 40, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    assertTrue(((Conv2d) spec.build(input, 0, ComputeContext.defaults().withWinograd(true)))
        .directPasses().runsWinograd(), "Winograd runs 64x12x12 -> 40");
    assertFalse(((Conv2d) spec.build(input, 0, ComputeContext.defaults().withWinograd(false)))
        .directPasses().runsWinograd(), "Winograd off");
    assertEquals(2, ((Conv2d) spec.build(input, 0, ComputeContext.defaults()
        .withWinograd(true))).directPasses().winogradTile(),
        "12x12 planes: 2x2 tiles (4x4 would do 0.75 of their work)");
    assertFalse(((Conv2d) spec.build(input, 0, ComputeContext.defaults().withWinograd(true)))
        .directPasses().sharesOutputGradients(), "by tiles: the weight gradient transposes");
    check(input, spec, true);
    // 32 -> 32 on 28x28 (VGG-small's second conv): by channels, 4x4 tiles forward, adjoint
    // and weight gradient (0.56 of 2x2 tiles' work there)
    Conv2d.Spec vgg = new Conv2d.Spec(0, 32, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    Shape wide = new Shape(32, 28, 28);
    Conv2d vggBuilt = (Conv2d) vgg.build(wide, 0, ComputeContext.defaults().withWinograd(true));
    assertTrue(vggBuilt.directPasses().runsWinogradByChannels(), "32x28x28 -> 32: by channels");
    assertEquals(4, vggBuilt.directPasses().winogradTile(), "28x28 planes: 4x4 tiles");
    assertEquals(4, vggBuilt.directPasses().winogradWeightsTile(), "28x28: weights by 4x4");
    // its weight chunk (4 images) is smaller than the adjoint's (12): a round of 12 in pieces
    assertTrue(vggBuilt.directPasses().sharesOutputGradients(), "32x28x28 -> 32: dY once");
    check(wide, vgg, true);
    // 16 channels: the direct kernel throughout
    Conv2d.Spec sixteen = new Conv2d.Spec(0, 16, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    ComputeContext winograd = ComputeContext.defaults().withWinograd(true);
    Conv2d sixteenBuilt = (Conv2d) sixteen.build(new Shape(16, 28, 28), 0, winograd);
    assertFalse(sixteenBuilt.directPasses().runsWinograd(), "16 channels");
    assertFalse(sixteenBuilt.directPasses().runsWinogradWeights(), "16 channels, weights");
    // 32 -> 32 on 14x14 (ResNet-20's stage 2): the GEMMs by channels in groups of 12 tiles
    // (their outputs fill two vectors), 4x4 tiles, for all three passes
    Conv2d.Spec thirtyTwo = new Conv2d.Spec(0, 32, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    Shape stage2 = new Shape(32, 14, 14);
    DirectConvPasses stage2Built = ((Conv2d) thirtyTwo.build(stage2, 0, winograd))
        .directPasses();
    assertTrue(stage2Built.runsWinogradByChannels(), "32x14x14 -> 32: by channels");
    assertTrue(stage2Built.runsAdjointWinogradByChannels(), "32x14x14 -> 32: its adjoint too");
    assertTrue(stage2Built.runsWinogradWeightsByChannels(), "32x14x14 -> 32: weights too");
    assertEquals(4, stage2Built.winogradTile(), "32x14x14 -> 32: 4x4 tiles");
    // rounds of 12 images (14 per weight chunk, 3 per adjoint chunk): 19 is one and a part
    assertTrue(stage2Built.sharesOutputGradients(), "32x14x14 -> 32: dY transposed once");
    check(stage2, thirtyTwo, true);
    // 64 outputs on 14x14 (VGG-small's last convs): the GEMMs by channels, 4x4 tiles; the
    // weight gradient by the forward pass's plan, on real tiles
    Conv2d.Spec sixtyFour = new Conv2d.Spec(0, 64, 3, 3, 1, 1, Padding.of(1), 1, 1, true,
        Init.HE_NORMAL);
    Shape vggLast = new Shape(64, 14, 14);
    DirectConvPasses lastBuilt = ((Conv2d) sixtyFour.build(vggLast, 0, winograd)).directPasses();
    assertTrue(lastBuilt.runsWinogradByChannels(), "64x14x14 -> 64: Winograd by channels");
    assertTrue(lastBuilt.runsAdjointWinogradByChannels(), "64x14x14 -> 64: its adjoint too");
    assertEquals(4, lastBuilt.winogradTile(), "64x14x14 -> 64: 4x4 tiles (0.73 of 2x2's work)");
    assertTrue(lastBuilt.runsWinogradWeightsByChannels(), "64x14x14 -> 64: weights too");
    assertEquals(4, lastBuilt.winogradWeightsTile(), "64x14x14 -> 64: weights by 4x4 tiles");
    assertTrue(lastBuilt.sharesOutputGradients(), "64x14x14 -> 64: dY transposed once");
    check(vggLast, sixtyFour, true);
    Shape widening = new Shape(32, 14, 14);
    DirectConvPasses wideningBuilt = ((Conv2d) sixtyFour.build(widening, 0, winograd))
        .directPasses();
    assertTrue(wideningBuilt.runsWinogradByChannels(), "32x14x14 -> 64: by channels");
    assertTrue(wideningBuilt.runsWinogradWeightsByChannels(), "32x14x14 -> 64: weights too");
    assertTrue(wideningBuilt.runsAdjointWinogradByChannels(),
        "32x14x14 -> 64: the adjoint's 32 outputs by channels too");
    assertTrue(wideningBuilt.sharesOutputGradients(), "32x14x14 -> 64: 64 lanes of dY, once");
    check(widening, sixtyFour, true);
  }

  /**
   * Strided 1x1 convolutions (ResNet-20's projections, with and without a bias; an odd plane
   * whose last column and row the stride skips; 24 and 10 outputs, past whole 8-row panels and
   * 4-row tiles; 5 and 3 inputs, a part panel of the input gradient's GEMM; unequal strides;
   * output planes of exactly a vector) by {@link PointwiseConv}, all three passes, the forward
   * pass by pixels or (64 outputs on 7x7) by channels: equal to the lowered layer, at one and
   * two threads, with a NaN at a pixel no window reads.
   */
  @Test
  void stridedOneByOnePassesEqualTheLoweredOnes() {
    Object[][] cases = {
        {new Shape(16, 28, 28), 32, false, 2, 2}, {new Shape(32, 14, 14), 64, true, 2, 2},
        {new Shape(5, 9, 11), 24, true, 2, 2}, {new Shape(3, 6, 10), 10, true, 1, 3},
        {new Shape(9, 8, 8), 16, false, 2, 2}};
    for (Object[] c : cases) {
      Shape input = (Shape) c[0];
      Conv2d.Spec spec = new Conv2d.Spec(0, (int) c[1], 1, 1, (int) c[3], (int) c[4],
          Padding.of(0), 1, 1, (boolean) c[2], Init.HE_NORMAL);
      assertTrue(((Conv2d) spec.build(input, 0, ComputeContext.defaults())).runsPointwise(),
          "pointwise: " + input);
      // 64 outputs on 7x7 planes: the forward pass with vectors over output channels
      assertEquals(input.height() == 14, new PointwiseConv(spec.geometry(input, 0), (int) c[1])
          .forwardByChannels(), "forward by channels: " + input);
      int batch = 7;
      float[] x = uniform(batch * input.size(), 23);
      if ((input.height() - 1) % (int) c[3] != 0) {
        // a NaN in the last row, which no window reads, must not reach anything
        x[3 * input.size() + (input.height() - 1) * input.width()] = Float.NaN;
      }
      for (int threads : new int[] {1, 2}) {
        ComputeContext base = ComputeContext.defaults().withThreads(threads);
        compare(passes(spec, input, base.withDirectConvolution(false), x, batch),
            passes(spec, input, base.withDirectConvolution(true), x, batch),
            input + " -> " + c[1] + ", " + threads + " threads");
      }
    }
  }

  /**
   * The forward pass packs its weights once and again only when they change: after one weight
   * changes in place (the last, so a check of the first would miss it), its output equals a
   * fresh layer's with the new weights. Winograd by channels and by tiles, the direct kernel
   * by channels, by pixels and on wrapped rows.
   */
  @Test
  void forwardRepacksWeightsThatChanged() {
    Object[][] cases = {
        {new Shape(64, 7, 7), 64, true}, {new Shape(32, 28, 28), 32, true},
        {new Shape(64, 7, 7), 64, false}, {new Shape(8, 7, 7), 8, false},
        {new Shape(8, 24, 24), 8, false}};
    for (Object[] c : cases) {
      Shape input = (Shape) c[0];
      Conv2d.Spec spec = new Conv2d.Spec(0, (int) c[1], 3, 3, 1, 1, Padding.of(1), 1, 1, true,
          Init.HE_NORMAL);
      ComputeContext context = ComputeContext.defaults().withWinograd((boolean) c[2]);
      int paramCount = spec.paramBlocks(input).stream().mapToInt(ParamBlock::length).sum();
      int lastWeight = (int) c[1] * input.channels() * 9 - 1;
      float[] params = uniform(paramCount, 17);
      int batch = 3;
      float[] x = uniform(batch * input.size(), 19);
      Layer conv = spec.build(input, 0, context);
      conv.bind(params, new float[paramCount], 0, new float[0], 0);
      float[] before = new float[batch * conv.outputShape().size()];
      conv.forward(x, before, batch, false);
      params[lastWeight] += 1f;
      float[] after = new float[before.length];
      conv.forward(x, after, batch, false);
      Layer fresh = spec.build(input, 0, context);
      fresh.bind(params.clone(), new float[paramCount], 0, new float[0], 0);
      float[] expected = new float[before.length];
      fresh.forward(x, expected, batch, false);
      assertArrayEquals(expected, after, "after a weight changed: " + input + " " + context);
      assertFalse(java.util.Arrays.equals(before, after), "the change shows: " + input);
    }
  }

  private static void check(Shape input, Conv2d.Spec spec, Boolean directBackward) {
    ConvGeometry g = spec.geometry(input, 0);
    assertTrue(DirectConvPasses.applies(g, 1), "the direct kernel applies to " + g);
    Conv2d built = (Conv2d) spec.build(input, 0, ComputeContext.defaults());
    String actual = built.directPasses().runsStridedAdjoint() ? "backward by phases and channels"
        : built.directPasses().computesBackward() ? "backward by adjoint and channels"
        : built.directPasses().computesWeightGradient()
            ? "weight gradient by channels, input gradient by im2col" : "backward by im2col";
    if (directBackward != null) {
      assertEquals(directBackward, built.directPasses().computesBackward(), actual + " for " + g);
    }
    int batch = 19;
    float[] x = uniform(batch * input.size(), 3);
    for (int threads : new int[] {1, 2}) {
      ComputeContext base = ComputeContext.defaults().withThreads(threads);
      float[][] lowered = passes(spec, input, base.withDirectConvolution(false), x, batch);
      for (boolean winograd : new boolean[] {false, true}) {
        ComputeContext context = base.withDirectConvolution(true).withWinograd(winograd);
        boolean largeTileWeights = ((Conv2d) spec.build(input, 0, context)).directPasses()
            .winogradWeightsTile() == 4;
        compare(lowered, passes(spec, input, context, x, batch),
            largeTileWeights ? LARGE_TILE_WEIGHT_TOLERANCE : TOLERANCE,
            actual + (winograd ? ", Winograd where it runs" : ", no Winograd") + ", " + threads
                + " threads, " + g);
      }
    }
  }

  private static void compare(float[][] lowered, float[][] direct, String what) {
    compare(lowered, direct, TOLERANCE, what);
  }

  /** As above, the parameter gradients within {@code weightTolerance}. */
  private static void compare(float[][] lowered, float[][] direct, double weightTolerance,
      String what) {
    String[] names = {"output", "input gradient", "parameter gradients",
        "output after a backward pass (scratch reused)",
        "parameter gradients of a second backward pass (sums reused)"};
    for (int k = 0; k < names.length; k++) {
      double tolerance = k == 2 || k == 4 ? weightTolerance : TOLERANCE;
      for (int i = 0; i < lowered[k].length; i++) {
        assertEquals(lowered[k][i], direct[k][i], tolerance * (1 + Math.abs(lowered[k][i])),
            names[k] + " at " + i + " (" + what + ")");
      }
    }
  }

  private static float[][] passes(Conv2d.Spec spec, Shape input, ComputeContext context,
      float[] x, int batch) {
    Layer conv = spec.build(input, 0, context);
    int paramCount = spec.paramBlocks(input).stream().mapToInt(ParamBlock::length).sum();
    float[] params = uniform(paramCount, 7);
    float[] grads = uniform(paramCount, 11); // accumulated onto
    conv.bind(params, grads, 0, new float[0], 0);
    Shape out = conv.outputShape();
    float[] y = new float[batch * out.size()];
    conv.forward(x, y, batch, true);
    float[] dy = uniform(y.length, 5);
    float[] dx = new float[x.length];
    java.util.Arrays.fill(dx, Float.NaN); // written, not added to: nothing may survive
    conv.backward(x, y, dy, dx, batch);
    float[] again = new float[y.length];
    conv.forward(x, again, batch, true);
    float[] first = grads.clone();
    java.util.Arrays.fill(grads, 0f);
    conv.backward(x, again, dy, null, batch); // the same gradient again, onto zeros
    return new float[][] {y, dx, first, again, grads};
  }
}
