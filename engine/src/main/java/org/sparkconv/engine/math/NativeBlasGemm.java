package org.sparkconv.engine.math;

import dev.ludovic.netlib.blas.BLAS;

/**
 * GEMM on the system's native BLAS through {@code dev.ludovic.netlib:blas}, the BLAS binding
 * Spark MLlib itself uses. BLAS is column-major; a row-major {@code C = op(A) op(B)} is the
 * column-major {@code C^T = op(B)^T op(A)^T}, so the operands are passed swapped with the same
 * buffers and leading dimensions, and nothing is copied.
 */
public final class NativeBlasGemm implements Gemm {

  private final BLAS blas;
  private final String library;

  NativeBlasGemm(BLAS blas, String library) {
    this.blas = blas;
    this.library = library;
  }

  /** The shared library that was loaded, as {@code /proc/self/maps} shows it. */
  public String library() {
    return library;
  }

  @Override
  public String name() {
    return "native-blas";
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda,
        beta, c, cOff, ldc);
  }
}
