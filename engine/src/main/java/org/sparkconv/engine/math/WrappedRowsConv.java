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
 * <p>The forward kernel runs over a plane's whole vectors (192 of 196 pixels on 14x14); the
 * pixels past them, and the wrapped taps' sums at each border column, are computed with vectors
 * over output channels ({@link PixelListKernel}), broadcasting each entry from the padded copy.
 * Before, the runs were rounded up to whole vectors (a 13th vector column of 8-row tiles for 4
 * pixels) and the border sums ran on the pixel kernel over columns gathered from the padded
 * rows, a scalar copy per row and channel. 64 images, one thread, the two builds alternated in
 * one JVM (both orders): 32x14x14->32 forward 1.09x and 1.11x, forward and backward 1.05x and
 * 1.01x; 16x28x28->16 (no tail, two border columns of 28) 1.00x and 1.02x. The runs stopping
 * at whole vectors also let 14x14 planes be written in place.
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
 * {@link DirectConv#packAdjointWeights}) packs them for the same convolution, and the tail's
 * and the wrapped taps' weights once more per pass, over output channels, by
 * {@link #packListWeights}. Plans and moves data only: the arithmetic is
 * {@link DirectConvKernel}'s, {@link PixelListKernel}'s and {@link PixelWeightGradient}'s.
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
  private final int plane; // pixels of an output plane: the forward's result rows are this long
  private final int kernelRun; // the forward kernel's run: the plane's whole vectors
  private final int runLength; // the weight gradient's run: the plane rounded up to vectors
  private final int paddedSize;
  private final Border[] borders; // per output column whose windows leave the image's rows
  private final PixelList tail; // the plane's pixels past the kernel's run, or null
  private final int columnLength; // floats of a gathered padded column: a tap's rows
  private final int widest; // gathered columns of the widest border
  private final int listWeightsSize;
  private final int laneChannels; // output channels rounded up to whole vectors
  private final int listSumsAt; // in the result scratch: a pixel list's sums, after the rows
  private final int listSumsSize;
  private final int wrappedSumsAt; // in the pixel partials: the wrapped taps' sums, after the lanes

  /**
   * Pixels whose sums {@link PixelListKernel} computes over reduction steps {@code steps}:
   * their padded offsets ({@code offsets}, the kernel's for those steps), the pixels' offsets
   * padded to whole tiles ({@code pixelOffsets}, of which the first {@code count} are real), and
   * where their weights are packed ({@code packedAt}).
   */
  private record PixelList(int[] steps, int[] offsets, int[] pixelOffsets, int count,
      int packedAt) {}

  /**
   * An output column x whose windows leave the image's rows: its pixels and wrapped taps
   * ({@code wrapped}, whose sums the forward takes back out), and for the weight gradient the
   * padded columns those taps read ({@code columnStarts}, indexes of padded row 0 of each) and
   * where each tap reads the gathered columns ({@code gatheredOffsets}).
   */
  private record Border(int x, PixelList wrapped, int[] columnStarts, int[] gatheredOffsets) {}

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
    this.plane = height * width;
    this.kernelRun = plane / RUN_MULTIPLE * RUN_MULTIPLE;
    this.runLength = roundUp(plane, RUN_MULTIPLE);
    int lastRead = offsets[depth - 1] + runLength;
    this.paddedSize = Math.max(lead + inChannels * channelBlock, lastRead);
    this.laneChannels = roundUp(outChannels, RUN_MULTIPLE);
    int packedAt = 0;
    if (kernelRun < plane) {
      int[] steps = new int[depth];
      int[] pixels = new int[plane - kernelRun];
      for (int p = 0; p < depth; p++) {
        steps[p] = p;
      }
      for (int q = 0; q < pixels.length; q++) {
        pixels[q] = kernelRun + q;
      }
      this.tail = pixelList(steps, pixels, packedAt);
      packedAt += depth * laneChannels;
    } else {
      this.tail = null;
    }
    int padRight = kernelW - 1 - padLeft;
    int count = Math.min(width, padLeft + padRight);
    this.borders = new Border[count];
    this.columnLength = height + kernelH - 1;
    int k = 0;
    int columns = 0;
    int listLength = tail == null ? 0 : tail.pixelOffsets().length;
    for (int x = 0; x < width && k < count; x++) {
      if (x >= padLeft && x < width - padRight) {
        continue;
      }
      borders[k] = border(x, kernelH, kernelW, padLeft, packedAt);
      columns = Math.max(columns, borders[k].columnStarts().length);
      packedAt += borders[k].wrapped().steps().length * laneChannels;
      listLength = Math.max(listLength, borders[k].wrapped().pixelOffsets().length);
      k++;
    }
    this.listWeightsSize = packedAt;
    this.widest = columns;
    this.listSumsAt = roundUp(outChannels, MR) * plane;
    this.listSumsSize = listLength * laneChannels;
    this.wrappedSumsAt = outChannels * depth * 16;
  }

  /** The pixels at {@code pixels} over reduction steps {@code steps}, weights at packedAt. */
  private PixelList pixelList(int[] steps, int[] pixels, int packedAt) {
    int[] stepOffsets = new int[steps.length];
    for (int t = 0; t < steps.length; t++) {
      stepOffsets[t] = offsets[steps[t]];
    }
    return new PixelList(steps, stepOffsets, PixelListKernel.padded(pixels), pixels.length,
        packedAt);
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
    int[] gathered = new int[steps.length];
    for (int c = 0, t = 0; c < inChannels; c++) {
      for (int w = 0; w < wrapped; w++) {
        int kj = kernelColumns[w];
        int g = c * wrapped + w;
        columnStarts[g] = lead + c * channelBlock + x + kj - padLeft;
        for (int ki = 0; ki < kernelH; ki++, t++) {
          steps[t] = (c * kernelH + ki) * kernelW + kj;
          gathered[t] = g * columnLength + ki;
        }
      }
    }
    int[] pixels = new int[height];
    for (int y = 0; y < height; y++) {
      pixels[y] = y * width + x;
    }
    return new Border(x, pixelList(steps, pixels, packedAt), columnStarts, gathered);
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
   * Floats of the result before it is copied out (a plane per output channel, rounded up to
   * the kernel's 8-row panels), then the pixel lists' sums.
   */
  public int resultSize() {
    return listSumsAt + listSumsSize;
  }

  /** Floats of the tail's and the wrapped taps' weights, {@link #packListWeights}. */
  public int listWeightsSize() {
    return listWeightsSize;
  }

  /**
   * Copies, from weights packed as {@link DirectConv#packWeights} packs them, the weights of
   * the plane's tail (every reduction step) and of each border column's wrapped taps, packed
   * for {@link PixelListKernel}: once per pass, before {@link #convolve}.
   */
  public void packListWeights(float[] packed, float[] listPacked) {
    if (tail != null) {
      packList(tail, packed, listPacked);
    }
    for (Border b : borders) {
      packList(b.wrapped(), packed, listPacked);
    }
  }

  private void packList(PixelList list, float[] packed, float[] to) {
    int taps = list.steps().length;
    for (int o = 0; o < outChannels; o++) {
      int from = o / MR * MR * depth + o % MR;
      for (int t = 0; t < taps; t++) {
        to[list.packedAt() + PixelListKernel.packedIndex(o, t, taps, laneChannels)] =
            packed[from + list.steps()[t] * MR];
      }
    }
  }

  /**
   * Multiply-adds of one {@link #convolve} as a plan weighs them: padded channels and the border
   * corrections included, and the plane's tail counted as the whole vector column of the
   * kernel it rounds up to. Its pixel list multiplies less, but on small planes costs more:
   * 48x7x7->12 (tail of 1 of 49 pixels, 12 outputs), forward alone, 64 images, one thread, on
   * rows that wrap against padded rows, alternated in one JVM: 0.88x and 0.90x.
   */
  public long multiplyAdds() {
    long corrections = 0;
    for (Border b : borders) {
      corrections += (long) b.wrapped().pixelOffsets().length * b.wrapped().steps().length
          * laneChannels;
    }
    return (long) roundUp(outChannels, MR) * depth * runLength + corrections;
  }

  /**
   * Copies image {@code x[xOff ...]} into {@code padded}, a block per channel; the zero rows
   * and the lead stay zero (zero when allocated: nothing else writes them).
   */
  public void pad(float[] x, int xOff, float[] padded) {
    for (int c = 0; c < inChannels; c++) {
      System.arraycopy(x, xOff + c * plane, padded, lead + c * channelBlock + rowsAbove * width,
          plane);
    }
  }

  /**
   * Whether {@link #convolve}, with nothing to apply on the way out (no bias, norm, residual or
   * ReLU: a training pass before a batch norm, an input gradient), has the kernel write the
   * output planes themselves and the tail and corrections go there, with no result buffer
   * copied out: where the output channels fill whole 8-row panels, so nothing is written past
   * this image's planes. ResNet-20's 16x28x28->16, 64 images, one thread, in one JVM: forward
   * 2.22 -> 1.90 ms, backward (its input gradient) 5.1-5.3 -> 4.9-5.0 ms.
   */
  boolean writesInPlace() {
    return outChannels % MR == 0;
  }

  /**
   * {@code out[outOff ...] (outChannels, height, width)} = the convolution of the image padded
   * in {@code padded} with weights packed as {@link DirectConv#packWeights} packs them, plus the
   * bias, then {@code y * scale[o] + shift[o]} where {@code scale} is not null, plus
   * {@code residual} where that is not null, then ReLU if {@code relu}, as
   * {@link DirectConv#convolve} does; {@code listPacked} from {@link #packListWeights}.
   * {@code result} is scratch of {@link #resultSize()}.
   */
  public void convolve(float[] padded, float[] packed, float[] listPacked, float[] bias,
      int biasOff, float[] out, int outOff, float[] result, float[] scale, float[] shift,
      boolean relu, float[] residual) {
    if (bias == null && scale == null && !relu && residual == null && writesInPlace()) {
      convolveInto(padded, packed, listPacked, result, out, outOff);
      return;
    }
    convolveInto(padded, packed, listPacked, result, result, 0);
    int limit = outOff + outChannels * plane;
    for (int o = 0; o < outChannels; o++) {
      float b = bias == null ? 0f : bias[biasOff + o];
      DirectConvKernel.copyPlane(result, o * plane, plane, b,
          scale == null ? 1f : scale[o], scale == null ? 0f : shift[o], relu, residual, out,
          outOff + o * plane, plane, 1, limit);
    }
  }

  /**
   * The convolution's planes at {@code target[targetOff]} (the result, or the output planes
   * where {@link #writesInPlace}): the kernel's run of whole vectors, the tail's sums written
   * after it, then at each border column the wrapped taps' sums subtracted; the pixel lists'
   * sums in {@code result}, past the planes.
   */
  private void convolveInto(float[] padded, float[] packed, float[] listPacked,
      float[] result, float[] target, int targetOff) {
    DirectConvKernel.run(packed, 0, outChannels, depth, offsets, padded, target, targetOff,
        kernelRun, plane);
    if (tail != null) {
      sumList(tail, padded, listPacked, result);
      for (int o = 0; o < outChannels; o++) {
        int at = targetOff + o * plane + kernelRun;
        for (int q = 0; q < tail.count(); q++) {
          target[at + q] = result[listSumsAt + q * laneChannels + o];
        }
      }
    }
    for (Border b : borders) {
      sumList(b.wrapped(), padded, listPacked, result);
      for (int o = 0; o < outChannels; o++) {
        int at = targetOff + o * plane + b.x();
        for (int y = 0; y < height; y++) {
          target[at + y * width] -= result[listSumsAt + y * laneChannels + o];
        }
      }
    }
  }

  /** The sums of {@code list} over the image padded in {@code padded}, into the result. */
  private void sumList(PixelList list, float[] padded, float[] listPacked, float[] result) {
    PixelListKernel.run(listPacked, list.packedAt(), laneChannels, list.steps().length,
        list.offsets(), padded, list.pixelOffsets(), result, listSumsAt);
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
    for (int o = 0; o < outChannels; o++) {
      System.arraycopy(dOut, off + o * plane, dyP, o * runLength, plane);
    }
  }

  /**
   * Whether each output plane is a whole run of the weight gradient (its pixels a multiple of
   * {@link #RUN_MULTIPLE}, as 28x28): then {@link #weightGradientByPixels} reads the output
   * gradient where it is, with no {@link #padGradient} copy.
   */
  public boolean readsGradientInPlace() {
    return runLength == plane;
  }

  /**
   * Adds to {@code partial} (of {@link #pixelPartialsSize}) the weight gradient of one image,
   * padded in {@code padded} by {@link #pad}, its output gradient's planes read at
   * {@code dy[dyAt]}, {@code runLength} apart: in {@link #padGradient}'s layout, or where
   * {@link #readsGradientInPlace} the image's own planes. By pixels ({@link PixelWeightGradient})
   * over whole planes into the lane partial sums, and, per border column, the wrapped taps'
   * products from their gathered columns (in {@code scratch}, of {@link #gradientSize}) into
   * sums of their own, which {@link #addPixelPartials} subtracts.
   */
  public void weightGradientByPixels(float[] padded, float[] dy, int dyAt, float[] scratch,
      float[] partial) {
    PixelWeightGradient.accumulateImage(dy, dyAt, runLength, outChannels, padded, 0, depth,
        offsets, partial);
    int columnsFrom = outChannels * runLength;
    int gradientsFrom = columnsFrom + widest * columnLength;
    for (Border b : borders) {
      gatherColumns(b, padded, scratch, columnsFrom);
      for (int o = 0; o < outChannels; o++) {
        int from = dyAt + o * runLength + b.x();
        for (int y = 0; y < height; y++) {
          scratch[gradientsFrom + y * laneChannels + o] = dy[from + y * width];
        }
      }
      PixelWeightGradient.accumulateWrapped(scratch, gradientsFrom, laneChannels, height,
          b.gatheredOffsets(), columnsFrom, b.wrapped().steps(), partial, wrappedSumsAt);
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

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
