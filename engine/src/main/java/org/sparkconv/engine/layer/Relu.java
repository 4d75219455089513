package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.tensor.Shape;

/** {@code y = max(0, x)}; {@code dx = dy} where {@code y > 0}, else 0. */
public final class Relu extends ElementwiseLayer {

  /** No settings. */
  public record Spec() implements LayerSpec {
    @Override
    public String type() {
      return "relu";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      return input;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new Relu(input, context.parallel(), context.loops());
    }
  }

  private final Parallel parallel;
  private final ElementLoops loops;

  private Relu(Shape shape, Parallel parallel, ElementLoops loops) {
    super(shape);
    this.parallel = parallel;
    this.loops = loops;
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    parallel.forRange(length(batch), (t, from, to) -> {
      for (int i = from; i < to; i++) {
        out[i] = Math.max(in[i], 0f);
      }
    });
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    parallel.forRange(length(batch),
        (t, from, to) -> loops.reluGradient(dOut, out, dIn, null, from, to));
  }
}
