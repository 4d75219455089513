package org.sparkconv.engine.math;

import static jdk.incubator.vector.VectorOperators.ADD;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The pure-Java GEMM on the Vector API ({@code jdk.incubator.vector}), organised as in
 * GotoBLAS/BLIS (Goto &amp; van de Geijn 2008; Van Zee &amp; van de Geijn 2015): A is packed per
 * block of {@code MC x KC} into micro-panels {@code MR = 8} rows tall, in the order the
 * micro-kernel reads it; B is taken per block of {@code KC} rows in panels {@code NR = 2 * LANES}
 * columns wide, read in place when untransposed (each step of k reads one contiguous run of
 * its row) and packed into micro-panels otherwise; a B panel stays in L1 while the A
 * micro-panels of the block stream past it. The micro-kernel keeps an 8 x 2-vector tile of C in
 * 16 registers for the whole depth of the block and updates it with fused multiply-adds: per
 * step of k, 2 loads of B, 8 broadcasts of A, 16 FMAs. Edge panels are zero-padded, so every
 * tile runs the vector kernel; only the write-back of an edge tile is partial.
 *
 * <p>The 8-row tile replaced a 4-row one (8 accumulators, too few to hide the FMA latency) on
 * 2026-12-01: 1.15-1.55x on VGG-small's and LeNet-5's dense products, one thread. An earlier
 * note here had 6- and 8-row tiles 2-5x slower on JDK 17, the vectors not kept in registers: a
 * method large enough makes C2 fall back to allocating vectors, which is why the tile and its
 * write-back are methods of their own. Only loadable when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; {@link GemmSelector} checks before using it.
 */
public final class VectorGemm implements Gemm {

  public static final VectorGemm INSTANCE = new VectorGemm();

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int MR = 8;
  private static final int NR = 2 * LANES;
  private static final int KC = 256;
  private static final int MC = 64;
  private static final int NC = 1024;
  /** 512-bit vectors, whose gathers C2 compiles to one instruction. */
  private static final boolean WIDE = VectorApi.hasWideVectors();

