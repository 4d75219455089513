package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.assertClose;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

class NetworkTest {

  /** LeNet-5 as the engine-training issue defines it. */
  static NetworkSpec lenet5() {
    return NetworkSpec.sequential("lenet5", new Shape(1, 28, 28), List.of(
        Conv2d.Spec.of(6, 5, 2), new Relu.Spec(), MaxPool2d.Spec.of(2),
        Conv2d.Spec.of(16, 5, 0), new Relu.Spec(), MaxPool2d.Spec.of(2),
        new Flatten.Spec(), Dense.Spec.of(120), new Relu.Spec(), Dense.Spec.of(84),
        new Relu.Spec(), Dense.Spec.of(10)));
  }

  @Test
  void sameSeedGivesBitIdenticalParametersAndDifferentSeedsDiffer() {
    for (Init init : Init.values()) {
      NetworkSpec spec = NetworkSpec.sequential("init", new Shape(3, 8, 8), List.of(
          new Conv2d.Spec(0, 4, 3, 3, 1, 1, Padding.SAME, 1, 1, true, init), new Flatten.Spec(),
          new Dense.Spec(0, 5, true, init)));
      Network a = Network.build(spec);
      Network b = Network.build(spec);
      a.initialize(123);
      b.initialize(123);
      assertArrayEquals(a.params(), b.params(), init + ": same seed");
      b.initialize(124);
      assertFalse(java.util.Arrays.equals(a.params(), b.params()), init + ": other seed");
    }
  }

  @Test
  void initialisationHasTheSchemeVariance() {
    int fanIn = 400;
    int units = 500;
    NetworkSpec spec = NetworkSpec.sequential("var", Shape.flat(fanIn),
        List.of(new Dense.Spec(0, units, false, Init.HE_NORMAL)));
    Network net = Network.build(spec);
    net.initialize(9);
    double sumSq = 0;
    for (float p : net.params()) {
      sumSq += p * p;
    }
    double variance = sumSq / net.params().length;
    assertEquals(2.0 / fanIn, variance, 0.05 * 2.0 / fanIn, "He normal variance 2 / fan_in");
  }

