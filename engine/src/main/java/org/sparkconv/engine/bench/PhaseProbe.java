package org.sparkconv.engine.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.sparkconv.engine.math.CacheLines;
import org.sparkconv.engine.math.Parallel;

/**
 * What a slow phase of the machine slows: round after round in one JVM, training steps of a
 * model for a while, then two probes of a fraction of a second each, a loop of vector loads and
 * stores on three arrays that stay in L1 (on cache lines, {@link CacheLines}) and
 * {@link FmaPeak}'s register-only multiply-adds. Prints every round, then the slower half of
 * the rounds (by step rate) against the faster half, each measure's median as a ratio: on a
 * host whose phases slow memory access, the steps and the L1 loop slow together while the
 * multiply-adds keep their speed. Not a test; a JVM timed alone (StepBenchmark) cannot tell a
 * slow phase from a slow build. The steps run on {@link Parallel#configured()} threads
 * ({@code SPARKCONV_THREADS}), the probes on the calling thread.
 *
 * <pre>PhaseProbe MODEL.json [batch 64] [rounds 40] [seconds of steps a round 1.5]</pre>
 */
public final class PhaseProbe {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int PROBE_FLOATS = 4096; // 16 KB an array: three stay in L1
  private static final long PROBE_NANOS = 200_000_000L;
  private static final long FMA_ITERATIONS = 2_000_000L;

  private PhaseProbe() {}

  /** One round's measures: step rate in images a second, the L1 loop and multiply-adds. */
  private record Round(LocalTime at, double imagesPerSecond, double loopNanos, double gmacs) {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: PhaseProbe MODEL.json [batch] [rounds] [seconds]");
      System.exit(2);
    }
    int batch = args.length > 1 ? positive(args[1], "batch") : 64;
    int rounds = args.length > 2 ? positive(args[2], "rounds") : 40;
    double seconds = args.length > 3 ? positiveNumber(args[3], "seconds") : 1.5;
    if (rounds < 2) {
      throw new IllegalArgumentException("rounds must be at least 2 (a slower and a faster"
          + " half), got " + rounds);
    }
    Runnable step = StepBenchmark.newStep(Path.of(args[0]), "train", batch,
        Parallel.configured());
    WarmUp.run(step, 20);
    float[][] arrays = new float[3][PROBE_FLOATS + CacheLines.FLOATS];
    for (int i = 0; i < 5; i++) {
      loadStoreLoop(arrays, PROBE_NANOS / 4);
      FmaPeak.round(FMA_ITERATIONS);
    }
    Round[] measured = new Round[rounds];
    for (int r = 0; r < rounds; r++) {
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      int steps = 0;
      do {
        step.run();
        steps++;
      } while (System.nanoTime() < end);
      double rate = (double) steps * batch / ((System.nanoTime() - start) * 1e-9);
      measured[r] = new Round(LocalTime.now().withNano(0), rate,
          loadStoreLoop(arrays, PROBE_NANOS), FmaPeak.round(FMA_ITERATIONS));
      System.out.printf(Locale.ROOT, "%s  steps %.0f img/s  L1 loads and stores %.0f ns a pass"
          + "  multiply-adds %.1f GMAC/s%n", measured[r].at(), rate, measured[r].loopNanos(),
          measured[r].gmacs());
    }
    Round[] byRate = measured.clone();
    Arrays.sort(byRate, Comparator.comparingDouble(Round::imagesPerSecond));
    Round[] slower = Arrays.copyOfRange(byRate, 0, rounds / 2);
    Round[] faster = Arrays.copyOfRange(byRate, rounds - rounds / 2, rounds);
    System.out.printf(Locale.ROOT, "slower half of the rounds against the faster, medians: steps"
        + " %.2fx as slow (%.0f against %.0f img/s), L1 loop %.2fx (%.0f against %.0f ns),"
        + " multiply-adds %.2fx (%.1f against %.1f GMAC/s)%n",
        median(faster, Round::imagesPerSecond) / median(slower, Round::imagesPerSecond),
        median(slower, Round::imagesPerSecond), median(faster, Round::imagesPerSecond),
        median(slower, Round::loopNanos) / median(faster, Round::loopNanos),
        median(slower, Round::loopNanos), median(faster, Round::loopNanos),
        median(faster, Round::gmacs) / median(slower, Round::gmacs),
        median(slower, Round::gmacs), median(faster, Round::gmacs));
  }

  private static double median(Round[] rounds, ToDoubleFunction<Round> of) {
    double[] values = Arrays.stream(rounds).mapToDouble(of).sorted().toArray();
    return values[values.length / 2];
  }

  /** {@code text} as a positive whole number, else an error naming {@code what}. */
  private static int positive(String text, String what) {
    int value;
    try {
      value = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a positive whole number, got '" + text
          + "'", e);
    }
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be a positive whole number, got '" + text
          + "'");
    }
    return value;
  }

  /** {@code text} as a positive finite number, else an error naming {@code what}. */
  private static double positiveNumber(String text, String what) {
    double value;
    try {
      value = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a positive number, got '" + text
          + "'", e);
    }
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(what + " must be a positive number, got '" + text + "'");
    }
    return value;
  }

  /**
   * Passes of {@code c[i] = a[i] * b[i] + c[i]} by vectors over the three arrays, each from
   * its first cache line, for at least {@code nanos}: nanoseconds a pass.
   */
  private static double loadStoreLoop(float[][] arrays, long nanos) {
    float[] a = arrays[0];
    float[] b = arrays[1];
    float[] c = arrays[2];
    int aAt = CacheLines.firstLine(a);
    int bAt = CacheLines.firstLine(b);
    int cAt = CacheLines.firstLine(c);
    long passes = 0;
    long start = System.nanoTime();
    long end = start + nanos;
    do {
      for (int pass = 0; pass < 100; pass++) {
        for (int i = 0; i < PROBE_FLOATS; i += SPECIES.length()) {
          FloatVector x = FloatVector.fromArray(SPECIES, a, aAt + i);
          FloatVector y = FloatVector.fromArray(SPECIES, b, bAt + i);
          x.fma(y, FloatVector.fromArray(SPECIES, c, cAt + i)).intoArray(c, cAt + i);
        }
      }
      passes += 100;
    } while (System.nanoTime() < end);
    return (double) (System.nanoTime() - start) / passes;
  }
}
