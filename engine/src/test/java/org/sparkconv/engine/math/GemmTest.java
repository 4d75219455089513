package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.assertClose;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class GemmTest {

  /** The textbook triple loop, in double: the reference every GEMM is checked against. */
  static void naive(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c,
      int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        for (int p = 0; p < k; p++) {
          double x = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          double y = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          sum += x * y;
        }
        int at = cOff + i * ldc + j;
        c[at] = (float) (alpha * sum + (beta == 0f ? 0 : beta * c[at]));
      }
    }
  }

  @Test
  void javaGemmMatchesNaiveOverOddSizesAllTransposesAndOffsets() {
    assertMatchesNaive(JavaGemm.INSTANCE);
  }

  @Test
  void nativeBlasGemmMatchesNaiveOverOddSizesAllTransposesAndOffsets() {
    var nativeGemm = GemmSelector.loadNative();
    assumeTrue(nativeGemm.isPresent(), "no native BLAS on this machine (libopenblas0)");
    assertMatchesNaive(nativeGemm.get());
  }

  /**
   * The engine's workers call the GEMM at once on disjoint outputs; on AVX-512 CPUs that is now
   * native OpenBLAS where it runs its AVX-512 kernels ({@link GemmSelector}).
   */
  @Test
  void nativeBlasGemmMatchesNaiveWhenCalledFromSeveralThreadsAtOnce() throws Exception {
    var nativeGemm = GemmSelector.loadNative();
    assumeTrue(nativeGemm.isPresent(), "no native BLAS on this machine (libopenblas0)");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        runs.add(pool.submit(() -> assertMatchesNaive(nativeGemm.get())));
      }
      for (Future<?> run : runs) {
        run.get(); // rethrows a thread's assertion failure
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void vectorGemmMatchesNaiveOverOddSizesAllTransposesAndOffsets() {
    assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "JVM started without --add-modules jdk.incubator.vector");
    Gemm best = GemmSelector.bestJava();
    assertSame(VectorGemm.INSTANCE, best, "with the module, java means the Vector API kernel");
    assertMatchesNaive(best);
    assertBetaZeroIgnoresNaN(best);
  }

  @Test
  void selectorHonoursTheSettingAndRejectsUnknownValues() {
    assertSame(JavaGemm.INSTANCE, GemmSelector.choose("java-plain"));
    assertSame(GemmSelector.bestJava(), GemmSelector.choose("java"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GemmSelector.choose("fast"));
    assertTrue(e.getMessage().contains("sparkconv.gemm") && e.getMessage().contains("fast"));
    assertTrue(GemmSelector.isReferenceBlas("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"));
    assertFalse(GemmSelector.isReferenceBlas(
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"));
  }

  @Test
  void autoTakesNativeOpenBlasOnWideVectorCpusOnlyWhenItRunsItsAvx512Kernels() {
    for (String core : new String[] {"SkylakeX", "cooperlake", " SAPPHIRERAPIDS "}) {
      assertTrue(GemmSelector.runsWideKernels(core), core);
    }
    for (String core : new String[] {null, "", "Prescott", "Haswell", "Zen", "skylake"}) {
      assertFalse(GemmSelector.runsWideKernels(core), String.valueOf(core));
    }
    assertTrue(GemmSelector.isOpenBlas(
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so"));
    assertFalse(GemmSelector.isOpenBlas("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"));
    assumeTrue(VectorApi.RESOLVED && VectorApi.hasWideVectors(), "no 512-bit vectors here");
    assertSame(GemmSelector.bestJava(), GemmSelector.choose("auto", null));
    assertSame(GemmSelector.bestJava(), GemmSelector.choose("auto", "Prescott"));
    var nativeGemm = GemmSelector.loadNative();
    assumeTrue(nativeGemm.isPresent() && GemmSelector.isOpenBlas(nativeGemm.get().library()),
        "no OpenBLAS on this machine (libopenblas0)");
    assertTrue(GemmSelector.choose("auto", "SkylakeX") instanceof NativeBlasGemm);
  }

  private static void assertMatchesNaive(Gemm gemm) {
    int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {7, 3, 1}, {17, 33, 9}, {65, 70, 300},
        {130, 5, 513}, {4, 600, 2}, {67, 513, 259}, {9, 1100, 40}, {7, 9, 700}};
    // {9, 1100, 40}: n past a block; {7, 9, 700} and {130, 5, 513} transposed-B: dot products
    float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {0.5f, -2f}, {-1.5f, 0.25f}};
    long seed = 1;
    for (int[] size : sizes) {
      int m = size[0];
      int n = size[1];
      int k = size[2];
      for (int t = 0; t < 4; t++) {
        boolean ta = (t & 1) != 0;
        boolean tb = (t & 2) != 0;
        for (float[] ab : alphaBeta) {
          // Leading dimensions larger than needed, and non-zero offsets, to catch stride bugs.
          int lda = (ta ? m : k) + 3;
          int ldb = (tb ? k : n) + 2;
          int ldc = n + 5;
          int aOff = 7;
          int bOff = 3;
          int cOff = 11;
          float[] a = uniform(aOff + (ta ? k : m) * lda, seed++);
          float[] b = uniform(bOff + (tb ? n : k) * ldb, seed++);
          float[] c = uniform(cOff + m * ldc, seed++);
          float[] expected = c.clone();
          naive(ta, tb, m, n, k, ab[0], a, aOff, lda, b, bOff, ldb, ab[1], expected, cOff, ldc);
          gemm.sgemm(ta, tb, m, n, k, ab[0], a, aOff, lda, b, bOff, ldb, ab[1], c, cOff, ldc);
          assertClose(gemm.name() + ": C for m=" + m + " n=" + n + " k=" + k + " transA=" + ta
              + " transB=" + tb + " alpha=" + ab[0] + " beta=" + ab[1], expected, c, 2e-5,
              1e-4 * Math.sqrt(k));
        }
      }
    }
  }

  @Test
  void betaZeroIgnoresNaNInOutputAndLeavesPaddingAlone() {
    assertBetaZeroIgnoresNaN(JavaGemm.INSTANCE);
    GemmSelector.loadNative().ifPresent(GemmTest::assertBetaZeroIgnoresNaN);
  }

  private static void assertBetaZeroIgnoresNaN(Gemm gemm) {
    float[] a = uniform(6, 1);
    float[] b = uniform(6, 2);
    float[] c = new float[] {Float.NaN, Float.NaN, 42f, Float.NaN, Float.NaN, 42f};
    gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 3);
    for (int i : new int[] {0, 1, 3, 4}) {
      assertFalse(Float.isNaN(c[i]), "C[" + i + "] kept the NaN that beta = 0 must ignore");
    }
    float[] expected = new float[6];
    naive(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, expected, 0, 3);
    expected[2] = 42f;
    expected[5] = 42f;
    assertClose("C", expected, c, 1e-6, 1e-6);
  }
}
