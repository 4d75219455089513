package org.sparkconv.engine.math;

/**
 * What a network computes with, chosen once and handed to {@code Network.build}: the GEMM
 * implementation, the intra-op threads that split a batch, and the element loops (SIMD or
 * scalar). Layers take theirs from here rather than from per-JVM globals, so two networks in
 * one JVM can run with different settings (a benchmark pairing native and pure-Java GEMM, an
 * executor scoring with one thread while another trains with two).
 *
 * <p>{@link #defaults()} reads the settings once per JVM from system properties or the
 * environment: {@code sparkconv.gemm} / {@code SPARKCONV_GEMM} ({@link GemmSelector}) and
 * {@code sparkconv.threads} / {@code SPARKCONV_THREADS} ({@link Parallel}); the loops are the
 * Vector API ones when the incubator module is resolved.
 */
public record ComputeContext(Gemm gemm, Parallel parallel, ElementLoops loops) {

  private static volatile ComputeContext defaults;

  /** The context the system properties and environment describe, chosen on first use. */
  public static ComputeContext defaults() {
    ComputeContext d = defaults;
    if (d == null) {
      synchronized (ComputeContext.class) {
        if (defaults == null) {
          defaults = new ComputeContext(GemmSelector.get(), Parallel.of(Parallel.configured()),
              ElementLoops.BEST);
        }
        d = defaults;
      }
    }
    return d;
  }

  /** The same context computing its matrix products with {@code other}. */
  public ComputeContext withGemm(Gemm other) {
    return new ComputeContext(other, parallel, loops);
  }

  /** The same context splitting batches over {@code threads} threads. */
  public ComputeContext withThreads(int threads) {
    return new ComputeContext(gemm, Parallel.of(threads), loops);
  }

  /** The same context with {@code other} element loops. */
  public ComputeContext withLoops(ElementLoops other) {
    return new ComputeContext(gemm, parallel, other);
  }
}
