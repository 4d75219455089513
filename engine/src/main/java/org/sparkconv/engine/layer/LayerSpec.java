package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.tensor.Shape;

/**
 * The immutable description of one layer, as a model file states it. {@link #outputShape} checks
 * the spec against the shape it will receive and throws {@link SpecException} naming the layer
 * index and the field; {@link #build} makes the live layer.
 */
public sealed interface LayerSpec permits Conv2d.Spec, ConvTranspose2d.Spec, MaxPool2d.Spec,
    AvgPool2d.Spec, LpPool2d.Spec, GlobalAvgPool2d.Spec, GlobalMaxPool2d.Spec, BatchNorm.Spec,
    Dense.Spec, Flatten.Spec, Relu.Spec, LeakyRelu.Spec, Sigmoid.Spec, Tanh.Spec, Dropout.Spec {

  /** The type name model files use, e.g. {@code conv2d}. */
  String type();

  /** Validates this spec for {@code input} and returns the output shape. */
  Shape outputShape(Shape input, int index);

  /** The live layer for {@code input}; call only after {@link #outputShape} accepted it. */
  Layer build(Shape input, int index, Gemm gemm);

  /** Fails unless {@code value > 0}. */
  static void requirePositive(int value, int index, String type, String field) {
    if (value <= 0) {
      throw SpecException.at(index, type, field, "must be a positive integer, got " + value);
    }
  }

  /** Fails unless {@code value >= 0}. */
  static void requireNonNegative(int value, int index, String type, String field) {
    if (value < 0) {
      throw SpecException.at(index, type, field, "must be zero or positive, got " + value);
    }
  }
}
