package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sparkconv.engine.layer.Add;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Concat;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Dropout;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.GlobalAvgPool2d;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.tensor.Shape;

/**
 * A Keras-like builder of model specs, equivalent to the JSON form: give the input shape once,
 * add layers in order, {@link #build()} validates every shape. Each layer takes the one before
 * it; {@link #named} names the last layer, {@link #from} makes the next layer take a named one
 * instead, and {@link #add(String...)}/{@link #concat(String...)} merge named outputs, so a
 * residual block reads as it is drawn:
 *
 * <pre>
 * NetworkSpec net = NetworkBuilder.input("res", 1, 28, 28)
 *     .conv2d(16, 3, 1).batchNorm2d().relu().named("stem")
 *     .conv2d(16, 3, 1).batchNorm2d().relu().conv2d(16, 3, 1).batchNorm2d().named("branch")
 *     .add("branch", "stem").relu()
 *     .globalAvgPool().flatten().dense(10)
 *     .build();
 * </pre>
 */
public final class NetworkBuilder {

  private final String name;
  private final Shape input;
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Integer> names = new HashMap<>();
  private List<String> classNames = List.of();
  private List<Integer> nextInputs; // set by from(): what the next layer takes

  private NetworkBuilder(String name, Shape input) {
    this.name = name;
    this.input = input;
  }

  public static NetworkBuilder input(String name, int channels, int height, int width) {
    return new NetworkBuilder(name, new Shape(channels, height, width));
  }

  /** Adds any layer spec, fed by the previous layer (or what {@link #from} chose). */
  public NetworkBuilder layer(LayerSpec layer) {
    List<Integer> inputs = nextInputs != null ? nextInputs : List.of(nodes.size() - 1);
    return node(layer, inputs);
  }

  private NetworkBuilder node(LayerSpec layer, List<Integer> inputs) {
    nodes.add(new Node(Node.defaultName(layer, nodes.size()), layer, inputs));
    nextInputs = null;
    return this;
  }

  /** Names the last layer, so later layers can take it by {@link #from} or a merge. */
  public NetworkBuilder named(String nodeName) {
    if (nodes.isEmpty()) {
      throw new IllegalStateException("name a layer after adding it");
    }
    int last = nodes.size() - 1;
    if (names.containsKey(nodeName) || Node.INPUT_NAME.equals(nodeName)) {
      throw SpecException.at(last, nodes.get(last).layer().type(), "name", "\"" + nodeName
          + "\" is already taken; names must be unique and not \"" + Node.INPUT_NAME + "\"");
    }
    Node node = nodes.get(last);
    nodes.set(last, new Node(nodeName, node.layer(), node.inputs()));
    names.put(nodeName, last);
    return this;
  }

  /** Makes the next layer take the output of {@code nodeName} ({@code input}: the network's). */
  public NetworkBuilder from(String nodeName) {
    nextInputs = List.of(ref(nodeName));
    return this;
  }

  /** An element-wise sum of the named outputs. */
  public NetworkBuilder add(String... inputs) {
    return node(new Add.Spec(), refs(inputs));
  }

  /** The named outputs joined along the channel axis. */
  public NetworkBuilder concat(String... inputs) {
    return node(new Concat.Spec(), refs(inputs));
  }

  private List<Integer> refs(String... inputs) {
    List<Integer> refs = new ArrayList<>();
    for (String input : inputs) {
      refs.add(ref(input));
    }
    return refs;
  }

  private int ref(String nodeName) {
    if (Node.INPUT_NAME.equals(nodeName)) {
      return Node.INPUT;
    }
    Integer index = names.get(nodeName);
    if (index == null) {
      throw SpecException.at(nodes.size(), null, "inputs", "no earlier layer is named \""
          + nodeName + "\"; named so far: " + names.keySet());
    }
    return index;
  }

  /** Square kernel, stride 1, explicit padding, bias, He-normal init. */
  public NetworkBuilder conv2d(int outChannels, int kernel, int padding) {
    return layer(Conv2d.Spec.of(outChannels, kernel, padding));
  }

  public NetworkBuilder relu() {
    return layer(new Relu.Spec());
  }

  public NetworkBuilder maxPool(int kernel) {
    return layer(MaxPool2d.Spec.of(kernel));
  }

  public NetworkBuilder avgPool(int kernel) {
    return layer(AvgPool2d.Spec.of(kernel));
  }

  public NetworkBuilder globalAvgPool() {
    return layer(new GlobalAvgPool2d.Spec());
  }

  public NetworkBuilder batchNorm2d() {
    return layer(BatchNorm.Spec.spatial2d());
  }

  public NetworkBuilder batchNorm1d() {
    return layer(BatchNorm.Spec.flat1d());
  }

  public NetworkBuilder flatten() {
    return layer(new Flatten.Spec());
  }

  public NetworkBuilder dense(int units) {
    return layer(Dense.Spec.of(units));
  }

  public NetworkBuilder dropout(float rate, long seed) {
    return layer(new Dropout.Spec(rate, seed));
  }

  /** Names of the output classes, in output order. */
  public NetworkBuilder classes(List<String> names) {
    this.classNames = List.copyOf(names);
    return this;
  }

  /** The spec; throws SpecException naming the first layer whose shape or wiring is wrong. */
  public NetworkSpec build() {
    NetworkSpec spec = new NetworkSpec(name, input, nodes, classNames);
    spec.shapes();
    return spec;
  }
}
