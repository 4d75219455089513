package org.sparkconv.engine.math;

/**
 * The lowering of a convolution to a matrix product (Chellapilla et al. 2006; Caffe's
 * {@code im2col_cpu}). Pure functions over one image; every dimension comes from the
 * {@link ConvGeometry}. {@link #col2im} is the adjoint of {@link #im2col}: for all x and y,
 * {@code <im2col(x), y> = <x, col2im(y)>}, which is what makes it the backward pass.
 */
public final class Im2col {

  private Im2col() {}

  /** Writes the lowered matrix of image {@code x[xOff ...]} to {@code col[colOff ...]}. */
  public static void im2col(ConvGeometry g, float[] x, int xOff, float[] col, int colOff) {
    int rowStride = g.colCols();
    if (isPlaneShift(g)) {
      im2colByPlaneShifts(g, x, xOff, col, colOff, rowStride);
      return;
    }
    int height = g.height();
    int width = g.width();
    int outH = g.outH();
    int outW = g.outW();
    int strideW = g.strideW();
    int row = 0;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * height * width;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++, row++) {
          int dst = colOff + row * rowStride;
          int rowShift = ki * g.dilationH() - g.padTop();
          int colShift = kj * g.dilationW() - g.padLeft();
          // Output columns whose input column ox * strideW + colShift lies inside the image.
          int first = firstInside(colShift, strideW);
          int last = lastInside(colShift, strideW, width, outW);
          for (int oy = 0; oy < outH; oy++, dst += outW) {
            int iy = oy * g.strideH() + rowShift;
            if (iy < 0 || iy >= height || first > last) {
              zero(col, dst, dst + outW);
              continue;
            }
            int src = plane + iy * width + colShift;
            // The padded edges are a pixel or two: plain stores, not Arrays.fill calls.
            zero(col, dst, dst + first);
            if (strideW == 1) {
              System.arraycopy(x, src + first, col, dst + first, last - first + 1);
            } else {
              for (int ox = first; ox <= last; ox++) {
                col[dst + ox] = x[src + ox * strideW];
              }
            }
            zero(col, dst + last + 1, dst + outW);
          }
        }
      }
    }
  }

  private static void zero(float[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      a[i] = 0f;
    }
  }

  /**
   * Adds the lowered matrix {@code col[colOff ...]} back into image {@code x[xOff ...]}: each
   * column entry is accumulated onto the pixel it was copied from; padding entries are dropped.
   * The caller zeroes {@code x} first when it wants a plain (not accumulated) result.
   *
   * <p>{@code col} is the caller's scratch: its entries that stand for padding may be set to
   * zero (they are dropped either way).
   */
  public static void col2im(ConvGeometry g, float[] col, int colOff, float[] x, int xOff) {
    col2im(g, col, colOff, x, xOff, ElementLoops.BEST);
  }

  /** {@link #col2im(ConvGeometry, float[], int, float[], int)} accumulating with {@code loops}. */
  public static void col2im(ConvGeometry g, float[] col, int colOff, float[] x, int xOff,
      ElementLoops loops) {
    int rowStride = g.colCols();
    if (isPlaneShift(g)) {
      col2imByPlaneShifts(g, col, colOff, x, xOff, loops, rowStride);
      return;
    }
    int height = g.height();
    int width = g.width();
    int outH = g.outH();
    int outW = g.outW();
    int strideW = g.strideW();
    int row = 0;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * height * width;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++, row++) {
          int src = colOff + row * rowStride;
          int rowShift = ki * g.dilationH() - g.padTop();
          int colShift = kj * g.dilationW() - g.padLeft();
          int first = firstInside(colShift, strideW);
          int last = lastInside(colShift, strideW, width, outW);
          for (int oy = 0; oy < outH; oy++, src += outW) {
            int iy = oy * g.strideH() + rowShift;
            if (iy < 0 || iy >= height) {
              continue;
            }
            int dst = plane + iy * width + colShift;
            if (strideW == 1) {
              // Unit stride: a plain add of two contiguous runs, which the JIT vectorizes.
              for (int ox = first; ox <= last; ox++) {
                x[dst + ox] += col[src + ox];
              }
            } else {
              for (int ox = first; ox <= last; ox++) {
                x[dst + ox * strideW] += col[src + ox];
              }
            }
          }
        }
      }
    }
  }

  /**
   * Stride 1 with output rows as wide as input rows ("same" padding, any dilation): then a
   * kernel offset (ki, kj) maps the whole output plane onto the input plane by one flat shift,
   * {@code x[p + shift] = col[p]}, except at the one or two edge columns where a shifted row
   * wraps into its neighbour. Those are exactly the padding entries, so one long copy (or add)
   * per kernel offset plus a few edge stores replaces a short copy per output row.
   */
  private static boolean isPlaneShift(ConvGeometry g) {
    return g.strideH() == 1 && g.strideW() == 1 && g.outW() == g.width();
  }

  private static void im2colByPlaneShifts(ConvGeometry g, float[] x, int xOff, float[] col,
      int colOff, int rowStride) {
    int width = g.width();
    int planeSize = g.height() * width;
    int pixels = g.colCols();
    int dst = colOff;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * planeSize;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++, dst += rowStride) {
          PlaneShift s = new PlaneShift(g, ki, kj);
          zero(col, dst, dst + s.start);
          if (s.start < s.stop) {
            System.arraycopy(x, plane + s.start + s.shift, col, dst + s.start, s.stop - s.start);
          }
          zero(col, dst + Math.max(s.start, s.stop), dst + pixels);
          s.zeroWrappedColumns(col, dst, width);
        }
      }
    }
  }

  private static void col2imByPlaneShifts(ConvGeometry g, float[] col, int colOff, float[] x,
      int xOff, ElementLoops loops, int rowStride) {
    int width = g.width();
    int planeSize = g.height() * width;
    int src = colOff;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * planeSize;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++, src += rowStride) {
          PlaneShift s = new PlaneShift(g, ki, kj);
          s.zeroWrappedColumns(col, src, width);
          int from = src + s.start;
          int to = plane + s.start + s.shift;
          loops.add(col, from, x, to, s.stop - s.start);
        }
      }
    }
  }

  /**
   * For kernel offset (ki, kj) of a plane-shift geometry: output pixel p reads input pixel
   * {@code p + shift}; [start, stop) are the output pixels whose input lies inside the plane
   * (empty when start >= stop); within them, output columns outside [firstColumn, lastColumn]
   * wrapped around a row edge and stand for padding.
   */
  private static final class PlaneShift {
    final int shift;
    final int start;
    final int stop;
    final int firstColumn;
    final int lastColumn;

    PlaneShift(ConvGeometry g, int ki, int kj) {
      int width = g.width();
      int rowShift = ki * g.dilationH() - g.padTop();
      int colShift = kj * g.dilationW() - g.padLeft();
      int firstRow = Math.max(0, -rowShift);
      int lastRow = Math.min(g.outH() - 1, g.height() - 1 - rowShift);
      this.shift = rowShift * width + colShift;
      this.start = Math.min(Math.max(firstRow * width, -shift), g.colCols());
      this.stop = Math.min((lastRow + 1) * width, g.height() * width - shift);
      this.firstColumn = firstInside(colShift, 1);
      this.lastColumn = lastInside(colShift, 1, width, g.outW());
    }

    /** Zeroes, in rows [start, stop), the entries of columns that wrapped. */
    void zeroWrappedColumns(float[] col, int offset, int width) {
      if (start >= stop) {
        return;
      }
      int firstRow = start / width;
      int lastRow = (stop - 1) / width;
      for (int row = firstRow; row <= lastRow; row++) {
        int rowStart = offset + row * width;
        zero(col, rowStart, rowStart + Math.min(firstColumn, width));
        zero(col, rowStart + Math.max(lastColumn + 1, 0), rowStart + width);
      }
    }
  }

  /** The first output column whose input column {@code ox * stride + shift} is >= 0. */
  private static int firstInside(int shift, int stride) {
    return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  }

  /** The last output column (< outW) whose input column is < width; -1 if none. */
  private static int lastInside(int shift, int stride, int width, int outW) {
    int span = width - 1 - shift;
    return span < 0 ? -1 : Math.min(outW - 1, span / stride);
  }
}
