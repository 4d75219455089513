package org.sparkconv.engine.bench;

/**
 * Runs a benchmark's step until the JIT has compiled what it runs: at least {@code minSteps}
 * steps and at least 5 seconds. The Vector API kernels are compiled late and run boxed, many
 * times slower, until they are; a warm-up of a few steps measured a mix (the same model and
 * build gave 383-536 img/s across JVMs).
 */
final class WarmUp {

  private static final long NANOS = 5_000_000_000L;

  private WarmUp() {}

  static void run(Runnable step, int minSteps) {
    long until = System.nanoTime() + NANOS;
    for (int i = 0; i < minSteps || System.nanoTime() < until; i++) {
      step.run();
    }
  }
}
