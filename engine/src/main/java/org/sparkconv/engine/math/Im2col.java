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
    int dst = colOff;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * height * width;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++) {
          int rowShift = ki * g.dilationH() - g.padTop();
          int colShift = kj * g.dilationW() - g.padLeft();
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() + rowShift;
            if (iy < 0 || iy >= height) {
              Arrays.fill(col, dst, dst + outW, 0f);
              dst += outW;
              continue;
            }
            int src = plane + iy * width;
            for (int ox = 0; ox < outW; ox++) {
              int ix = ox * g.strideW() + colShift;
              col[dst++] = (ix >= 0 && ix < width) ? x[src + ix] : 0f;
            }
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
    int src = colOff;
    for (int c = 0; c < g.channels(); c++) {
      int plane = xOff + c * height * width;
      for (int ki = 0; ki < g.kernelH(); ki++) {
        for (int kj = 0; kj < g.kernelW(); kj++) {
          int rowShift = ki * g.dilationH() - g.padTop();
          int colShift = kj * g.dilationW() - g.padLeft();
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() + rowShift;
            if (iy < 0 || iy >= height) {
              src += outW;
              continue;
            }
            int dst = plane + iy * width;
            for (int ox = 0; ox < outW; ox++) {
              int ix = ox * g.strideW() + colShift;
              if (ix >= 0 && ix < width) {
                x[dst + ix] += col[src];
              }
              src++;
            }
          }
        }
      }
    }
  }
}
