package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.math.ComputeContext;

/**
 * In a kept (training) forward, a batch norm whose only reader is the two-input sum right
 * after it writes that sum, ReLU included where one follows
 * ({@link org.sparkconv.engine.layer.BatchNorm#forwardAddingTo}), and holds no output of its
 * own. Against the same network with an identity between each such norm and its sum (dropout
 * at rate 0, which stops the folding): outputs, running statistics, input and parameter
 * gradients bit for bit the same over two training steps and an evaluation forward, at one and
 * two threads, on identity and projection shortcuts, with a ReLU after the sum and with a
 * flatten (no ReLU) after it.
 */
class SumInNormTest {

  private static final int BATCH = 5;

  @Test
  void aNormWritingItsSumComputesAsTheTwoLayers() {
    for (int threads : new int[] {1, 2}) {
      Network folded = build(residual(false), threads);
      Network apart = build(residual(true), threads);
      folded.load(apart.params(), apart.state());
      int inSize = folded.inputShape().size();
      int outSize = folded.outputShape().size();
      for (int step = 0; step < 3; step++) {
        boolean training = step < 2;
        float[] x = uniform(BATCH * inSize, 10 + step);
        float[] dOut = uniform(BATCH * outSize, 20 + step);
        String what = threads + " threads, step " + step + ": ";
        float[][] a = NetworkPasses.run(apart, BATCH, x, dOut, training);
        float[][] f = NetworkPasses.run(folded, BATCH, x, dOut, training);
        assertBitsEqual(what + "output", a[0], f[0]);
        assertBitsEqual(what + "input gradient", a[1], f[1]);
        assertBitsEqual(what + "parameter gradients", apart.grads(), folded.grads());
        assertBitsEqual(what + "running statistics", apart.state(), folded.state());
      }
    }
  }

  /** The three sums' norms hold no output for backward; with the identities between, they do. */
  @Test
  void aNormWritingItsSumHoldsNoOutput() {
    assertEquals(List.of(), heldByNormsBeforeSums(residual(false)));
    assertEquals(3, heldByNormsBeforeSums(residual(true)).size());
  }

  private static List<Long> heldByNormsBeforeSums(NetworkSpec spec) {
    NetworkSummary summary = NetworkSummary.of(spec, BATCH, 1);
    List<NetworkSummary.Row> rows = summary.rows();
    return rows.stream()
        .filter(r -> r.type().equals("batchnorm2d") && r.index() + 2 < rows.size()
            && List.of("add", "dropout").contains(rows.get(r.index() + 1).type()))
        .map(NetworkSummary.Row::activationBytes).filter(bytes -> bytes > 0).toList();
  }

  /**
   * A stem, an identity block with its ReLU after the sum, a strided block with a projection
   * shortcut, and a last sum a flatten follows; {@code identities}: dropout at rate 0 after
   * each branch's last norm.
   */
  private static NetworkSpec residual(boolean identities) {
    NetworkBuilder b = NetworkBuilder.input("res", 3, 8, 8)
        .conv2d(4, 3, 1).batchNorm2d().relu().named("stem")
        .conv2d(4, 3, 1).batchNorm2d().relu().conv2d(4, 3, 1).batchNorm2d();
    b = between(b, identities).named("branch1").add("branch1", "stem").relu().named("block1")
        .layer(strided(6, 3, 1)).batchNorm2d().relu().conv2d(6, 3, 1).batchNorm2d()
        .named("branch2")
        .from("block1").layer(strided(6, 1, 0)).batchNorm2d();
    b = between(b, identities).named("shortcut2").add("branch2", "shortcut2").relu()
        .named("block2")
        .conv2d(6, 3, 1).batchNorm2d();
    return between(b, identities).named("branch3").add("block2", "branch3").flatten()
        .dense(4).build();
  }

  private static NetworkBuilder between(NetworkBuilder b, boolean identity) {
    return identity ? b.dropout(0f, 1) : b;
  }

  private static Conv2d.Spec strided(int out, int kernel, int padding) {
    return new Conv2d.Spec(0, out, kernel, kernel, 2, 2, Padding.of(padding), 1, 1, false,
        Init.HE_NORMAL);
  }

  private static Network build(NetworkSpec spec, int threads) {
    Network net = Network.build(spec, ComputeContext.defaults().withThreads(threads));
    net.initialize(9);
    return net;
  }

  private static void assertBitsEqual(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + ": length");
    boolean nonzero = false;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
          what + " [" + i + "]: " + expected[i] + " against " + actual[i]);
      nonzero |= expected[i] != 0;
    }
    assertTrue(nonzero, what + ": not all zero");
  }
}
