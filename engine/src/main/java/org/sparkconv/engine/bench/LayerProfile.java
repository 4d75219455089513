package org.sparkconv.engine.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;

/**
 * Where a training step's time goes, layer by layer: runs every layer's forward and backward on
 * synthetic data (the network's own, bound layers, with buffers of this class) and prints the
 * median milliseconds per step of each, and each one's share. The backward gradient fed to the
 * last layer is random: the timing does not depend on the loss. A layer fused into the one
 * before it (see {@code Network.isFusedIntoPrevious}) shows zero: its time is in that layer.
 *
 * <pre>LayerProfile MODEL.json BATCH [steps 30] [train|infer]</pre>
 *
 * <p>{@code infer} times forwards in evaluation mode only (the inference path).
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
    float[] input = gaussian(rng, batch * net.inputShape().size());
    float[][] outputs = new float[layers][];
    float[][] inputGradients = new float[layers][];
    for (int i = 0; i < layers; i++) {
      Layer layer = net.layer(i);
      layer.reserve(batch);
      outputs[i] = new float[batch * layer.outputShape().size()];
      inputGradients[i] = i == 0 ? null : new float[batch * layer.inputShape().size()];
    }
    float[] dLast = gaussian(rng, outputs[layers - 1].length);
    long[][] forwardNanos = new long[layers][steps];
    long[][] backwardNanos = new long[layers][steps];
    for (int s = -Math.max(3, steps / 3); s < steps; s++) {
      for (int i = 0; i < layers; i++) {
        if (net.isFusedIntoPrevious(i)) {
          outputs[i] = outputs[i - 1];
          continue;
        }
        long t0 = System.nanoTime();
        net.layer(i).forward(i == 0 ? input : outputs[i - 1], outputs[i], batch, training);
        if (s >= 0) {
          forwardNanos[i][s] = System.nanoTime() - t0;
        }
      }
      if (!training) {
        continue;
      }
      net.zeroGrad();
      float[] dOut = dLast;
      for (int i = layers - 1; i >= 0; i--) {
        if (net.isFusedIntoPrevious(i)) {
          continue;
        }
        long t0 = System.nanoTime();
        net.layer(i).backward(i == 0 ? input : outputs[i - 1], outputs[i], dOut,
            inputGradients[i], batch);
        if (s >= 0) {
          backwardNanos[i][s] = System.nanoTime() - t0;
        }
        dOut = inputGradients[i];
      }
    }
    double total = 0;
    double[] forward = new double[layers];
    double[] backward = new double[layers];
    for (int i = 0; i < layers; i++) {
      forward[i] = medianMillis(forwardNanos[i]);
      backward[i] = medianMillis(backwardNanos[i]);
      total += forward[i] + backward[i];
    }
    System.out.printf(Locale.ROOT, "%-3s %-14s %-14s %10s %10s %7s%n", "#", "layer", "output",
        "fwd ms", "bwd ms", "share");
    for (int i = 0; i < layers; i++) {
      System.out.printf(Locale.ROOT, "%-3d %-14s %-14s %10.3f %10.3f %6.1f%%%n", i,
          net.spec().layers().get(i).type(), net.layer(i).outputShape(), forward[i],
          backward[i], 100 * (forward[i] + backward[i]) / total);
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
