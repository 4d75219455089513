package org.sparkconv.engine.math;

import java.util.Locale;

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
 * Vector API ones when the incubator module is resolved (then a JVM without the JIT setting
 * their kernels need gets a warning: {@link JitTrapLimit}). {@code directConvolution} lets
 * convolutions run {@link DirectConv} where it applies instead of im2col + GEMM, and
 * {@code winograd} lets stride-1 3x3 ones among them run {@link WinogradConv} where its work
 * gate allows; {@code imageLanes} lets inference run chains of small stride-1 3x3 ones with a
 * group of images in the vector lanes ({@code ImageLanesRun}: ResNet-20's stem and stages 1
 * and 2). {@code sparkconv.conv} / {@code SPARKCONV_CONV} says which: {@code winograd} (the
 * default: direct, Winograd and image lanes where they apply), {@code direct} (none of the
 * Winograd paths) or {@code im2col} (neither). Whole steps, interleaved in one process on this
 * project's machine (2026-12-01, six rounds each), Winograd / direct: VGG-small training
 * 1.07-1.17 at one thread and 1.02-1.10 at two, inference 1.10-1.22 and 1.10-1.15; ResNet-20,
 * where the gate leaves only stage 2's weight gradient to Winograd, 1.01-1.03 training and
 * 0.98-1.13 inference.
 */
public record ComputeContext(Gemm gemm, Parallel parallel, ElementLoops loops,
    boolean directConvolution, boolean winograd, boolean imageLanes) {

  private static volatile ComputeContext defaults;

  /** The context the system properties and environment describe, chosen on first use. */
  public static ComputeContext defaults() {
    ComputeContext d = defaults;
    if (d == null) {
      synchronized (ComputeContext.class) {
        if (defaults == null) {
          String conv = convolutionSetting();
          defaults = new ComputeContext(GemmSelector.get(), Parallel.of(Parallel.configured()),
              ElementLoops.BEST, !conv.equals("im2col"), conv.equals("winograd"),
              conv.equals("winograd"));
          if (VectorApi.RESOLVED) {
            JitTrapLimit.warning().ifPresent(System.err::println);
          }
        }
        d = defaults;
      }
    }
    return d;
  }

  /**
   * An engine setting: the system property {@code sparkconv.NAME} if set, else the environment
   * variable {@code SPARKCONV_NAME}, else null.
   */
  static String setting(String name) {
    String s = System.getProperty("sparkconv." + name);
    return s != null ? s : System.getenv("SPARKCONV_" + name.toUpperCase(Locale.ROOT));
  }

  /**
   * {@code sparkconv.conv} or {@code SPARKCONV_CONV}: {@code winograd} (default), {@code direct}
   * or {@code im2col}.
   */
  static String convolutionSetting() {
    String s = setting("conv");
    String setting = s == null ? "winograd" : s.trim().toLowerCase(Locale.ROOT);
    if (!setting.equals("direct") && !setting.equals("winograd") && !setting.equals("im2col")) {
      throw new IllegalArgumentException(
          "setting 'sparkconv.conv' must be direct, winograd or im2col, got '" + s + "'");
    }
    return setting;
  }

  /** The same context computing its matrix products with {@code other}. */
  public ComputeContext withGemm(Gemm other) {
    return new ComputeContext(other, parallel, loops, directConvolution, winograd, imageLanes);
  }

  /** The same context splitting batches over {@code threads} threads. */
  public ComputeContext withThreads(int threads) {
    return new ComputeContext(gemm, Parallel.of(threads), loops, directConvolution, winograd,
        imageLanes);
  }

  /** The same context with {@code other} element loops. */
  public ComputeContext withLoops(ElementLoops other) {
    return new ComputeContext(gemm, parallel, other, directConvolution, winograd, imageLanes);
  }

  /** The same context with direct stride-1 convolutions on or off (then im2col + GEMM). */
  public ComputeContext withDirectConvolution(boolean on) {
    return new ComputeContext(gemm, parallel, loops, on, winograd, imageLanes);
  }

  /** The same context with Winograd 3x3 convolutions on or off where direct ones run. */
  public ComputeContext withWinograd(boolean on) {
    return new ComputeContext(gemm, parallel, loops, directConvolution, on, imageLanes);
  }

  /**
   * The same context with inference's runs of small 3x3 convolutions with images in the vector
   * lanes on or off (they also need direct convolutions and Winograd on).
   */
  public ComputeContext withImageLanes(boolean on) {
    return new ComputeContext(gemm, parallel, loops, directConvolution, winograd, on);
  }
}
