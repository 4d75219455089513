package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/** {@code y = 1 / (1 + e^-x)}; {@code dx = dy * y * (1 - y)}. */
public final class Sigmoid extends ElementwiseLayer {

  /** No settings. */
  public record Spec() implements LayerSpec {
    @Override
    public String type() {
      return "sigmoid";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      return input;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new Sigmoid(input);
    }
  }

  private Sigmoid(Shape shape) {
    super(shape);
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int len = length(batch);
    for (int i = 0; i < len; i++) {
      out[i] = (float) (1.0 / (1.0 + Math.exp(-in[i])));
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    int len = length(batch);
    for (int i = 0; i < len; i++) {
      float y = out[i];
      dIn[i] = dOut[i] * y * (1f - y);
    }
  }
}
