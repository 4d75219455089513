package org.sparkconv.engine.bench;

import java.util.List;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.Node;
import org.sparkconv.engine.tensor.Shape;

/**
 * The multiply-adds one image costs a network by the definition of its weighted layers
 * (convolutions, transposed convolutions, dense layers), whatever algorithm runs them:
 * Winograd's fewer multiplications are not counted as fewer, so the rate this gives for a
 * measured step is the one a direct method would need. Inference is the forward pass; a
 * training step adds the weight gradient (as much again) and the input gradient (as much
 * again, except for layers that read the network input, whose input gradient no one takes).
 * Batch norms, activations, pools and sums are not counted: at most a few percent of the
 * arithmetic, and bound by memory.
 *
 * @param inference multiply-adds of one image's forward pass
 * @param training multiply-adds of one image's training step
 */
record DefinitionWork(long inference, long training) {

  /**
   * The work of the network {@code spec} describes, per image: from its shapes alone, without
   * building it (no parameters or scratch allocated: VGG-16's would be gigabytes).
   */
  static DefinitionWork of(NetworkSpec spec) {
    List<Shape> shapes = spec.shapes();
    long forward = 0;
    long training = 0;
    for (int i = 0; i < shapes.size(); i++) {
      Node node = spec.nodes().get(i);
      // a weighted layer has one input; merges have no weights and count zero
      Shape in = spec.shapeOf(node.inputs().get(0), shapes);
      long layer = multiplyAdds(node.layer(), in, shapes.get(i));
      boolean readsInput = node.inputs().contains(Node.INPUT);
      forward += layer;
      training += (readsInput ? 2 : 3) * layer;
    }
    return new DefinitionWork(forward, training);
  }

  /** One image's forward multiply-adds of a layer, zero for layers without weights. */
  static long multiplyAdds(LayerSpec spec, Shape in, Shape out) {
    if (spec instanceof Conv2d.Spec c) {
      return (long) out.size() * (in.channels() / c.groups()) * c.kernelH() * c.kernelW();
    }
    if (spec instanceof ConvTranspose2d.Spec t) {
      return (long) in.size() * t.outChannels() * t.kernelH() * t.kernelW();
    }
    if (spec instanceof Dense.Spec) {
      return (long) in.size() * out.size();
    }
    return 0;
  }
}
