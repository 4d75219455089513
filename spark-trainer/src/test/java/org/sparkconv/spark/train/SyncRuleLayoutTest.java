package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.spark.wire.Contribution;

/**
 * Each synchronisation rule's vector, packed on the executor side by two partitions of
 * different sizes, summed as tree aggregation sums it, and unpacked by the driver: every named
 * part lands where it belongs, weighted as the rule says.
 */
class SyncRuleLayoutTest {

  static final NetworkSpec SPEC = NetworkBuilder.input("layout", 1, 4, 4).conv2d(2, 3, 1)
      .batchNorm2d().relu().flatten().dense(3).build();
  static final int N1 = 3;
  static final int N2 = 5;

  /** A network whose params, grads and state are {@code base + index}. */
  static Network filled(float base) {
    Network net = Network.build(SPEC);
    for (int i = 0; i < net.params().length; i++) {
      net.params()[i] = base + i;
      net.grads()[i] = 2 * base + i;
    }
    for (int i = 0; i < net.state().length; i++) {
      net.state()[i] = base - i;
    }
    return net;
  }

  /** The example-weighted mean of a and b. */
  static float[] mean(float[] a, float[] b) {
    float[] m = new float[a.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) ((N1 * (double) a[i] + N2 * (double) b[i]) / (N1 + N2));
    }
    return m;
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])),
          what + "[" + i + "]");
    }
  }

  @Test
  void gradientAveragingPacksGradientsAndWeightedStateAndUnpacksTheirMeans() {
    GradientAveraging rule = new GradientAveraging();
    Network a = filled(1);
    Network b = filled(10);
    int p = a.params().length;
    int s = a.state().length;
    VectorLayout layout = rule.layout(p, s, 0);
    assertEquals(List.of(new VectorLayout.Part("gradients", 0, p),
        new VectorLayout.Part("state", p, s)), layout.parts());
    float[] packed = rule.pack(a, N1);
    assertEquals(layout.size(), packed.length);
    assertArrayEquals(a.grads(), java.util.Arrays.copyOf(packed, p), "gradients as they are");
    Contribution sum = Contribution.merge(new Contribution(packed, 1, N1, 0, 0),
        new Contribution(rule.pack(b, N2), 2, N2, 0, 0));

    Network driver = filled(100);
    float[] before = driver.params().clone();
    Optimizer sgd = Optimizer.create(OptimizerSpec.sgd(1f, 0f), driver.layout());
    rule.apply(sum, driver, sgd, 1, 1f);
    float[] gradientMean = new float[p];
    for (int i = 0; i < p; i++) {
      gradientMean[i] = (a.grads()[i] + b.grads()[i]) / (N1 + N2);
      before[i] -= gradientMean[i];
    }
    assertClose(gradientMean, driver.grads(), "gradient sum / examples");
    assertClose(before, driver.params(), "one SGD step with it");
    assertClose(mean(a.state(), b.state()), driver.state(), "example-weighted state");
  }

  @Test
  void parameterAveragingPacksWeightedParamsStateAndSlotsAndUnpacksTheirMeans() {
    ParameterAveraging rule = new ParameterAveraging(3);
    Network a = filled(1);
    Network b = filled(10);
    OptimizerSpec adam = OptimizerSpec.adam(0.01f);
    Optimizer optA = Optimizer.create(adam, a.layout());
    Optimizer optB = Optimizer.create(adam, b.layout());
    for (int i = 0; i < a.params().length; i++) {
      optA.slots()[0][i] = i;
      optA.slots()[1][i] = 2 * i;
      optB.slots()[0][i] = -i;
      optB.slots()[1][i] = 3 * i;
    }
    int p = a.params().length;
    int s = a.state().length;
    assertEquals(List.of("params", "state", "slot 0", "slot 1"),
        rule.layout(p, s, 2).parts().stream().map(VectorLayout.Part::name).toList());
    assertEquals(3 * p + s, rule.layout(p, s, 2).size());
    Contribution sum = Contribution.merge(new Contribution(rule.pack(a, optA, N1), 1, N1, 0, 0),
        new Contribution(rule.pack(b, optB, N2), 2, N2, 0, 0));

    Network driver = filled(100);
    Optimizer optDriver = Optimizer.create(adam, driver.layout());
    optDriver.steps(7);
    rule.apply(sum, driver, optDriver, 3, 0.01f);
    assertClose(mean(a.params(), b.params()), driver.params(), "params");
    assertClose(mean(a.state(), b.state()), driver.state(), "state");
    assertClose(mean(optA.slots()[0], optB.slots()[0]), optDriver.slots()[0], "first moments");
    assertClose(mean(optA.slots()[1], optB.slots()[1]), optDriver.slots()[1], "second moments");
    assertEquals(10, optDriver.steps(), "k steps counted");
  }
}
