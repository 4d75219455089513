package org.sparkconv.engine.math;

/**
 * A stride-1 "same" convolution (output as wide and as high as the input) computed like
 * {@link DirectConv}, but from a padded copy whose rows keep the image's width: only zero rows
 * are added above and below each channel, so a run of output pixels is the image's own pixels
 * in order, and a window tap that falls left or right of the image reads the end of the row
 * above or the start of the row below instead of zero. Those reads are subtracted again at the
 * border columns (in {@link #convolve}): per output row, one tap column per unit of padding and
 * side.
 *
 * <p>What it saves against DirectConv's padded rows ({@code width + 2 pad}): the dropped
 * columns (2 of 30 on 28x28) and the row-by-row copies in and out (a channel is copied in as
 * one block, and out as one plane), which cost about a third of the multiplications they frame
 * on narrow planes (16x28x28->16, 256 images, one thread: 0.9 ms to pad, 5.1 to multiply, 0.9
 * to copy out). The corrections gather the wrapped columns and sum them as one more small run
 * of the kernel per border column (a chain of single multiply-adds per tap cost more than the
 * rest saved). Same layer, same harness, direct vs wrapped in ms: padding 1.2-1.5 vs 0.6-0.7,
 * the convolution 7.2-7.5 vs 6.7-6.9. Whole steps, wrapped / direct, medians of eight rounds
 * interleaved in one JVM: ResNet-20 training 1.06, inference 1.08 (two threads 1.03, 1.10);
 * VGG-small (its first conv) 1.015 and 1.02; LeNet-5 1.005 and 1.055.
 *
 * <p>The weight gradient by pixels ({@link #weightGradientByPixels}) runs on the same layout:
 * the output gradient is whole planes (one block copy per channel, none of the padded rows'
 * zero columns), and the wrapped taps' products at each border column are summed apart, with
 * vectors over output channels, and subtracted once a pass. ResNet-20 training steps,
 * interleaved: 1.025x at one thread (two runs of eight rounds), 0.93-1.16 at two (no change
 * beyond the noise); LeNet-5 1.005. Summing the wrapped products apart instead of subtracting
 * them from the lane partial sums at each image: 16x28x28->16's weight gradient, 64 images,
 * one thread, the two builds alternated in one JVM, 1.055x and 1.10x (80 rounds each order).
 *
 * <p>The weights are packed as {@link DirectConv#packWeights} (or
 * {@link DirectConv#packAdjointWeights}) packs them for the same convolution, and the wrapped
 * taps' weights once more per pass by {@link #packBorderWeights}. Plans and moves data only:
 * the arithmetic is {@link DirectConvKernel}'s and {@link PixelWeightGradient}'s.
 */
public final class WrappedRowsConv {

  private static final int MR = DirectConvKernel.ROWS;
  /** Runs are rounded to this: a multiple of every vector width. */
  private static final int RUN_MULTIPLE = 16;

  private final int inChannels;
  private final int height;
  private final int width;
  private final int outChannels;
  private final int lead; // zero floats before the first channel: what its first taps read
  private final int rowsAbove; // zero rows above each channel's image
  private final int channelBlock; // floats per channel: zero rows, the image, zero rows
  private final int depth;
  private final int[] offsets; // per reduction step (c, ki, kj), from the padded copy's start
  private final int runLength;
  private final int paddedSize;
  private final Border[] borders; // per output column whose windows leave the image's rows
  private final int columnLength; // floats of a gathered padded column
  private final int sumsLength; // a border's sums per output channel: the height rounded up
  private final int columnsAt; // in the result scratch: gathered columns, then the sums
  private final int sumsAt;
  private final int widest; // gathered columns of the widest border
  private final int borderWeightsSize;
  private final int laneChannels; // output channels rounded up to whole vectors
  private final int wrappedSumsAt; // in the pixel partials: the wrapped taps' sums, after the lanes

  /**
   * An output column x whose windows leave the image's rows: the padded columns its wrapped
   * taps read ({@code columnStarts}, indexes of padded row 0 of each), and per wrapped tap its
   * reduction step and where it reads the gathered columns ({@code offsets}, as a
   * {@link DirectConvKernel#run} image); its weights packed from {@code packedAt}.
   */
  private record Border(int x, int[] columnStarts, int[] steps, int[] offsets, int packedAt) {}

