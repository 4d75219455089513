package org.sparkconv.engine.net;

import java.util.Arrays;
import org.sparkconv.engine.tensor.Tensor;

/** One forward and backward pass of a test's network over a batch, for comparing two builds. */
final class NetworkPasses {

  private NetworkPasses() {}

  /**
   * Runs {@code x} forward ({@code training} or not) and {@code dOut} back with the gradients
   * zeroed first; returns a copy of the output and of the input gradient, in that order. The
   * parameter gradients stay in {@code net}.
   */
  static float[][] run(Network net, int batch, float[] x, float[] dOut, boolean training) {
    float[] out = net.forward(new Tensor(x, 0, batch, net.inputShape()), training).toArray();
    net.zeroGrad();
    float[] dx = Arrays.copyOf(net.backward(dOut, true), x.length);
    return new float[][] {out, dx};
  }
}
