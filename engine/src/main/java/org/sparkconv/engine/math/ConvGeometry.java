package org.sparkconv.engine.math;

/**
 * Everything im2col and col2im need to know about one sliding-window lowering of a single image
 * plane stack {@code (channels, height, width)}: kernel, stride, dilation, the zero padding at
 * the top and left (the bottom/right padding is implied by the output size, which allows the
 * asymmetric padding that "same" needs for even kernels), and the output size.
 *
 * <p>The lowered matrix has {@code channels * kernelH * kernelW} rows and {@code outH * outW}
 * columns; row {@code (c * kernelH + i) * kernelW + j} holds input pixel
 * {@code (c, oy * strideH - padTop + i * dilationH, ox * strideW - padLeft + j * dilationW)} in
 * column {@code oy * outW + ox}, or zero where that falls in the padding.
 */
public record ConvGeometry(int channels, int height, int width,
    int kernelH, int kernelW, int strideH, int strideW,
    int padTop, int padLeft, int dilationH, int dilationW,
    int outH, int outW) {

  /** Rows of the lowered matrix. */
  public int colRows() {
    return channels * kernelH * kernelW;
  }

  /** Columns of the lowered matrix: one per output pixel. */
  public int colCols() {
    return outH * outW;
  }

  /** Floats of the lowered matrix (fails rather than wrap around past 2^31). */
  public int colSize() {
    return Math.multiplyExact(colRows(), colCols());
  }

  /** Floats of one input image. */
  public int imageSize() {
    return channels * height * width;
  }

  /** True when the lowered matrix is the image itself (1x1 kernel, stride 1, no padding). */
  public boolean isIdentityLowering() {
    return kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1
        && padTop == 0 && padLeft == 0 && outH == height && outW == width;
  }

  /**
   * Output length of a sliding window along one axis:
   * {@code floor((n + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1}; zero or
   * negative means the window does not fit.
   */
  public static int outputLength(int n, int padBefore, int padAfter, int kernel, int stride,
      int dilation) {
    int span = n + padBefore + padAfter - dilation * (kernel - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
  }
}
