package org.sparkconv.engine.net;

import java.util.SplittableRandom;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.LeakyRelu;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Tanh;

/**
 * Small networks drawn from a seed, for tests that check a property over many architectures
 * rather than a few picked by hand: chains of convolution units (1x1, 3x3 or 5x5, stride 1 or
 * 2, with or without bias, norm, activation and pool), residual blocks (identity or projection
 * shortcut, either input order, a ReLU after the sum or not), concatenations of a 1x1 and a 3x3
 * branch, and heads with or without global pooling, a hidden dense layer and its norm. A
 * smooth network (for central differences) has no kinks within a finite step: tanh for its
 * activations, average pools, no ReLU after sums, no norm over the few values of a dense
 * layer's outputs (whose curve turns within a step), and stays small.
 */
public final class RandomNetworks {

  private RandomNetworks() {}

  /** The network of {@code seed}; {@code smooth}: see the class comment. */
  public static NetworkSpec draw(long seed, boolean smooth) {
    return new Drawing(seed, smooth).network();
  }

  /** The drawing of one network: its builder and the shape of its current node. */
  private static final class Drawing {
    private final SplittableRandom rng;
    private final boolean smooth;
    private final NetworkBuilder b;
    private String current = "input";
    private int channels;
    private int height;
    private int width;
    private int names;

    Drawing(long seed, boolean smooth) {
      this.rng = new SplittableRandom(seed);
      this.smooth = smooth;
      channels = 1 + rng.nextInt(smooth ? 2 : 4);
      height = side();
      width = side();
      b = NetworkBuilder.input((smooth ? "smooth-" : "random-") + seed, channels, height, width);
    }

    /** Mostly even (where pools fold), 6 to 14 (4 to 7 smooth); else odd, 5 to 13. */
    private int side() {
      if (smooth) {
        return 4 + rng.nextInt(4);
      }
      return rng.nextInt(4) == 0 ? 5 + 2 * rng.nextInt(5) : 6 + 2 * rng.nextInt(5);
    }

    NetworkSpec network() {
      int blocks = smooth ? 2 + rng.nextInt(2) : 2 + rng.nextInt(4);
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
        b.dense(smooth ? 3 + rng.nextInt(4) : 4 + rng.nextInt(12));
        if (rng.nextBoolean() && !smooth) { // over a handful of values: a sharp curve
          b.batchNorm1d();
        }
        activation();
      }
      return b.dense(2 + rng.nextInt(smooth ? 3 : 6)).build();
    }

    /** A convolution, maybe with bias, norm, activation and a 2x2 pool. */
    private void convUnit() {
      // now and then as many channels as Winograd by channels takes (a 512-bit vector's worth
      // or two), whose output may go to the next convolution in its layout
      int out = smooth ? 2 + rng.nextInt(3)
          : rng.nextInt(4) == 0 ? 16 * (1 + rng.nextInt(2)) : 2 + rng.nextInt(18);
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
        if (smooth) {
          b.avgPool(2);
        } else {
          b.maxPool(2);
        }
        height /= 2;
        width /= 2;
      }
      current = name();
    }

    /**
     * Two 3x3 convolutions with norms and the current node, or (projecting) a strided 1x1
     * convolution of it with a norm, summed, then a ReLU or nothing (a tanh or nothing smooth).
     */
    private void residual(boolean projecting) {
      String in = current;
      int out = projecting ? channels + 1 + rng.nextInt(smooth ? 2 : 8) : channels;
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
        if (smooth) {
          b.layer(new Tanh.Spec());
        } else {
          b.relu();
        }
      }
      current = name();
    }

    /** A 1x1 and a 3x3 convolution of the current node, concatenated. */
    private void concat() {
      String in = current;
      int a = 1 + rng.nextInt(smooth ? 2 : 6);
      int c = 1 + rng.nextInt(smooth ? 2 : 6);
      b.layer(conv(a, 1, 1, 0, true));
      activation();
      String left = name();
      b.from(in).layer(conv(c, 3, 1, 1, false)).batchNorm2d();
      String right = name();
      b.concat(left, right);
      channels = a + c;
      current = name();
    }

    /** Mostly ReLU, else leaky ReLU, tanh or none; smooth: tanh or none. */
    private void activation() {
      if (smooth) {
        if (rng.nextInt(3) != 0) {
          b.layer(new Tanh.Spec());
        }
        return;
      }
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
