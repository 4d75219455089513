package org.sparkconv.engine.math;

/**
 * A convolution of one image computed straight from a zero-padded copy of it, without a lowered
 * matrix ("implicit GEMM"). Stride 1 first (strides below). Lay the padded image out with rows
 * {@code paddedW} wide; then output pixel {@code (oy, ox)}, indexed {@code oy * paddedW + ox},
 * reads input {@code (c, oy + ki * dilationH, ox + kj * dilationW)} at the same index plus a
 * fixed offset per {@code (c, ki, kj)}. A run of LANES consecutive output indices therefore
 * reads one contiguous run of the padded image per reduction step: the B panel of a GEMM
 * micro-kernel, read in place. The micro-kernel is a GEMM's (8 output channels x 3 vectors of
 * pixels, 24 accumulators, fused multiply-adds over the whole depth), fed through an offset
 * table instead of a packed panel.
 *
 * <p>What it saves: im2col writes the image out {@code kernelH * kernelW} times (9x for 3x3) and
 * col2im reads it back as often; here the image is copied once, padded. What it costs: the
 * {@code paddedW - outW} columns at the end of every padded row are computed and dropped (2 of
 * 30 for a 3x3 "same" conv at 28x28, 2 of 9 at 7x7).
 *
 * <p>The input gradient of a stride-1 convolution is itself a stride-1 convolution of the output
 * gradient, padded by {@code extent - pad} on each side (extent = dilation x (kernel - 1)), with
 * the kernel rotated by 180 degrees and its channel axes swapped: {@link #adjoint} plans it,
 * {@link #packAdjointWeights} arranges the weights.
 *
 * <p>A stride s > 1 splits the padded copy into s x s phase planes (see the constructor), which
 * makes every window tap read consecutive entries again (stride 2 both ways fills them a pair
 * of vectors at a time, with {@link PhasePlanes}: one float at a time took a third of ResNet-20's
 * downsampling forward, 16x28x28->32 2.46-2.62 -> 1.55-1.59 ms and 32x14x14->64 1.81-2.00 ->
 * 1.27-1.28 a batch of 64); the input gradient of a strided convolution splits into s x s
 * stride-1 convolutions, one per phase of the input ({@link #phaseAdjoint},
 * {@link StridedAdjoint}).
 *
 * <p>The arithmetic is {@link DirectConvKernel}'s, on the Vector API: this class only plans and
 * moves data, so {@link #supports} can be asked in any JVM.
 */
public final class DirectConv {

  private static final int MR = DirectConvKernel.ROWS;
  /** Pixels per micro-tile rounded up to a multiple of every vector width: runs are whole. */
  private static final int NR = 32;
  /**
   * Floats after the rows of a stride-2 phase plane, where {@link PhasePlanes}' whole-vector
   * row copies may run (only outputs that are dropped read them).
   */
  private static final int PHASE_SLACK = 16;
  /**
   * Floats of transposed output-gradient rows {@link #transposeGradient} writes a block of pixels
   * at a time (32 KB, within L1) where it runs one float at a time (no 512-bit vectors): each
   * row is written once per channel, and channel by channel over a whole image the rows left L1
   * between channels (32x28x28->32, 64 images: 1.54 -> 0.83-1.14 ms; 64x14x14->64 0.74 ->
   * 0.41-0.56).
   */
  private static final int TRANSPOSE_BLOCK_FLOATS = 8192;
  /**
   * Below this share of the pixel kernel's multiply-adds landing on outputs (a fifth or more
   * dropped columns and rounding), a kernel over output channels can pay: see
   * {@link #channelLanesPay} and {@link #slidingRowsPay}.
   */
  private static final double MIN_PIXEL_SHARE = 0.8;

  private final int inChannels;
  private final int inH;
  private final int inW;
  private final int padTop;
  private final int padLeft;
  private final int paddedH; // the extent the windows read, padding included
  private final int paddedW;
  private final int strideH;
  private final int strideW;
  private final int rowWidth; // of a phase plane: output rows are laid out this wide
  private final int phasePlane;
  private final PhasePlanes halves; // stride 2 both ways: the vector copy into phase planes
  private final PaddedRows rows; // stride 1, nothing clipped: the vector copy into padded rows
  private final int channelBlock; // strideH * strideW phase planes
  private final int outChannels;
  private final int outH;
  private final int outW;
  private final int depth; // inChannels * kernelH * kernelW
  private final int[] offsets; // per reduction step (c, ki, kj): its shift in the padded image
  private final int[] pixelOffsets; // per output pixel (oy, ox): oy * rowWidth + ox
  private final int[] lanePixelOffsets; // the same, rounded up to whole channel-lane tiles
  private final int[] rowOffsets; // per kernel row (c, ki): the offset of its first tap
  private final boolean slides; // SlidingRowKernel can run it: see slidesRows
  private final int runLength; // outH * rowWidth rounded up to whole micro-tiles
  private final int paddedSize; // floats of the padded copy, with what the last tile reads
  private final int kernelH;
  private final int kernelW;
  private final int[] adjointTaps; // see the constructor
  private final int forwardTaps;

