package org.sparkconv.engine.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Runs a benchmark's step until the JIT has compiled what it runs: at least {@code minSteps}
 * steps and at least 5 seconds, then on until the JIT is quiet: a second of steps in which it
 * spent at most {@link #QUIET_MILLIS} ms compiling (at most {@link #MAX_NANOS} in all). The
 * Vector API kernels are compiled late and run boxed, many times slower, until they are; a
 * warm-up of a few steps measured a mix (the same model and build gave 383-536 img/s across
 * JVMs). Five seconds were not enough where the step's threads take every core, since the
 * compiler threads then share them: ResNet-20 training on this 2-core machine's two threads
 * compiled for another 0.4 s of CPU after them and ran 729, 1124, then ~1270 img/s in its first
 * three timed rounds; timed turn by turn against PyTorch, its first three pairs rose from 0.82x
 * to 1.04x.
 */
final class WarmUp {

  private static final long NANOS = 5_000_000_000L;
  private static final long WINDOW_NANOS = 1_000_000_000L;
  private static final long MAX_NANOS = 60_000_000_000L;
  private static final long QUIET_MILLIS = 20;

  private WarmUp() {}

  static void run(Runnable step, int minSteps) {
    long start = System.nanoTime();
    for (int i = 0; i < minSteps || System.nanoTime() - start < NANOS; i++) {
      step.run();
    }
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
      return;
    }
    long compiled = jit.getTotalCompilationTime();
    while (System.nanoTime() - start < MAX_NANOS) {
      long window = System.nanoTime();
      while (System.nanoTime() - window < WINDOW_NANOS) {
        step.run();
      }
      long now = jit.getTotalCompilationTime();
      if (now - compiled <= QUIET_MILLIS) {
        return;
      }
      compiled = now;
    }
  }
}
