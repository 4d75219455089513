package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.MergeSpec;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.tensor.Shape;

/**
 * A model as a model file describes it: a name, the shape of one input example, its nodes in a
 * topological order, and optionally the class names of the outputs (used by scoring jobs). Each
 * node applies one layer to the outputs of earlier nodes; the last node is the network's output.
 * A chain of layers (every node fed by the one before) is the common case and what
 * {@link #sequential} makes; residual and dense connections are nodes with other inputs, merged
 * by {@code add} or {@code concat}.
 */
public record NetworkSpec(String name, Shape input, List<Node> nodes, List<String> classNames) {

  public NetworkSpec {
    nodes = List.copyOf(nodes);
    classNames = List.copyOf(classNames);
  }

  /** A chain of {@code layers}, each fed by the one before. */
  public static NetworkSpec sequential(String name, Shape input, List<LayerSpec> layers,
      List<String> classNames) {
    List<Node> nodes = new ArrayList<>(layers.size());
    for (int i = 0; i < layers.size(); i++) {
      nodes.add(Node.chained(layers.get(i), i));
    }
    return new NetworkSpec(name, input, nodes, classNames);
  }

  /** A chain of {@code layers} without class names. */
  public static NetworkSpec sequential(String name, Shape input, List<LayerSpec> layers) {
    return sequential(name, input, layers, List.of());
  }

  /** The layer of every node, in node order. */
  public List<LayerSpec> layers() {
    return nodes.stream().map(Node::layer).toList();
  }

  /** Whether every node takes the one before it: a plain chain of layers. */
  public boolean isChain() {
    for (int i = 0; i < nodes.size(); i++) {
      if (!nodes.get(i).isChained(i)) {
        return false;
      }
    }
    return true;
  }

  /** The shape that node reference {@code ref} gives, given every node's output shape. */
  public Shape shapeOf(int ref, List<Shape> outputs) {
    return ref == Node.INPUT ? input : outputs.get(ref);
  }

  /** The name of node reference {@code ref} ({@code input} for the network input). */
  public String nameOf(int ref) {
    return ref == Node.INPUT ? Node.INPUT_NAME : nodes.get(ref).name();
  }

  /**
   * The output shape of every node, validating each against what it receives and the graph
   * itself: unique names, inputs that are earlier nodes, merges of two or more inputs, every
   * node but the last used. Throws {@link SpecException} naming the first node that fails.
   */
  public List<Shape> shapes() {
    if (nodes.isEmpty()) {
      throw SpecException.top("layers", "a network needs at least one layer");
    }
    checkWiring();
    List<Shape> shapes = new ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      LayerSpec layer = node.layer();
      try {
        if (layer instanceof MergeSpec merge) {
          List<Shape> ins = new ArrayList<>();
          List<String> names = new ArrayList<>();
          for (int ref : node.inputs()) {
            ins.add(shapeOf(ref, shapes));
            names.add(nameOf(ref));
          }
          shapes.add(merge.outputShape(ins, names, i));
        } else {
          shapes.add(layer.outputShape(shapeOf(node.inputs().get(0), shapes), i));
        }
      } catch (SpecException e) {
        throw named(e, i);
      } catch (IllegalArgumentException e) {
        throw named(SpecException.at(i, layer.type(), null, e.getMessage()), i);
      }
    }
    Shape output = shapes.get(shapes.size() - 1);
    if (!classNames.isEmpty() && classNames.size() != output.size()) {
      throw SpecException.top("classes", "names " + classNames.size() + " classes but the last"
          + " layer gives " + output.size() + " outputs");
    }
    return shapes;
  }

  private void checkWiring() {
    Map<String, Integer> seen = new HashMap<>();
    boolean[] used = new boolean[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      String type = node.layer().type();
      if (node.name() == null || node.name().isEmpty() || node.name().equals(Node.INPUT_NAME)) {
        throw SpecException.at(i, type, "name", "must be a non-empty name other than \""
            + Node.INPUT_NAME + "\" (which means the network input), got "
            + (node.name() == null ? "none" : "\"" + node.name() + "\""));
      }
      Integer before = seen.putIfAbsent(node.name(), i);
      if (before != null) {
        throw named(SpecException.at(i, type, "name", "\"" + node.name()
            + "\" is already the name of layer " + before + "; names must be unique"), i);
      }
      boolean merge = node.layer() instanceof MergeSpec;
      if (merge ? node.inputs().size() < 2 : node.inputs().size() != 1) {
        throw named(SpecException.at(i, type, "inputs", merge
            ? "a merge needs two or more inputs, got " + node.inputs().size()
            : "takes exactly one input, got " + node.inputs().size()
                + "; merge several with an \"add\" or \"concat\" node"), i);
      }
      for (int ref : node.inputs()) {
        if (ref < Node.INPUT || ref >= i) {
          throw named(SpecException.at(i, type, "inputs", "input " + ref + " is not an earlier"
              + " node (expected " + Node.INPUT + " for the network input or 0.." + (i - 1)
              + "); inputs must come before the node, so a graph has no cycles"), i);
        }
        if (ref >= 0) {
          used[ref] = true;
        }
      }
    }
    for (int i = 0; i + 1 < nodes.size(); i++) {
      if (!used[i]) {
        throw named(SpecException.at(i, nodes.get(i).layer().type(), null, "its output is not"
            + " used by any later layer; only the last layer may be unused (it is the network's"
            + " output)"), i);
      }
    }
  }

  /** The error attributed to node {@code index} by name, when the name was chosen. */
  private SpecException named(SpecException e, int index) {
    Node node = nodes.get(index);
    return node.name() == null || node.name().equals(Node.defaultName(node.layer(), index)) ? e
        : e.atNode(node.name());
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
