package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * Convolutions that share one forward packing, as a network's single-thread replicas do
 * ({@link Layer#shareInferenceWeightsOf}): two twins inferring side by side on two threads
 * each give, bit for bit, what a layer built for the same weights gives, on the first batch
 * (both may find the weights unpacked) and after the weights change (one packs them again, the
 * other must read what it packed); a layer of another plan cannot share.
 */
class ForwardPackingTest {

  private static final ComputeContext ONE_THREAD = ComputeContext.defaults().withThreads(1);

  @Test
  void winogradByTilesTwinsInferAsALayerAlone() throws Exception {
    assertTwinsInferAsAlone(new Shape(32, 28, 28), Conv2d.Spec.of(32, 3, 1), 3);
  }

  @Test
  void winogradByChannelsTwinsInferAsALayerAlone() throws Exception {
    assertTwinsInferAsAlone(new Shape(64, 7, 7), Conv2d.Spec.of(64, 3, 1), 5);
  }

  /** The direct kernel on wrapped rows: packed weights and the wrapped taps' list weights. */
  @Test
  void wrappedRowsTwinsInferAsALayerAlone() throws Exception {
    assertTwinsInferAsAlone(new Shape(16, 28, 28), Conv2d.Spec.of(16, 3, 1), 4);
  }

  @Test
  void aLayerOfAnotherPlanCannotShare() {
    Shape input = new Shape(32, 28, 28);
    Conv2d.Spec spec = Conv2d.Spec.of(32, 3, 1);
    Conv2d winograd = (Conv2d) spec.build(input, 0, ONE_THREAD);
    Conv2d direct = (Conv2d) spec.build(input, 0, ONE_THREAD.withWinograd(false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> direct.shareInferenceWeightsOf(winograd));
    assertTrue(e.getMessage().contains("same sizes"), e.getMessage());
    assertFalse(direct.sharesInferenceWeightsOf(winograd));
  }

  private static void assertTwinsInferAsAlone(Shape input, Conv2d.Spec spec, int batch)
      throws Exception {
    Conv2d first = (Conv2d) spec.build(input, 0, ONE_THREAD);
    Conv2d twin = (Conv2d) spec.build(input, 0, ONE_THREAD);
    twin.shareInferenceWeightsOf(first);
    assertTrue(twin.sharesInferenceWeightsOf(first), spec + ": the twin shares");
    int paramCount = spec.paramBlocks(input).stream().mapToInt(ParamBlock::length).sum();
    float[] params = new float[paramCount];
    for (Conv2d layer : new Conv2d[] {first, twin}) {
      layer.bind(params, new float[paramCount], 0, new float[0], 0);
      layer.reserve(batch);
    }
    int outSize = first.outputShape().size();
    float[] x = uniform(batch * input.size(), 7);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      float[] previous = null;
      for (int round = 0; round < 3; round++) {
        System.arraycopy(uniform(paramCount, 11 + round), 0, params, 0, paramCount);
        // a layer built for these weights, which packs them for the first time
        Conv2d alone = (Conv2d) spec.build(input, 0, ONE_THREAD);
        assertFalse(alone.sharesInferenceWeightsOf(first), spec + ": a layer alone shares not");
        alone.bind(params, new float[paramCount], 0, new float[0], 0);
        alone.reserve(batch);
        float[] expected = new float[batch * outSize];
        alone.infer(x, expected, batch);
        CyclicBarrier start = new CyclicBarrier(2);
        Future<float[]> a = pool.submit(() -> inferAfter(start, first, x, batch, outSize));
        Future<float[]> b = pool.submit(() -> inferAfter(start, twin, x, batch, outSize));
        String what = spec + " on " + input + ", weights " + round;
        assertArrayBits(expected, a.get(), what + ", the first");
        assertArrayBits(expected, b.get(), what + ", its twin");
        assertNotEquals(Arrays.toString(previous), Arrays.toString(expected),
            what + ": new weights count");
        previous = expected;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static float[] inferAfter(CyclicBarrier start, Conv2d layer, float[] x, int batch,
      int outSize) throws Exception {
    float[] out = new float[batch * outSize];
    start.await();
    layer.infer(x, out, batch);
    return out;
  }

  private static void assertArrayBits(float[] expected, float[] got, String what) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]),
          what + ": output " + i);
    }
  }
}
