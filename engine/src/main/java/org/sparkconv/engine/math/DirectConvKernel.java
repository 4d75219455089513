package org.sparkconv.engine.math;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The arithmetic of {@link DirectConv} on the Vector API: a GEMM micro-kernel (as
 * {@link VectorGemm}'s, but 8 rows by 3 vectors instead of 4 by 2) with its B panel read in
 * place from a padded image through a table of offsets, one offset per reduction step; and the
 * dot products of the weight gradient. Touched only when the incubator module is resolved.
 */
final class DirectConvKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Output channels per micro-tile. */
  static final int ROWS = 8;

  private DirectConvKernel() {}

  /**
   * {@code result[o * runLength + j]} for o < rows (a multiple of 8) and j < runLength (a
   * multiple of LANES) = sum over p < depth of {@code packed[(o / 8 * depth + p) * 8 + o % 8]
   * * padded[offsets[p] + j]}.
   */
  static void run(float[] packed, int rows, int depth, int[] offsets, float[] padded,
      float[] result, int runLength) {
    int j = 0;
    for (; j + 3 * LANES <= runLength; j += 3 * LANES) {
      for (int q = 0; q < rows; q += ROWS) {
        microKernel3(packed, q * depth, depth, offsets, padded, j, result, q * runLength + j,
            runLength);
      }
    }
    for (; j < runLength; j += LANES) {
      for (int q = 0; q < rows; q += ROWS) {
        microKernel1(packed, q * depth, depth, offsets, padded, j, result, q * runLength + j,
            runLength);
      }
    }
  }

  /**
   * The 8 x 3-vector tile at result[at] from panel {@code a[aAt]} and pixels from j: 24
   * accumulators, 3 loads and 8 broadcasts per 24 fused multiply-adds. Measured, ResNet-20
   * inference at 1 thread: a 4 x 2 tile (as in {@link VectorGemm}) 1,160 img/s, 8 x 2
   * 1,390-1,600, this 1,540-1,620; the JIT keeps all 24 in registers.
   */
  private static void microKernel3(float[] a, int aAt, int depth, int[] offs, float[] padded,
      int j, float[] result, int at, int row) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c02 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c12 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c22 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    FloatVector c32 = FloatVector.zero(SPECIES);
    FloatVector c40 = FloatVector.zero(SPECIES);
    FloatVector c41 = FloatVector.zero(SPECIES);
    FloatVector c42 = FloatVector.zero(SPECIES);
    FloatVector c50 = FloatVector.zero(SPECIES);
    FloatVector c51 = FloatVector.zero(SPECIES);
    FloatVector c52 = FloatVector.zero(SPECIES);
    FloatVector c60 = FloatVector.zero(SPECIES);
    FloatVector c61 = FloatVector.zero(SPECIES);
    FloatVector c62 = FloatVector.zero(SPECIES);
    FloatVector c70 = FloatVector.zero(SPECIES);
    FloatVector c71 = FloatVector.zero(SPECIES);
    FloatVector c72 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int bp = offs[p] + j;
      FloatVector b0 = FloatVector.fromArray(SPECIES, padded, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, padded, bp + 1 * LANES);
      FloatVector b2 = FloatVector.fromArray(SPECIES, padded, bp + 2 * LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ap]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ap + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      c22 = a2.fma(b2, c22);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ap + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      c32 = a3.fma(b2, c32);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ap + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      c42 = a4.fma(b2, c42);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ap + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      c52 = a5.fma(b2, c52);
      FloatVector a6 = FloatVector.broadcast(SPECIES, a[ap + 6]);
      c60 = a6.fma(b0, c60);
      c61 = a6.fma(b1, c61);
      c62 = a6.fma(b2, c62);
      FloatVector a7 = FloatVector.broadcast(SPECIES, a[ap + 7]);
      c70 = a7.fma(b0, c70);
      c71 = a7.fma(b1, c71);
      c72 = a7.fma(b2, c72);
    }
    c00.intoArray(result, at);
    c01.intoArray(result, at + 1 * LANES);
    c02.intoArray(result, at + 2 * LANES);
    c10.intoArray(result, at + row);
    c11.intoArray(result, at + row + 1 * LANES);
    c12.intoArray(result, at + row + 2 * LANES);
    c20.intoArray(result, at + 2 * row);
    c21.intoArray(result, at + 2 * row + 1 * LANES);
    c22.intoArray(result, at + 2 * row + 2 * LANES);
    c30.intoArray(result, at + 3 * row);
    c31.intoArray(result, at + 3 * row + 1 * LANES);
    c32.intoArray(result, at + 3 * row + 2 * LANES);
    c40.intoArray(result, at + 4 * row);
    c41.intoArray(result, at + 4 * row + 1 * LANES);
    c42.intoArray(result, at + 4 * row + 2 * LANES);
    c50.intoArray(result, at + 5 * row);
    c51.intoArray(result, at + 5 * row + 1 * LANES);
    c52.intoArray(result, at + 5 * row + 2 * LANES);
    c60.intoArray(result, at + 6 * row);
    c61.intoArray(result, at + 6 * row + 1 * LANES);
    c62.intoArray(result, at + 6 * row + 2 * LANES);
    c70.intoArray(result, at + 7 * row);
    c71.intoArray(result, at + 7 * row + 1 * LANES);
    c72.intoArray(result, at + 7 * row + 2 * LANES);
  }

  /** The 8 x 1-vector tile: the end of a run shorter than 3 vectors. */
  private static void microKernel1(float[] a, int aAt, int depth, int[] offs, float[] padded,
      int j, float[] result, int at, int row) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c40 = FloatVector.zero(SPECIES);
    FloatVector c50 = FloatVector.zero(SPECIES);
    FloatVector c60 = FloatVector.zero(SPECIES);
    FloatVector c70 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int bp = offs[p] + j;
      FloatVector b0 = FloatVector.fromArray(SPECIES, padded, bp);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ap]);
      c00 = a0.fma(b0, c00);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ap + 1]);
      c10 = a1.fma(b0, c10);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ap + 2]);
      c20 = a2.fma(b0, c20);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ap + 3]);
      c30 = a3.fma(b0, c30);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ap + 4]);
      c40 = a4.fma(b0, c40);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ap + 5]);
      c50 = a5.fma(b0, c50);
      FloatVector a6 = FloatVector.broadcast(SPECIES, a[ap + 6]);
      c60 = a6.fma(b0, c60);
      FloatVector a7 = FloatVector.broadcast(SPECIES, a[ap + 7]);
      c70 = a7.fma(b0, c70);
    }
    c00.intoArray(result, at);
    c10.intoArray(result, at + row);
    c20.intoArray(result, at + 2 * row);
    c30.intoArray(result, at + 3 * row);
    c40.intoArray(result, at + 4 * row);
    c50.intoArray(result, at + 5 * row);
    c60.intoArray(result, at + 6 * row);
    c70.intoArray(result, at + 7 * row);
  }

  /**
   * {@code g[gOff + o * depth + p] +=} the sum over images i < images and j < runLength of
   * {@code rows[i * rowsStride + o * runLength + j] * padded[i * paddedStride + offsets[p] + j]}:
   * a weight gradient as dot products along the pixels, 4 output channels by 4 reduction steps
   * at a time, accumulated across all the images before the lanes are added.
   */
  static void weightGradient(float[] rows, int rowsStride, float[] padded, int paddedStride,
      int images, int outChannels, int depth, int[] offsets, int runLength, float[] g,
      int gOff) {
    float[] sums = new float[16 * LANES];
    int o = 0;
    for (; o + 4 <= outChannels; o += 4) {
      int p = 0;
      for (; p + 4 <= depth; p += 4) {
        dotTile(rows, rowsStride, padded, paddedStride, images, o, p, depth, offsets, runLength,
            g, gOff, sums);
      }
      for (; p < depth; p++) {
        for (int r = o; r < o + 4; r++) {
          g[gOff + r * depth + p] += dot(rows, rowsStride, padded, paddedStride, images,
              r * runLength, offsets[p], runLength);
        }
      }
    }
    for (; o < outChannels; o++) {
      for (int p = 0; p < depth; p++) {
        g[gOff + o * depth + p] += dot(rows, rowsStride, padded, paddedStride, images,
            o * runLength, offsets[p], runLength);
      }
    }
  }

  /** One 4 x 4 block of the weight gradient: 4 output channels by 4 reduction steps. */
  private static void dotTile(float[] rows, int rowsStride, float[] padded, int paddedStride,
      int images, int o, int p, int depth, int[] offsets, int runLength, float[] g, int gOff,
      float[] sums) {
    // The sums stay in an array between images: vectors live across one loop only, which the
    // JIT keeps in registers (across the image loop too, JDK 17 boxed them: 10x slower).
    Arrays.fill(sums, 0f);
    for (int i = 0; i < images; i++) {
      int r0 = i * rowsStride + o * runLength;
      int base = i * paddedStride;
      dotTileOfImage(rows, r0, runLength, padded, base + offsets[p], base + offsets[p + 1],
          base + offsets[p + 2], base + offsets[p + 3], sums);
    }
    for (int r = 0; r < 4; r++) {
      int at = gOff + (o + r) * depth + p;
      for (int k = 0; k < 4; k++) {
        g[at + k] += FloatVector.fromArray(SPECIES, sums, (r * 4 + k) * LANES)
            .reduceLanes(VectorOperators.ADD);
      }
    }
  }

  /**
   * Adds to {@code sums} (16 vectors, row-major 4 x 4) the products of 4 gradient rows
   * ({@code runLength} apart from r0) with 4 shifted runs: 8 loads per 16 fused multiply-adds.
   */
  private static void dotTileOfImage(float[] rows, int r0, int runLength, float[] padded,
      int x0, int x1, int x2, int x3, float[] sums) {
    FloatVector s00 = FloatVector.fromArray(SPECIES, sums, 0 * LANES);
    FloatVector s01 = FloatVector.fromArray(SPECIES, sums, 1 * LANES);
    FloatVector s02 = FloatVector.fromArray(SPECIES, sums, 2 * LANES);
    FloatVector s03 = FloatVector.fromArray(SPECIES, sums, 3 * LANES);
    FloatVector s10 = FloatVector.fromArray(SPECIES, sums, 4 * LANES);
    FloatVector s11 = FloatVector.fromArray(SPECIES, sums, 5 * LANES);
    FloatVector s12 = FloatVector.fromArray(SPECIES, sums, 6 * LANES);
    FloatVector s13 = FloatVector.fromArray(SPECIES, sums, 7 * LANES);
    FloatVector s20 = FloatVector.fromArray(SPECIES, sums, 8 * LANES);
    FloatVector s21 = FloatVector.fromArray(SPECIES, sums, 9 * LANES);
    FloatVector s22 = FloatVector.fromArray(SPECIES, sums, 10 * LANES);
    FloatVector s23 = FloatVector.fromArray(SPECIES, sums, 11 * LANES);
    FloatVector s30 = FloatVector.fromArray(SPECIES, sums, 12 * LANES);
    FloatVector s31 = FloatVector.fromArray(SPECIES, sums, 13 * LANES);
    FloatVector s32 = FloatVector.fromArray(SPECIES, sums, 14 * LANES);
    FloatVector s33 = FloatVector.fromArray(SPECIES, sums, 15 * LANES);
    int r1 = r0 + runLength;
    int r2 = r1 + runLength;
    int r3 = r2 + runLength;
    for (int j = 0; j < runLength; j += LANES) {
      FloatVector y0 = FloatVector.fromArray(SPECIES, rows, r0 + j);
      FloatVector y1 = FloatVector.fromArray(SPECIES, rows, r1 + j);
      FloatVector y2 = FloatVector.fromArray(SPECIES, rows, r2 + j);
      FloatVector y3 = FloatVector.fromArray(SPECIES, rows, r3 + j);
      FloatVector v0 = FloatVector.fromArray(SPECIES, padded, x0 + j);
      FloatVector v1 = FloatVector.fromArray(SPECIES, padded, x1 + j);
      FloatVector v2 = FloatVector.fromArray(SPECIES, padded, x2 + j);
      FloatVector v3 = FloatVector.fromArray(SPECIES, padded, x3 + j);
      s00 = y0.fma(v0, s00);
      s01 = y0.fma(v1, s01);
      s02 = y0.fma(v2, s02);
      s03 = y0.fma(v3, s03);
      s10 = y1.fma(v0, s10);
      s11 = y1.fma(v1, s11);
      s12 = y1.fma(v2, s12);
      s13 = y1.fma(v3, s13);
      s20 = y2.fma(v0, s20);
      s21 = y2.fma(v1, s21);
      s22 = y2.fma(v2, s22);
      s23 = y2.fma(v3, s23);
      s30 = y3.fma(v0, s30);
      s31 = y3.fma(v1, s31);
      s32 = y3.fma(v2, s32);
      s33 = y3.fma(v3, s33);
    }
    s00.intoArray(sums, 0 * LANES);
    s01.intoArray(sums, 1 * LANES);
    s02.intoArray(sums, 2 * LANES);
    s03.intoArray(sums, 3 * LANES);
    s10.intoArray(sums, 4 * LANES);
    s11.intoArray(sums, 5 * LANES);
    s12.intoArray(sums, 6 * LANES);
    s13.intoArray(sums, 7 * LANES);
    s20.intoArray(sums, 8 * LANES);
    s21.intoArray(sums, 9 * LANES);
    s22.intoArray(sums, 10 * LANES);
    s23.intoArray(sums, 11 * LANES);
    s30.intoArray(sums, 12 * LANES);
    s31.intoArray(sums, 13 * LANES);
    s32.intoArray(sums, 14 * LANES);
    s33.intoArray(sums, 15 * LANES);
  }

  private static float dot(float[] rows, int rowsStride, float[] padded, int paddedStride,
      int images, int rowAt, int offset, int runLength) {
    float sum = 0f;
    for (int i = 0; i < images; i++) {
      sum += dotOfImage(rows, i * rowsStride + rowAt, padded, i * paddedStride + offset,
          runLength);
    }
    return sum;
  }

  private static float dotOfImage(float[] rows, int r, float[] padded, int x, int runLength) {
    FloatVector s = FloatVector.zero(SPECIES);
    for (int j = 0; j < runLength; j += LANES) {
      s = FloatVector.fromArray(SPECIES, rows, r + j)
          .fma(FloatVector.fromArray(SPECIES, padded, x + j), s);
    }
    return s.reduceLanes(VectorOperators.ADD);
  }
}