  /**
   * A convolution of {@code (inChannels, inH, inW)} zero-padded by {@code padTop} and
   * {@code padLeft} (either may be negative: rows or columns no window reads) and at the
   * bottom and right by as much as {@code outH x outW} outputs read, with a
   * {@code kernelH x kernelW} kernel, strided and dilated as given, {@code outChannels} outputs.
   *
   * <p>With stride s the padded image is stored as s x s phase planes, phase (py, px) holding
   * padded pixels {@code (py + s i, px + s j)}: a window tap then reads, for consecutive
   * outputs of a row, consecutive entries of one phase plane, and everything above holds with
   * the phase plane's width in place of the padded width.
   */
  private DirectConv(int inChannels, int inH, int inW, int padTop, int padLeft, int kernelH,
      int kernelW, int strideH, int strideW, int dilationH, int dilationW, int outH, int outW,
      int outChannels) {
    this(inChannels, inH, inW, padTop, padLeft, kernelH, kernelW, strideH, strideW, dilationH,
        dilationW, outH, outW, outChannels, 0, 0, reversedTaps(kernelH * kernelW),
        kernelH * kernelW);
  }

  /**
   * As above, with rows at least {@code minRowWidth} wide and at least {@code minRows} of them
   * per (stride-1) channel plane, so that plans of different kernels can share one padded copy
   * and one result layout ({@link StridedAdjoint}); {@code adjointTaps[q]} is the forward
   * kernel's tap (row-major, of {@code forwardTaps}) that tap q of this plan multiplies where it
   * computes an input gradient ({@link #packAdjointWeights}).
   */
  private DirectConv(int inChannels, int inH, int inW, int padTop, int padLeft, int kernelH,
      int kernelW, int strideH, int strideW, int dilationH, int dilationW, int outH, int outW,
      int outChannels, int minRowWidth, int minRows, int[] adjointTaps, int forwardTaps) {
    if (outH <= 0 || outW <= 0) {
      throw new IllegalArgumentException("empty output " + outH + "x" + outW);
    }
    this.inChannels = inChannels;
    this.inH = inH;
    this.inW = inW;
    this.padTop = padTop;
    this.padLeft = padLeft;
    this.kernelH = kernelH;
    this.kernelW = kernelW;
    this.strideH = strideH;
    this.strideW = strideW;
    this.outH = outH;
    this.outW = outW;
    this.paddedH = strideH * (outH - 1) + (kernelH - 1) * dilationH + 1;
    this.paddedW = strideW * (outW - 1) + (kernelW - 1) * dilationW + 1;
    this.rowWidth = Math.max(minRowWidth, (paddedW + strideW - 1) / strideW);
    int phaseRows = Math.max(minRows, (paddedH + strideH - 1) / strideH);
    this.adjointTaps = adjointTaps;
    this.forwardTaps = forwardTaps;
    boolean halves = strideH == 2 && strideW == 2;
    this.phasePlane = phaseRows * rowWidth + (halves ? PHASE_SLACK : 0);
    this.halves = halves
        ? new PhasePlanes(inChannels, inH, inW, padTop, padLeft, phaseRows, rowWidth, phasePlane)
        : null;
    this.channelBlock = strideH * strideW * phasePlane;
    boolean whole = strideH == 1 && strideW == 1 && padTop >= 0 && padLeft >= 0
        && padLeft + inW <= rowWidth && (padTop + inH) * rowWidth <= phasePlane;
    this.rows = whole && VectorApi.RESOLVED
        ? new PaddedRows(inChannels, inH, inW, padTop, padLeft, rowWidth, phasePlane) : null;
    this.outChannels = outChannels;
    this.depth = inChannels * kernelH * kernelW;
    this.offsets = new int[depth];
    this.runLength = roundUp(outH * rowWidth, NR);
    this.pixelOffsets = new int[outH * outW];
    for (int oy = 0, q = 0; oy < outH; oy++) {
      for (int ox = 0; ox < outW; ox++, q++) {
        pixelOffsets[q] = oy * rowWidth + ox;
      }
    }
    // a compile-time constant: reading it does not load the Vector API class
    int lanePixels = roundUp(outH * outW, ChannelLanesKernel.PIXEL_MULTIPLE);
    this.lanePixelOffsets = new int[lanePixels];
    for (int q = 0; q < lanePixels; q++) {
      lanePixelOffsets[q] = pixelOffsets[Math.min(q, outH * outW - 1)];
    }
    for (int c = 0, p = 0; c < inChannels; c++) {
      for (int ki = 0; ki < kernelH; ki++) {
        for (int kj = 0; kj < kernelW; kj++, p++) {
          int row = ki * dilationH;
          int column = kj * dilationW;
          int phase = (row % strideH) * strideW + column % strideW;
          offsets[p] = c * channelBlock + phase * phasePlane + row / strideH * rowWidth
              + column / strideW;
        }
      }
    }
    this.rowOffsets = new int[inChannels * kernelH];
    for (int r = 0; r < rowOffsets.length; r++) {
      rowOffsets[r] = offsets[r * kernelW];
    }
    // (the kernel's class is loaded only where the Vector API is resolved)
    int slidingTile = VectorApi.RESOLVED ? SlidingRowKernel.tile(kernelW) : 0;
    this.slides = slidingTile > 0 && outW >= slidingTile && strideH == 1 && strideW == 1
        && dilationW == 1 && outChannels <= SlidingRowKernel.OUT_PAD;
    int lastRead = 0;
    for (int offset : offsets) {
      lastRead = Math.max(lastRead, offset);
    }
    this.paddedSize = Math.max(inChannels * channelBlock, lastRead + runLength);
  }

