package org.sparkconv.engine.math;

import java.util.Arrays;

/**
 * A strided 1x1 convolution without padding (ResNet's projection shortcuts), all three passes
 * without lowering. The pixels a 1x1 window reads (every stride-th row and column) are sampled
 * into one run per channel, {@link #run} floats apart; then
 * <ul>
 *   <li>the forward pass is a GEMM of the weights and those runs ({@link DirectConvKernel},
 *       one offset per input channel), written out plane by plane with the bias, a folded
 *       norm, a residual and a ReLU; or, where the outputs fill whole 4-vector tiles and a
 *       run would be a fifth or more padding (7x7 planes: {@link DirectConv#channelLanesPay},
 *       the rule 3x3s follow), with vectors over output channels
 *       ({@link ChannelLanesKernel}, each output pixel's inputs broadcast straight from the
 *       image, nothing sampled);
 *   <li>the weight gradient is the output gradient's runs against the sampled runs
 *       ({@link PixelWeightGradient}, lane partial sums per worker);
 *   <li>the input gradient is the transposed weights against the output gradient's runs,
 *       scattered back to the sampled pixels, zero at every pixel no window reads.
 * </ul>
 * The backward passes were lowered before (im2col, two GEMMs of depth 16 or 32 per image,
 * col2im), and every forward pass ran by channels. ResNet-20, layer profile, one thread, two
 * runs each, old -> new, ms forward + backward: 16x28x28->32 training (64 images)
 * 1.76 + 3.04 -> 1.22 + 1.97, inference (256) 4.1-4.4 -> 3.26; 32x14x14->64 backward 2.07 ->
 * 1.99 (by pixels its forward lost, 0.97 -> 1.21, hence the channel route). Both move more
 * memory than they multiply: most of the time is the strided reads of the input.
 * Plans only and moves data: the constructor and {@link #applies} run in any JVM.
 */
public final class PointwiseConv {

  private static final int MR = DirectConvKernel.ROWS;
  /** Runs are rounded to this: a multiple of every vector width. */
  private static final int RUN_MULTIPLE = 16;
  /** Floats after the sampled runs that a row's whole-vector copy may write (the widest). */
  private static final int OVERRUN = 16;

  private final int inChannels;
  private final int plane; // input pixels per channel
  private final int inH;
  private final int inW;
  private final int strideH;
  private final int strideW;
  private final int outH;
  private final int outW;
  private final int pixels; // output pixels per channel
  private final int run; // pixels rounded up to whole vectors: a channel's run
  private final int outChannels;
  private final int[] channelRuns; // per input channel, its sampled run: c * run
  private final int[] gradientRuns; // per output channel, its gradient's run: o * run
  private final boolean halves; // stride 2 both ways: rows sampled and spread by vectors
  private final boolean byLanes; // the forward pass with vectors over output channels
  private final int outPad; // by lanes: outChannels rounded up to 16, the result's row
  private final int[] pixelOffsets; // by lanes: per output pixel its input pixel, whole tiles

  /** The passes of {@code g} (see {@link #applies}) with {@code outChannels} outputs. */
  public PointwiseConv(ConvGeometry g, int outChannels) {
    if (!isPointwise(g)) {
      throw new IllegalArgumentException("not a strided 1x1 convolution without padding: " + g);
    }
    this.inChannels = g.channels();
    this.plane = g.height() * g.width();
    this.inW = g.width();
    this.inH = g.height();
    this.strideH = g.strideH();
    this.strideW = g.strideW();
    this.outH = g.outH();
    this.outW = g.outW();
    this.pixels = outH * outW;
    this.run = (pixels + RUN_MULTIPLE - 1) / RUN_MULTIPLE * RUN_MULTIPLE;
    this.outChannels = outChannels;
    this.channelRuns = runStarts(inChannels, run);
    this.gradientRuns = runStarts(outChannels, run);
    this.halves = strideH == 2 && strideW == 2 && VectorApi.RESOLVED;
    this.byLanes = DirectConv.channelLanesPay(outChannels, (double) pixels / run);
    this.outPad = (outChannels + 15) / 16 * 16;
    int tiles = (pixels + ChannelLanesKernel.PIXEL_MULTIPLE - 1)
        / ChannelLanesKernel.PIXEL_MULTIPLE * ChannelLanesKernel.PIXEL_MULTIPLE;
    this.pixelOffsets = new int[byLanes ? tiles : 0];
    for (int q = 0; q < pixelOffsets.length; q++) {
      int p = Math.min(q, pixels - 1); // the last repeated
      pixelOffsets[q] = p / outW * strideH * inW + p % outW * strideW;
    }
  }

