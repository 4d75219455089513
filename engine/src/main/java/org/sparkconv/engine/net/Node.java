package org.sparkconv.engine.net;

import java.util.List;
import org.sparkconv.engine.layer.LayerSpec;

/**
 * One node of a network graph: a name, the layer it applies, and the nodes whose outputs it
 * takes, by index into the spec's node list ({@link #INPUT} for the network input). Inputs name
 * earlier nodes only, so the node order is a topological order and a graph cannot have a cycle.
 *
 * @param name unique within the network; {@link #defaultName} when the model file gives none
 * @param layer what the node computes
 * @param inputs indices of earlier nodes, or {@link #INPUT}; two or more only for merges
 */
public record Node(String name, LayerSpec layer, List<Integer> inputs) {

  /** The index that stands for the network input. */
  public static final int INPUT = -1;

  /** What model files call the network input in {@code inputs}. */
  public static final String INPUT_NAME = "input";

  public Node {
    inputs = List.copyOf(inputs);
  }

  /** The name a node at {@code index} gets when it is not given one, e.g. {@code conv2d_3}. */
  public static String defaultName(LayerSpec layer, int index) {
    return layer.type() + "_" + index;
  }

  /** The node of a chain: {@code layer} at {@code index}, fed by the node before it. */
  public static Node chained(LayerSpec layer, int index) {
    return new Node(defaultName(layer, index), layer, List.of(index - 1));
  }

  /** Whether this node at {@code index} takes only the node before it, as in a chain. */
  public boolean isChained(int index) {
    return inputs.size() == 1 && inputs.get(0) == index - 1;
  }
}
