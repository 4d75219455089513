package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.TestArrays;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.JavaGemm;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Compute settings belong to the network, not the JVM: networks built in one JVM with different
 * GEMMs, thread counts and loops compute the same function.
 */
class ComputeContextTest {

  static final NetworkSpec SPEC = NetworkBuilder.input("ctx", 2, 10, 10).conv2d(6, 3, 1)
      .batchNorm2d().relu().maxPool(2).conv2d(4, 3, 1).flatten().dense(5).build();

  static float[][] forwardAndGradients(ComputeContext context) {
    Network net = Network.build(SPEC, context);
    net.initialize(5);
    float[] x = TestArrays.uniform(8 * 200, 6);
    float[] out = net.forward(new Tensor(x, 0, 8, net.inputShape()), true).toArray();
    net.zeroGrad();
    net.backward(TestArrays.uniform(8 * 5, 7));
    return new float[][] {out, net.grads().clone()};
  }

  @Test
  void defaultsAreChosenOnceAndVariantsChangeOnePart() {
    ComputeContext d = ComputeContext.defaults();
    assertSame(d, ComputeContext.defaults());
    ComputeContext three = d.withThreads(3);
    assertEquals(3, three.parallel().threads());
    assertSame(d.gemm(), three.gemm());
    assertSame(three.parallel(), d.withThreads(3).parallel(), "one pool per thread count");
  }

  @Test
  void networksWithDifferentContextsInOneJvmAgree() {
    ComputeContext base = ComputeContext.defaults().withThreads(1);
    float[][] reference = forwardAndGradients(base);
    float[][] twoThreads = forwardAndGradients(base.withThreads(2));
    assertArrayEquals(reference[0], twoThreads[0], "forward splits images: bit-identical");
    assertArrayEquals(reference[1], twoThreads[1], 1e-4f, "gradients summed per piece");
    float[][] plain = forwardAndGradients(base.withGemm(JavaGemm.INSTANCE)
        .withLoops(ElementLoops.scalar()));
    assertArrayEquals(reference[0], plain[0], 1e-4f, "blocked pure-Java GEMM, scalar loops");
    assertArrayEquals(reference[1], plain[1], 1e-3f);
  }

  /**
   * At two threads a piece runs on whichever worker gets to it first; a busy third thread makes
   * one of them slower at times, so pieces change hands from run to run. The gradients are
   * summed per piece in piece order, so they come out bit for bit the same every time.
   */
  @Test
  void gradientsAtTwoThreadsAreTheSameWhicheverWorkerRunsAPiece() throws InterruptedException {
    ComputeContext two = ComputeContext.defaults().withThreads(2);
    float[][] first = forwardAndGradients(two);
    AtomicBoolean stop = new AtomicBoolean();
    Thread busy = new Thread(() -> {
      double x = 1;
      while (!stop.get()) {
        x = Math.sqrt(x + 1);
      }
    });
    busy.setDaemon(true);
    busy.start();
    try {
      for (int run = 0; run < 40; run++) {
        float[][] again = forwardAndGradients(two);
        assertArrayEquals(first[0], again[0], "forward, run " + run);
        assertArrayEquals(first[1], again[1], "gradients, run " + run);
      }
    } finally {
      stop.set(true);
      busy.join();
    }
  }
}