  @Test
  void layoutIsFlatAndOrdered() {
    Network net = Network.build(lenet5());
    ParamLayout layout = net.layout();
    // conv1 150+6, conv2 2400+16, fc1 48000+120, fc2 10080+84, fc3 840+10
    assertEquals(61706, layout.paramCount());
    assertEquals(61706, net.params().length);
    assertEquals(61706, net.grads().length);
    assertEquals(0, net.state().length);
    int expectedOffset = 0;
    for (ParamLayout.Entry e : layout.params()) {
      assertEquals(expectedOffset, e.offset(), e.toString());
      expectedOffset += e.length();
    }
    assertEquals(ParamBlock.Kind.BIAS, layout.params().get(1).kind());
    Network bn = Network.build(NetworkSpec.sequential("bn", new Shape(3, 4, 4),
        List.of(BatchNorm.Spec.spatial2d())));
    assertEquals(6, bn.params().length, "gamma and beta are parameters");
    assertEquals(6, bn.state().length, "running mean and variance are state, not parameters");
    assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, bn.state());
  }

  @Test
  void buffersAreReusedAcrossStepsAndSmallerBatches() {
    Network net = Network.build(lenet5());
    net.initialize(1);
    float[] x = uniform(8 * 784, 2);
    Tensor first = net.forward(new Tensor(x, 0, 8, net.inputShape()), true);
    float[] firstOut = first.toArray();
    Tensor again = net.forward(new Tensor(x, 0, 8, net.inputShape()), true);
    assertSame(first.data(), again.data(), "activation buffer reused for the same batch");
    assertArrayEquals(firstOut, again.toArray(), "forward is deterministic");
    Tensor smaller = net.forward(new Tensor(x, 0, 3, net.inputShape()), true);
    assertSame(first.data(), smaller.data(), "a smaller batch reuses the larger buffers");
    // Same examples, so the same outputs up to rounding (BLAS may block a smaller M otherwise).
    assertClose("first 3 of 8 vs a batch of 3", java.util.Arrays.copyOf(firstOut, 30),
        smaller.toArray(), 1e-5, 1e-6);
  }

  @Test
  void inputAtAnOffsetGivesTheSameResult() {
    Network net = Network.build(lenet5());
    net.initialize(3);
    float[] x = uniform(2 * 784, 4);
    float[] shifted = new float[x.length + 100];
    System.arraycopy(x, 0, shifted, 100, x.length);
    float[] direct = net.forward(new Tensor(x, 0, 2, net.inputShape()), false).toArray();
    float[] viaOffset = net.forward(new Tensor(shifted, 100, 2, net.inputShape()), false)
        .toArray();
    assertArrayEquals(direct, viaOffset);
  }

  @Test
  void gradientsAccumulateUntilZeroGrad() {
    Network net = Network.build(lenet5());
    net.initialize(5);
    float[] x = uniform(4 * 784, 6);
    float[] dOut = uniform(40, 7);
    net.forward(new Tensor(x, 0, 4, net.inputShape()), true);
    net.backward(dOut);
    float[] once = net.grads().clone();
    net.forward(new Tensor(x, 0, 4, net.inputShape()), true);
    net.backward(dOut);
    float[] twice = net.grads().clone();
    for (int i = 0; i < once.length; i++) {
      once[i] *= 2;
    }
    assertClose("two backward passes accumulate", once, twice, 1e-5, 1e-7);
    net.zeroGrad();
    for (float g : net.grads()) {
      assertEquals(0f, g);
    }
  }

  @Test
  void wrongInputShapeIsRejectedWithBothShapes() {
    Network net = Network.build(lenet5());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> net.forward(Tensor.zeros(2, new Shape(3, 28, 28)), false));
    assertTrue(e.getMessage().contains("(3, 28, 28)") && e.getMessage().contains("(1, 28, 28)"),
        e.getMessage());
  }

  /**
   * A built network's summary counts its inference buffers as large as a handed-off output's
   * padded layout (here 18x18 pixels of 64 lanes, against the largest plain output's 64x14x14),
   * which the spec alone does not show; the spec's summary counts the plain outputs. Without
   * image lanes, which would run the two convolutions as a chain of their own.
   */
  @Test
  void summaryCountsAHandedOffOutputsPaddedLayout() {
    NetworkSpec spec = NetworkSpec.sequential("handoff", new Shape(32, 14, 14), List.of(
        new Conv2d.Spec(0, 64, 3, 3, 1, 1, Padding.SAME, 1, 1, false, Init.HE_NORMAL),
        BatchNorm.Spec.spatial2d(), new Relu.Spec(),
        new Conv2d.Spec(0, 64, 3, 3, 1, 1, Padding.SAME, 1, 1, false, Init.HE_NORMAL),
        BatchNorm.Spec.spatial2d(), new Relu.Spec(), new Flatten.Spec(), Dense.Spec.of(10)));
    Network net = Network.build(spec, ComputeContext.defaults().withImageLanes(false));
    assertEquals(3, net.inferenceHandedTo(0), "the first convolution hands off");
    long plain = NetworkSummary.of(spec, 8, 1).inferenceActivationBytes();
    assertEquals(plain / (64 * 14 * 14) * (18 * 18 * 64),
        net.summary(8).inferenceActivationBytes());
  }

  @Test
  void summaryReportsShapesParamsReceptiveFieldsAndMemory() {
    Network net = Network.build(lenet5());
    NetworkSummary summary = net.summary(64);
    List<NetworkSummary.Row> rows = summary.rows();
    assertEquals(new Shape(6, 28, 28), rows.get(0).outputShape());
    assertEquals(156, rows.get(0).params());
    assertEquals(5.0, rows.get(0).receptiveField().sizeH());
    assertEquals(6.0, rows.get(2).receptiveField().sizeH(), "5x5 conv then 2x2 pool");
    assertEquals(14.0, rows.get(3).receptiveField().sizeH(), "6 + (5 - 1) * 2 after conv2");
    assertEquals(16.0, rows.get(5).receptiveField().sizeH(), "14 + (2 - 1) * 2 after pool2");
    assertEquals(new Shape(16, 5, 5), rows.get(5).outputShape());
    assertEquals(48120, rows.get(7).params());
    assertEquals(61706, summary.paramCount());
    // conv1 output 6*28*28 floats per example; max pool 1 keeps one switch per output.
    assertEquals(64L * 6 * 28 * 28 * 4, rows.get(0).activationBytes());
    assertEquals(64L * 2 * 6 * 14 * 14 * 4, rows.get(2).activationBytes());
    assertNotEquals(0, summary.workspaceBytes());
    assertTrue(summary.trainingBytes() > summary.activationBytes() + summary.parameterBytes());
    String table = summary.toString();
    assertTrue(table.contains("maxpool2d") && table.contains("(16, 5, 5)")
        && table.contains("61,706"), table);
    // infer runs chunks of 16 images: it holds less than one pass over 64 would
    assertEquals(InferenceFootprint.bytes(lenet5(), 64,
        ComputeContext.defaults().parallel().threads()), summary.inferenceBytes());
    assertTrue(summary.inferenceBytes() < summary.inferenceActivationBytes()
        + summary.parameterBytes(), table);
    assertTrue(table.contains("chunks of 16 images, holds about "
        + NetworkSummary.bytes(summary.inferenceBytes()) + " in all"), table);
    assertEquals(2 * summary.rows().get(0).activationBytes(),
        net.summary(128).rows().get(0).activationBytes(), "activation memory scales with batch");
  }

  /**
   * Batch norm followed by ReLU runs fused; the same network with an identity layer (1x1
   * average pooling) between the two runs them separately. Both must give the same outputs,
   * parameter gradients, input gradients and running statistics, in training and in eval mode.
   */
  @Test
  void fusedBatchNormReluMatchesTheSeparateLayers() {
    Shape input = new Shape(2, 6, 5);
    Conv2d.Spec conv = Conv2d.Spec.of(3, 3, 1);
    Network fused = Network.build(NetworkSpec.sequential("fused", input, List.of(conv,
        BatchNorm.Spec.spatial2d(), new Relu.Spec(), new Flatten.Spec(), Dense.Spec.of(4))));
    Network separate = Network.build(NetworkSpec.sequential("separate", input, List.of(conv,
        BatchNorm.Spec.spatial2d(), new AvgPool2d.Spec(1, 1, 1, 1, 0, 0), new Relu.Spec(),
        new Flatten.Spec(), Dense.Spec.of(4))));
    assertTrue(fused.isFusedIntoPrevious(2), "relu after batch norm is fused");
    assertFalse(separate.isFusedIntoPrevious(3), "relu after pooling is not");
    fused.initialize(3);
    System.arraycopy(fused.params(), 0, separate.params(), 0, fused.params().length);
    int batch = 3;
    float[] x = uniform(batch * input.size(), 8);
    float[] dLogits = uniform(batch * 4, 9);
    for (boolean training : new boolean[] {true, false}) {
      String mode = training ? " (training)" : " (eval)";
      Tensor a = fused.forward(new Tensor(x, 0, batch, input), training);
      Tensor b = separate.forward(new Tensor(x, 0, batch, input), training);
      assertClose("logits" + mode, b.toArray(), a.toArray(), 1e-6, 1e-6);
      fused.zeroGrad();
      separate.zeroGrad();
      float[] dxFused = fused.backward(dLogits, true).clone();
      float[] dxSeparate = separate.backward(dLogits, true);
      assertClose("input gradient" + mode, dxSeparate, dxFused, batch * input.size(), 1e-5,
          1e-6);
      assertClose("parameter gradients" + mode, separate.grads(), fused.grads(), 1e-5, 1e-6);
      assertClose("running statistics" + mode, separate.state(), fused.state(), 0, 0);
    }
  }

  /**
   * A backward after an evaluation-mode forward gives the gradients of the inference function:
   * with nothing mode-dependent but max pooling (LeNet-5), the same as after a training
   * forward of the same images, not gradients routed by the winners of an earlier batch.
   */
  @Test
  void backwardAfterAnEvaluationForwardRoutesThroughItsOwnWinners() {
    Network net = Network.build(lenet5());
    net.initialize(4);
    int batch = 3;
    float[] earlier = uniform(batch * 784, 5);
    float[] x = uniform(batch * 784, 6);
    float[] dOut = uniform(batch * 10, 7);
    net.forward(new Tensor(x, 0, batch, net.inputShape()), true);
    float[] expected = net.backward(dOut, true).clone();
    net.forward(new Tensor(earlier, 0, batch, net.inputShape()), true);
    net.forward(new Tensor(x, 0, batch, net.inputShape()), false);
    float[] actual = net.backward(dOut, true);
    assertArrayEquals(expected, actual, "input gradient after forward(x, false)");
  }
}
