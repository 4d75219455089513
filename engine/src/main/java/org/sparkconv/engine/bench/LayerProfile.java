package org.sparkconv.engine.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.Node;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Where a training step's time goes, node by node: runs the network's forward and backward on
 * synthetic data, timing each node inside the network's own passes, and prints the
 * median milliseconds per step of each, and each one's share. The backward gradient fed to the
 * last layer is random: the timing does not depend on the loss. A layer fused into the one
 * before it (see {@code Network.isFusedIntoPrevious}) shows zero: its time is in that layer.
 * So does, in training, the forward pass of a residual sum the batch norm before it writes:
 * its time is in that norm's.
 *
 * <pre>LayerProfile MODEL.json BATCH [steps 30] [train|infer]</pre>
 *
 * <p>{@code infer} times forwards in evaluation mode only (the inference path). On several
 * threads a timed inference splits each node's images among the threads, as training does,
 * where an untimed one runs whole chunks side by side ({@link Network#infer}).
 */
public final class LayerProfile {

  private LayerProfile() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: LayerProfile MODEL.json BATCH [steps] [train|infer]");
      System.exit(2);
    }
    Network net = Network.build(SpecJson.read(Path.of(args[0])));
    net.initialize(1);
    int batch = Integer.parseInt(args[1]);
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    boolean training = args.length <= 3 || !args[3].equals("infer");
    int layers = net.layerCount();
    SplittableRandom rng = new SplittableRandom(7);
    Tensor input = new Tensor(gaussian(rng, batch * net.inputShape().size()), 0, batch,
        net.inputShape());
    float[] dLast = gaussian(rng, batch * net.outputShape().size());
    long[][] forwardNanos = new long[layers][steps];
    long[][] backwardNanos = new long[layers][steps];
    Runnable step = () -> {
      if (training) {
        net.forward(input, true);
        net.zeroGrad();
        net.backward(dLast);
      } else {
        net.infer(input);
      }
    };
    WarmUp.run(step, Math.max(3, steps / 3));
    for (int s = 0; s < steps; s++) {
      long[] forwardStep = new long[layers];
      long[] backwardStep = new long[layers];
      net.timeNodes(forwardStep, backwardStep);
      step.run();
      for (int i = 0; i < layers; i++) {
        forwardNanos[i][s] = forwardStep[i];
        backwardNanos[i][s] = backwardStep[i];
      }
    }
    net.timeNodes(null, null);
    double total = 0;
    double[] forward = new double[layers];
    double[] backward = new double[layers];
    for (int i = 0; i < layers; i++) {
      forward[i] = medianMillis(forwardNanos[i]);
      backward[i] = medianMillis(backwardNanos[i]);
      total += forward[i] + backward[i];
    }
    System.out.printf(Locale.ROOT, "%-3s %-28s %-14s %10s %10s %7s%n", "#", "layer", "output",
        "fwd ms", "bwd ms", "share");
    for (int i = 0; i < layers; i++) {
      Node node = net.spec().nodes().get(i);
      String label = net.spec().isChain() ? node.layer().type()
          : node.name() + " (" + node.layer().type() + ")";
      System.out.printf(Locale.ROOT, "%-3d %-28s %-14s %10.3f %10.3f %6.1f%%%n", i, label,
          net.layer(i).outputShape(), forward[i], backward[i],
          100 * (forward[i] + backward[i]) / total);
    }
    System.out.printf(Locale.ROOT, "total %.2f ms per %s step of %d images (%.0f img/s without"
        + " loss and update)%n", total, training ? "training" : "inference", batch,
        batch / total * 1000);
  }

  private static float[] gaussian(SplittableRandom rng, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    return a;
  }

  private static double medianMillis(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2] / 1e6;
  }
}
