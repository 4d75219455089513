package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/** {@code y = tanh(x)}; {@code dx = dy * (1 - y^2)}. */
public final class Tanh extends ElementwiseLayer {

  /** No settings. */
  public record Spec() implements LayerSpec {
    @Override
    public String type() {
      return "tanh";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      return input;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new Tanh(input);
    }
  }

  private Tanh(Shape shape) {
    super(shape);
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int len = length(batch);
    for (int i = 0; i < len; i++) {
      out[i] = (float) Math.tanh(in[i]);
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
      dIn[i] = dOut[i] * (1f - y * y);
    }
  }
}
