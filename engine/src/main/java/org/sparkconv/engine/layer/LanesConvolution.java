package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.ImageLanesDirect;
import org.sparkconv.engine.math.ImageLanesWinograd;
import org.sparkconv.engine.tensor.Shape;

/**
 * A convolution's inference pass with a group of images in the vector lanes
 * ({@link ImageLanesWinograd}): its weights packed with the scale of the batch norm folded into
 * it (if any), its bias the norm's shift plus the scaled bias of the convolution, the residual
 * sum and ReLU folded in after it applied as its outputs are put in place. The network chains
 * such passes over a group's activations, converted from and to NCHW once at the ends of the
 * chain ({@code ImageLanesRun}). A strided convolution ({@link #appliesDirect}: ResNet-20's
 * downsampling convolutions and projections) runs from its definition instead
 * ({@link ImageLanesDirect}), so that a chain goes on through it.
 *
 * <p>The packing is redone when the convolution's weights or bias, or the norm's inference map,
 * differ from those it was packed from (checked once a chunk, {@link #refresh}, the weights by
 * {@link ForwardPacking} as the engine's other convolutions' packings): a network that trains
 * between two inferences infers with its new weights. Each network (and each of
 * its replicas) packs its own: 36 x 16 x 16 floats for a 16 -> 16 convolution, 36 KB.
 */
public final class LanesConvolution {

  /**
   * The most input or output channels a convolution runs with images in lanes: where it was
   * measured to pay, one thread, 256 images in 16-image passes against the engine's layer
   * (the direct kernel): 16x28x28 -> 16 1.46-1.58x, 32x14x14 -> 32 (part tiles) 1.37-1.65x.
   * On 64 channels (ResNet-20's third stage, 64x7x7, whose packed weights of 590 KB a
   * convolution pass L2 with the scratch) whole inference steps ran 1.063x as fast with its
   * last four convolutions in lanes as by channels (batch 256, one thread, both orders;
   * 1.059x at two threads, 1.021x at AVX2's 8 lanes; 2026-12-05).
   */
  public static final int MAX_CHANNELS = 64;

  /**
   * The most the tiles may cover over the plane's area: part tiles are computed whole (14x14
   * and 7x7 cover 1.31 times their pixels; 5x5 would cover 2.56).
   */
  private static final double MAX_TILE_AREA = 1.35;

  private final Conv2d conv;
  private final BatchNorm norm; // folded in, or null
  private final ImageLanesWinograd plan; // or null: direct
  private final ImageLanesDirect direct; // or null: Winograd
  private final int outChannels;
  // the weights packed with the norm's scale; as its list, the bias: the norm's shift plus its
  // scale times the convolution's bias (the weights and bias, one run of the parameters, are
  // what the packing compares)
  private final ForwardPacking packing;
  private final float[] scale; // the norm's map the packing was made with
  private final float[] shift;
  private final float[] readScale; // the norm's map as read now
  private final float[] readShift;
  private final ForwardPacking.Packer packer = this::pack;

  /**
   * The pass of {@code conv} (where {@link #applies}) with {@code norm} (a batch norm folded
   * into it, or null) by {@code plan}, which must be of its sizes and may be shared by passes
   * of the same sizes run on one thread.
   */
  public LanesConvolution(Layer conv, Layer norm, ImageLanesWinograd plan) {
    this(conv, norm, plan, null);
  }

  /**
   * The pass of {@code conv} (where {@link #appliesDirect}) with {@code norm} (or null) from
   * its definition, by a plan of its own ({@link ImageLanesDirect}, which holds no scratch).
   */
  public static LanesConvolution direct(Layer conv, Layer norm) {
    if (!(conv instanceof Conv2d c) || !appliesDirect(c.spec(), conv.inputShape())) {
      throw new IllegalArgumentException("not a strided convolution that runs with images in"
          + " lanes: " + conv.getClass().getSimpleName() + " " + conv.inputShape() + " -> "
          + conv.outputShape());
    }
    ConvGeometry g = c.spec().geometry(conv.inputShape(), 0);
    Shape in = conv.inputShape();
    return new LanesConvolution(conv, norm, null, new ImageLanesDirect(in.channels(),
        in.height(), in.width(), c.spec().outChannels(), g.kernelH(), g.strideH(),
        g.padTop()));
  }

  private LanesConvolution(Layer conv, Layer norm, ImageLanesWinograd plan,
      ImageLanesDirect direct) {
    if (!(conv instanceof Conv2d c) || !(plan != null ? applies(c.spec(), conv.inputShape())
        : appliesDirect(c.spec(), conv.inputShape()))) {
      throw new IllegalArgumentException("not a convolution that runs with images in lanes: "
          + conv.getClass().getSimpleName() + " " + conv.inputShape() + " -> "
          + conv.outputShape());
    }
    if (norm != null && !(norm instanceof BatchNorm)) {
      throw new IllegalArgumentException("only a batch norm folds into a convolution in lanes,"
          + " not " + norm.getClass().getSimpleName());
    }
    this.conv = (Conv2d) conv;
    this.norm = (BatchNorm) norm;
    this.plan = plan;
    this.direct = direct;
    this.outChannels = conv.outputShape().channels();
    int weights = outChannels * conv.inputShape().channels() * this.conv.spec().kernelH()
        * this.conv.spec().kernelW();
    this.packing = new ForwardPacking(plan != null ? plan.packedSize() : direct.packedSize(),
        outChannels, weights + (this.conv.hasBias() ? outChannels : 0));
    this.scale = new float[outChannels];
    this.shift = new float[outChannels];
    this.readScale = new float[outChannels];
    this.readShift = new float[outChannels];
  }

