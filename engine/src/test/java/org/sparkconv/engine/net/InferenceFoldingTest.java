package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.Add;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.VectorGemm;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * {@link Network#infer} applies a batch norm that follows a convolution inside the
 * convolution's pass: its outputs equal the layer-by-layer evaluation forward's (within float
 * rounding of {@code x * scale + shift} against {@code (x - mean) * scale + beta}) on ResNet-20
 * (direct and strided convolutions, the branch norm and the residual sum after it folded into
 * the convolution, ReLU included), VGG-small (norms with their ReLU, applied by Winograd's
 * output transform where Winograd is on, and then the max pools after them, taken from that
 * transform's tiles) and a network whose convolution has a bias and lowers
 * to im2col, at one and two threads, with Winograd on and off, with running statistics and
 * affine parameters far from their initial values.
 */
class InferenceFoldingTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void resnet20InfersAsItEvaluates() {
    // the runs in image lanes (ImageLanesRun: stage 1, stages 2 and 3 after their first
    // blocks) take no hand-offs; with lanes off, each non-strided block's first conv in stages
    // 2 and 3 hands its output to its second (by channels there)
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    assertFoldedInferenceMatches(spec, 21, 9, 0, 0, 0, true);
    assertFoldedInferenceMatches(spec, 21, 9, 0, 0, 4, false);
  }

  /**
   * Both pools fold into the convolutions before them too: Winograd's output transform writes
   * them, or the direct kernel's copy-out with Winograd off.
   */
  @Test
  void vggSmallInfersAsItEvaluates() {
    assertFoldedInferenceMatches(SpecJson.read(MODELS.resolve("vgg-small.json")), 4, 0, 2, 2,
        1, true);
  }

  /** And each pool after those ReLUs, written by the direct kernel's copy-out. */
  @Test
  void lenet5FoldsTheReluAfterEachConvolution() {
    assertFoldedInferenceMatches(SpecJson.read(MODELS.resolve("lenet5.json")), 2, 0, 2, 2, 0,
        true);
  }

  @Test
  void aBiasedLoweredConvolutionFoldsItsNormToo() {
    NetworkSpec spec = NetworkSpec.sequential("folds", new Shape(3, 9, 7), List.of(
        new Conv2d.Spec(0, 5, 2, 3, 2, 1, Padding.of(1), 1, 1, true, Init.HE_NORMAL),
        BatchNorm.Spec.spatial2d(),
        new Conv2d.Spec(0, 4, 3, 3, 1, 1, Padding.SAME, 1, 1, true, Init.HE_NORMAL),
        BatchNorm.Spec.spatial2d(), new Relu.Spec(), new Flatten.Spec(), Dense.Spec.of(10),
        BatchNorm.Spec.flat1d()));
    assertFoldedInferenceMatches(spec, 2, 0);
  }

  /**
   * A residual sum a flatten follows, with no ReLU between: the flatten is fused into the sum
   * as a ReLU would be, but the convolution the sum folds into applies none (it did, until
   * 2026-12-04: every negative output came out zero).
   */
  @Test
  void aResidualSumBeforeAFlattenAppliesNoRelu() {
    Conv2d.Spec conv = new Conv2d.Spec(0, 4, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    NetworkSpec spec = NetworkBuilder.input("sum-flatten", 4, 6, 6)
        .layer(conv).batchNorm2d().layer(new Relu.Spec()).named("stem")
        .layer(conv).batchNorm2d().named("branch")
        .add("branch", "stem").flatten().dense(3).build();
    assertFoldedInferenceMatches(spec, 2, 1);
  }

  /**
   * A batch larger than a chunk (at an offset) runs in chunks (two whole ones and a part): every
   * image's outputs equal the evaluation forward's within rounding, at one and two threads, and
   * at one thread those of the same image inferred in a batch of its own chunk's size and
   * position: bit for bit with the engine's own GEMM, within rounding with the default one. The
   * flat tail's dense product runs over the whole batch, and a native BLAS need not round a row
   * the same whatever the row count: OpenBLAS 0.3.21 on its Haswell kernels (the AVX2 test run,
   * where the engine takes it, on a shell with OPENBLAS_CORETYPE=Haswell) gave image 12's
   * output of a 150-row product one bit apart from the same row of a 64-row one. On several
   * threads chunks are the threads' shares ({@link InferenceOnThreadsTest}).
   */
  @Test
  void aLargeBatchInfersInChunksAsItWouldWhole() {
    inferInChunksAsWhole(ComputeContext.defaults(), false);
    inferInChunksAsWhole(ComputeContext.defaults().withGemm(VectorGemm.INSTANCE), true);
  }

  private static void inferInChunksAsWhole(ComputeContext context, boolean bitForBit) {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    int chunk = Network.INFERENCE_CHUNK;
    int batch = 2 * chunk + 22;
    for (int threads = 1; threads <= 2; threads++) {
      Network net = Network.build(spec, context.withThreads(threads));
      net.initialize(9);
      int inSize = net.inputShape().size();
      int outSize = net.outputShape().size();
      float[] x = uniform((batch + 1) * inSize, 31 + threads); // the batch from image 1
      float[] chunked = net.infer(new Tensor(x, inSize, batch, net.inputShape())).toArray();
      assertEquals(batch * outSize, chunked.length, "one output per image");
      float[] expected = net.forward(new Tensor(x, inSize, batch, net.inputShape()), false)
          .toArray();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], chunked[i], 1e-4 * (1 + Math.abs(expected[i])),
            "against the evaluation forward at " + i + ", " + threads + " threads");
      }
      for (int first = 0; threads == 1 && first < batch; first += chunk) {
        int count = Math.min(chunk, batch - first);
        float[] alone = net.infer(new Tensor(x, (1 + first) * inSize, count,
            net.inputShape())).toArray();
        for (int i = 0; i < count * outSize; i++) {
          String what = "image " + (first + i / outSize) + " alone against in the batch, "
              + context.gemm().name();
          float inBatch = chunked[first * outSize + i];
          if (bitForBit) {
            assertEquals(Float.floatToRawIntBits(alone[i]), Float.floatToRawIntBits(inBatch),
                what);
          } else {
            assertEquals(alone[i], inBatch, 1e-5 * (1 + Math.abs(alone[i])), what);
          }
        }
      }
    }
  }

  /**
   * A network's flat tail (its nodes from the first whose output, and every later one's, is one
   * value a channel) runs once over the whole batch after the chunks: VGG-small's from its first
   * dense layer, LeNet-5's too, ResNet-20's from its global pool. Every image's outputs equal,
   * bit for bit, those of its part of the batch inferred alone (parts of a replica's 64
   * images, each several of infer's chunks, and more than 16 images, where each dense product
   * takes one path whatever the batch), and the evaluation forward's within rounding. On the
   * pure-Java GEMM, whose paths this test knows: OpenBLAS, which the engine picks on machines
   * without 512-bit vectors, chooses its kernels by shape, and an image's outputs then differ
   * in the last bit with the batch it was scored in.
   */
  @Test
  void theFlatTailRunsOnceOverTheWholeBatch() {
    String[] models = {"vgg-small.json", "lenet5.json", "resnet20.json"};
    int[] tails = {15, 7, 70};
    for (int m = 0; m < models.length; m++) {
      Network net = Network.build(SpecJson.read(MODELS.resolve(models[m])),
          ComputeContext.defaults().withThreads(1).withGemm(VectorGemm.INSTANCE));
      assertEquals(tails[m], net.flatTail(), models[m]);
      net.initialize(4);
      int chunk = Network.REPLICA_CHUNK; // several of infer's chunks, one run of the tail
      int batch = 2 * chunk + 40;
      int inSize = net.inputShape().size();
      int outSize = net.outputShape().size();
      float[] x = uniform(batch * inSize, 8);
      float[] whole = net.infer(new Tensor(x, 0, batch, net.inputShape())).toArray();
      float[] expected = net.forward(new Tensor(x, 0, batch, net.inputShape()), false)
          .toArray();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], whole[i], 1e-4 * (1 + Math.abs(expected[i])),
            models[m] + ": against the evaluation forward at " + i);
      }
      for (int first = 0; first < batch; first += chunk) {
        int count = Math.min(chunk, batch - first);
        float[] alone = net.infer(new Tensor(x, first * inSize, count, net.inputShape()))
            .toArray();
        for (int i = 0; i < count * outSize; i++) {
          assertEquals(Float.floatToRawIntBits(alone[i]),
              Float.floatToRawIntBits(whole[first * outSize + i]),
              models[m] + ": image " + (first + i / outSize) + " alone against in the batch");
        }
      }
    }
  }

  private static void assertFoldedInferenceMatches(NetworkSpec spec, int expectedFolds,
      int expectedSums) {
    assertFoldedInferenceMatches(spec, expectedFolds, expectedSums, 0, 0, 0, true);
  }

  /**
   * As above, with so many max pools folded with Winograd on and off, and so many convolutions
   * handing their output to the next in its padded input layout with Winograd on (none off),
   * image lanes as {@code lanes}.
   */
  private static void assertFoldedInferenceMatches(NetworkSpec spec, int expectedFolds,
      int expectedSums, int poolsWithWinograd, int poolsWithout, int handoffsWithWinograd,
      boolean lanes) {
    for (int run = 0; run < 4; run++) {
      int threads = 1 + run % 2;
      boolean winograd = run >= 2;
      Network net = Network.build(spec, ComputeContext.defaults().withThreads(threads)
          .withWinograd(winograd).withImageLanes(lanes));
      net.initialize(5);
      int folds = 0;
      int sums = 0;
      int pools = 0;
      for (int i = 0; i < net.layerCount(); i++) {
        if (net.isFoldedInInference(i)) {
          if (net.layer(i) instanceof Add) {
            sums++;
            assertTrue(net.isFoldedInInference(i - 1), "a sum folds after a folded norm: " + i);
          } else if (net.layer(i) instanceof MaxPool2d) {
            pools++;
            int norm = net.isFusedIntoPrevious(i - 1) ? i - 2 : i - 1;
            assertTrue(net.isFoldedInInference(norm),
                "a pool folds after a folded norm or ReLU: " + i);
          } else {
            folds++;
            assertTrue(net.layer(i) instanceof BatchNorm || net.layer(i) instanceof Relu,
                "only norms, ReLUs and sums fold: " + i);
          }
          assertFalse(net.isFusedIntoPrevious(i));
        }
      }
      assertEquals(expectedFolds, folds, spec.name() + ": batch norms and ReLUs folded");
      assertEquals(expectedSums, sums, spec.name() + ": residual sums folded");
      assertEquals(winograd ? poolsWithWinograd : poolsWithout, pools,
          spec.name() + ": max pools folded");
      int handoffs = 0;
      for (int i = 0; i < net.layerCount(); i++) {
        int next = net.inferenceHandedTo(i);
        if (next >= 0) {
          handoffs++;
          assertTrue(net.layer(i) instanceof Conv2d && net.layer(next) instanceof Conv2d,
              "a convolution hands off to a convolution: " + i + " -> " + next);
        }
      }
      assertEquals(winograd ? handoffsWithWinograd : 0, handoffs,
          spec.name() + ": outputs handed to the next convolution's padded layout");
      int batch = 5;
      int inSize = net.inputShape().size();
      // running statistics away from (0, 1): a few training forwards on shifted, scaled data
      float[] x = uniform(batch * inSize, 21);
      for (int i = 0; i < x.length; i++) {
        x[i] = 3 * x[i] + 0.5f;
      }
      for (int step = 0; step < 3; step++) {
        net.forward(new Tensor(x, 0, batch, net.inputShape()), true);
      }
      perturbAffineParameters(net.params(), 3);
      float[] expected = net.forward(new Tensor(x, 0, batch, net.inputShape()), false)
          .toArray();
      float[] folded = net.infer(new Tensor(x, 0, batch, net.inputShape())).toArray();
      double scale = 0;
      for (float e : expected) {
        scale = Math.max(scale, Math.abs(e));
      }
      assertTrue(scale > 0, "a nontrivial output");
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], folded[i], 1e-4 * scale,
            spec.name() + " at " + threads + " threads, Winograd " + winograd + ", output " + i);
      }
    }
  }

  /**
   * Every parameter scaled by a random factor in [0.5, 1.5) and shifted a little, drawn from
   * {@code seed}.
   */
  static void perturbAffineParameters(float[] params, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < params.length; i++) {
      params[i] = params[i] * (float) (0.5 + rng.nextDouble()) + 0.1f * (float) rng.nextGaussian();
    }
  }
}
