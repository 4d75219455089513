package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ImageLanesWinograd;
import org.sparkconv.engine.math.VectorGemm;
import org.sparkconv.engine.tensor.Tensor;

/**
 * {@link Network#infer} runs chains of small 3x3 convolutions with images in the vector lanes
 * ({@link ImageLanesRun}): which chains it finds, and that their outputs are the engine's own
 * path's within Winograd F(4x4)'s rounding (3e-4 of 1 + |y|, as {@code WinogradConvTest} and
 * {@code ImageLanesWinogradTest} state it; worst seen 2.7e-6 on the first chain below, 7.7e-6
 * on the second), with the batch norms, residual sum, ReLUs and biases folded in, far from
 * their initial values; after the weights change; and, bit for bit, whatever images share an
 * image's group. Each of these mutations fails a test: the residual, the ReLUs, the norm or
 * the convolution's bias left out, the weights packed only once, the weights not packed again
 * when only the norm's statistics change.
 */
class ImageLanesRunTest {

  private static final Path MODELS = Path.of("..", "conf", "models");
  private static final double TOLERANCE = 3e-4;

  @BeforeEach
  void lanesApplyOnThisMachine() {
    assumeTrue(ImageLanesWinograd.applies(8, 16), "no image lanes on these vectors");
  }

  /** Every kind of unit a run takes, the network's output the last one's. */
  private static NetworkSpec chain() {
    return NetworkBuilder.input("lanes-chain", 3, 8, 16)
        .layer(conv(8, false)).batchNorm2d().relu().named("stem")
        .layer(conv(8, true)).batchNorm2d().relu()
        .layer(conv(8, false)).batchNorm2d().named("branch")
        .add("branch", "stem").relu()
        .layer(conv(12, true)).relu() // a ReLU folded straight into the convolution
        .layer(conv(12, false)) // nothing folded
        .build();
  }

  /**
   * A downsampling block inside a run (a strided convolution with its norm and ReLU, the
   * branch's second convolution, a 1x1 projection of the block's input whose norm and sum with
   * the branch fold into it, then a ReLU), on planes that end in part tiles after it: as the
   * engine's own path infers it, after the weights change too.
   */
  @Test
  void aRunGoesOnThroughAStridedBlock() {
    NetworkSpec spec = downBlock(1, true);
    Network lanes = Network.build(spec, ComputeContext.defaults().withThreads(1));
    assertEquals(1, lanes.imageLanesRuns().size());
    assertEquals(5, lanes.imageLanesRuns().get(0).size(), "every convolution");
    assertInfersAsTheEnginesPath(spec);
  }

  /**
   * A run cannot end in a strided convolution (its output converts from a Winograd layout): a
   * block at the network's end cuts the run before its projection, and then before its first
   * convolution too, since the projection outside reads the stem. ResNet-like nets of
   * ONNX's reference cases end so.
   */
  @Test
  void aRunEndsBeforeABlockItCannotFinish() {
    NetworkSpec spec = downBlock(1, false);
    Network lanes = Network.build(spec, ComputeContext.defaults().withThreads(1));
    assertEquals(0, lanes.imageLanesRuns().size(), "a stem alone is no run");
    NetworkSpec longer = downBlock(2, false);
    List<ImageLanesRun> runs = Network.build(longer, ComputeContext.defaults().withThreads(1))
        .imageLanesRuns();
    assertEquals(1, runs.size());
    assertEquals(2, runs.get(0).size(), "the two convolutions before the block");
    assertInfersAsTheEnginesPath(spec);
    assertInfersAsTheEnginesPath(longer);
  }

  /**
   * {@code convs} convolutions (the last named "stem"), a downsampling block with a
   * projection, then a convolution if {@code tail}.
   */
  private static NetworkSpec downBlock(int convs, boolean tail) {
    NetworkBuilder b = NetworkBuilder.input("down-chain", 3, 28, 28);
    for (int k = 0; k < convs; k++) {
      b = b.layer(conv(8, false)).batchNorm2d().relu();
    }
    b = b.named("stem")
        .layer(new Conv2d.Spec(0, 16, 3, 3, 2, 2, Padding.of(1), 1, 1, false, Init.HE_NORMAL))
        .batchNorm2d().relu()
        .layer(conv(16, false)).batchNorm2d().named("branch")
        .from("stem")
        .layer(new Conv2d.Spec(0, 16, 1, 1, 2, 2, Padding.of(0), 1, 1, true, Init.HE_NORMAL))
        .batchNorm2d().named("shortcut")
        .add("branch", "shortcut").relu();
    return (tail ? b.layer(conv(16, true)).relu() : b).build();
  }