  /**
   * Whether {@code layer} (of input {@code input}) is a convolution inference may run with
   * images in lanes: 3x3, stride 1, no dilation, ungrouped, padded by one on every side, a
   * plane {@link ImageLanesWinograd#applies} to whose tiles cover at most
   * {@link #MAX_TILE_AREA} times its area, and at most {@link #MAX_CHANNELS} channels in and
   * out.
   */
  public static boolean applies(LayerSpec layer, Shape input) {
    if (!(layer instanceof Conv2d.Spec conv)) {
      return false;
    }
    ConvGeometry g = conv.geometry(input, 0);
    return g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() == 1 && g.padLeft() == 1
        && g.outH() == g.height() && g.outW() == g.width() && conv.groups() == 1
        && g.channels() <= MAX_CHANNELS && conv.outChannels() <= MAX_CHANNELS
        && ImageLanesWinograd.applies(g.height(), g.width())
        && ImageLanesWinograd.tileArea(g.height(), g.width())
            <= MAX_TILE_AREA * g.height() * g.width();
  }

  /**
   * Whether {@code layer} (of input {@code input}) is a strided convolution inference may run
   * with images in lanes from its definition ({@link ImageLanesDirect}): square, stride 2 or
   * more, no dilation, ungrouped, padded alike on every side by 0 or 1, at most
   * {@link #MAX_CHANNELS} channels in and out, output channels a multiple of 4.
   */
  public static boolean appliesDirect(LayerSpec layer, Shape input) {
    if (!(layer instanceof Conv2d.Spec conv)) {
      return false;
    }
    ConvGeometry g = conv.geometry(input, 0);
    int k = g.kernelH();
    int stride = g.strideH();
    int pad = g.padTop();
    return g.kernelW() == k && g.strideW() == stride && stride >= 2 && g.dilationH() == 1
        && g.dilationW() == 1 && g.padLeft() == pad && conv.groups() == 1
        && g.outH() == (g.height() + 2 * pad - k) / stride + 1
        && g.outW() == (g.width() + 2 * pad - k) / stride + 1
        && g.channels() <= MAX_CHANNELS && conv.outChannels() <= MAX_CHANNELS
        && ImageLanesDirect.applies(g.height(), g.width(), conv.outChannels(), k, stride, pad);
  }

  /**
   * Floats one holds besides its plan's: the packed weights and what they were packed from,
   * of a convolution with {@code taps} kernel taps (9 for 3x3).
   */
  public static long floats(int inChannels, int outChannels, int taps) {
    return Math.max(ImageLanesWinograd.packedSize(inChannels, outChannels),
        ImageLanesDirect.packedSize(inChannels, outChannels, taps))
        + (long) outChannels * inChannels * taps + 6L * outChannels;
  }

  /** Packs the weights again where they, the bias or the norm's map changed since. */
  public void refresh() {
    if (norm != null) {
      norm.inferenceAffine(readScale, readShift);
      if (!Arrays.equals(readScale, scale) || !Arrays.equals(readShift, shift)) {
        System.arraycopy(readScale, 0, scale, 0, outChannels);
        System.arraycopy(readShift, 0, shift, 0, outChannels);
        packing.invalidate();
      }
    }
    packing.refresh(conv.params(), conv.weightOffset(), packer);
  }

  /** The weights packed with the norm's scale into {@code packed}, the bias into its list. */
  private void pack(float[] packed, float[] bias) {
    float[] params = conv.params();
    if (plan != null) {
      plan.packWeights(params, conv.weightOffset(), norm == null ? null : scale, packed);
    } else {
      direct.packWeights(params, conv.weightOffset(), norm == null ? null : scale, packed);
    }
    for (int o = 0; o < outChannels; o++) {
      float b = conv.hasBias() ? params[conv.biasOffset() + o] : 0f;
      bias[o] = norm == null ? b : shift[o] + scale[o] * b;
    }
  }

  /**
   * The pass over a group: {@code in} and {@code out} padded activations in lanes
   * ({@link ImageLanesWinograd#toLanes}'s layout) from {@code in[inAt]} and {@code out[outAt]},
   * {@code residual} (or null) from {@code residual[residualAt]} added, then ReLU if
   * {@code relu}. After a {@link #refresh} on this thread.
   */
  public void convolve(float[] in, int inAt, float[] residual, int residualAt, boolean relu,
      float[] out, int outAt) {
    if (plan != null) {
      plan.convolve(in, inAt, packing.packed(), packing.list(), residual, residualAt, relu, out,
          outAt);
      return;
    }
    direct.convolve(in, inAt, packing.packed(), packing.list(), residual, residualAt, relu, out,
        outAt);
  }

  /** The plan it runs on by Winograd, or null where it runs from its definition. */
  public ImageLanesWinograd plan() {
    return plan;
  }
}
