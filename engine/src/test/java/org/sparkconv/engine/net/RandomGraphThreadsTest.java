package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;

/**
 * Training on two threads splits every node's images among them (and sums per piece); on 40
 * networks drawn from seeds ({@link RandomNetworks}), two training steps at two threads give
 * one thread's outputs, input and parameter gradients and running statistics within float
 * rounding of the sums' order, for a batch that does not split evenly (13 images), Winograd on
 * and off.
 */
class RandomGraphThreadsTest {

  private static final int NETWORKS = 40;
  private static final int BATCH = 13;

  @Test
  void twoThreadsTrainAsOne() {
    for (int n = 0; n < NETWORKS; n++) {
      NetworkSpec spec = RandomNetworks.draw(3000 + n, false);
      for (boolean winograd : new boolean[] {false, true}) {
        Network one = build(spec, 1, winograd, n);
        Network two = build(spec, 2, winograd, n);
        int inSize = one.inputShape().size();
        int outSize = one.outputShape().size();
        for (int step = 0; step < 2; step++) {
          float[] x = uniform(BATCH * inSize, 7 * n + step);
          float[] dOut = uniform(BATCH * outSize, 11 * n + step);
          String what = spec.name() + ", Winograd " + winograd + ", step " + step + ": ";
          float[][] a = NetworkPasses.run(one, BATCH, x, dOut, true);
          float[][] b = NetworkPasses.run(two, BATCH, x, dOut, true);
          assertClose(what + "output", a[0], b[0]);
          assertClose(what + "input gradient", a[1], b[1]);
          assertClose(what + "parameter gradients", one.grads(), two.grads());
          assertClose(what + "running statistics", one.state(), two.state());
        }
      }
    }
  }

  private static Network build(NetworkSpec spec, int threads, boolean winograd, long seed) {
    Network net = Network.build(spec,
        ComputeContext.defaults().withThreads(threads).withWinograd(winograd));
    net.initialize(seed);
    return net;
  }

  /** Within 1e-4 of the larger magnitude in the array (sums taken in another order). */
  private static void assertClose(String what, float[] expected, float[] actual) {
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertTrue(Double.isFinite(scale), what + ": finite");
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= 1e-4 * scale + 1e-7)) {
        fail(what + " [" + i + "]: one thread " + expected[i] + ", two " + actual[i]);
      }
    }
  }
}