  /** True when this JVM can run the kernel (the Vector API is resolved): any geometry then. */
  public static boolean supports(ConvGeometry g) {
    return VectorApi.RESOLVED;
  }

  /**
   * True when the input gradient of {@code g} is a stride-1 convolution {@link #adjoint} plans:
   * stride 1 and no padding beyond the kernel's extent (an output row of only padding).
   */
  public static boolean hasAdjoint(ConvGeometry g) {
    int extentH = (g.kernelH() - 1) * g.dilationH();
    int extentW = (g.kernelW() - 1) * g.dilationW();
    int padBottom = padAfter(g.height(), g.outH(), g.padTop(), g.kernelH(), g.dilationH());
    int padRight = padAfter(g.width(), g.outW(), g.padLeft(), g.kernelW(), g.dilationW());
    return g.strideH() == 1 && g.strideW() == 1 && g.padTop() <= extentH && padBottom >= 0
        && padBottom <= extentH && g.padLeft() <= extentW && padRight >= 0
        && padRight <= extentW;
  }

  /** The forward convolution of {@code g} with {@code outChannels} outputs. */
  public static DirectConv forward(ConvGeometry g, int outChannels) {
    return new DirectConv(g.channels(), g.height(), g.width(), g.padTop(), g.padLeft(),
        g.kernelH(), g.kernelW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
        g.outH(), g.outW(), outChannels);
  }

  /**
   * The convolution that computes the input gradient of {@code g}'s forward convolution from
   * its output gradient {@code (outChannels, outH, outW)}: padding {@code extent - pad} per
   * side, weights from {@link #packAdjointWeights}. Only where {@link #hasAdjoint}.
   */
  public static DirectConv adjoint(ConvGeometry g, int outChannels) {
    if (!hasAdjoint(g)) {
      throw new IllegalArgumentException("no stride-1 adjoint for " + g);
    }
    int extentH = (g.kernelH() - 1) * g.dilationH();
    int extentW = (g.kernelW() - 1) * g.dilationW();
    return new DirectConv(outChannels, g.outH(), g.outW(), extentH - g.padTop(),
        extentW - g.padLeft(), g.kernelH(), g.kernelW(), 1, 1, g.dilationH(), g.dilationW(),
        g.height(), g.width(), g.channels());
  }

  /**
   * Phase {@code (a, b)} of the input gradient of a strided {@code g}: input pixels
   * {@code (sh i + a, sw j + b)}, computed as a stride-1 convolution of the output gradient
   * {@code (outChannels, outH, outW)} by the forward taps {@code (ki, kj)} with
   * {@code ki = a + padTop (mod sh)} and {@code kj = b + padLeft (mod sw)}, rotated; rows at
   * least {@code rowWidth} wide and {@code rows} of them (see {@link StridedAdjoint}). Null
   * where no tap lands on the phase (a 1x1 kernel's odd phases) or no pixel is in it.
   * Dilation 1 and no negative padding.
   */
  static DirectConv phaseAdjoint(ConvGeometry g, int outChannels, int a, int b, int rowWidth,
      int rows) {
    PhaseAxis v = PhaseAxis.of(a, g.padTop(), g.strideH(), g.kernelH(), g.height());
    PhaseAxis h = PhaseAxis.of(b, g.padLeft(), g.strideW(), g.kernelW(), g.width());
    if (v == null || h == null) {
      return null;
    }
    int[] taps = new int[v.taps() * h.taps()];
    for (int t = 0, q = 0; t < v.taps(); t++) {
      for (int u = 0; u < h.taps(); u++, q++) {
        taps[q] = v.forwardTap(v.taps() - 1 - t) * g.kernelW()
            + h.forwardTap(h.taps() - 1 - u);
      }
    }
    return new DirectConv(outChannels, g.outH(), g.outW(), v.pad(), h.pad(), v.taps(),
        h.taps(), 1, 1, 1, 1, v.pixels(), h.pixels(), g.channels(), rowWidth, rows, taps,
        g.kernelH() * g.kernelW());
  }

