package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.tensor.Shape;

/** The mean of each channel plane: {@code (C, H, W) -> (C, 1, 1)} (Lin et al. 2014). */
public final class GlobalAvgPool2d implements Layer {

  private final ElementLoops loops;

  /** No settings. */
  public record Spec() implements LayerSpec {
    @Override
    public String type() {
      return "global_avgpool2d";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      return Shape.flat(input.channels());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return in.acrossMap(input.height(), input.width());
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new GlobalAvgPool2d(input, context.loops());
    }
  }

  private final Shape inputShape;
  private final Shape outputShape;

  private GlobalAvgPool2d(Shape input, ElementLoops loops) {
    this.loops = loops;
    this.inputShape = input;
    this.outputShape = Shape.flat(input.channels());
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
    int plane = inputShape.planeSize();
    float scale = 1f / plane;
    int planes = batch * inputShape.channels();
    for (int p = 0; p < planes; p++) {
      out[p] = loops.sum(in, p * plane, (p + 1) * plane) * scale;
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    int plane = inputShape.planeSize();
    float scale = 1f / plane;
    int planes = batch * inputShape.channels();
    for (int p = 0; p < planes; p++) {
      float share = dOut[p] * scale;
      for (int i = p * plane; i < (p + 1) * plane; i++) {
        dIn[i] = share;
      }
    }
  }

}
