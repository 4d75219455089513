package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.LeakyRelu;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Tanh;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Tensor;

/**
 * {@link Network#infer} folds layers into each other (norms, sums and pools into
 * convolutions, outputs handed to the next convolution's layout, a flat tail, chunks, replicas
 * on several threads), each fold guarded by conditions on its neighbours. Hand-picked networks
 * test each fold; this test draws many small networks from a seed (chains of convolutions with
 * or without bias, norm, activation and pool, residual blocks with identity and projection
 * shortcuts, concatenations, and heads with or without pooling and hidden layers) and checks
 * that inference equals the layer-by-layer evaluation forward, within float rounding, at one
 * and two threads, Winograd on and off, for batches of 1, 3 and 21 images (more than a chunk).
 * It found a sum followed by a flatten taking a ReLU that was not there (2026-12-04).
 */
class RandomGraphInferenceTest {

  private static final int NETWORKS = 60;
  private static final int[] BATCHES = {1, 3, 21};

  @Test
  void randomNetworksInferAsTheyEvaluate() {
    for (int n = 0; n < NETWORKS; n++) {
      NetworkSpec spec = randomNetwork(1000 + n);
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
        perturb(net.params(), n);
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

  /** Every parameter scaled by a factor in [0.5, 1.5) and shifted a little. */
  private static void perturb(float[] params, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < params.length; i++) {
      params[i] = params[i] * (float) (0.5 + rng.nextDouble()) + 0.1f * (float) rng.nextGaussian();
    }
  }

  /** A network drawn from {@code seed}: see the class comment. */
  static NetworkSpec randomNetwork(long seed) {
    return new Drawing(seed).network();
  }

  /** The drawing of one network: its builder and the shape of its current node. */
  private static final class Drawing {
    private final SplittableRandom rng;
    private NetworkBuilder b;
    private String current = "input";
    private int channels;
    private int height;
    private int width;
    private int names;

    Drawing(long seed) {
      this.rng = new SplittableRandom(seed);
      channels = 1 + rng.nextInt(4);
      height = side();
      width = side();
      b = NetworkBuilder.input("random-" + seed, channels, height, width);
    }

    /** Mostly even (where pools fold), 6 to 14; else odd, 5 to 13. */
    private int side() {
      return rng.nextInt(4) == 0 ? 5 + 2 * rng.nextInt(5) : 6 + 2 * rng.nextInt(5);
    }

    NetworkSpec network() {
      int blocks = 2 + rng.nextInt(4);
      for (int k = 0; k < blocks; k++) {
        switch (rng.nextInt(5)) {
          case 0, 1 -> convUnit();
          case 2 -> residual(false);
          case 3 -> residual(height >= 4 && width >= 4);
          default -> concat();
        }
      }
      if (rng.nextBoolean()) {
        b.globalAvgPool();
      }
      b.flatten();
      if (rng.nextBoolean()) {
        b.dense(4 + rng.nextInt(12));
        if (rng.nextBoolean()) {
          b.batchNorm1d();
        }
        activation();
      }
      return b.dense(2 + rng.nextInt(6)).build();
    }

    /** A convolution, maybe with bias, norm, activation and a 2x2 max pool. */
    private void convUnit() {
      // now and then as many channels as Winograd by channels takes (a 512-bit vector's worth
      // or two), whose output may go to the next convolution in its layout
      int out = rng.nextInt(4) == 0 ? 16 * (1 + rng.nextInt(2)) : 2 + rng.nextInt(18);
      int kernel = new int[] {1, 3, 3, 5}[rng.nextInt(4)];
      int stride = height >= 4 && width >= 4 && rng.nextInt(3) == 0 ? 2 : 1;
      int padding = rng.nextBoolean() || kernel > Math.min(height, width) ? kernel / 2 : 0;
      b.layer(conv(out, kernel, stride, padding, rng.nextBoolean()));
      height = (height + 2 * padding - kernel) / stride + 1;
      width = (width + 2 * padding - kernel) / stride + 1;
      channels = out;
      if (rng.nextInt(4) != 0) {
        b.batchNorm2d();
      }
      activation();
      if (rng.nextBoolean() && height >= 2 && width >= 2) {
        b.maxPool(2);
        height /= 2;
        width /= 2;
      }
      current = name();
    }

    /**
     * Two 3x3 convolutions with norms and the current node, or (projecting) a strided 1x1
     * convolution of it with a norm, summed, then a ReLU or nothing.
     */
    private void residual(boolean projecting) {
      String in = current;
      int out = projecting ? channels + 1 + rng.nextInt(8) : channels;
      int stride = projecting ? 2 : 1;
      b.layer(conv(out, 3, stride, 1, false)).batchNorm2d();
      activation();
      b.layer(conv(out, 3, 1, 1, false)).batchNorm2d();
      String branch = name();
      String shortcut = in;
      if (projecting) {
        b.from(in).layer(conv(out, 1, 2, 0, false)).batchNorm2d();
        shortcut = name();
        height = (height - 1) / 2 + 1;
        width = (width - 1) / 2 + 1;
      }
      channels = out;
      if (rng.nextBoolean()) {
        b.add(branch, shortcut);
      } else {
        b.add(shortcut, branch);
      }
      if (rng.nextBoolean()) {
        b.relu();
      }
      current = name();
    }

    /** A 1x1 and a 3x3 convolution of the current node, concatenated. */
    private void concat() {
      String in = current;
      int a = 1 + rng.nextInt(6);
      int c = 1 + rng.nextInt(6);
      b.layer(conv(a, 1, 1, 0, true));
      activation();
      String left = name();
      b.from(in).layer(conv(c, 3, 1, 1, false)).batchNorm2d();
      String right = name();
      b.concat(left, right);
      channels = a + c;
      current = name();
    }

    private void activation() {
      switch (rng.nextInt(6)) {
        case 0, 1, 2 -> b.relu();
        case 3 -> b.layer(new LeakyRelu.Spec(0.1f));
        case 4 -> b.layer(new Tanh.Spec());
        default -> { }
      }
    }

    /** Names the last node and returns the name. */
    private String name() {
      String name = "n" + names++;
      b.named(name);
      return name;
    }

    private static Conv2d.Spec conv(int out, int kernel, int stride, int padding, boolean bias) {
      return new Conv2d.Spec(0, out, kernel, kernel, stride, stride, Padding.of(padding), 1, 1,
          bias, Init.HE_NORMAL);
    }

  }
}