  /**
   * One axis of a phase of a strided input gradient: input positions {@code s i + phase} for
   * i below {@code pixels} take forward taps {@code first + s t} for t below {@code taps},
   * output-gradient position {@code i + pad' - t'} reading as a stride-1 window padded by
   * {@code pad} with the taps reversed.
   */
  private record PhaseAxis(int first, int stride, int taps, int pad, int pixels) {

    static PhaseAxis of(int phase, int padBefore, int stride, int kernel, int size) {
      int first = Math.floorMod(phase + padBefore, stride);
      int taps = first >= kernel ? 0 : (kernel - first + stride - 1) / stride;
      int pixels = size > phase ? (size - phase + stride - 1) / stride : 0;
      if (taps == 0 || pixels == 0) {
        return null;
      }
      int shift = (phase + padBefore - first) / stride; // output position of tap `first`
      return new PhaseAxis(first, stride, taps, taps - 1 - shift, pixels);
    }

    int forwardTap(int t) {
      return first + stride * t;
    }
  }

  /**
   * Whether {@code other} reads a padded image laid out as this plan's {@link #pad} writes it:
   * the same padding, row width and channel stride.
   */
  boolean sharesPaddedLayout(DirectConv other) {
    return padTop == other.padTop && padLeft == other.padLeft && rowWidth == other.rowWidth
        && channelBlock == other.channelBlock && inChannels == other.inChannels;
  }

  /** The width of the rows this plan lays its padded image and result out in. */
  int rowWidth() {
    return rowWidth;
  }

  /** Rows of a channel's plane in the padded image (stride 1). */
  int planeRows() {
    return phasePlane / rowWidth;
  }

  /** Floats between output channels in {@link #multiply}'s result. */
  int runLength() {
    return runLength;
  }

  /**
   * {@code result[resultAt ...]} = the convolution of the padded image before its dropped
   * columns are removed, channel o at {@code o * runLength()}, weights from
   * {@code packed[packedAt]}.
   */
  void multiply(float[] padded, float[] packed, int packedAt, float[] result, int resultAt) {
    DirectConvKernel.run(packed, packedAt, outChannels, depth, offsets, padded, result,
        resultAt, runLength);
  }

  /** The bottom (or right) padding a stride-1 window needs for this output length. */
  private static int padAfter(int n, int out, int padBefore, int kernel, int dilation) {
    return out + (kernel - 1) * dilation - n - padBefore;
  }

  /** Floats of the padded copy of one input image, with the zeros the last tile reads. */
  public int paddedSize() {
    return paddedSize;
  }

  /** Floats of the result before its dropped columns are removed. */
  public int resultSize() {
    return roundUp(outChannels, MR) * runLength;
  }

  /** Multiply-adds of one {@link #convolve}, dropped columns and padded channels included. */
  public long multiplyAdds() {
    return (long) roundUp(outChannels, MR) * depth * runLength;
  }

  /** Floats of the packed weights. */
  public int packedWeightsSize() {
    return roundUp(outChannels, MR) * depth;
  }

  /**
   * Packs weights {@code (outChannels, inChannels, kh, kw)} at {@code w[off]} as panels of 8
   * output channels: channel {@code q + r}, step p at {@code (q * depth + p * 8) + r}.
   */
  public void packWeights(float[] w, int off, float[] packed) {
    packPanels(w, off, outChannels, depth, depth, 1, packed);
  }

  /**
   * Packs the matrix {@code (rows, depth)} whose entry (o, p) is
   * {@code w[off + o * rowStride + p * depthStride]} as {@link DirectConvKernel#run} reads it:
   * panels of 8 rows, row {@code q + r}, step p at {@code (q * depth + p * 8) + r}; rows past
   * {@code rows} (to a multiple of 8) zero. A transposed read packs the transposed matrix.
   */
  static void packPanels(float[] w, int off, int rows, int depth, int rowStride,
      int depthStride, float[] packed) {
    for (int o = 0; o < roundUp(rows, MR); o++) {
      int panel = (o / MR) * MR * depth + o % MR;
      for (int p = 0; p < depth; p++) {
        packed[panel + p * MR] = o < rows ? w[off + o * rowStride + p * depthStride] : 0f;
      }
    }
  }

