package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.TestArrays;
import org.sparkconv.engine.tensor.Tensor;

/** The buffers a graph network plans for backward and for inference, and what they give. */
class GraphPlanTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void aChainPingPongsTwoBuffersEachWay() {
    GraphPlan plan = new GraphPlan(SpecJson.read(MODELS.resolve("vgg-small.json")));
    assertEquals(2, plan.bufferCount, "backward");
    assertEquals(0, plan.scratchCount);
    assertEquals(2, plan.forwardBufferCount, "inference");
  }

  /**
   * A batch norm writes its input gradient over its output gradient (the buffer the layer after
   * it wrote), in VGG-small's four; the convolutions before them read it there.
   */
  @Test
  void aBatchNormsGradientStaysInItsBuffer() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("vgg-small.json"));
    GraphPlan plan = new GraphPlan(spec);
    for (int norm : new int[] {1, 4, 8, 11}) {
      assertEquals("batchnorm2d", spec.nodes().get(norm).layer().type());
      int own = plan.gradientBuffer[plan.tail(norm)];
      assertEquals(own, plan.inputGradientTarget[norm][0], "norm " + norm + " in place");
      assertEquals(own, plan.gradientBuffer[norm - 1], "conv " + (norm - 1) + " reads it there");
      assertEquals(-1, plan.inputGradientScratch[norm][0]);
    }
    int conv = 3;
    assertTrue(plan.inputGradientTarget[conv][0] != plan.gradientBuffer[conv],
        "a convolution writes its input gradient to another buffer");
  }

  /**
   * Where the convolutions can write pooled planes, VGG-small's two pools fold into the
   * convolution two nodes before them (through the norm and its fused ReLU); the first
   * convolution, followed by another, pools nothing.
   */
  @Test
  void aPoolAfterAFoldedNormFoldsIntoTheConvolution() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("vgg-small.json"));
    GraphPlan plan = new GraphPlan(spec, conv -> true);
    int[] pools = {6, 13}; // conv, norm, ReLU, conv, norm, ReLU, pool, ...
    for (int pool : pools) {
      assertEquals("maxpool2d", spec.nodes().get(pool).layer().type());
      assertTrue(plan.foldedInInference[pool], "pool " + pool + " folded");
      assertTrue(plan.foldedPool[pool - 3], "conv " + (pool - 3) + " writes the pool");
    }
    assertFalse(plan.foldedPool[0], "the first conv feeds a conv");
    assertEquals("flatten", spec.nodes().get(14).layer().type());
    assertTrue(plan.fusedIntoPrevious[14], "the flatten names the pool's buffer");
    assertEquals(2, plan.forwardBufferCount, "still two maps");
    GraphPlan none = new GraphPlan(spec, conv -> false);
    assertFalse(none.foldedInInference[6] || none.foldedInInference[13]);
  }

  /**
   * Where the convolutions can, a convolution whose norm and ReLU (folded in) feed only the
   * convolution right after hands its inference output to that one's input layout: VGG-small's
   * first and third; not the two that write a pool, nor where the predicate says no. In
   * ResNet-20 each block's first convolution hands off to its second, never the second (its
   * output goes to a residual sum), nor a shortcut's, nor the stem (its output feeds a block
   * and a sum). The inference buffers stay two in VGG-small.
   */
  @Test
  void aConvolutionHandsItsOutputToTheConvolutionAfterIt() {
    NetworkSpec vgg = SpecJson.read(MODELS.resolve("vgg-small.json"));
    GraphPlan plan = new GraphPlan(vgg, conv -> true, (conv, next) -> true);
    int[] expected = new int[vgg.nodes().size()];
    Arrays.fill(expected, -1);
    expected[0] = 3;
    expected[7] = 10;
    assertArrayEquals(expected, plan.handedTo);
    assertEquals(2, plan.forwardBufferCount);
    GraphPlan onlyThird = new GraphPlan(vgg, conv -> true, (conv, next) -> conv == 7);
    expected[0] = -1;
    assertArrayEquals(expected, onlyThird.handedTo);
    assertTrue(Arrays.stream(new GraphPlan(vgg, conv -> true).handedTo).allMatch(t -> t < 0),
        "no handoff unless asked");

    NetworkSpec resnet = SpecJson.read(MODELS.resolve("resnet20.json"));
    GraphPlan res = new GraphPlan(resnet, conv -> false, (conv, next) -> true);
    int handoffs = 0;
    for (int i = 0; i < res.handedTo.length; i++) {
      int next = res.handedTo[i];
      if (next < 0) {
        continue;
      }
      handoffs++;
      assertEquals("conv2d", resnet.nodes().get(i).layer().type());
      assertEquals("conv2d", resnet.nodes().get(next).layer().type());
      assertEquals(i + 3, next, "conv, norm, ReLU, conv: " + i);
      assertEquals(GraphPlan.NO_RESIDUAL, res.foldedSumResidual[i + 2], "no sum: " + i);
      assertEquals(-1, res.handedTo[next], "the second's output goes to a sum: " + next);
    }
    assertEquals(9, handoffs, "one per residual block");
  }

  /**
   * Each residual sum's two input gradients are one array, written once: the branch's norm only
   * reads it, and the block input keeps it as its own gradient, to which the branch's first
   * convolution then adds (ReferenceVectorTest checks the gradients that come out).
   */
  @Test
  void resnet20NeedsThreeBuffersAndOneScratch() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    GraphPlan plan = new GraphPlan(spec);
    assertEquals(3, plan.bufferCount, "the shortcut's gradient waits while the branch runs");
    assertEquals(1, plan.scratchCount, "a second consumer's gradient is added in");
    assertEquals(3, plan.forwardBufferCount, "the block input stays until the add");
    int sums = 0;
    for (int j = 0; j < spec.nodes().size(); j++) {
      if (!spec.nodes().get(j).layer().type().equals("add")) {
        continue;
      }
      sums++;
      assertEquals(plan.inputGradientTarget[j][0], plan.inputGradientTarget[j][1],
          "sum " + j + ": one array for both input gradients");
      assertArrayEquals(new int[] {-1, -1}, plan.inputGradientScratch[j], "sum " + j);
    }
    assertEquals(9, sums);
  }

  @Test
  void vgg16InferenceHoldsTwoMapsNotSixteen() {
    NetworkSummary summary = NetworkSummary.of(SpecJson.read(MODELS.resolve("vgg16.json")), 32,
        1);
    assertEquals(2L * 32 * 3_211_264 * 4, summary.inferenceActivationBytes());
  }

  /**
   * Without batch norm or dropout, training and inference compute the same thing: the pooled
   * inference buffers must give the training forward's output bit for bit, batch after batch.
   */
  @Test
  void inferenceThroughPooledBuffersEqualsTheTrainingForward() {
    NetworkSpec spec = NetworkBuilder.input("g", 2, 6, 6).conv2d(3, 3, 1).relu().named("a")
        .conv2d(3, 3, 1).named("b").add("b", "a").named("sum").from("a").conv2d(2, 1, 0)
        .named("side").concat("sum", "side", "a").relu().conv2d(4, 3, 1).flatten().dense(5)
        .build();
    Network net = Network.build(spec);
    net.initialize(9);
    for (int batch : new int[] {3, 7, 2}) {
      Tensor x = new Tensor(TestArrays.uniform(batch * 72, batch), 0, batch, spec.input());
      float[] training = Arrays.copyOf(net.forward(x, true).data(), batch * 5);
      float[] inference = Arrays.copyOf(net.infer(x).data(), batch * 5);
      assertArrayEquals(training, inference, "batch " + batch);
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> net.backward(new float[2 * 5]));
    assertEquals("backward needs a forward first (infer keeps nothing for backward)",
        e.getMessage());
  }
}
