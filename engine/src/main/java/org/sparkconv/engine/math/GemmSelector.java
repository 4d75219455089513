package org.sparkconv.engine.math;

import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses the GEMM implementation once per JVM and says which on standard error.
 *
 * <p>Setting: system property {@code sparkconv.gemm} or environment variable
 * {@code SPARKCONV_GEMM}: {@code auto} (default), {@code native}, {@code java} or
 * {@code java-plain}. {@code auto} takes native BLAS when an optimised library (OpenBLAS, MKL,
 * BLIS) is what got loaded, except on a CPU with 512-bit vectors (AVX-512) where the JVM has the
 * Vector API: there it takes the Vector API GEMM unless OpenBLAS runs its AVX-512 kernels, which
 * it says by {@code OPENBLAS_CORETYPE} naming one of {@link #WIDE_OPENBLAS_CORES} (the
 * project's scripts set it, {@code scripts/openblas_kernels.py}). Debian's reference
 * {@code libblas3} is ~40x slower than OpenBLAS and is never picked silently ({@code native}
 * forces it, with a warning).
 *
 * <p>Why the core decides on AVX-512 CPUs. Debian's OpenBLAS 0.3.21 runs AVX2 kernels on an
 * AMD EPYC with AVX-512, where the Vector API kernel won (one thread, whole steps, native vs
 * Vector API, img/s: ResNet-20 training 369 vs 409, LeNet-5 training 13,860 vs 15,452), and
 * takes an Intel Sapphire Rapids for a Prescott (SSE3: 14 GMAC/s on a 2048^3 product against
 * 76 with {@code OPENBLAS_CORETYPE=SkylakeX}). Running its SkylakeX kernels on that Sapphire
 * Rapids (2026-12-02, one thread, every product of a step, medians of 15 interleaved timings)
 * OpenBLAS beat the Vector API kernel on all 76 product shapes of the seven model files'
 * training and inference steps, 1.02-5.7x (median 1.9; one shape read 0.86 in an earlier run):
 * per training step LeNet-5 0.97 -> 0.58 ms, VGG-small 5.6 -> 3.9 ms, DenseNet-BC (batch 32,
 * its 1x1 convolutions) 56.5 -> 31.8 ms, VGG16 591 -> 397 ms.
 * The best pure-Java GEMM is {@link VectorGemm} when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, else {@link JavaGemm} ({@code java-plain} forces
 * the latter).
 */
public final class GemmSelector {

  /**
   * OpenBLAS cores, as {@code OPENBLAS_CORETYPE} names them (any case), whose single-precision
   * kernels use 512-bit vectors.
   */
  static final Set<String> WIDE_OPENBLAS_CORES = Set.of("skylakex", "cooperlake",
      "sapphirerapids");

  private static volatile Gemm chosen;

  private GemmSelector() {}

  /** The implementation for this JVM, chosen on first use. */
  public static Gemm get() {
    Gemm g = chosen;
    if (g == null) {
      synchronized (GemmSelector.class) {
        if (chosen == null) {
          chosen = choose(setting());
          System.err.println("sparkconv: GEMM = " + describe(chosen));
        }
        g = chosen;
      }
    }
    return g;
  }

  static String setting() {
    String s = ComputeContext.setting("gemm");
    return s == null ? "auto" : s.trim().toLowerCase(Locale.ROOT);
  }

  static Gemm choose(String setting) {
    return choose(setting, System.getenv("OPENBLAS_CORETYPE"));
  }

  /** {@link #choose(String)} with OpenBLAS's core as {@code OPENBLAS_CORETYPE} names it. */
  static Gemm choose(String setting, String openBlasCore) {
    switch (setting) {
      case "java":
        return bestJava();
      case "java-plain":
        return JavaGemm.INSTANCE;
      case "native": {
        NativeBlasGemm g = loadNative().orElseThrow(() -> new IllegalStateException(
            "sparkconv.gemm=native but no native BLAS could be loaded; install libopenblas0"
                + " (apt-get install -y libopenblas0) or use sparkconv.gemm=java"));
        if (isReferenceBlas(g.library())) {
          System.err.println("sparkconv: WARNING: native BLAS is the slow reference "
              + g.library() + "; install libopenblas0");
        }
        return g;
      }
      case "auto": {
        if (VectorApi.RESOLVED && VectorApi.hasWideVectors()) {
          if (!runsWideKernels(openBlasCore)) {
            return bestJava();
          }
          Optional<NativeBlasGemm> g = loadNative();
          return g.isPresent() && isOpenBlas(g.get().library()) ? g.get() : bestJava();
        }
        Optional<NativeBlasGemm> g = loadNative();
        if (g.isPresent() && !isReferenceBlas(g.get().library())) {
          return g.get();
        }
        if (g.isPresent()) {
          System.err.println("sparkconv: native BLAS is the slow reference " + g.get().library()
              + ": using the pure-Java GEMM instead (install libopenblas0 for speed)");
        }
        return bestJava();
      }
      default:
        throw new IllegalArgumentException("setting 'sparkconv.gemm' must be auto, native, java"
            + " or java-plain, got '" + setting + "'");
    }
  }

  /**
   * The Vector API kernel when the incubator module is resolved in this JVM (checked before the
   * class is touched: its initialiser needs the module), else the plain blocked kernel.
   */
  static Gemm bestJava() {
    return VectorApi.RESOLVED ? VectorGemm.INSTANCE : JavaGemm.INSTANCE;
  }

  /**
   * Native BLAS if it loads, with the library file that is mapped into this process; else empty,
   * after saying why on stderr: silently running the pure-Java kernel would hide a 1.2-2x
   * slowdown. A common cause: netlib unpacks its JNI library into {@code java.io.tmpdir} and
   * fails when that is a relative path or a directory that does not exist.
   */
  static Optional<NativeBlasGemm> loadNative() {
    try {
      var blas = NativeBLAS.getInstance();
      return Optional.of(new NativeBlasGemm(blas, loadedBlasLibrary()));
    } catch (Throwable e) {
      String tmp = System.getProperty("java.io.tmpdir", "");
      boolean usableTmp = Path.of(tmp).isAbsolute() && Files.isDirectory(Path.of(tmp));
      System.err.println("sparkconv: native BLAS did not load (" + e + ")" + (usableTmp ? ""
          : "; java.io.tmpdir is '" + tmp + "', where netlib must unpack its JNI library: give"
              + " it an absolute path to an existing directory"));
      return Optional.empty();
    }
  }

  /** The BLAS shared object named in /proc/self/maps (Linux), resolved through links. */
  static String loadedBlasLibrary() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int slash = line.indexOf('/');
        if (slash < 0) {
          continue;
        }
        String file = line.substring(slash);
        String name = Path.of(file).getFileName().toString().toLowerCase(Locale.ROOT);
        if ((name.contains("blas") || name.contains("mkl")) && !name.contains("netlib")
            && !name.contains("jniloader")) {
          return Path.of(file).toRealPath().toString();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }

  /** Whether OpenBLAS told to run {@code core} ({@code OPENBLAS_CORETYPE}) uses AVX-512. */
  static boolean runsWideKernels(String core) {
    return core != null && WIDE_OPENBLAS_CORES.contains(core.trim().toLowerCase(Locale.ROOT));
  }

  static boolean isOpenBlas(String library) {
    return library.toLowerCase(Locale.ROOT).contains("openblas");
  }

  static boolean isReferenceBlas(String library) {
    String l = library.toLowerCase(Locale.ROOT);
    return !(l.contains("openblas") || l.contains("mkl") || l.contains("blis")
        || l.contains("atlas") || l.contains("unknown"));
  }

  static String describe(Gemm g) {
    if (g instanceof NativeBlasGemm n) {
      String core = System.getenv("OPENBLAS_CORETYPE");
      return "native BLAS " + n.library() + (core == null ? "" : ", OPENBLAS_CORETYPE=" + core);
    }
    return g.name() + " (pure Java)";
  }
}
