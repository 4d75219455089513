package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.tensor.Shape;

/**
 * The window geometry shared by the local pooling layers: kernel, stride and symmetric zero
 * padding, validated at build time. Pooling padding may not exceed half the kernel (a window
 * that lies wholly in the padding would pool nothing).
 */
record PoolWindow(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {

  ConvGeometry geometry(Shape input, int index, String type) {
    LayerSpec.requirePositive(kernelH, index, type, "kernel");
    LayerSpec.requirePositive(kernelW, index, type, "kernel");
    LayerSpec.requirePositive(strideH, index, type, "stride");
    LayerSpec.requirePositive(strideW, index, type, "stride");
    LayerSpec.requireNonNegative(padH, index, type, "padding");
    LayerSpec.requireNonNegative(padW, index, type, "padding");
    if (2 * padH > kernelH || 2 * padW > kernelW) {
      throw SpecException.at(index, type, "padding", "must be at most half the kernel, got "
          + padH + "x" + padW + " for kernel " + kernelH + "x" + kernelW);
    }
    return Conv2d.windowGeometry(input, index, type, kernelH, kernelW, strideH, strideW,
        Padding.of(padH, padW), 1, 1);
  }

  ReceptiveField receptiveField(ReceptiveField in) {
    return in.window(kernelH, kernelW, strideH, strideW, 1, 1);
  }
}
