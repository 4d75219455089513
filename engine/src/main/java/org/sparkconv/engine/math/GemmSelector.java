package org.sparkconv.engine.math;

import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the GEMM implementation once per JVM and says which on standard error.
 *
 * <p>Setting: system property {@code sparkconv.gemm} or environment variable
 * {@code SPARKCONV_GEMM}: {@code auto} (default), {@code native}, {@code java} or
 * {@code java-plain}. {@code auto} takes the Vector API GEMM on a CPU with 512-bit vectors
 * (AVX-512) where the JVM has the Vector API, else native BLAS when an optimised library
 * (OpenBLAS, MKL, BLIS) is what got loaded, else the best pure-Java GEMM: Debian's reference
 * {@code libblas3} is ~40x slower than OpenBLAS and is never picked silently ({@code native}
 * forces it, with a warning). Why 512-bit vectors first: Debian's OpenBLAS 0.3.21 runs its
 * AVX2 kernels on such CPUs, and with convolutions computed by {@link DirectConv} the GEMMs
 * left are the small, oddly shaped ones where the Vector API kernel wins. Measured on an AMD
 * EPYC with AVX-512, one thread, whole steps (native vs Vector API, img/s): ResNet-20 training
 * 369 vs 409, inference 1,458 vs 1,623; LeNet-5 training 13,860 vs 15,452, inference 46,903 vs
 * 59,904; VGG-small training 672 vs 690, inference 3,074 vs 2,916 (its 3136 x 256 dense layer
 * favours OpenBLAS). The best pure-Java GEMM is {@link VectorGemm} when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, else {@link JavaGemm} ({@code java-plain} forces
 * the latter).
 */
public final class GemmSelector {

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
          return bestJava();
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

  static boolean isReferenceBlas(String library) {
    String l = library.toLowerCase(Locale.ROOT);
    return !(l.contains("openblas") || l.contains("mkl") || l.contains("blis")
        || l.contains("atlas") || l.contains("unknown"));
  }

  static String describe(Gemm g) {
    return g instanceof NativeBlasGemm n ? "native BLAS " + n.library() : g.name()
        + " (pure Java)";
  }
}