  /**
   * Packs, for an {@link #adjoint} plan, the forward weights {@code (Cout, Cin, kh, kw)} at
   * {@code w[off]} rotated by 180 degrees with the channel axes swapped: this plan's output
   * channel c, step {@code (o, ki, kj)} is forward weight {@code (o, c, kh-1-ki, kw-1-kj)}.
   */
  public void packAdjointWeights(float[] w, int off, float[] packed) {
    packAdjointWeights(w, off, packed, 0);
  }

  /** As above, into {@code packed[at ...]}. */
  void packAdjointWeights(float[] w, int off, float[] packed, int at) {
    int rows = roundUp(outChannels, MR);
    for (int c = 0; c < rows; c++) {
      int panel = at + (c / MR) * MR * depth + c % MR;
      for (int p = 0; p < depth; p++) {
        packed[panel + p * MR] = adjointWeight(w, off, c, p);
      }
    }
  }

  /**
   * This adjoint plan's weight for output channel c and step {@code p = (o, ki, kj)}: forward
   * weight {@code (o, c, kh-1-ki, kw-1-kj)} of {@code (Cout, Cin, kh, kw)} at {@code w[off]},
   * zero for the padding channels.
   */
  private float adjointWeight(float[] w, int off, int c, int p) {
    if (c >= outChannels) {
      return 0f;
    }
    int taps = kernelH * kernelW;
    return w[off + (p / taps) * outChannels * forwardTaps + c * forwardTaps
        + adjointTaps[p % taps]];
  }

  /** Taps of a kernel rotated by 180 degrees: tap q reads forward tap taps - 1 - q. */
  private static int[] reversedTaps(int taps) {
    int[] reversed = new int[taps];
    for (int q = 0; q < taps; q++) {
      reversed[q] = taps - 1 - q;
    }
    return reversed;
  }

  /**
   * Copies image {@code x[xOff ...]} into the interior of {@code padded[paddedOff ...]}, whose
   * border stays zero (zero when allocated; where the vector copies of {@link PaddedRows} and
   * {@link PhasePlanes} run over it, zeroed again): the same positions every call. Stride 1
   * with nothing clipped by {@link PaddedRows} (ResNet-20's convs, 256 images, one thread,
   * interleaved: the copy 1.14x as fast on 28x28 and 14x14 planes, 1.81x on 7x7; the whole
   * forward 1.4-3.8% faster).
   */
  public void pad(float[] x, int xOff, float[] padded, int paddedOff) {
    int plane = inH * inW;
    int firstRow = Math.max(0, -padTop);
    int lastRow = Math.min(inH, paddedH - padTop); // exclusive
    int firstColumn = Math.max(0, -padLeft);
    int lastColumn = Math.min(inW, paddedW - padLeft);
    if (lastColumn <= firstColumn) {
      return;
    }
    if (halves != null) {
      halves.copy(x, xOff, padded, paddedOff);
      return;
    }
    if (rows != null) {
      rows.copy(x, xOff, padded, paddedOff);
      return;
    }
    for (int c = 0; c < inChannels; c++) {
      int source = xOff + c * plane;
      int block = paddedOff + c * channelBlock;
      for (int y = firstRow; y < lastRow; y++) {
        int py = y + padTop;
        if (strideH == 1 && strideW == 1) {
          System.arraycopy(x, source + y * inW + firstColumn, padded,
              block + py * rowWidth + padLeft + firstColumn, lastColumn - firstColumn);
          continue;
        }
        int rowStart = block + (py % strideH) * strideW * phasePlane + py / strideH * rowWidth;
        for (int xi = firstColumn; xi < lastColumn; xi++) {
          int px = xi + padLeft;
          padded[rowStart + (px % strideW) * phasePlane + px / strideW] = x[source + y * inW + xi];
        }
      }
    }
  }

  /**
   * {@code out[outOff ...] (outChannels, outH, outW)} = the convolution of the image held in
   * {@code padded} (see {@link #pad}) with {@code packed} weights, plus {@code bias[biasOff + o]}
   * per channel when {@code bias} is not null. {@code result} is scratch of
   * {@link #resultSize()}.
   */
  public void convolve(float[] padded, float[] packed, float[] bias, int biasOff, float[] out,
      int outOff, float[] result) {
    convolve(padded, packed, bias, biasOff, out, outOff, result, null, null, false, null);
  }

  /**
   * As above, then {@code y * scale[o] + shift[o]} per output channel (a folded inference batch
   * norm) where {@code scale} is not null, plus {@code residual} at the output's index (a folded
   * sum) where that is not null, then ReLU if {@code relu}, applied as the result is copied
   * out: no second pass over the image.
   */
  public void convolve(float[] padded, float[] packed, float[] bias, int biasOff, float[] out,
      int outOff, float[] result, float[] scale, float[] shift, boolean relu,
      float[] residual) {
    DirectConvKernel.run(packed, outChannels, depth, offsets, padded, result, runLength);
    int plane = outH * outW;
    int limit = outOff + outChannels * plane; // this image's end: another worker's image after
    for (int o = 0; o < outChannels; o++) {
      float b = bias == null ? 0f : bias[biasOff + o];
      DirectConvKernel.copyPlane(result, o * runLength, rowWidth, b,
          scale == null ? 1f : scale[o], scale == null ? 0f : shift[o], relu, residual, out,
          outOff + o * plane, outW, outH, limit);
    }
  }

