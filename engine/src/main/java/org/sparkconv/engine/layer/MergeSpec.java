package org.sparkconv.engine.layer;

import java.util.List;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * The spec of a node that combines two or more inputs ({@code add}, {@code concat}): graph
 * networks are chains of ordinary layers joined by merges. A merge has no parameters and no
 * state; its shape check names every input so that a wrong wiring is found from the message.
 */
public sealed interface MergeSpec extends LayerSpec permits Add.Spec, Concat.Spec {

  /**
   * Validates the inputs' shapes, named {@code inputNames} (node names, {@code input} for the
   * network input), and returns the output shape.
   */
  Shape outputShape(List<Shape> inputs, List<String> inputNames, int index);

  /** The live merge for {@code inputs}; call only after {@link #outputShape} accepted them. */
  MergeLayer build(List<Shape> inputs, int index, ComputeContext context);

  /** A merge of one input is not a merge. */
  @Override
  default Shape outputShape(Shape input, int index) {
    throw SpecException.at(index, type(), "inputs", "a merge needs two or more inputs, got 1");
  }

  @Override
  default Layer build(Shape input, int index, ComputeContext context) {
    throw new IllegalStateException(type() + " is a merge: build it with all its input shapes");
  }

  /** Names and shapes of all inputs, for messages: {@code 'a' (16, 14, 14), 'b' (...)}. */
  static String describe(List<Shape> inputs, List<String> names) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < inputs.size(); k++) {
      sb.append(k == 0 ? "" : ", ").append('\'').append(names.get(k)).append("' ")
          .append(inputs.get(k));
    }
    return sb.toString();
  }
}
