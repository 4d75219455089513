package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.tensor.Shape;

/**
 * Average pooling. Padding counts as zeros in the average (the divisor is always
 * {@code kernelH * kernelW}), as PyTorch's default {@code count_include_pad=True}.
 */
public final class AvgPool2d implements Layer {

  /** Kernel, stride (defaults to the kernel) and padding. */
  public record Spec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
      implements LayerSpec {

    public static Spec of(int kernel) {
      return new Spec(kernel, kernel, kernel, kernel, 0, 0);
    }

    @Override
    public String type() {
      return "avgpool2d";
    }

    PoolWindow window() {
      return new PoolWindow(kernelH, kernelW, strideH, strideW, padH, padW);
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      ConvGeometry g = window().geometry(input, index, type());
      return new Shape(input.channels(), g.outH(), g.outW());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return window().receptiveField(in);
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new AvgPool2d(this, input, window().geometry(input, index, type()));
    }
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final ConvGeometry g;
  private final float scale;

  private AvgPool2d(Spec spec, Shape input, ConvGeometry geometry) {
    this.spec = spec;
    this.inputShape = input;
    this.g = geometry;
    this.outputShape = new Shape(input.channels(), geometry.outH(), geometry.outW());
    this.scale = 1f / (spec.kernelH() * spec.kernelW());
  }

  @Override
  public Shape inputShape() {
    return inputShape;
  }

  @Override
  public Shape outputShape() {
    return outputShape;
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int planes = batch * inputShape.channels();
    int h = g.height();
    int w = g.width();
    int o = 0;
    for (int plane = 0; plane < planes; plane++) {
      int base = plane * h * w;
      for (int oy = 0; oy < g.outH(); oy++) {
        int y0 = oy * g.strideH() - g.padTop();
        int yStart = Math.max(y0, 0);
        int yEnd = Math.min(y0 + g.kernelH(), h);
        for (int ox = 0; ox < g.outW(); ox++) {
          int x0 = ox * g.strideW() - g.padLeft();
          int xStart = Math.max(x0, 0);
          int xEnd = Math.min(x0 + g.kernelW(), w);
          float sum = 0f;
          for (int y = yStart; y < yEnd; y++) {
            int row = base + y * w;
            for (int x = xStart; x < xEnd; x++) {
              sum += in[row + x];
            }
          }
          out[o++] = sum * scale;
        }
      }
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    Arrays.fill(dIn, 0, batch * inputShape.size(), 0f);
    int planes = batch * inputShape.channels();
    int h = g.height();
    int w = g.width();
    int o = 0;
    for (int plane = 0; plane < planes; plane++) {
      int base = plane * h * w;
      for (int oy = 0; oy < g.outH(); oy++) {
        int y0 = oy * g.strideH() - g.padTop();
        int yStart = Math.max(y0, 0);
        int yEnd = Math.min(y0 + g.kernelH(), h);
        for (int ox = 0; ox < g.outW(); ox++) {
          int x0 = ox * g.strideW() - g.padLeft();
          int xStart = Math.max(x0, 0);
          int xEnd = Math.min(x0 + g.kernelW(), w);
          float share = dOut[o++] * scale;
          for (int y = yStart; y < yEnd; y++) {
            int row = base + y * w;
            for (int x = xStart; x < xEnd; x++) {
              dIn[row + x] += share;
            }
          }
        }
      }
    }
  }

}