  /**
   * As {@link #convolve}, but writes the 2x2 max pool (stride 2) of each output plane, the map
   * applied to every value before the pool ({@link DirectConvKernel#copyPlanesPooled}): planes
   * of {@code (outH / 2) x (outW / 2)} at {@code out[outOff ...]}; only where
   * {@link #poolsEvenly}.
   */
  public void convolvePooled(float[] padded, float[] packed, float[] bias, int biasOff,
      float[] out, int outOff, float[] result, float[] scale, float[] shift, boolean relu) {
    DirectConvKernel.run(packed, outChannels, depth, offsets, padded, result, runLength);
    DirectConvKernel.copyPlanesPooled(result, runLength, rowWidth, outChannels, bias, biasOff,
        scale, shift, relu, out, outOff, outW, outH);
  }

  /** Whether the output's sides are even: each 2x2 pooling window whole. */
  public boolean poolsEvenly() {
    return outH % 2 == 0 && outW % 2 == 0;
  }

  /** Floats of the weights packed for {@link #convolveByChannels}. */
  public int channelPackedWeightsSize() {
    return depth * channelsPadded();
  }

  /** Floats of {@link #convolveByChannels}' pixel-major result. */
  public int channelResultSize() {
    return lanePixelOffsets.length * channelsPadded();
  }

  /**
   * Packs weights {@code (outChannels, inChannels, kh, kw)} at {@code w[off]} for
   * {@link #convolveByChannels}.
   */
  public void packWeightsByChannels(float[] w, int off, float[] packedT) {
    int width = channelsPadded();
    for (int o = 0; o < width; o++) {
      for (int p = 0; p < depth; p++) {
        packedT[ChannelLanesKernel.packedIndex(o, p, depth, width)] =
            o < outChannels ? w[off + o * depth + p] : 0f;
      }
    }
  }

  /**
   * Packs, for an {@link #adjoint} plan's {@link #convolveByChannels}, the forward weights
   * {@code (Cout, Cin, kh, kw)} at {@code w[off]} as {@link #packAdjointWeights} arranges them.
   */
  public void packAdjointWeightsByChannels(float[] w, int off, float[] packedT) {
    int width = channelsPadded();
    for (int c = 0; c < width; c++) {
      for (int p = 0; p < depth; p++) {
        packedT[ChannelLanesKernel.packedIndex(c, p, depth, width)] = adjointWeight(w, off, c, p);
      }
    }
  }

  /**
   * The share of the pixel-vector kernel's multiply-adds that land on output pixels: the rest
   * are dropped columns and the run's rounding to whole tiles (0.77 on a 7x7 plane).
   */
  public double pixelShare() {
    return (double) outH * outW / runLength;
  }

  /**
   * Whether a convolution with {@code outChannels} outputs, of which the pixel-vector kernel's
   * multiply-adds land {@code pixelShare} on output pixels, runs faster with vectors over output
   * channels ({@link ChannelLanesKernel}): where the outputs fill whole tiles of 4 vectors and
   * a fifth or more of the pixel kernel's work would be dropped columns and rounding (7x7
   * planes). 256 images, one thread, pixels vs channels in ms: 64x7x7->64 7.29 vs 6.32;
   * elsewhere channels lost or tied (64x14x14->64 23.7 vs 23.4, 32x14x14->32 6.56 vs 7.17,
   * 32x7x7->32 2.17 vs 2.08, 32x28x28->32 24.2 vs 30.2); a strided 1x1 on 7x7 planes
   * ({@link PointwiseConv}) 0.97 vs 1.21 ms a batch of 64.
   */
  public static boolean channelLanesPay(int outChannels, double pixelShare) {
    return outChannels % 64 == 0 && pixelShare < MIN_PIXEL_SHARE;
  }

  /**
   * Whether a stride-1 conv's weight gradient runs by pixels ({@link #weightGradientByPixels})
   * rather than by channels: where one vector holds every output channel, so that the
   * by-channels kernel would broadcast a tap per multiply-add, and the output plane has at
   * least 512 pixels. On AVX2's 8-lane vectors ResNet-20's 16 outputs take two vectors, and by
   * channels wins there: 16x28x28->16 weight gradient alone, 64 images, one thread, 3.9-4.2 ms
   * against 5.8-6.2 by pixels (whose tiles C2 unrolls into spills, docs/engine.md); whole ResNet-20
   * training steps, four JVMs each, 390-424 against 358-385 img/s.
   */
  public static boolean weightsByPixelsPay(int outChannels, int outPixels) {
    return VectorApi.RESOLVED && outChannels <= VectorApi.floatLanes() && outPixels >= 512;
  }

