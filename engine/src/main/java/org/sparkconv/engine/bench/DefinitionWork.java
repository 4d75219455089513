package org.sparkconv.engine.bench;

import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.net.Network;
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

  /** The work of {@code net} per image. */
  static DefinitionWork of(Network net) {
    long forward = 0;
    long training = 0;
    for (int i = 0; i < net.layerCount(); i++) {
      Node node = net.spec().nodes().get(i);
      long layer = multiplyAdds(node.layer(), net.layer(i).inputShape(),
          net.layer(i).outputShape());
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