  /** Per thread: packed A block, packed B block, one C tile for edge write-backs. */
  private static final ThreadLocal<float[][]> BUFFERS =
      ThreadLocal.withInitial(() -> new float[][] {
          new float[MC * KC], new float[KC * roundUp(NC, NR)], new float[MR * NR]});

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
    if (!transA && transB && useDots(m, n, k)) {
      multiplyByDots(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
      return;
    }
    float[][] buffers = BUFFERS.get();
    float[] packedA = buffers[0];
    float[] packedB = buffers[1];
    float[] tile = buffers[2];
    for (int j0 = 0; j0 < n; j0 += NC) {
      int nb = Math.min(NC, n - j0);
      for (int p0 = 0; p0 < k; p0 += KC) {
        int kb = Math.min(KC, k - p0);
        // Untransposed B is read in place by whole panels (its rows are already contiguous
        // along j); only a partial last panel is packed, zero-padded. Transposed B is packed.
        // In place saves a copy as large as B: pure-Java VGG-small inference +12-14%, the
        // 32 x 784 x 288 conv product 63-78 -> 84-98 GFLOP/s.
        int direct = transB ? 0 : nb - nb % NR;
        if (direct < nb) {
          packB(transB, b, bOff, ldb, p0, kb, j0 + direct, nb - direct, packedB);
        }
        for (int i0 = 0; i0 < m; i0 += MC) {
          int mb = Math.min(MC, m - i0);
          packA(transA, a, aOff, lda, i0, mb, p0, kb, alpha, packedA);
          for (int j = 0; j < nb; j += NR) {
            int cols = Math.min(NR, nb - j);
            boolean inPlace = j < direct;
            float[] bSource = inPlace ? b : packedB;
            int bAt = inPlace ? bOff + p0 * ldb + j0 + j : (j - direct) * kb;
            int bStride = inPlace ? ldb : NR;
            for (int i = 0; i < mb; i += MR) {
              int rows = Math.min(MR, mb - i);
              int cAt = cOff + (i0 + i) * ldc + j0 + j;
              microKernel(kb, packedA, i * kb, bSource, bAt, bStride, c, cAt, ldc, rows, cols,
                  tile);
            }
          }
        }
      }
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }

  /**
   * Packs alpha * op(A)[i0:i0+mb, p0:p0+kb] as micro-panels of MR rows: row r of panel q, step
   * p, at {@code q * kb * MR + p * MR + r}; rows past mb are zero.
   */
  private static void packA(boolean transA, float[] a, int aOff, int lda,
      int i0, int mb, int p0, int kb, float alpha, float[] dst) {
    for (int q = 0; q < mb; q += MR) {
      int panel = q * kb;
      int rows = Math.min(MR, mb - q);
      for (int r = 0; r < MR; r++) {
        int d = panel + r;
        if (r >= rows) {
          for (int p = 0; p < kb; p++) {
            dst[d + p * MR] = 0f;
          }
        } else if (!transA) {
          int s = aOff + (i0 + q + r) * lda + p0;
          for (int p = 0; p < kb; p++) {
            dst[d + p * MR] = alpha * a[s + p];
          }
        } else {
          int s = aOff + p0 * lda + i0 + q + r;
          for (int p = 0; p < kb; p++) {
            dst[d + p * MR] = alpha * a[s + p * lda];
          }
        }
      }
    }
  }

  /**
   * Packs op(B)[p0:p0+kb, j0:j0+nb] as micro-panels of NR columns: column t of panel q, step p,
   * at {@code q * kb * NR + p * NR + t}; columns past nb are zero.
   */
  private static void packB(boolean transB, float[] b, int bOff, int ldb,
      int p0, int kb, int j0, int nb, float[] dst) {
    for (int q = 0; q < nb; q += NR) {
      int panel = q * kb;
      int cols = Math.min(NR, nb - q);
      if (!transB) {
        for (int p = 0; p < kb; p++) {
          int d = panel + p * NR;
          int s = bOff + (p0 + p) * ldb + j0 + q;
          System.arraycopy(b, s, dst, d, cols);
          for (int t = cols; t < NR; t++) {
            dst[d + t] = 0f;
          }
        }
      } else if (WIDE && cols == NR) {
        // Columns t of the panel are rows of B: 16 of them transposed in registers at a time
        // (ChannelRows), not stored a float at a time NR apart (VGG-small's 3136 -> 256 dense
        // forward at batch 64, one thread: 1.6 -> 1.13 ms by gathers, since replaced).
        ChannelRows.transpose(b, bOff + (j0 + q) * ldb + p0, NR, ldb, kb, dst, panel, NR);
      } else {
        for (int t = 0; t < NR; t++) {
          if (t >= cols) {
            for (int p = 0; p < kb; p++) {
              dst[panel + p * NR + t] = 0f;
            }
            continue;
          }
          int s = bOff + (j0 + q + t) * ldb + p0;
          for (int p = 0; p < kb; p++) {
            dst[panel + p * NR + t] = b[s + p];
          }
        }
      }
    }
  }

  /**
   * C[rows x cols] at cAt += (A micro-panel at aAt) * (B micro-panel at bAt) over kb steps: the
   * tile is computed whole (MR x NR, padding is zero) in 16 registers, then added to C through
   * {@code tile} ({@link #addTile}), which keeps this method small enough for C2 to compile
   * every vector operation as an intrinsic.
   */
  private static void microKernel(int kb, float[] pa, int aAt, float[] pb, int bAt, int bStride,
      float[] c, int cAt, int ldc, int rows, int cols, float[] tile) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    FloatVector c40 = FloatVector.zero(SPECIES);
    FloatVector c41 = FloatVector.zero(SPECIES);
    FloatVector c50 = FloatVector.zero(SPECIES);
    FloatVector c51 = FloatVector.zero(SPECIES);
    FloatVector c60 = FloatVector.zero(SPECIES);
    FloatVector c61 = FloatVector.zero(SPECIES);
    FloatVector c70 = FloatVector.zero(SPECIES);
    FloatVector c71 = FloatVector.zero(SPECIES);
    for (int p = 0; p < kb; p++) {
      int ap = aAt + p * MR;
      int bp = bAt + p * bStride;
      FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bp + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, pa[ap]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(SPECIES, pa[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(SPECIES, pa[ap + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(SPECIES, pa[ap + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(SPECIES, pa[ap + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(SPECIES, pa[ap + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      FloatVector a6 = FloatVector.broadcast(SPECIES, pa[ap + 6]);
      c60 = a6.fma(b0, c60);
      c61 = a6.fma(b1, c61);
      FloatVector a7 = FloatVector.broadcast(SPECIES, pa[ap + 7]);
      c70 = a7.fma(b0, c70);
      c71 = a7.fma(b1, c71);
    }
    c00.intoArray(tile, 0 * LANES);
    c01.intoArray(tile, 1 * LANES);
    c10.intoArray(tile, 2 * LANES);
    c11.intoArray(tile, 3 * LANES);
    c20.intoArray(tile, 4 * LANES);
    c21.intoArray(tile, 5 * LANES);
    c30.intoArray(tile, 6 * LANES);
    c31.intoArray(tile, 7 * LANES);
    c40.intoArray(tile, 8 * LANES);
    c41.intoArray(tile, 9 * LANES);
    c50.intoArray(tile, 10 * LANES);
    c51.intoArray(tile, 11 * LANES);
    c60.intoArray(tile, 12 * LANES);
    c61.intoArray(tile, 13 * LANES);
    c70.intoArray(tile, 14 * LANES);
    c71.intoArray(tile, 15 * LANES);
    addTile(tile, c, cAt, ldc, rows, cols);
  }

  /** C[rows x cols] at cAt += the tile as {@link #microKernel} wrote it (MR x NR, by rows). */
  private static void addTile(float[] tile, float[] c, int cAt, int ldc, int rows, int cols) {
    if (cols == NR) {
      for (int r = 0; r < rows; r++) {
        int row = cAt + r * ldc;
        FloatVector.fromArray(SPECIES, c, row).add(FloatVector.fromArray(SPECIES, tile, r * NR))
            .intoArray(c, row);
        FloatVector.fromArray(SPECIES, c, row + LANES)
            .add(FloatVector.fromArray(SPECIES, tile, r * NR + LANES)).intoArray(c, row + LANES);
      }
      return;
    }
    for (int r = 0; r < rows; r++) {
      int row = cAt + r * ldc;
      for (int t = 0; t < cols; t++) {
        c[row + t] += tile[r * NR + t];
      }
    }
  }

  /**
   * A times B-transposed with both operands contiguous along k (the weight gradient of a
   * convolution: dY times the lowered input, transposed) is a table of dot products. When k is
   * long and the table small, computing them directly beats packing, which copies about as many
   * floats as it then multiplies. Measured, one thread, AVX-512 (packed vs dots, GFLOP/s):
   * 6 x 25 x 784 (LeNet-5 conv 1 weight gradient) 12 vs 72; 16 x 150 x 800: 35 vs 58;
   * 32 x 288 x 784: 55 vs 58; but with k = 100-196 the dots lose (37 vs 22, 59 vs 33): each
   * output ends in a reduction across lanes, worth it only over a long k.
   */
  private static boolean useDots(int m, int n, int k) {
    return k >= 32 * LANES && (long) m * n <= 4096;
  }

  /** C += alpha A B^T as dot products, 2 rows of A by 4 rows of B at a time. */
  private static void multiplyByDots(int m, int n, int k, float alpha, float[] a, int aOff,
      int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    int kVec = k - k % LANES;
    int i = 0;
    for (; i + 2 <= m; i += 2) {
      int a0 = aOff + i * lda;
      int a1 = a0 + lda;
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        int b0 = bOff + j * ldb;
        int b1 = b0 + ldb;
        int b2 = b1 + ldb;
        int b3 = b2 + ldb;
        FloatVector s00 = FloatVector.zero(SPECIES);
        FloatVector s01 = FloatVector.zero(SPECIES);
        FloatVector s02 = FloatVector.zero(SPECIES);
        FloatVector s03 = FloatVector.zero(SPECIES);
        FloatVector s10 = FloatVector.zero(SPECIES);
        FloatVector s11 = FloatVector.zero(SPECIES);
        FloatVector s12 = FloatVector.zero(SPECIES);
        FloatVector s13 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kVec; p += LANES) {
          FloatVector x0 = FloatVector.fromArray(SPECIES, a, a0 + p);
          FloatVector x1 = FloatVector.fromArray(SPECIES, a, a1 + p);
          FloatVector y = FloatVector.fromArray(SPECIES, b, b0 + p);
          s00 = x0.fma(y, s00);
          s10 = x1.fma(y, s10);
          y = FloatVector.fromArray(SPECIES, b, b1 + p);
          s01 = x0.fma(y, s01);
          s11 = x1.fma(y, s11);
          y = FloatVector.fromArray(SPECIES, b, b2 + p);
          s02 = x0.fma(y, s02);
          s12 = x1.fma(y, s12);
          y = FloatVector.fromArray(SPECIES, b, b3 + p);
          s03 = x0.fma(y, s03);
          s13 = x1.fma(y, s13);
        }
        int c0 = cOff + i * ldc + j;
        int c1 = c0 + ldc;
        c[c0] += alpha * finishDot(s00.reduceLanes(ADD), a, a0, b, b0, kVec, k);
        c[c0 + 1] += alpha * finishDot(s01.reduceLanes(ADD), a, a0, b, b1, kVec, k);
        c[c0 + 2] += alpha * finishDot(s02.reduceLanes(ADD), a, a0, b, b2, kVec, k);
        c[c0 + 3] += alpha * finishDot(s03.reduceLanes(ADD), a, a0, b, b3, kVec, k);
        c[c1] += alpha * finishDot(s10.reduceLanes(ADD), a, a1, b, b0, kVec, k);
        c[c1 + 1] += alpha * finishDot(s11.reduceLanes(ADD), a, a1, b, b1, kVec, k);
        c[c1 + 2] += alpha * finishDot(s12.reduceLanes(ADD), a, a1, b, b2, kVec, k);
        c[c1 + 3] += alpha * finishDot(s13.reduceLanes(ADD), a, a1, b, b3, kVec, k);
      }
      for (; j < n; j++) {
        c[cOff + i * ldc + j] += alpha * dot(a, a0, b, bOff + j * ldb, kVec, k);
        c[cOff + (i + 1) * ldc + j] += alpha * dot(a, a1, b, bOff + j * ldb, kVec, k);
      }
    }
    for (; i < m; i++) {
      for (int j = 0; j < n; j++) {
        c[cOff + i * ldc + j] += alpha * dot(a, aOff + i * lda, b, bOff + j * ldb, kVec, k);
      }
    }
  }

  /**
   * {@code lanes} (a vector's lanes summed) plus the scalar tail [kVec, k) of the dot product.
   * Given the sum, not the vector (this package's rule: no vector crosses a method boundary).
   */
  private static float finishDot(float lanes, float[] a, int aRow, float[] b, int bRow,
      int kVec, int k) {
    float s = lanes;
    for (int p = kVec; p < k; p++) {
      s += a[aRow + p] * b[bRow + p];
    }
    return s;
  }

  private static float dot(float[] a, int aRow, float[] b, int bRow, int kVec, int k) {
    FloatVector sum = FloatVector.zero(SPECIES);
    for (int p = 0; p < kVec; p += LANES) {
      sum = FloatVector.fromArray(SPECIES, a, aRow + p)
          .fma(FloatVector.fromArray(SPECIES, b, bRow + p), sum);
    }
    return finishDot(sum.reduceLanes(ADD), a, aRow, b, bRow, kVec, k);
  }
}
