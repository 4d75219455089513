package org.sparkconv.bench;

import static org.sparkconv.bench.RoundStats.max;
import static org.sparkconv.bench.RoundStats.median;
import static org.sparkconv.bench.RoundStats.min;

import java.util.Locale;

/**
 * Two sides of a comparison timed in the same rounds, for the benchmark mains that set one
 * kernel against another in one JVM: each round runs A then B, then B then A (this machine's
 * speed drifts by more than most comparisons measure, and the side run second reads a little
 * faster), after ten rounds of warm-up. Keeps each round's times (the mean of its two turns)
 * and ratio A / B.
 */
final class AlternatedRounds {

  private static final int WARM_UP = 10;

  private final double[] aMs;
  private final double[] bMs;
  private final double[] ratios;

  private AlternatedRounds(int rounds) {
    aMs = new double[rounds];
    bMs = new double[rounds];
    ratios = new double[rounds];
  }

  /** {@code rounds} timed rounds of {@code a} against {@code b}. */
  static AlternatedRounds time(int rounds, Runnable a, Runnable b) {
    AlternatedRounds result = new AlternatedRounds(rounds);
    for (int round = -WARM_UP; round < rounds; round++) {
      long aNanos = 0;
      long bNanos = 0;
      for (int turn = 0; turn < 2; turn++) {
        boolean aFirst = (round + turn) % 2 == 0;
        long t0 = System.nanoTime();
        (aFirst ? a : b).run();
        long t1 = System.nanoTime();
        (aFirst ? b : a).run();
        long t2 = System.nanoTime();
        aNanos += aFirst ? t1 - t0 : t2 - t1;
        bNanos += aFirst ? t2 - t1 : t1 - t0;
      }
      if (round >= 0) {
        result.aMs[round] = aNanos / 2e6;
        result.bMs[round] = bNanos / 2e6;
        result.ratios[round] = (double) aNanos / bNanos;
      }
    }
    return result;
  }

  /**
   * "{@code aName} x ms, {@code bName} y ms (medians); {@code ratioName} r (median; lo-hi)",
   * the ratio A's time over B's.
   */
  String describe(String aName, String bName, String ratioName) {
    return String.format(Locale.ROOT, "%s %.2f ms, %s %.2f ms (medians); %s %.3f (median;"
        + " %.3f-%.3f)", aName, median(aMs), bName, median(bMs), ratioName, median(ratios),
        min(ratios), max(ratios));
  }
}