  private WrappedRowsConv(int inChannels, int height, int width, int padTop, int padLeft,
      int kernelH, int kernelW, int outChannels) {
    this.inChannels = inChannels;
    this.height = height;
    this.width = width;
    this.outChannels = outChannels;
    this.lead = padLeft;
    this.rowsAbove = padTop;
    int rowsBelow = kernelH - 1 - padTop;
    this.channelBlock = (padTop + height + rowsBelow) * width;
    this.depth = inChannels * kernelH * kernelW;
    this.offsets = new int[depth];
    for (int c = 0, p = 0; c < inChannels; c++) {
      for (int ki = 0; ki < kernelH; ki++) {
        for (int kj = 0; kj < kernelW; kj++, p++) {
          offsets[p] = lead + c * channelBlock + ki * width + kj - padLeft;
        }
      }
    }
    this.runLength = roundUp(height * width, RUN_MULTIPLE);
    int lastRead = offsets[depth - 1] + runLength;
    this.paddedSize = Math.max(lead + inChannels * channelBlock, lastRead);
    int padRight = kernelW - 1 - padLeft;
    int count = Math.min(width, padLeft + padRight);
    this.borders = new Border[count];
    this.sumsLength = roundUp(height, RUN_MULTIPLE);
    this.columnLength = sumsLength + kernelH - 1;
    int rows = roundUp(outChannels, MR);
    this.columnsAt = rows * runLength;
    int k = 0;
    int columns = 0;
    int packedAt = 0;
    for (int x = 0; x < width && k < count; x++) {
      if (x >= padLeft && x < width - padRight) {
        continue;
      }
      borders[k] = border(x, kernelH, kernelW, padLeft, packedAt);
      columns = Math.max(columns, borders[k].columnStarts().length);
      packedAt += rows * borders[k].steps().length;
      k++;
    }
    this.borderWeightsSize = packedAt;
    this.widest = columns;
    this.sumsAt = columnsAt + widest * columnLength;
    this.laneChannels = roundUp(outChannels, RUN_MULTIPLE);
    this.wrappedSumsAt = outChannels * depth * 16;
  }

  /** The wrapped taps of output column x: kernel columns that fall outside the image's row. */
  private Border border(int x, int kernelH, int kernelW, int padLeft, int packedAt) {
    int[] kernelColumns = new int[kernelW];
    int wrapped = 0;
    for (int kj = 0; kj < kernelW; kj++) {
      int column = x + kj - padLeft;
      if (column < 0 || column >= width) {
        kernelColumns[wrapped++] = kj;
      }
    }
    int[] columnStarts = new int[inChannels * wrapped];
    int[] steps = new int[inChannels * kernelH * wrapped];
    int[] offsets = new int[steps.length];
    for (int c = 0, t = 0; c < inChannels; c++) {
      for (int w = 0; w < wrapped; w++) {
        int kj = kernelColumns[w];
        int g = c * wrapped + w;
        columnStarts[g] = lead + c * channelBlock + x + kj - padLeft;
        for (int ki = 0; ki < kernelH; ki++, t++) {
          steps[t] = (c * kernelH + ki) * kernelW + kj;
          offsets[t] = columnsAt + g * columnLength + ki;
        }
      }
    }
    return new Border(x, columnStarts, steps, offsets, packedAt);
  }

  /**
   * Whether {@code g} is a convolution this computes: stride 1, no dilation, output the size
   * of the input, padding within the kernel, on a JVM with the Vector API.
   */
  public static boolean applies(ConvGeometry g) {
    return VectorApi.RESOLVED && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1
        && g.dilationW() == 1 && g.outH() == g.height() && g.outW() == g.width()
        && g.padTop() >= 0 && g.padLeft() >= 0 && g.padTop() < g.kernelH()
        && g.padLeft() < g.kernelW();
  }

  /** The forward convolution of {@code g} (where {@link #applies}). */
  public static WrappedRowsConv forward(ConvGeometry g, int outChannels) {
    return new WrappedRowsConv(g.channels(), g.height(), g.width(), g.padTop(), g.padLeft(),
        g.kernelH(), g.kernelW(), outChannels);
  }

  /**
   * The convolution computing the input gradient of {@code g} (where {@link #applies}) from
   * its output gradient: the same size, padded by {@code kernel - 1 - pad} before.
   */
  public static WrappedRowsConv adjoint(ConvGeometry g, int outChannels) {
    return new WrappedRowsConv(outChannels, g.outH(), g.outW(), g.kernelH() - 1 - g.padTop(),
        g.kernelW() - 1 - g.padLeft(), g.kernelH(), g.kernelW(), g.channels());
  }

  /** Floats of the padded copy of one image. */
  public int paddedSize() {
    return paddedSize;
  }

