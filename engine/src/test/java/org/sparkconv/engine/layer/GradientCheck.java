package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.SplittableRandom;
import org.sparkconv.engine.TestArrays;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Central-difference gradient check of a whole (small) network in training mode, for the loss
 * {@code L = sum(out * R)} with a fixed random R, so that {@code dL/dout = R}. Every input value
 * and every parameter is perturbed by +-eps and the slope compared with backprop's gradient.
 */
final class GradientCheck {

  /** How inputs are drawn, to keep finite differences away from kinks and ties. */
  enum Inputs {
    UNIFORM,
    /** A permutation of well-separated values: no max-pool ties within +-eps. */
    DISTINCT,
    /** |x| in [0.2, 1]: no ReLU kink within +-eps. */
    AWAY_FROM_ZERO
  }

  /** The step: large enough that float rounding of the loss stays far below the tolerance. */
  private static final float EPS = 1e-2f;
  private static final double REL = 1e-2;
  private static final double ABS = 2e-3;

  private GradientCheck() {}

  static void check(String name, NetworkSpec spec, int batch, Inputs inputs, long seed) {
    check(name, spec, batch, inputs, seed, EPS);
  }

  /**
   * As above with steps of {@code eps}: smaller for networks whose loss curves within
   * {@link #EPS} (norms over a few values each, with large random weights), where the central
   * difference's error grows as eps squared.
   */
  static void check(String name, NetworkSpec spec, int batch, Inputs inputs, long seed,
      float eps) {
    Network net = Network.build(spec);
    net.initialize(seed);
    float[] params = net.params();
    float[] randomParams = TestArrays.uniform(params.length, seed + 1);
    System.arraycopy(randomParams, 0, params, 0, params.length);
    float[] x = inputs(inputs, batch * spec.input().size(), seed + 2);
    float[] r = TestArrays.uniform(batch * net.outputShape().size(), seed + 3);

    net.zeroGrad();
    forward(net, x, batch);
    float[] dx = net.backward(r, true).clone();
    float[] dParams = net.grads().clone();

    for (int i = 0; i < x.length; i++) {
      float saved = x[i];
      double slope = slope(net, x, i, batch, r, x, eps);
      x[i] = saved;
      compare(name, "input", i, slope, dx[i]);
    }
    for (int i = 0; i < params.length; i++) {
      float saved = params[i];
      double slope = slope(net, params, i, batch, r, x, eps);
      params[i] = saved;
      compare(name, "parameter " + blockOf(net, i), i, slope, dParams[i]);
    }
  }

  private static String blockOf(Network net, int index) {
    for (var entry : net.layout().params()) {
      if (index >= entry.offset() && index < entry.offset() + entry.length()) {
        return "layer " + entry.layer() + " " + entry.layerType() + "." + entry.name();
      }
    }
    return "?";
  }

  /** (L(v + eps) - L(v - eps)) / (2 eps) for {@code values[i]}; {@code x} is the input. */
  private static double slope(Network net, float[] values, int i, int batch, float[] r,
      float[] x, float eps) {
    float v = values[i];
    float plus = v + eps;
    float minus = v - eps;
    values[i] = plus;
    double lossPlus = loss(net, x, batch, r);
    values[i] = minus;
    double lossMinus = loss(net, x, batch, r);
    return (lossPlus - lossMinus) / ((double) plus - minus);
  }

  private static double loss(Network net, float[] x, int batch, float[] r) {
    Tensor out = forward(net, x, batch);
    double sum = 0;
    for (int j = 0; j < out.length(); j++) {
      sum += (double) out.data()[j] * r[j];
    }
    return sum;
  }

  private static Tensor forward(Network net, float[] x, int batch) {
    for (int l = 0; l < net.layerCount(); l++) {
      if (net.layer(l) instanceof Dropout dropout) {
        dropout.calls(0); // same mask for every evaluation
      }
    }
    return net.forward(new Tensor(x, 0, batch, net.inputShape()), true);
  }

  private static void compare(String name, String what, int i, double numeric, float analytic) {
    double diff = Math.abs(numeric - analytic);
    if (!(diff <= ABS + REL * Math.max(Math.abs(numeric), Math.abs(analytic)))) {
      fail(name + ": gradient of " + what + " [" + i + "]: backprop " + analytic
          + ", central difference " + numeric);
    }
  }

  static float[] inputs(Inputs kind, int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n];
    switch (kind) {
      case UNIFORM -> {
        return TestArrays.uniform(n, seed);
      }
      case DISTINCT -> {
        List<Integer> order = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
          order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(seed));
        for (int i = 0; i < n; i++) {
          x[i] = -2f + 4f * order.get(i) / n; // spacing 4/n > 2 eps for n < 200
        }
      }
      case AWAY_FROM_ZERO -> {
        for (int i = 0; i < n; i++) {
          float magnitude = (float) (0.2 + 0.8 * rng.nextDouble());
          x[i] = rng.nextBoolean() ? magnitude : -magnitude;
        }
      }
    }
    return x;
  }
}
