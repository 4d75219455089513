package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.tensor.Shape;

/**
 * Power-average pooling without padding, as PyTorch's {@code LPPool2d}:
 * {@code p = 2} is L2-norm pooling, {@code y = sqrt(sum x^2)}, with
 * {@code dy/dx = x / y} (taken as 0 where y = 0); {@code p = 1} is sum pooling,
 * {@code y = sum x} (the L1 norm on non-negative inputs such as ReLU outputs).
 */
public final class LpPool2d implements Layer {

  /** Norm order (1 or 2), kernel and stride (defaults to the kernel). */
  public record Spec(int norm, int kernelH, int kernelW, int strideH, int strideW)
      implements LayerSpec {

    @Override
    public String type() {
      return "lppool2d";
    }

    PoolWindow window() {
      return new PoolWindow(kernelH, kernelW, strideH, strideW, 0, 0);
    }

    ConvGeometry geometry(Shape input, int index) {
      if (norm != 1 && norm != 2) {
        throw SpecException.at(index, type(), "norm", "must be 1 or 2, got " + norm);
      }
      return window().geometry(input, index, type());
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      ConvGeometry g = geometry(input, index);
      return new Shape(input.channels(), g.outH(), g.outW());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return window().receptiveField(in);
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new LpPool2d(this, input, geometry(input, index));
    }
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final ConvGeometry g;

  private LpPool2d(Spec spec, Shape input, ConvGeometry geometry) {
    this.spec = spec;
    this.inputShape = input;
    this.g = geometry;
    this.outputShape = new Shape(input.channels(), geometry.outH(), geometry.outW());
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
    boolean l2 = spec.norm() == 2;
    int planes = batch * inputShape.channels();
    int h = g.height();
    int w = g.width();
    int o = 0;
    for (int plane = 0; plane < planes; plane++) {
      int base = plane * h * w;
      for (int oy = 0; oy < g.outH(); oy++) {
        int y0 = base + oy * g.strideH() * w;
        for (int ox = 0; ox < g.outW(); ox++) {
          int x0 = y0 + ox * g.strideW();
          float sum = 0f;
          for (int ky = 0; ky < g.kernelH(); ky++) {
            int row = x0 + ky * w;
            for (int kx = 0; kx < g.kernelW(); kx++) {
              float v = in[row + kx];
              sum += l2 ? v * v : v;
            }
          }
          out[o++] = l2 ? (float) Math.sqrt(sum) : sum;
        }
      }
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    boolean l2 = spec.norm() == 2;
    Arrays.fill(dIn, 0, batch * inputShape.size(), 0f);
    int planes = batch * inputShape.channels();
    int h = g.height();
    int w = g.width();
    int o = 0;
    for (int plane = 0; plane < planes; plane++) {
      int base = plane * h * w;
      for (int oy = 0; oy < g.outH(); oy++) {
        int y0 = base + oy * g.strideH() * w;
        for (int ox = 0; ox < g.outW(); ox++) {
          int x0 = y0 + ox * g.strideW();
          float y = out[o];
          // L2: dx = dy * x / y ; L1 (sum): dx = dy
          float scale = l2 ? (y > 0f ? dOut[o] / y : 0f) : dOut[o];
          o++;
          for (int ky = 0; ky < g.kernelH(); ky++) {
            int row = x0 + ky * w;
            for (int kx = 0; kx < g.kernelW(); kx++) {
              dIn[row + kx] += l2 ? scale * in[row + kx] : scale;
            }
          }
        }
      }
    }
  }

}
