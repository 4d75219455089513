package org.sparkconv.engine.math;

/**
 * The one matrix-multiply seam of the engine. Row-major single-precision GEMM:
 *
 * <pre>C(m x n) = alpha * op(A)(m x k) * op(B)(k x n) + beta * C</pre>
 *
 * where {@code op(X)} is X or its transpose. {@code lda}, {@code ldb}, {@code ldc} are the row
 * strides of the matrices as stored (so for a transposed A stored k x m, {@code lda >= m}). With
 * {@code beta == 0} the prior contents of C are ignored (NaNs there do not propagate), as in BLAS.
 *
 * <p>Implementations must be safe to call from several threads at once on disjoint outputs.
 */
public interface Gemm {

  void sgemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc);

  /** A short name for logs and benchmark tables. */
  String name();

  /**
   * The implementation the engine uses unless told otherwise: chosen once per JVM by
   * {@link GemmSelector} (native OpenBLAS when present, else pure Java) and logged.
   */
  static Gemm defaultGemm() {
    return GemmSelector.get();
  }
}
