package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/** {@code y = x} for {@code x > 0}, else {@code slope * x} (Maas et al. 2013). */
public final class LeakyRelu extends ElementwiseLayer {

  /** The negative slope (PyTorch's default 0.01). */
  public record Spec(float slope) implements LayerSpec {
    @Override
    public String type() {
      return "leaky_relu";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      if (!(slope >= 0f && slope < 1f)) {
        throw SpecException.at(index, type(), "slope", "must be in [0, 1), got " + slope);
      }
      return input;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      outputShape(input, index);
      return new LeakyRelu(input, slope);
    }
  }

  private final float slope;

  private LeakyRelu(Shape shape, float slope) {
    super(shape);
    this.slope = slope;
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int len = length(batch);
    for (int i = 0; i < len; i++) {
      float x = in[i];
      out[i] = x > 0f ? x : slope * x;
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    int len = length(batch);
    for (int i = 0; i < len; i++) {
      dIn[i] = in[i] > 0f ? dOut[i] : slope * dOut[i];
    }
  }
}
