package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * {@code (C, H, W) -> (C*H*W, 1, 1)}. NCHW is already flat per example: inside a network it is
 * fused into the layer before it (same buffer, the gradient passed on as it is) and these
 * passes, which copy, run only where it is not (its input feeds another layer too).
 */
public final class Flatten implements Layer {

  /** No settings. */
  public record Spec() implements LayerSpec {
    @Override
    public String type() {
      return "flatten";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      return Shape.flat(input.size());
    }

    @Override
    public boolean passesInputThrough() {
      return true;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new Flatten(input);
    }
  }

  private final Shape inputShape;
  private final Shape outputShape;

  private Flatten(Shape input) {
    this.inputShape = input;
    this.outputShape = Shape.flat(input.size());
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
    System.arraycopy(in, 0, out, 0, batch * inputShape.size());
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn != null) {
      System.arraycopy(dOut, 0, dIn, 0, batch * inputShape.size());
    }
  }
}