  /** Lanes against the engine's own path, on weights far from their initial values, twice. */
  private static void assertInfersAsTheEnginesPath(NetworkSpec spec) {
    ComputeContext context = ComputeContext.defaults().withThreads(1);
    Network lanes = Network.build(spec, context);
    Network engine = Network.build(spec, context.withImageLanes(false));
    int batch = ImageLanesWinograd.LANES + 3;
    float[] x = uniform(batch * spec.input().size(), 4);
    for (int version = 0; version < 2; version++) {
      float[] params = uniform(lanes.params().length, 40 + version);
      for (int i = 0; i < params.length; i++) {
        params[i] *= 0.4f;
      }
      float[] state = uniform(lanes.state().length, 50 + version);
      for (int i = 0; i < state.length; i++) {
        state[i] = 0.6f + 0.5f * state[i];
      }
      lanes.load(params, state);
      engine.load(params, state);
      Tensor input = new Tensor(x, 0, batch, spec.input());
      float[] expected = engine.infer(input).toArray();
      float[] actual = lanes.infer(input).toArray();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], TOLERANCE * (1 + Math.abs(expected[i])),
            "weights " + version + ", output " + i);
      }
    }
  }

  private static Conv2d.Spec conv(int out, boolean bias) {
    return new Conv2d.Spec(0, out, 3, 3, 1, 1, Padding.of(1), 1, 1, bias, Init.HE_NORMAL);
  }

  /**
   * Its whole trunk, one run: the stem, stage 1, and stages 2 and 3 in part tiles with their
   * downsampling blocks (the strided convolution and the 1x1 projection, whose sum adds the
   * branch, from their definition), up to the global pool.
   */
  @Test
  void resnet20InfersItsWholeTrunkInLanes() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    Network net = Network.build(spec, ComputeContext.defaults().withThreads(1));
    List<ImageLanesRun> runs = net.imageLanesRuns();
    assertEquals(1, runs.size(), "one run");
    ImageLanesRun run = runs.get(0);
    assertEquals(0, run.first, "from the stem");
    assertEquals(Node.INPUT, run.input, "reading the network's input");
    assertEquals(21, run.size(), "every convolution: 19 3x3, 2 projections");
    assertTrue(spec.nodes().get(run.end).name().startsWith("global_avgpool"),
        "up to the pool: " + spec.nodes().get(run.end).name());
    assertTrue(Network.build(spec, ComputeContext.defaults().withImageLanes(false))
        .imageLanesRuns().isEmpty(), "none with lanes off");
    assertTrue(Network.build(spec, ComputeContext.defaults().withWinograd(false))
        .imageLanesRuns().isEmpty(), "none with Winograd off");
  }

  @Test
  void aChainInfersAsTheEnginesOwnPath() {
    NetworkSpec spec = chain();
    ComputeContext context = ComputeContext.defaults().withThreads(1);
    Network lanes = Network.build(spec, context);
    Network engine = Network.build(spec, context.withImageLanes(false));
    assertEquals(1, lanes.imageLanesRuns().size());
    assertEquals(5, lanes.imageLanesRuns().get(0).size(), "every convolution");
    assertEquals(spec.nodes().size(), lanes.imageLanesRuns().get(0).end);
    int batch = 2 * ImageLanesWinograd.LANES + 5; // a group the batch does not fill
    float[] x = uniform((batch + 1) * spec.input().size(), 3);
    // new weights and norms, then new running statistics alone (what the packing reads besides
    // the weights)
    for (int version = 0; version < 3; version++) {
      float[] params = uniform(lanes.params().length, 10 + Math.min(version, 1));
      for (int i = 0; i < params.length; i++) {
        params[i] *= 0.4f; // weights of the order of He's for 72 inputs; gammas, betas, biases
      }
      float[] state = uniform(lanes.state().length, 20 + version); // running means, variances
      for (int i = 0; i < state.length; i++) {
        state[i] = 0.6f + 0.5f * state[i];
      }
      lanes.load(params, state);
      engine.load(params, state);
      Tensor input = new Tensor(x, spec.input().size(), batch, spec.input());
      float[] expected = engine.infer(input).toArray();
      float[] actual = lanes.infer(input).toArray();
      int clipped = 0;
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], TOLERANCE * (1 + Math.abs(expected[i])),
            "weights " + version + ", output " + i);
        clipped += expected[i] == 0f ? 1 : 0;
      }
      assertEquals(0, clipped, "the last convolution applies no ReLU");
    }
  }

  /**
   * Each image's outputs, bit for bit, inferred alone (its group padded with zero images) and
   * in a batch that fills groups: with the engine's own GEMM, whose path through the rest of a
   * network does not change with the batch either.
   */
  @Test
  void anImagesOutputsDoNotDependOnItsGroup() {
    NetworkSpec spec = chain();
    Network net = Network.build(spec,
        ComputeContext.defaults().withThreads(1).withGemm(VectorGemm.INSTANCE));
    net.initialize(5);
    int batch = Network.INFERENCE_CHUNK;
    int size = spec.input().size();
    int outSize = net.outputShape().size();
    float[] x = uniform(batch * size, 6);
    float[] whole = net.infer(new Tensor(x, 0, batch, spec.input())).toArray();
    for (int n : new int[] {0, 3, batch - 1}) {
      float[] alone = net.infer(new Tensor(x, n * size, 1, spec.input())).toArray();
      for (int i = 0; i < outSize; i++) {
        assertEquals(Float.floatToRawIntBits(whole[n * outSize + i]),
            Float.floatToRawIntBits(alone[i]), "image " + n + ", output " + i);
      }
    }
  }

  /**
   * The activations start at their arrays' cache lines; a collection that moves an array moves
   * its line, and the next pass starts the activation there, its borders cleared: the outputs
   * are, bit for bit, the same as before. If no slot moved this says nothing: a fresh network
   * is tried again (up to five; with G1 or Parallel, {@code System.gc()} usually moves what was
   * allocated since), and the test is skipped only if none moved.
   */
  @Test
  void outputsAreTheSameAfterTheCollectorMovesTheActivations() {
    NetworkSpec spec = chain();
    int batch = 2 * ImageLanesWinograd.LANES;
    Tensor input = new Tensor(uniform(batch * spec.input().size(), 8), 0, batch, spec.input());
    boolean moved = false;
    for (int attempt = 0; attempt < 5 && !moved; attempt++) {
      Network net = Network.build(spec, ComputeContext.defaults().withThreads(1));
      net.initialize(7);
      float[] before = net.infer(input).toArray();
      ImageLanesRun run = net.imageLanesRuns().get(0);
      String startsBefore = run.slotStarts();
      System.gc();
      System.gc();
      moved = !run.slotStarts().equals(startsBefore);
      float[] after = net.infer(input).toArray();
      for (int i = 0; i < before.length; i++) {
        assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(after[i]),
            "output " + i + " (slots' lines " + startsBefore + " -> " + run.slotStarts() + ")");
      }
    }
    assumeTrue(moved, "the collector moved no slot's line in five networks");
  }

  /**
   * A convolution another node outside the chain reads ends its run (its output is needed in
   * NCHW); the convolution after it, alone before a 1x1, runs on the engine's path. The
   * network still infers as the engine's path does.
   */
  @Test
  void aConvolutionReadOutsideEndsItsRun() {
    NetworkSpec spec = NetworkBuilder.input("read-outside", 4, 8, 16)
        .layer(conv(8, true)).relu()
        .layer(conv(8, true)).named("middle")
        .layer(conv(8, true)).named("last")
        .from("middle").layer(new Conv2d.Spec(0, 8, 1, 1, 1, 1, Padding.of(0), 1, 1, true,
            Init.HE_NORMAL)).named("projection")
        .add("last", "projection").layer(new Relu.Spec())
        .build();
    ComputeContext context = ComputeContext.defaults().withThreads(1);
    Network lanes = Network.build(spec, context);
    List<ImageLanesRun> runs = lanes.imageLanesRuns();
    assertEquals(1, runs.size());
    assertEquals(2, runs.get(0).size(), "the first two convolutions");
    assertEquals(2, runs.get(0).output, "written out where the 1x1 and the third read it");
    Network engine = Network.build(spec, context.withImageLanes(false));
    lanes.initialize(8);
    engine.load(lanes.params(), lanes.state());
    int batch = 7;
    float[] x = uniform(batch * spec.input().size(), 9);
    float[] expected = engine.infer(new Tensor(x, 0, batch, spec.input())).toArray();
    float[] actual = lanes.infer(new Tensor(x, 0, batch, spec.input())).toArray();
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], TOLERANCE * (1 + Math.abs(expected[i])),
          "output " + i);
    }
  }
}
