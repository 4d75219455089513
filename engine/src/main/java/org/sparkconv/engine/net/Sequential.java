package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Dropout;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.tensor.Shape;

/**
 * A Keras-like builder of sequential model specs, equivalent to the JSON form: give the input
 * shape once, add layers in order, {@link #build()} validates every shape.
 *
 * <pre>
 * NetworkSpec lenet5 = Sequential.input("lenet5", 1, 28, 28)
 *     .conv2d(6, 5, 2).relu().maxPool(2)
 *     .conv2d(16, 5, 0).relu().maxPool(2)
 *     .flatten().dense(120).relu().dense(84).relu().dense(10)
 *     .build();
 * </pre>
 */
public final class Sequential {

  private final String name;
  private final Shape input;
  private final List<LayerSpec> layers = new ArrayList<>();
  private List<String> classNames = List.of();

  private Sequential(String name, Shape input) {
    this.name = name;
    this.input = input;
  }

  public static Sequential input(String name, int channels, int height, int width) {
    return new Sequential(name, new Shape(channels, height, width));
  }

  /** Adds any layer spec. */
  public Sequential add(LayerSpec layer) {
    layers.add(layer);
    return this;
  }

  /** Square kernel, stride 1, explicit padding, bias, He-normal init. */
  public Sequential conv2d(int outChannels, int kernel, int padding) {
    return add(Conv2d.Spec.of(outChannels, kernel, padding));
  }

  public Sequential relu() {
    return add(new Relu.Spec());
  }

  public Sequential maxPool(int kernel) {
    return add(MaxPool2d.Spec.of(kernel));
  }

  public Sequential avgPool(int kernel) {
    return add(AvgPool2d.Spec.of(kernel));
  }

  public Sequential batchNorm2d() {
    return add(BatchNorm.Spec.spatial2d());
  }

  public Sequential batchNorm1d() {
    return add(BatchNorm.Spec.flat1d());
  }

  public Sequential flatten() {
    return add(new Flatten.Spec());
  }

  public Sequential dense(int units) {
    return add(Dense.Spec.of(units));
  }

  public Sequential dropout(float rate, long seed) {
    return add(new Dropout.Spec(rate, seed));
  }

  /** Names of the output classes, in output order. */
  public Sequential classes(List<String> names) {
    this.classNames = List.copyOf(names);
    return this;
  }

  /** The spec; throws SpecException naming the first layer whose shape does not fit. */
  public NetworkSpec build() {
    NetworkSpec spec = new NetworkSpec(name, input, layers, classNames);
    spec.shapes();
    return spec;
  }
}
