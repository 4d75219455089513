package org.sparkconv.engine.layer;

import org.sparkconv.engine.tensor.Shape;

/** Base of layers that map each value on its own and keep the shape (activations, dropout). */
abstract class ElementwiseLayer implements Layer {

  protected final Shape shape;

  ElementwiseLayer(Shape shape) {
    this.shape = shape;
  }

  @Override
  public final Shape inputShape() {
    return shape;
  }

  @Override
  public final Shape outputShape() {
    return shape;
  }

  /** Floats in a batch of {@code batch} examples. */
  protected final int length(int batch) {
    return batch * shape.size();
  }
}