  /**
   * Floats of the result before it is copied out, and the border corrections' scratch: the
   * gathered columns and the sums.
   */
  public int resultSize() {
    return sumsAt + roundUp(outChannels, MR) * sumsLength;
  }

  /** Floats of the weights of the wrapped taps, {@link #packBorderWeights}. */
  public int borderWeightsSize() {
    return borderWeightsSize;
  }

  /**
   * Copies, from weights packed as {@link DirectConv#packWeights} packs them, the weights of
   * each border column's wrapped taps, packed the same way: once per pass, before
   * {@link #convolve}.
   */
  public void packBorderWeights(float[] packed, float[] borderPacked) {
    int rows = roundUp(outChannels, MR);
    for (Border b : borders) {
      int taps = b.steps().length;
      for (int o = 0; o < rows; o++) {
        int from = o / MR * MR * depth + o % MR;
        int to = b.packedAt() + o / MR * MR * taps + o % MR;
        for (int t = 0; t < taps; t++) {
          borderPacked[to + t * MR] = packed[from + b.steps()[t] * MR];
        }
      }
    }
  }

  /**
   * Multiply-adds of one {@link #convolve}, the run's rounding, padded channels and the border
   * corrections included.
   */
  public long multiplyAdds() {
    long rows = roundUp(outChannels, MR);
    long corrections = 0;
    for (Border b : borders) {
      corrections += rows * b.steps().length * sumsLength;
    }
    return rows * depth * runLength + corrections;
  }

  /**
   * Copies image {@code x[xOff ...]} into {@code padded}, a block per channel; the zero rows
   * and the lead stay zero (zero when allocated: nothing else writes them).
   */
  public void pad(float[] x, int xOff, float[] padded) {
    int plane = height * width;
    for (int c = 0; c < inChannels; c++) {
      System.arraycopy(x, xOff + c * plane, padded, lead + c * channelBlock + rowsAbove * width,
          plane);
    }
  }

  /**
   * Whether {@link #convolve}, with nothing to apply on the way out (no bias, norm, residual or
   * ReLU: a training pass before a batch norm, an input gradient), has the kernel write the
   * output planes themselves and corrects the border columns there, with no result buffer
   * copied out: where a run is exactly a plane (its pixels a multiple of 16, as 28x28) and the
   * output channels fill whole 8-row panels, so nothing is written past this image's planes.
   * ResNet-20's 16x28x28->16, 64 images, one thread, in one JVM: forward 2.22 -> 1.90 ms,
   * backward (its input gradient) 5.1-5.3 -> 4.9-5.0 ms.
   */
  boolean writesInPlace() {
    return runLength == height * width && outChannels % MR == 0;
  }

  /**
   * {@code out[outOff ...] (outChannels, height, width)} = the convolution of the image padded
   * in {@code padded} with weights packed as {@link DirectConv#packWeights} packs them, plus the
   * bias, then {@code y * scale[o] + shift[o]} where {@code scale} is not null, plus
   * {@code residual} where that is not null, then ReLU if {@code relu}, as
   * {@link DirectConv#convolve} does; {@code borderPacked} from {@link #packBorderWeights}.
   * {@code result} is scratch of {@link #resultSize()}.
   */
  public void convolve(float[] padded, float[] packed, float[] borderPacked, float[] bias,
      int biasOff, float[] out, int outOff, float[] result, float[] scale, float[] shift,
      boolean relu, float[] residual) {
    int plane = height * width;
    if (bias == null && scale == null && !relu && residual == null && writesInPlace()) {
      DirectConvKernel.run(packed, 0, outChannels, depth, offsets, padded, out, outOff,
          runLength);
      for (Border b : borders) {
        subtractWrapped(b, padded, borderPacked, result, out, outOff);
      }
      return;
    }
    convolveToResult(padded, packed, borderPacked, result);
    int limit = outOff + outChannels * plane;
    for (int o = 0; o < outChannels; o++) {
      float b = bias == null ? 0f : bias[biasOff + o];
      DirectConvKernel.copyPlane(result, o * runLength, plane, b,
          scale == null ? 1f : scale[o], scale == null ? 0f : shift[o], relu, residual, out,
          outOff + o * plane, plane, 1, limit);
    }
  }

  /** The runs of the convolution in {@code result}, their border columns corrected. */
  private void convolveToResult(float[] padded, float[] packed, float[] borderPacked,
      float[] result) {
    DirectConvKernel.run(packed, outChannels, depth, offsets, padded, result, runLength);
    for (Border b : borders) {
      subtractWrapped(b, padded, borderPacked, result, result, 0);
    }
  }

