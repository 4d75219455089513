package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.sparkconv.engine.TestArrays.uniform;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Twins ({@link Network#twin}) read their network's parameters and state and share its packed
 * weights: two inferring side by side on two threads each give, bit for bit, what a network
 * built apart with the same parameters and state gives, and after a load into the first
 * network, both give what one built apart with the new ones gives.
 */
class NetworkTwinTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void vggSmallTwinsInferAsANetworkBuiltApart() throws Exception {
    assertTwinsInferAsApart("vgg-small.json", 5);
  }

  @Test
  void resnet20TwinsInferAsANetworkBuiltApart() throws Exception {
    assertTwinsInferAsApart("resnet20.json", 4);
  }

  private static void assertTwinsInferAsApart(String model, int batch) throws Exception {
    NetworkSpec spec = SpecJson.read(MODELS.resolve(model));
    ComputeContext one = ComputeContext.defaults().withThreads(1);
    Network lead = Network.build(spec, one);
    Network a = lead.twin();
    Network b = lead.twin();
    assertSame(lead.params(), b.params(), "a twin reads its network's parameters");
    assertSame(lead.state(), b.state(), "and its state");
    Shape shape = lead.inputShape();
    Tensor x = new Tensor(uniform(batch * shape.size(), 3), 0, batch, shape);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      String previous = null;
      for (int seed = 1; seed <= 2; seed++) {
        Network source = Network.build(spec, one);
        source.initialize(seed);
        source.forward(x, true); // running statistics away from their initial values
        lead.load(source.params(), source.state());
        Network apart = Network.build(spec, one);
        apart.load(source.params(), source.state());
        float[] expected = apart.infer(x).toArray();
        CyclicBarrier start = new CyclicBarrier(2);
        Future<float[]> fromA = pool.submit(() -> inferAfter(start, a, x));
        Future<float[]> fromB = pool.submit(() -> inferAfter(start, b, x));
        String what = model + ", parameters of seed " + seed;
        assertBits(expected, fromA.get(), what + ", the first twin");
        assertBits(expected, fromB.get(), what + ", the second twin");
        assertNotEquals(previous, Arrays.toString(expected), what + ": new parameters count");
        previous = Arrays.toString(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static float[] inferAfter(CyclicBarrier start, Network net, Tensor x)
      throws Exception {
    start.await();
    return net.infer(x).toArray();
  }

  private static void assertBits(float[] expected, float[] got, String what) {
    assertEquals(expected.length, got.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]),
          what + ": output " + i);
    }
  }
}
