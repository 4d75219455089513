package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The pure-Java GEMM on the Vector API ({@code jdk.incubator.vector}): the same cache blocking
 * and packed panels as {@link JavaGemm}, with a register-blocked micro-kernel that keeps a tile
 * of C of 4 rows by 2 vectors in registers for the whole depth of a panel and updates it with
 * fused multiply-adds (8 accumulators, 2 loads of B and 4 broadcasts of A per step of k). Edges
 * that do not fill a tile fall back to scalar loops. Only loadable when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; {@link GemmSelector} checks before using it.
 */
public final class VectorGemm implements Gemm {

  public static final VectorGemm INSTANCE = new VectorGemm();

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int BLOCK_M = 64;
  private static final int BLOCK_K = 256;
  private static final int BLOCK_N = 512;

  private static final ThreadLocal<float[][]> PANELS =
      ThreadLocal.withInitial(() -> new float[][] {
          new float[BLOCK_M * BLOCK_K], new float[BLOCK_K * BLOCK_N]});

  private VectorGemm() {}

  @Override
  public String name() {
    return "java-vector(" + LANES * 32 + "-bit)";
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    JavaGemm.scaleC(m, n, beta, c, cOff, ldc);
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
        JavaGemm.packB(transB, b, bOff, ldb, p0, kb, j0, nb, packedB);
        for (int i0 = 0; i0 < m; i0 += BLOCK_M) {
          int mb = Math.min(BLOCK_M, m - i0);
          JavaGemm.packA(transA, a, aOff, lda, i0, mb, p0, kb, alpha, packedA);
          multiplyPanels(mb, nb, kb, packedA, packedB, c, cOff + i0 * ldc + j0, ldc);
        }
      }
    }
  }

  /** C[mb x nb] += A[mb x kb] * B[kb x nb] with 4 x (2 * LANES) register tiles. */
  private static void multiplyPanels(int mb, int nb, int kb, float[] pa, float[] pb,
      float[] c, int cOff, int ldc) {
    int tileN = 2 * LANES;
    int fullN = nb - nb % tileN;
    int i = 0;
    for (; i + 4 <= mb; i += 4) {
      int a0 = i * kb;
      int a1 = a0 + kb;
      int a2 = a1 + kb;
      int a3 = a2 + kb;
      int c0 = cOff + i * ldc;
      for (int j = 0; j < fullN; j += tileN) {
        FloatVector s00 = FloatVector.zero(SPECIES);
        FloatVector s01 = FloatVector.zero(SPECIES);
        FloatVector s10 = FloatVector.zero(SPECIES);
        FloatVector s11 = FloatVector.zero(SPECIES);
        FloatVector s20 = FloatVector.zero(SPECIES);
        FloatVector s21 = FloatVector.zero(SPECIES);
        FloatVector s30 = FloatVector.zero(SPECIES);
        FloatVector s31 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kb; p++) {
          int row = p * nb + j;
          FloatVector b0 = FloatVector.fromArray(SPECIES, pb, row);
          FloatVector b1 = FloatVector.fromArray(SPECIES, pb, row + LANES);
          FloatVector x = FloatVector.broadcast(SPECIES, pa[a0 + p]);
          s00 = x.fma(b0, s00);
          s01 = x.fma(b1, s01);
          x = FloatVector.broadcast(SPECIES, pa[a1 + p]);
          s10 = x.fma(b0, s10);
          s11 = x.fma(b1, s11);
          x = FloatVector.broadcast(SPECIES, pa[a2 + p]);
          s20 = x.fma(b0, s20);
          s21 = x.fma(b1, s21);
          x = FloatVector.broadcast(SPECIES, pa[a3 + p]);
          s30 = x.fma(b0, s30);
          s31 = x.fma(b1, s31);
        }
        addTo(c, c0 + j, s00, s01);
        addTo(c, c0 + ldc + j, s10, s11);
        addTo(c, c0 + 2 * ldc + j, s20, s21);
        addTo(c, c0 + 3 * ldc + j, s30, s31);
      }
      for (int r = 0; r < 4; r++) {
        scalarRow(pa, (i + r) * kb, kb, pb, nb, fullN, nb, c, c0 + r * ldc);
      }
    }
    for (; i < mb; i++) {
      scalarRow(pa, i * kb, kb, pb, nb, 0, nb, c, cOff + i * ldc);
    }
  }

  private static void addTo(float[] c, int at, FloatVector lo, FloatVector hi) {
    FloatVector.fromArray(SPECIES, c, at).add(lo).intoArray(c, at);
    FloatVector.fromArray(SPECIES, c, at + LANES).add(hi).intoArray(c, at + LANES);
  }

  /** C row[from, to) += A row * B, scalar. */
  private static void scalarRow(float[] pa, int aRow, int kb, float[] pb, int nb, int from,
      int to, float[] c, int cRow) {
    if (from >= to) {
      return;
    }
    for (int p = 0; p < kb; p++) {
      float x = pa[aRow + p];
      int bRow = p * nb;
      for (int j = from; j < to; j++) {
        c[cRow + j] += x * pb[bRow + j];
      }
    }
  }
}