  /**
   * Floats of one image's output gradient laid out for {@link #weightGradientByPixels}: each
   * channel's plane as one run, then the border corrections' gathered image columns and their
   * output gradient column, a row of output channels per output row.
   */
  public int gradientSize() {
    return outChannels * runLength + widest * columnLength + height * laneChannels;
  }

  /**
   * Floats of the sums {@link #weightGradientByPixels} adds to: the lane partial sums laid out
   * as {@link DirectConv#pixelPartialsSize} says (for the same convolution), then the wrapped
   * taps' products, a row of output channels per reduction step.
   */
  public int pixelPartialsSize() {
    return wrappedSumsAt + depth * laneChannels;
  }

  /**
   * Copies the output gradient {@code (outChannels, height, width)} at {@code dOut[off]} to
   * {@code dyP}, a block per channel, {@code runLength} apart: the runs' tails are never
   * written (zero when allocated).
   */
  public void padGradient(float[] dOut, int off, float[] dyP) {
    int plane = height * width;
    for (int o = 0; o < outChannels; o++) {
      System.arraycopy(dOut, off + o * plane, dyP, o * runLength, plane);
    }
  }

  /**
   * Adds to {@code partial} (of {@link #pixelPartialsSize}) the weight gradient of one image,
   * padded in {@code padded} by {@link #pad}, its output gradient in {@code dyP} by
   * {@link #padGradient}: by pixels ({@link PixelWeightGradient}) over whole planes into the
   * lane partial sums, and, per border column, the wrapped taps' products from their gathered
   * columns into sums of their own, which {@link #addPixelPartials} subtracts.
   */
  public void weightGradientByPixels(float[] padded, float[] dyP, float[] partial) {
    PixelWeightGradient.accumulate(dyP, 0, runLength, outChannels, padded, 0, 1, depth, offsets,
        partial);
    int columnsFrom = outChannels * runLength;
    int gradientsFrom = columnsFrom + widest * columnLength;
    for (Border b : borders) {
      gatherColumns(b, padded, dyP, columnsFrom);
      for (int o = 0; o < outChannels; o++) {
        int from = o * runLength + b.x();
        for (int y = 0; y < height; y++) {
          dyP[gradientsFrom + y * laneChannels + o] = dyP[from + y * width];
        }
      }
      PixelWeightGradient.accumulateWrapped(dyP, gradientsFrom, laneChannels, height,
          b.offsets(), columnsFrom - columnsAt, b.steps(), partial, wrappedSumsAt);
    }
  }

  /**
   * {@code g[gOff + o * depth + p] +=} the lanes of that entry of {@code partial} summed, less
   * the wrapped taps' products there (as {@link #weightGradientByPixels} laid them out).
   */
  public void addPixelPartials(float[] partial, float[] g, int gOff) {
    PixelWeightGradient.addTo(partial, outChannels * depth, g, gOff);
    for (int p = 0; p < depth; p++) {
      for (int o = 0; o < outChannels; o++) {
        g[gOff + o * depth + p] -= partial[wrappedSumsAt + p * laneChannels + o];
      }
    }
  }

  /**
   * Copies border b's padded columns into {@code to[from ...]}, {@code columnLength} apart
   * (rows past the padded copy are left as they are).
   */
  private void gatherColumns(Border b, float[] padded, float[] to, int from) {
    for (int g = 0; g < b.columnStarts().length; g++) {
      int start = b.columnStarts()[g];
      int at = from + g * columnLength;
      for (int r = 0; r < columnLength && start + r * width < padded.length; r++) {
        to[at + r] = padded[start + r * width];
      }
    }
  }

  /**
   * Subtracts what {@link DirectConvKernel#run} added at border column b.x for its wrapped
   * taps from the runs at {@code target[targetOff]} (the result, or the output planes where
   * {@link #writesInPlace}): their padded columns gathered, the sums over the taps as one more
   * small run of the kernel (a row of sums per output channel, vectors over output rows), both
   * in {@code result}.
   */
  private void subtractWrapped(Border b, float[] padded, float[] borderPacked, float[] result,
      float[] target, int targetOff) {
    gatherColumns(b, padded, result, columnsAt);
    DirectConvKernel.run(borderPacked, b.packedAt(), outChannels, b.steps().length, b.offsets(),
        result, result, sumsAt, sumsLength);
    for (int o = 0; o < outChannels; o++) {
      int at = targetOff + o * runLength + b.x();
      int sums = sumsAt + o * sumsLength;
      for (int y = 0; y < height; y++) {
        target[at + y * width] -= result[sums + y];
      }
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
