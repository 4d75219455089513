package org.sparkconv.engine.layer;

/**
 * The window of network-input pixels one unit of a feature map sees ({@code sizeH x sizeW}) and
 * the distance, in input pixels, between neighbouring units ({@code jumpH}, {@code jumpW}).
 * For a window layer with kernel K, dilation D and stride S:
 * {@code size' = size + D (K - 1) jump}, {@code jump' = jump S}.
 */
public record ReceptiveField(double sizeH, double sizeW, double jumpH, double jumpW) {

  /** The field of a network input pixel: itself. */
  public static final ReceptiveField PIXEL = new ReceptiveField(1, 1, 1, 1);

  /** After a window of the given geometry. */
  public ReceptiveField window(int kernelH, int kernelW, int strideH, int strideW,
      int dilationH, int dilationW) {
    return new ReceptiveField(
        sizeH + dilationH * (kernelH - 1) * jumpH, sizeW + dilationW * (kernelW - 1) * jumpW,
        jumpH * strideH, jumpW * strideW);
  }

  /**
   * After a layer whose every unit sees all {@code height x width} units of this feature map
   * (dense and global layers).
   */
  public ReceptiveField acrossMap(int height, int width) {
    return new ReceptiveField(sizeH + (height - 1) * jumpH, sizeW + (width - 1) * jumpW,
        jumpH * height, jumpW * width);
  }
}
