package org.sparkconv.engine.math;

import java.util.Arrays;

/**
 * A cache-blocked pure-Java GEMM. Operands are packed into contiguous row-major panels (which
 * also removes the transposes), then an i-k-j loop over the panels runs on unit-stride rows that
 * the JIT vectorises. Correct for every size and transpose; speed work lives in its own issue.
 */
public final class JavaGemm implements Gemm {

  public static final JavaGemm INSTANCE = new JavaGemm();

  /** Rows of A per block. */
  private static final int BLOCK_M = 64;
  /** Depth per block: a BLOCK_K x BLOCK_N panel of B stays in L2. */
  private static final int BLOCK_K = 256;
  /** Columns of B per block. */
  private static final int BLOCK_N = 512;

  private static final ThreadLocal<float[][]> PANELS =
      ThreadLocal.withInitial(() -> new float[][] {
          new float[BLOCK_M * BLOCK_K], new float[BLOCK_K * BLOCK_N]});

  private JavaGemm() {}

  @Override
  public String name() {
    return "java-blocked";
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    scaleC(m, n, beta, c, cOff, ldc);
    if (k == 0 || alpha == 0f) {
      return;
    }
    float[][] panels = PANELS.get();
    float[] packedA = panels[0];
    float[] packedB = panels[1];
    for (int j0 = 0; j0 < n; j0 += BLOCK_N) {
      int nb = Math.min(BLOCK_N, n - j0);
      for (int p0 = 0; p0 < k; p0 += BLOCK_K) {
        int kb = Math.min(BLOCK_K, k - p0);
        packB(transB, b, bOff, ldb, p0, kb, j0, nb, packedB);
        for (int i0 = 0; i0 < m; i0 += BLOCK_M) {
          int mb = Math.min(BLOCK_M, m - i0);
          packA(transA, a, aOff, lda, i0, mb, p0, kb, alpha, packedA);
          multiplyPanels(mb, nb, kb, packedA, packedB, c, cOff + i0 * ldc + j0, ldc);
        }
      }
    }
  }

  static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        Arrays.fill(c, row, row + n, 0f);
      } else {
        for (int j = row; j < row + n; j++) {
          c[j] *= beta;
        }
      }
    }
  }

  /** Packs alpha * op(A)[i0:i0+mb, p0:p0+kb] row-major into {@code dst} (mb x kb). */
  private static void packA(boolean transA, float[] a, int aOff, int lda,
      int i0, int mb, int p0, int kb, float alpha, float[] dst) {
    for (int i = 0; i < mb; i++) {
      int d = i * kb;
      if (!transA) {
        int s = aOff + (i0 + i) * lda + p0;
        for (int p = 0; p < kb; p++) {
          dst[d + p] = alpha * a[s + p];
        }
      } else {
        int s = aOff + p0 * lda + i0 + i;
        for (int p = 0; p < kb; p++) {
          dst[d + p] = alpha * a[s + p * lda];
        }
      }
    }
  }

  /** Packs op(B)[p0:p0+kb, j0:j0+nb] row-major into {@code dst} (kb x nb). */
  private static void packB(boolean transB, float[] b, int bOff, int ldb,
      int p0, int kb, int j0, int nb, float[] dst) {
    if (!transB) {
      for (int p = 0; p < kb; p++) {
        System.arraycopy(b, bOff + (p0 + p) * ldb + j0, dst, p * nb, nb);
      }
    } else {
      for (int j = 0; j < nb; j++) {
        int s = bOff + (j0 + j) * ldb + p0;
        for (int p = 0; p < kb; p++) {
          dst[p * nb + j] = b[s + p];
        }
      }
    }
  }

  /**
   * C[mb x nb] += A[mb x kb] * B[kb x nb], four rows of C and four steps of k at a time: each
   * element of C is loaded and stored once per four k instead of once per k, which is what
   * bounded the simple loop (it moved a float of C per two flops). The j loops vectorise.
   */
  private static void multiplyPanels(int mb, int nb, int kb, float[] pa, float[] pb,
      float[] c, int cOff, int ldc) {
    int i = 0;
    for (; i + 4 <= mb; i += 4) {
      int c0 = cOff + i * ldc;
      int c1 = c0 + ldc;
      int c2 = c1 + ldc;
      int c3 = c2 + ldc;
      int a0 = i * kb;
      int a1 = a0 + kb;
      int a2 = a1 + kb;
      int a3 = a2 + kb;
      int p = 0;
      for (; p + 4 <= kb; p += 4) {
        float x00 = pa[a0 + p];
        float x01 = pa[a0 + p + 1];
        float x02 = pa[a0 + p + 2];
        float x03 = pa[a0 + p + 3];
        float x10 = pa[a1 + p];
        float x11 = pa[a1 + p + 1];
        float x12 = pa[a1 + p + 2];
        float x13 = pa[a1 + p + 3];
        float x20 = pa[a2 + p];
        float x21 = pa[a2 + p + 1];
        float x22 = pa[a2 + p + 2];
        float x23 = pa[a2 + p + 3];
        float x30 = pa[a3 + p];
        float x31 = pa[a3 + p + 1];
        float x32 = pa[a3 + p + 2];
        float x33 = pa[a3 + p + 3];
        int b0 = p * nb;
        int b1 = b0 + nb;
        int b2 = b1 + nb;
        int b3 = b2 + nb;
        for (int j = 0; j < nb; j++) {
          float y0 = pb[b0 + j];
          float y1 = pb[b1 + j];
          float y2 = pb[b2 + j];
          float y3 = pb[b3 + j];
          c[c0 + j] += x00 * y0 + x01 * y1 + x02 * y2 + x03 * y3;
          c[c1 + j] += x10 * y0 + x11 * y1 + x12 * y2 + x13 * y3;
          c[c2 + j] += x20 * y0 + x21 * y1 + x22 * y2 + x23 * y3;
          c[c3 + j] += x30 * y0 + x31 * y1 + x32 * y2 + x33 * y3;
        }
      }
      for (; p < kb; p++) {
        float x0 = pa[a0 + p];
        float x1 = pa[a0 + kb + p];
        float x2 = pa[a0 + 2 * kb + p];
        float x3 = pa[a0 + 3 * kb + p];
        int bRow = p * nb;
        for (int j = 0; j < nb; j++) {
          float y = pb[bRow + j];
          c[c0 + j] += x0 * y;
          c[c1 + j] += x1 * y;
          c[c2 + j] += x2 * y;
          c[c3 + j] += x3 * y;
        }
      }
    }
    for (; i < mb; i++) {
      int ci = cOff + i * ldc;
      int ai = i * kb;
      for (int p = 0; p < kb; p++) {
        float x = pa[ai + p];
        int bRow = p * nb;
        for (int j = 0; j < nb; j++) {
          c[ci + j] += x * pb[bRow + j];
        }
      }
    }
  }
}
