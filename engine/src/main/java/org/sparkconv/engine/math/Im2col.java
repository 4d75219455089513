package org.sparkconv.engine.math;

import java.util.Arrays;

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
    int height = g.height();
    int width = g.width();
    int outH = g.outH();
    int outW = g.outW();
    int strideW = g.strideW();
    int dst = colOff;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * height * width;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++) {
          int rowShift = ki * g.dilationH() - g.padTop();
          int colShift = kj * g.dilationW() - g.padLeft();
          // Output columns whose input column ox * strideW + colShift lies inside the image.
          int first = firstInside(colShift, strideW);
          int last = lastInside(colShift, strideW, width, outW);
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() + rowShift;
            if (iy < 0 || iy >= height || first > last) {
              Arrays.fill(col, dst, dst + outW, 0f);
              dst += outW;
              continue;
            }
            int src = plane + iy * width + colShift;
            Arrays.fill(col, dst, dst + first, 0f);
            if (strideW == 1) {
              System.arraycopy(x, src + first, col, dst + first, last - first + 1);
            } else {
              for (int ox = first; ox <= last; ox++) {
                col[dst + ox] = x[src + ox * strideW];
              }
            }
            Arrays.fill(col, dst + last + 1, dst + outW, 0f);
            dst += outW;
          }
        }
      }
    }
  }

  /**
   * Adds the lowered matrix {@code col[colOff ...]} back into image {@code x[xOff ...]}: each
   * column entry is accumulated onto the pixel it was copied from; padding entries are dropped.
   * The caller zeroes {@code x} first when it wants a plain (not accumulated) result.
   */
  public static void col2im(ConvGeometry g, float[] col, int colOff, float[] x, int xOff) {
    int height = g.height();
    int width = g.width();
    int outH = g.outH();
    int outW = g.outW();
    int strideW = g.strideW();
    int src = colOff;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * height * width;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++) {
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
            for (int ox = first; ox <= last; ox++) {
              x[dst + ox * strideW] += col[src + ox];
            }
          }
        }
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
