package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkconv.engine.layer.GradientCheck.Inputs;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.NetworkSpec;

/**
 * Central-difference gradient checks for merges, grouped convolutions and graphs: a node that
 * feeds several others must receive the sum of their gradients, a merge must route each input's
 * share, and a grouped convolution must keep its groups apart.
 */
class GraphGradientCheckTest {

  private static Conv2d.Spec conv(int out, int kernel, int stride, int padding, int groups,
      boolean bias) {
    return new Conv2d.Spec(0, out, kernel, kernel, stride, stride, Padding.of(padding), 1, 1,
        groups, bias, Init.HE_NORMAL);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("add of two branches of the input", NetworkBuilder.input("add", 2, 5, 5)
            .layer(conv(3, 3, 1, 1, 1, true)).named("a")
            .from("input").layer(conv(3, 1, 1, 0, 1, false)).named("b")
            .add("a", "b").build(), 2, Inputs.UNIFORM),
        Arguments.of("add of three, one input twice", NetworkBuilder.input("add3", 2, 4, 4)
            .layer(conv(2, 3, 1, 1, 1, true)).named("a")
            .add("a", "input", "a").build(), 2, Inputs.UNIFORM),
        Arguments.of("concat with the network input", NetworkBuilder.input("cat", 2, 4, 5)
            .layer(conv(3, 3, 1, 1, 1, true)).named("a")
            .from("input").layer(conv(1, 1, 1, 0, 1, true)).named("b")
            .concat("a", "input", "b").layer(conv(2, 3, 1, 1, 1, true)).build(), 2,
            Inputs.UNIFORM),
        Arguments.of("grouped conv, 2 groups, stride 2", NetworkBuilder.input("g2", 4, 6, 5)
            .layer(new Conv2d.Spec(0, 6, 3, 3, 2, 2, Padding.of(1), 1, 1, 2, true,
                Init.HE_NORMAL)).build(), 2, Inputs.UNIFORM),
        Arguments.of("grouped 1x1 conv, 3 groups", NetworkBuilder.input("g3", 6, 3, 4)
            .layer(conv(3, 1, 1, 0, 3, false)).build(), 2, Inputs.UNIFORM),
        Arguments.of("depthwise conv, dilation 2", NetworkBuilder.input("dw", 3, 7, 6)
            .layer(new Conv2d.Spec(0, 6, 3, 3, 1, 1, Padding.of(2), 2, 2, 3, true,
                Init.HE_NORMAL)).build(), 2, Inputs.UNIFORM),
        // tanh, not ReLU: after batch norm, ReLU puts kinks within any finite step
        Arguments.of("fan-out, projection shortcut, identity shortcut",
            NetworkBuilder.input("res", 2, 6, 6)
                .layer(conv(3, 3, 1, 1, 1, false)).batchNorm2d().layer(new Tanh.Spec())
                .named("stem")
                .layer(conv(4, 3, 2, 1, 1, false)).batchNorm2d().layer(new Tanh.Spec())
                .layer(conv(4, 3, 1, 1, 1, false)).batchNorm2d().named("branch")
                .from("stem").layer(conv(4, 1, 2, 0, 1, false)).batchNorm2d().named("shortcut")
                .add("branch", "shortcut").layer(new Tanh.Spec()).named("block")
                .layer(conv(4, 3, 1, 1, 1, false)).batchNorm2d().named("branch2")
                .add("branch2", "block").flatten().dense(3).build(), 3, Inputs.UNIFORM));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void backpropMatchesCentralDifferences(String name, NetworkSpec spec, int batch,
      Inputs inputs) {
    GradientCheck.check(name, spec, batch, inputs, name.hashCode());
  }

  /**
   * The graph of a ResNet block with ReLU fused into batch norm (whose output then feeds two
   * layers) and into the residual sum, against the same graph with an unfusable ReLU (leaky,
   * slope 0): equal outputs, input and parameter gradients. Central differences cannot check
   * this one, since ReLU after batch norm puts kinks within any finite step.
   */
  @org.junit.jupiter.api.Test
  void fusedBatchNormReluFeedingTwoLayersEqualsUnfused() {
    float[][] fused = run(residual(new Relu.Spec()));
    float[][] unfused = run(residual(new LeakyRelu.Spec(0f)));
    String[] what = {"output", "input gradient", "parameter gradients"};
    for (int i = 0; i < what.length; i++) {
      org.sparkconv.engine.TestArrays.assertClose(what[i], unfused[i], fused[i], 1e-6, 1e-6);
    }
  }

  private static NetworkSpec residual(LayerSpec activation) {
    return NetworkBuilder.input("res", 3, 6, 6)
        .layer(conv(4, 3, 1, 1, 1, false)).batchNorm2d().layer(activation).named("stem")
        .layer(conv(4, 3, 1, 1, 1, false)).batchNorm2d().layer(activation)
        .layer(conv(4, 3, 1, 1, 1, false)).batchNorm2d().named("branch")
        .add("branch", "stem").layer(activation).flatten().dense(5).build();
  }

  private static float[][] run(NetworkSpec spec) {
    org.sparkconv.engine.net.Network net = org.sparkconv.engine.net.Network.build(spec);
    net.initialize(3);
    float[] x = org.sparkconv.engine.TestArrays.uniform(4 * spec.input().size(), 5);
    float[] output = net.forward(new org.sparkconv.engine.tensor.Tensor(x, 0, 4, spec.input()),
        true).data().clone();
    net.zeroGrad();
    float[] dx = net.backward(org.sparkconv.engine.TestArrays.uniform(4 * 5, 6), true).clone();
    return new float[][] {java.util.Arrays.copyOf(output, 4 * 5), java.util.Arrays.copyOf(dx,
        4 * spec.input().size()), net.grads().clone()};
  }

  @org.junit.jupiter.api.Test
  void groupedConvHasTheWeightsOfItsGroups() {
    NetworkSpec spec = NetworkBuilder.input("g", 8, 4, 4).layer(conv(4, 3, 1, 1, 4, true))
        .build();
    // (Cout, Cin / groups, kh, kw) = 4 * 2 * 9 weights, as PyTorch stores them, and 4 biases.
    assertEquals(4 * 2 * 9 + 4, org.sparkconv.engine.net.ParamLayout.of(spec).paramCount());
  }
}