  private static int[] runStarts(int count, int run) {
    int[] starts = new int[count];
    for (int i = 0; i < count; i++) {
      starts[i] = i * run;
    }
    return starts;
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

  /** Whether the forward pass runs with vectors over output channels. */
  public boolean forwardByChannels() {
    return byLanes;
  }

  /** Floats of the weights packed for the forward pass. */
  public int packedWeightsSize() {
    return byLanes ? inChannels * outPad : roundUp(outChannels, MR) * inChannels;
  }

  /** Floats of the weights packed for the input gradient. */
  public int packedAdjointWeightsSize() {
    return roundUp(inChannels, MR) * outChannels;
  }

  /**
   * Packs weights {@code (outChannels, inChannels)} at {@code w[off]} for {@link #convolve}: in
   * 8-row panels as {@link DirectConvKernel#run} reads them, or by channels as
   * {@link ChannelLanesKernel#run} does; rows past the outputs zero.
   */
  public void packWeights(float[] w, int off, float[] packed) {
    if (!byLanes) {
      DirectConv.packPanels(w, off, outChannels, inChannels, inChannels, 1, packed);
      return;
    }
    for (int o = 0; o < outPad; o++) {
      for (int c = 0; c < inChannels; c++) {
        packed[ChannelLanesKernel.packedIndex(o, c, inChannels, outPad)] =
            o < outChannels ? w[off + o * inChannels + c] : 0f;
      }
    }
  }

  /** Packs the transposed weights (input channels as rows) for {@link #backward}. */
  public void packAdjointWeights(float[] w, int off, float[] packed) {
    DirectConv.packPanels(w, off, inChannels, outChannels, 1, inChannels, packed);
  }

  /** A worker's scratch for {@link #convolve} and {@link #backward}. */
  public Scratch newScratch() {
    return new Scratch(new float[inChannels * run + OVERRUN], new float[outChannels * run],
        new float[resultSize()], new float[outChannels * inChannels * 16],
        new int[inChannels]);
  }

  /** Floats (and ints) of one {@link #newScratch()}. */
  public long scratchSize() {
    return (long) (inChannels + outChannels) * run + OVERRUN + resultSize()
        + (long) outChannels * inChannels * 16 + inChannels;
  }

  /** A GEMM's result: by pixels either way, or the forward pass's by channels. */
  private int resultSize() {
    return Math.max(roundUp(Math.max(inChannels, outChannels), MR) * run,
        pixelOffsets.length * outPad);
  }

  /**
   * One worker's buffers: the sampled runs of an image (their tails zero), an
   * output gradient's runs (the same), a GEMM's result, the weight gradient's lane sums, and
   * by channels the forward pass's input planes.
   */
  public record Scratch(float[] sampled, float[] gradient, float[] result, float[] partial,
      int[] planes) {}

  /**
   * {@code out[outOff ...]} = the convolution of the image at {@code in[inOff]} with weights
   * from {@link #packWeights}, plus {@code bias[biasOff + o]} when not null, then (where
   * {@code scale} is not null) times {@code scale[o]} plus {@code shift[o]}, plus
   * {@code residual} at the same index as {@code out} when not null, and {@code max(0, .)} if
   * {@code relu}.
   */
  public void convolve(float[] in, int inOff, float[] packed, float[] bias, int biasOff,
      float[] scale, float[] shift, boolean relu, float[] residual, float[] out, int outOff,
      Scratch s) {
    if (byLanes) {
      for (int c = 0; c < inChannels; c++) {
        s.planes()[c] = inOff + c * plane;
      }
      ChannelLanesKernel.run(packed, outPad, inChannels, s.planes(), in, pixelOffsets, pixels,
          s.result());
      ChannelLanesOutput.write(s.result(), outPad, outChannels, pixels, bias, biasOff, scale,
          shift, relu, residual, out, outOff);
      return;
    }
    sample(in, inOff, s.sampled());
    DirectConvKernel.run(packed, 0, outChannels, inChannels, channelRuns, s.sampled(),
        s.result(), 0, run);
    int limit = outOff + outChannels * pixels;
    for (int o = 0; o < outChannels; o++) {
      DirectConvKernel.copyPlane(s.result(), o * run, pixels,
          bias == null ? 0f : bias[biasOff + o], scale == null ? 1f : scale[o],
          scale == null ? 0f : shift[o], relu, residual, out, outOff + o * pixels, pixels, 1,
          limit);
    }
  }

  /**
   * The backward pass of the image at {@code in[inOff]}: its weight gradient added to the
   * worker's lane sums (to the gradient by {@link #addWeightGradient}); where {@code dIn} is not
   * null, its input gradient written to {@code dIn[dInOff ...]} from the output gradient at
   * {@code dOut[dOutOff]} and weights from {@link #packAdjointWeights}.
   */
  public void backward(float[] in, int inOff, float[] dOut, int dOutOff, float[] packedAdjoint,
      float[] dIn, int dInOff, Scratch s) {
    sample(in, inOff, s.sampled());
    float[] gradient = s.gradient();
    for (int o = 0; o < outChannels; o++) {
      System.arraycopy(dOut, dOutOff + o * pixels, gradient, o * run, pixels);
    }
    PixelWeightGradient.accumulate(gradient, 0, run, outChannels, s.sampled(), 0, 1,
        inChannels, channelRuns, s.partial());
    if (dIn != null) {
      DirectConvKernel.run(packedAdjoint, 0, inChannels, outChannels, gradientRuns, gradient,
          s.result(), 0, run);
      scatter(s.result(), dIn, dInOff);
    }
  }

  /**
   * Adds the weight gradient {@link #backward} summed in {@code s} to
   * {@code g[gOff ...] (outChannels, inChannels)}, and clears the sums.
   */
  public void addWeightGradient(Scratch s, float[] g, int gOff) {
    PixelWeightGradient.addTo(s.partial(), outChannels * inChannels, g, gOff);
    Arrays.fill(s.partial(), 0f);
  }

  /**
   * The pixels the windows read, each channel's in one run of {@code sampled}; with stride 2
   * both ways and the Vector API, a row's even columns a pair of vectors at a time
   * ({@link EvenColumns#take}), each run's tail zeroed again after the overrun.
   */
  private void sample(float[] in, int inOff, float[] sampled) {
    for (int c = 0; c < inChannels; c++) {
      int from = inOff + c * plane;
      int to = c * run;
      for (int oy = 0; oy < outH; oy++) {
        int row = from + oy * strideH * inW;
        int at = to + oy * outW;
        if (halves) {
          EvenColumns.take(in, row, outW, sampled, at);
          continue;
        }
        for (int ox = 0; ox < outW; ox++) {
          sampled[at + ox] = in[row + ox * strideW];
        }
      }
      if (halves) {
        Arrays.fill(sampled, to + pixels, to + run, 0f);
      }
    }
  }

  /**
   * The input gradient from the sampled pixels' runs, zero where no window reads: with stride
   * 2 both ways, each sampled row spread over its input row ({@link EvenColumns#spread}), the
   * odd row after it zeroed (rows in order, so each overrun is written over); else zeroed, then
   * scattered one by one.
   */
  private void scatter(float[] runs, float[] dIn, int at) {
    int end = at + inChannels * plane;
    if (!halves) {
      Arrays.fill(dIn, at, end, 0f);
    }
    for (int c = 0; c < inChannels; c++) {
      int from = c * run;
      int to = at + c * plane;
      for (int oy = 0; oy < outH; oy++) {
        int row = to + oy * strideH * inW;
        int source = from + oy * outW;
        if (halves) {
          EvenColumns.spread(runs, source, inW, dIn, row, end);
          if (2 * oy + 1 < inH) {
            Arrays.fill(dIn, row + inW, row + 2 * inW, 0f);
          }
          continue;
        }
        for (int ox = 0; ox < outW; ox++) {
          dIn[row + ox * strideW] = runs[source + ox];
        }
      }
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