  /**
   * Whether {@link #convolveByChannels} runs {@link SlidingRowKernel}: stride 1, no dilation
   * along rows, a 5-wide kernel, output rows at least its tile wide, at most 16 outputs.
   */
  public boolean slidesRows() {
    return slides;
  }

  /**
   * Whether this convolution runs faster by {@link SlidingRowKernel} than by the pixel-vector
   * kernel: where it {@link #slidesRows} on at least 12 outputs (three quarters of its 16
   * lanes) and a fifth or more of the pixel kernel's work would be dropped columns and
   * rounding.
   */
  public boolean slidingRowsPay() {
    return slides && outChannels >= 12 && pixelShare() < MIN_PIXEL_SHARE;
  }

  /** Output channels. */
  public int outChannels() {
    return outChannels;
  }

  /**
   * What {@link #convolve} computes, with vectors over output channels
   * ({@link ChannelLanesKernel}): only the output's pixels are multiplied, into {@code resultT}
   * ({@link #channelResultSize()}, pixel-major), then written to the output planes with the bias,
   * a folded norm and sum applied as in {@link #convolve}. Weights from
   * {@link #packWeightsByChannels}.
   */
  public void convolveByChannels(float[] padded, float[] packedT, float[] bias, int biasOff,
      float[] out, int outOff, float[] resultT, float[] scale, float[] shift, boolean relu,
      float[] residual) {
    int width = channelsPadded();
    multiplyByChannels(padded, packedT, resultT);
    ChannelLanesOutput.write(resultT, width, outChannels, outH * outW, bias, biasOff, scale,
        shift, relu, residual, out, outOff);
  }

  /**
   * As {@link #convolveByChannels} without a residual, but writes the 2x2 max pool (stride 2)
   * of each output plane as {@link #convolvePooled} does; only where {@link #poolsEvenly}.
   */
  public void convolveByChannelsPooled(float[] padded, float[] packedT, float[] bias,
      int biasOff, float[] out, int outOff, float[] resultT, float[] scale, float[] shift,
      boolean relu) {
    multiplyByChannels(padded, packedT, resultT);
    ChannelLanesOutput.writePooled(resultT, 0, channelsPadded(), outChannels, outH, outW, bias,
        biasOff, scale, shift, relu, out, outOff);
  }

  /** The sums of {@link #convolveByChannels}, pixel-major into {@code resultT}. */
  private void multiplyByChannels(float[] padded, float[] packedT, float[] resultT) {
    if (slides) {
      SlidingRowKernel.run(packedT, rowOffsets, offsets, padded, rowWidth, outH, outW, resultT);
    } else {
      ChannelLanesKernel.run(packedT, channelsPadded(), depth, offsets, padded,
          lanePixelOffsets, outH * outW, resultT);
    }
  }

  /**
   * Output channels rounded up to a whole number of vectors (16 floats, the widest): the row
   * length of a transposed output gradient.
   */
  public int channelsPadded() {
    return roundUp(outChannels, 16);
  }

  /** Floats of one image's transposed output gradient, {@code (outH * outW, channelsPadded)}. */
  public int transposedGradientSize() {
    return outH * outW * channelsPadded();
  }

  /** Floats of a transposed weight-gradient accumulator, {@code (depth, channelsPadded)}. */
  public int transposedWeightsSize() {
    return depth * channelsPadded();
  }

  /**
   * Writes the output gradient {@code (outChannels, outH, outW)} at {@code dOut[off]} transposed
   * to {@code dyT[dyOff ...] (outH * outW, channelsPadded)}; the padding channels are never
   * written (zero when allocated). Where {@link LaneTranspose} has a block for the vectors
   * (16 lanes, or AVX2's 8), by {@link ChannelRows}: with 512-bit vectors and its gathers
   * then, 64 images, one thread, against the blocked scalar loop below, 32x28x28 2.0 -> 0.78
   * ms, 16x28x28 1.33 -> 0.40, 64x14x14 0.65 -> 0.23, 32x14x14 1.84 -> 0.20, 64x7x7 1.51 ->
   * 0.07 (bit for bit the same rows).
   */
  public void transposeGradient(float[] dOut, int off, float[] dyT, int dyOff) {
    int pixels = outH * outW;
    int width = channelsPadded();
    if (VectorApi.RESOLVED && LaneTranspose.APPLIES) {
      ChannelRows.transpose(dOut, off, outChannels, pixels, dyT, dyOff, width);
      return;
    }
    int block = Math.max(16, TRANSPOSE_BLOCK_FLOATS / width);
    for (int first = 0; first < pixels; first += block) {
      int end = Math.min(pixels, first + block);
      for (int o = 0; o < outChannels; o++) {
        int from = off + o * pixels;
        for (int q = first; q < end; q++) {
          dyT[dyOff + q * width + o] = dOut[from + q];
        }
      }
    }
  }

