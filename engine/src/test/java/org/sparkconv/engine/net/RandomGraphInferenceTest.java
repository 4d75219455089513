package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Tensor;

/**
 * {@link Network#infer} folds layers into each other (norms, sums and pools into
 * convolutions, outputs handed to the next convolution's layout, a flat tail, chunks, replicas
 * on several threads), each fold guarded by conditions on its neighbours. Hand-picked networks
 * test each fold; this test draws many small networks from seeds ({@link RandomNetworks}) and
 * checks that inference equals the layer-by-layer evaluation forward, within float rounding,
 * at one and two threads, Winograd on and off, for batches of 1, 3 and 21 images (more than a
 * chunk). It found a sum followed by a flatten taking a ReLU that was not there (2026-12-04).
 */
class RandomGraphInferenceTest {

  private static final int NETWORKS = 60;
  private static final int[] BATCHES = {1, 3, 21};

  @Test
  void randomNetworksInferAsTheyEvaluate() {
    for (int n = 0; n < NETWORKS; n++) {
      NetworkSpec spec = RandomNetworks.draw(1000 + n, false);
      for (int run = 0; run < 4; run++) {
        int threads = 1 + run % 2;
        boolean winograd = run >= 2;
        Network net = Network.build(spec,
            ComputeContext.defaults().withThreads(threads).withWinograd(winograd));
        net.initialize(n);
        int inSize = net.inputShape().size();
        float[] shifted = uniform(8 * inSize, 2 * n);
        for (int i = 0; i < shifted.length; i++) {
          shifted[i] = 2 * shifted[i] + 0.3f;
        }
        net.forward(new Tensor(shifted, 0, 8, net.inputShape()), true); // running statistics
        InferenceFoldingTest.perturbAffineParameters(net.params(), n);
        for (int batch : BATCHES) {
          float[] x = uniform(batch * inSize, 3 * n + batch);
          float[] expected =
              net.forward(new Tensor(x, 0, batch, net.inputShape()), false).toArray();
          float[] inferred = net.infer(new Tensor(x, 0, batch, net.inputShape())).toArray();
          String what = spec.name() + " at " + threads + " threads, Winograd " + winograd
              + ", batch " + batch;
          assertClose(what, expected, inferred, net);
        }
      }
    }
  }

  private static void assertClose(String what, float[] expected, float[] actual, Network net) {
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertTrue(scale > 0 && Double.isFinite(scale), what + ": a finite, nonzero output");
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= 1e-4 * scale)) {
        fail(what + ": output " + i + " inferred " + actual[i] + ", evaluated " + expected[i]
            + "\n" + net.summary(1));
      }
    }
  }
}
