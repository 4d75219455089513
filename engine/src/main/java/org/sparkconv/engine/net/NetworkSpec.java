package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.tensor.Shape;

/**
 * A sequential model as a model file describes it: a name, the shape of one input example, the
 * layers in order, and optionally the class names of the outputs (used by scoring jobs).
 */
public record NetworkSpec(String name, Shape input, List<LayerSpec> layers,
    List<String> classNames) {

  public NetworkSpec {
    layers = List.copyOf(layers);
    classNames = List.copyOf(classNames);
  }

  public NetworkSpec(String name, Shape input, List<LayerSpec> layers) {
    this(name, input, layers, List.of());
  }

  /**
   * The output shape of every layer, validating each against what it receives. Throws
   * {@link SpecException} naming the first layer that does not fit.
   */
  public List<Shape> shapes() {
    if (layers.isEmpty()) {
      throw SpecException.top("layers", "a network needs at least one layer");
    }
    List<Shape> shapes = new ArrayList<>(layers.size());
    Shape current = input;
    for (int i = 0; i < layers.size(); i++) {
      try {
        current = layers.get(i).outputShape(current, i);
      } catch (SpecException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw SpecException.at(i, layers.get(i).type(), null, e.getMessage());
      }
      shapes.add(current);
    }
    if (!classNames.isEmpty() && classNames.size() != current.size()) {
      throw SpecException.top("classes", "names " + classNames.size() + " classes but the last"
          + " layer gives " + current.size() + " outputs");
    }
    return shapes;
  }

  /**
   * A name per output class: the spec's class names, or the class indices "0", "1", ... when it
   * names none.
   */
  public List<String> outputNames() {
    if (!classNames.isEmpty()) {
      return classNames;
    }
    int classes = outputShape().size();
    List<String> names = new ArrayList<>(classes);
    for (int k = 0; k < classes; k++) {
      names.add(Integer.toString(k));
    }
    return List.copyOf(names);
  }

  /** The output shape of the whole network. */
  public Shape outputShape() {
    List<Shape> shapes = shapes();
    return shapes.get(shapes.size() - 1);
  }
}