  /**
   * The output pixels' offsets in {@code images} padded images side by side, image i's from
   * {@code i * paddedSize()}: the table {@link #weightGradientByChannels} reads a chunk's
   * pixels through.
   */
  public int[] chunkPixelOffsets(int images) {
    int pixels = pixelOffsets.length;
    int[] table = new int[images * pixels];
    for (int i = 0; i < images; i++) {
      for (int q = 0; q < pixels; q++) {
        table[i * pixels + q] = i * paddedSize + pixelOffsets[q];
      }
    }
    return table;
  }

  /**
   * Adds to {@code accT (depth, channelsPadded)} the transposed weight gradient of
   * {@code images} images: image i padded at {@code padded[i * paddedSize()]}, its output
   * gradient transposed at {@code dyT[i * transposedGradientSize()]} (right after image
   * i - 1's), the chunk's pixels read through {@code chunkOffsets} (from
   * {@link #chunkPixelOffsets}, for at least {@code images} images) as one run: each tile's
   * sums stay in registers over the chunk, not loaded and stored again per image (64x7x7->64,
   * 49 pixels an image: a 6-tap tile's 24 sums per 1,176 multiply-adds).
   */
  public void weightGradientByChannels(float[] padded, float[] dyT, int images,
      int[] chunkOffsets, float[] accT) {
    int pixels = images * pixelOffsets.length;
    if (chunkOffsets.length < pixels) {
      throw new IllegalArgumentException("pixel offsets for " + chunkOffsets.length
          / pixelOffsets.length + " images, not " + images);
    }
    ChannelWeightGradient.accumulate(dyT, 0, channelsPadded(), padded, 0, depth, offsets,
        chunkOffsets, pixels, accT);
  }

  /** {@code g[gOff + o * depth + p] += accT[p * channelsPadded() + o]}. */
  public void addTransposedWeights(float[] accT, float[] g, int gOff) {
    int width = channelsPadded();
    for (int o = 0; o < outChannels; o++) {
      for (int p = 0; p < depth; p++) {
        g[gOff + o * depth + p] += accT[p * width + o];
      }
    }
  }

  /**
   * Floats of one output-gradient channel laid out as {@link #padGradient} does: the output
   * rows {@code rowWidth} wide, rounded up to 16.
   */
  public int gradientRun() {
    return roundUp(outH * rowWidth, 16);
  }

  /** Floats of one image's padded output gradient, {@code (outChannels, gradientRun())}. */
  public int paddedGradientSize() {
    return outChannels * gradientRun();
  }

  /** Floats of the lane partial sums {@link #weightGradientByPixels} accumulates. */
  public int pixelPartialsSize() {
    return outChannels * depth * 16;
  }

  /**
   * Copies the output gradient {@code (outChannels, outH, outW)} at {@code dOut[off]} to
   * {@code dyP[at ...]} with its rows {@code rowWidth} apart, as output pixels lie in the
   * padded image's run; the columns between (and the run's tail) are never written: zero when
   * allocated. Stride 1 only.
   */
  public void padGradient(float[] dOut, int off, float[] dyP, int at) {
    requireStrideOne();
    int run = gradientRun();
    int plane = outH * outW;
    for (int o = 0; o < outChannels; o++) {
      for (int y = 0; y < outH; y++) {
        System.arraycopy(dOut, off + o * plane + y * outW, dyP, at + o * run + y * rowWidth,
            outW);
      }
    }
  }

  /**
   * Adds to {@code partial} (of {@link #pixelPartialsSize()}) the weight gradient of
   * {@code images} images by {@link PixelWeightGradient}: image i padded at
   * {@code padded[i * paddedSize()]}, its output gradient from {@link #padGradient} at
   * {@code dyP[i * paddedGradientSize()]}. Stride 1 only.
   */
  public void weightGradientByPixels(float[] padded, float[] dyP, int images, float[] partial) {
    requireStrideOne();
    PixelWeightGradient.accumulate(dyP, paddedGradientSize(), gradientRun(), outChannels,
        padded, paddedSize, images, depth, offsets, partial);
  }

  /** {@code g[gOff + o * depth + p] +=} the lanes of that entry of {@code partial}, summed. */
  public void addPixelPartials(float[] partial, float[] g, int gOff) {
    PixelWeightGradient.addTo(partial, outChannels * depth, g, gOff);
  }

  private void requireStrideOne() {
    if (strideH != 1 || strideW != 1) {
      throw new IllegalStateException("by pixels needs stride 1, not " + strideH + "x"
          + strideW);
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
