package org.sparkconv.engine.math;

/**
 * A strided 1x1 convolution without padding (ResNet's projection shortcuts) with vectors over
 * output channels: {@link ChannelLanesKernel} broadcasts each output pixel's input straight
 * from the image, one channel plane after another, so nothing is copied or lowered, and
 * {@link ChannelLanesOutput} writes the planes with the bias, a folded norm, a residual and a
 * ReLU. Lowered, each image took a strided copy (im2col) and a GEMM whose depth is the input
 * channels (16 or 32), short for a GEMM. Forward only: the backward passes stay lowered.
 * Plans only and moves data: the constructor and {@link #applies} run in any JVM.
 */
public final class PointwiseConv {

  private final int depth; // input channels
  private final int plane; // input pixels per channel
  private final int pixels; // output pixels
  private final int outChannels;
  private final int outPad; // outChannels rounded up to 16: the result's row
  private final int[] pixelOffsets; // per output pixel, its input pixel; to whole 12-pixel tiles
  private final int[] scatterIndex;

  /** The forward pass of {@code g} (see {@link #applies}) with {@code outChannels} outputs. */
  public PointwiseConv(ConvGeometry g, int outChannels) {
    if (!isPointwise(g)) {
      throw new IllegalArgumentException("not a strided 1x1 convolution without padding: " + g);
    }
    this.depth = g.channels();
    this.plane = g.height() * g.width();
    this.pixels = g.outH() * g.outW();
    this.outChannels = outChannels;
    this.outPad = (outChannels + 15) / 16 * 16;
    int rounded = (pixels + ChannelLanesKernel.PIXEL_MULTIPLE - 1)
        / ChannelLanesKernel.PIXEL_MULTIPLE * ChannelLanesKernel.PIXEL_MULTIPLE;
    this.pixelOffsets = new int[rounded];
    for (int q = 0; q < rounded; q++) {
      int p = Math.min(q, pixels - 1); // the last repeated
      pixelOffsets[q] = p / g.outW() * g.strideH() * g.width() + p % g.outW() * g.strideW();
    }
    this.scatterIndex = VectorApi.RESOLVED ? ChannelLanesOutput.scatterIndex(pixels) : null;
  }

  /**
   * Whether {@code g} with {@code groups} is a convolution this computes: 1x1, strided, no
   * padding, one group, on a JVM with the Vector API.
   */
  public static boolean applies(ConvGeometry g, int groups) {
    return VectorApi.RESOLVED && groups == 1 && isPointwise(g);
  }

  private static boolean isPointwise(ConvGeometry g) {
    return g.kernelH() == 1 && g.kernelW() == 1 && g.strideH() * g.strideW() > 1
        && g.padTop() == 0 && g.padLeft() == 0 && g.outH() > 0 && g.outW() > 0
        && (g.outH() - 1) * g.strideH() < g.height() && (g.outW() - 1) * g.strideW() < g.width();
  }

  /** Floats of the packed weights. */
  public int packedWeightsSize() {
    return depth * outPad;
  }

  /** Floats of one image's pixel-major result. */
  public int resultSize() {
    return pixelOffsets.length * outPad;
  }

  /** Ints of the per-worker channel offsets {@link #convolve} fills. */
  public int offsetsSize() {
    return depth;
  }

  /** Packs weights {@code (outChannels, inChannels)} at {@code w[off]} for {@link #convolve}. */
  public void packWeights(float[] w, int off, float[] packedT) {
    for (int o = 0; o < outPad; o++) {
      for (int c = 0; c < depth; c++) {
        packedT[ChannelLanesKernel.packedIndex(o, c, depth, outPad)] =
            o < outChannels ? w[off + o * depth + c] : 0f;
      }
    }
  }

  /**
   * {@code out[outOff ...]} = the convolution of the image at {@code in[inOff]} with weights
   * from {@link #packWeights}, plus {@code bias[biasOff + o]} when not null, then (where
   * {@code scale} is not null) times {@code scale[o]} plus {@code shift[o]}, plus
   * {@code residual} at the same index as {@code out} when not null, and {@code max(0, .)} if
   * {@code relu}. {@code offsets} ({@link #offsetsSize()}) and {@code resultT}
   * ({@link #resultSize()}) are the worker's scratch.
   */
  public void convolve(float[] in, int inOff, float[] packedT, float[] bias, int biasOff,
      float[] scale, float[] shift, boolean relu, float[] residual, float[] out, int outOff,
      int[] offsets, float[] resultT) {
    for (int c = 0; c < depth; c++) {
      offsets[c] = inOff + c * plane;
    }
    ChannelLanesKernel.run(packedT, outPad, depth, offsets, in, pixelOffsets, pixels, resultT);
    ChannelLanesOutput.write(resultT, outPad, outChannels, pixels, bias, biasOff, scale, shift,
        relu, residual, scatterIndex, out, outOff);
  }
}
