package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.tensor.Shape;

/**
 * Max pooling. In training, forward remembers for every output the index of the winning input
 * (the "switches" of Zeiler & Fergus 2014) so that backward routes each gradient to its winner;
 * padding never wins. On ties the first element in row-major window order wins.
 */
public final class MaxPool2d implements Layer {

  /** Kernel, stride (defaults to the kernel) and padding. */
  public record Spec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
      implements LayerSpec {

    public static Spec of(int kernel) {
      return new Spec(kernel, kernel, kernel, kernel, 0, 0);
    }

    @Override
    public String type() {
      return "maxpool2d";
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
    public Layer build(Shape input, int index, Gemm gemm) {
      return new MaxPool2d(this, input, window().geometry(input, index, type()));
    }
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final ConvGeometry g;
  private int[] switches = new int[0]; // (N, C, Ho, Wo): flat index of the winning input

  private MaxPool2d(Spec spec, Shape input, ConvGeometry geometry) {
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
  public void reserve(int batch) {
    int needed = batch * outputShape.size();
    if (switches.length < needed) {
      switches = new int[needed];
    }
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    Parallel.forRange(batch * inputShape.channels(),
        (t, from, to) -> forwardPlanes(in, out, from, to, training));
  }

  private void forwardPlanes(float[] in, float[] out, int fromPlane, int toPlane,
      boolean training) {
    int h = g.height();
    int w = g.width();
    int o = fromPlane * g.outH() * g.outW();
    for (int plane = fromPlane; plane < toPlane; plane++) {
      int base = plane * h * w;
      for (int oy = 0; oy < g.outH(); oy++) {
        int y0 = oy * g.strideH() - g.padTop();
        int yStart = Math.max(y0, 0);
        int yEnd = Math.min(y0 + g.kernelH(), h);
        for (int ox = 0; ox < g.outW(); ox++) {
          int x0 = ox * g.strideW() - g.padLeft();
          int xStart = Math.max(x0, 0);
          int xEnd = Math.min(x0 + g.kernelW(), w);
          int best = base + yStart * w + xStart;
          float max = in[best];
          for (int y = yStart; y < yEnd; y++) {
            int row = base + y * w;
            for (int x = xStart; x < xEnd; x++) {
              if (in[row + x] > max) {
                max = in[row + x];
                best = row + x;
              }
            }
          }
          out[o] = max;
          if (training) {
            switches[o] = best;
          }
          o++;
        }
      }
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    int inPlane = g.height() * g.width();
    int outPlane = g.outH() * g.outW();
    // Each plane's switches point into that plane only, so planes split cleanly.
    Parallel.forRange(batch * inputShape.channels(), (t, from, to) -> {
      Arrays.fill(dIn, from * inPlane, to * inPlane, 0f);
      for (int o = from * outPlane; o < to * outPlane; o++) {
        dIn[switches[o]] += dOut[o];
      }
    });
  }

  @Override
  public long cachedFloatsPerExample() {
    return outputShape.size();
  }

  @Override
  public ReceptiveField receptiveField(ReceptiveField in) {
    return spec.window().receptiveField(in);
  }
}
