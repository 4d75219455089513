package org.sparkconv.engine.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What one thread of this machine can multiply-add at best: a loop of fused multiply-adds on
 * the widest vectors, 24 independent accumulators held in registers (no memory traffic, no
 * dependency stalls), timed on {@code threads} threads at once, the best of several rounds
 * per thread in GMAC/s (the slowest thread's). Each accumulator is the addend, as in a GEMM
 * kernel: chained through the multiplicand instead ({@code c = c * b + a}), the same loop ran
 * at 65 against 110 GMAC/s on this project's AMD Zen 5. A convolution's rate as a share of it
 * says how much faster kernels of the same arithmetic could go: the ceiling {@link Roofline}
 * prints. Needs the Vector API module.
 */
final class FmaPeak {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int ACCUMULATORS = 24;
  private static final long ITERATIONS = 20_000_000L;
  private static final int ROUNDS = 8;

  private FmaPeak() {}

  /** Multiply-adds per second of one of {@code threads} threads running together, in G. */
  static double perThread(int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Double>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        runs.add(pool.submit(FmaPeak::bestRound));
      }
      double least = Double.MAX_VALUE;
      for (Future<Double> run : runs) {
        least = Math.min(least, run.get());
      }
      return least;
    } finally {
      pool.shutdown();
    }
  }

  /** This thread's best round, in GMAC/s. */
  private static double bestRound() {
    double best = 0;
    for (int round = 0; round < ROUNDS; round++) {
      best = Math.max(best, round(ITERATIONS));
    }
    return best;
  }

  /** Multiply-adds per second of one round of {@code iterations} on this thread, in G. */
  static double round(long iterations) {
    long start = System.nanoTime();
    float sink = multiplyAdds(1e-9f, iterations);
    double seconds = (System.nanoTime() - start) * 1e-9;
    if (Float.isNaN(sink)) {
      throw new AssertionError("unreachable: keeps the loop's result live");
    }
    return iterations * ACCUMULATORS * SPECIES.length() / seconds * 1e-9;
  }

  /** {@code iterations} rounds of 24 independent vector multiply-adds, {@code c += a * b}. */
  private static float multiplyAdds(float seed, long iterations) {
    FloatVector a = FloatVector.broadcast(SPECIES, seed);
    FloatVector b = FloatVector.broadcast(SPECIES, 0.999f);
    FloatVector c0 = a;
    FloatVector c1 = a;
    FloatVector c2 = a;
    FloatVector c3 = a;
    FloatVector c4 = a;
    FloatVector c5 = a;
    FloatVector c6 = a;
    FloatVector c7 = a;
    FloatVector c8 = a;
    FloatVector c9 = a;
    FloatVector c10 = a;
    FloatVector c11 = a;
    FloatVector c12 = a;
    FloatVector c13 = a;
    FloatVector c14 = a;
    FloatVector c15 = a;
    FloatVector c16 = a;
    FloatVector c17 = a;
    FloatVector c18 = a;
    FloatVector c19 = a;
    FloatVector c20 = a;
    FloatVector c21 = a;
    FloatVector c22 = a;
    FloatVector c23 = a;
    for (long i = 0; i < iterations; i++) {
      c0 = a.fma(b, c0);
      c1 = a.fma(b, c1);
      c2 = a.fma(b, c2);
      c3 = a.fma(b, c3);
      c4 = a.fma(b, c4);
      c5 = a.fma(b, c5);
      c6 = a.fma(b, c6);
      c7 = a.fma(b, c7);
      c8 = a.fma(b, c8);
      c9 = a.fma(b, c9);
      c10 = a.fma(b, c10);
      c11 = a.fma(b, c11);
      c12 = a.fma(b, c12);
      c13 = a.fma(b, c13);
      c14 = a.fma(b, c14);
      c15 = a.fma(b, c15);
      c16 = a.fma(b, c16);
      c17 = a.fma(b, c17);
      c18 = a.fma(b, c18);
      c19 = a.fma(b, c19);
      c20 = a.fma(b, c20);
      c21 = a.fma(b, c21);
      c22 = a.fma(b, c22);
      c23 = a.fma(b, c23);
    }
    FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8)
        .add(c9).add(c10).add(c11).add(c12).add(c13).add(c14).add(c15).add(c16).add(c17)
        .add(c18).add(c19).add(c20).add(c21).add(c22).add(c23);
    return sum.reduceLanes(VectorOperators.ADD);
  }
}
