package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The arithmetic of {@link DirectConv} on the Vector API: a GEMM micro-kernel (as
 * {@link VectorGemm}'s, 8 rows tall instead of 4) with its B panel read in place from a padded
 * image through a table of offsets, one offset per reduction step. Touched only when the incubator module is resolved.
 */
final class DirectConvKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Output channels per micro-tile. */
  static final int ROWS = 8;

  private DirectConvKernel() {}

  /**
   * {@code result[o * runLength + j]} for o < rows (a multiple of 8) and j < runLength (a
   * multiple of 2 x LANES) = sum over p < depth of {@code packed[(o / 8 * depth + p) * 8 + o % 8]
   * * padded[offsets[p] + j]}.
   */
  static void run(float[] packed, int rows, int depth, int[] offsets, float[] padded,
      float[] result, int runLength) {
    int tile = 2 * LANES;
    for (int j = 0; j < runLength; j += tile) {
      for (int q = 0; q < rows; q += ROWS) {
        microKernel(packed, q * depth, depth, offsets, padded, j, result, q * runLength + j,
            runLength);
      }
    }
  }

  /**
   * The 8 x 2-vector tile at result[at] from panel {@code a[aAt]} and pixels from j: 16
   * accumulators, 2 loads and 8 broadcasts per 16 fused multiply-adds. (A 4 x 2 tile, as in
   * {@link VectorGemm}, ran ResNet-20 inference at 1,160 img/s against 1,460-1,600 for this.)
   */
  private static void microKernel(float[] a, int aAt, int depth, int[] offs, float[] padded,
      int j, float[] result, int at, int row) {
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
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int bp = offs[p] + j;
      FloatVector b0 = FloatVector.fromArray(SPECIES, padded, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, padded, bp + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ap]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ap + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ap + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ap + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ap + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      FloatVector a6 = FloatVector.broadcast(SPECIES, a[ap + 6]);
      c60 = a6.fma(b0, c60);
      c61 = a6.fma(b1, c61);
      FloatVector a7 = FloatVector.broadcast(SPECIES, a[ap + 7]);
      c70 = a7.fma(b0, c70);
      c71 = a7.fma(b1, c71);
    }
    c00.intoArray(result, at);
    c01.intoArray(result, at + LANES);
    c10.intoArray(result, at + row);
    c11.intoArray(result, at + row + LANES);
    c20.intoArray(result, at + 2 * row);
    c21.intoArray(result, at + 2 * row + LANES);
    c30.intoArray(result, at + 3 * row);
    c31.intoArray(result, at + 3 * row + LANES);
    c40.intoArray(result, at + 4 * row);
    c41.intoArray(result, at + 4 * row + LANES);
    c50.intoArray(result, at + 5 * row);
    c51.intoArray(result, at + 5 * row + LANES);
    c60.intoArray(result, at + 6 * row);
    c61.intoArray(result, at + 6 * row + LANES);
    c70.intoArray(result, at + 7 * row);
    c71.intoArray(result, at + 7 * row + LANES);
  }

  /**
   * {@code g[gOff + o * depth + p] +=} the sum over images i < images and j < runLength of
   * {@code rows[i * rowsStride + o * runLength + j] * padded[i * paddedStride + offsets[p] + j]}:
   * a weight gradient as dot products along the pixels, 2 output channels by 4 reduction steps
   * at a time, accumulated in registers across all the images before the lanes are added.
   */
  static void weightGradient(float[] rows, int rowsStride, float[] padded, int paddedStride,
      int images, int outChannels, int depth, int[] offsets, int runLength, float[] g,
      int gOff) {
    int o = 0;
    for (; o + 2 <= outChannels; o += 2) {
      int p = 0;
      for (; p + 4 <= depth; p += 4) {
        dotTile(rows, rowsStride, padded, paddedStride, images, o, p, depth, offsets, runLength,
            g, gOff);
      }
      for (; p < depth; p++) {
        g[gOff + o * depth + p] += dot(rows, rowsStride, padded, paddedStride, images,
            o * runLength, offsets[p], runLength);
        g[gOff + (o + 1) * depth + p] += dot(rows, rowsStride, padded, paddedStride, images,
            (o + 1) * runLength, offsets[p], runLength);
      }
    }
    for (; o < outChannels; o++) {
      for (int p = 0; p < depth; p++) {
        g[gOff + o * depth + p] += dot(rows, rowsStride, padded, paddedStride, images,
            o * runLength, offsets[p], runLength);
      }
    }
  }

  private static void dotTile(float[] rows, int rowsStride, float[] padded, int paddedStride,
      int images, int o, int p, int depth, int[] offsets, int runLength, float[] g, int gOff) {
    // The sums stay in an array between images: vectors live across one loop only, which the
    // JIT keeps in registers (across the image loop too, JDK 17 boxed them: 10x slower).
    float[] sums = new float[8 * LANES];
    for (int i = 0; i < images; i++) {
      int r0 = i * rowsStride + o * runLength;
      int base = i * paddedStride;
      dotTileOfImage(rows, r0, r0 + runLength, padded, base + offsets[p], base + offsets[p + 1],
          base + offsets[p + 2], base + offsets[p + 3], runLength, sums);
    }
    int g0 = gOff + o * depth + p;
    int g1 = g0 + depth;
    for (int k = 0; k < 4; k++) {
      g[g0 + k] += FloatVector.fromArray(SPECIES, sums, k * LANES)
          .reduceLanes(VectorOperators.ADD);
      g[g1 + k] += FloatVector.fromArray(SPECIES, sums, (4 + k) * LANES)
          .reduceLanes(VectorOperators.ADD);
    }
  }

  /** Adds to {@code sums} (8 vectors) the products of 2 gradient rows with 4 shifted runs. */
  private static void dotTileOfImage(float[] rows, int r0, int r1, float[] padded, int x0,
      int x1, int x2, int x3, int runLength, float[] sums) {
    FloatVector s00 = FloatVector.fromArray(SPECIES, sums, 0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, sums, LANES);
    FloatVector s02 = FloatVector.fromArray(SPECIES, sums, 2 * LANES);
    FloatVector s03 = FloatVector.fromArray(SPECIES, sums, 3 * LANES);
    FloatVector s10 = FloatVector.fromArray(SPECIES, sums, 4 * LANES);
    FloatVector s11 = FloatVector.fromArray(SPECIES, sums, 5 * LANES);
    FloatVector s12 = FloatVector.fromArray(SPECIES, sums, 6 * LANES);
    FloatVector s13 = FloatVector.fromArray(SPECIES, sums, 7 * LANES);
    for (int j = 0; j < runLength; j += LANES) {
      FloatVector y0 = FloatVector.fromArray(SPECIES, rows, r0 + j);
      FloatVector y1 = FloatVector.fromArray(SPECIES, rows, r1 + j);
      FloatVector x = FloatVector.fromArray(SPECIES, padded, x0 + j);
      s00 = y0.fma(x, s00);
      s10 = y1.fma(x, s10);
      x = FloatVector.fromArray(SPECIES, padded, x1 + j);
      s01 = y0.fma(x, s01);
      s11 = y1.fma(x, s11);
      x = FloatVector.fromArray(SPECIES, padded, x2 + j);
      s02 = y0.fma(x, s02);
      s12 = y1.fma(x, s12);
      x = FloatVector.fromArray(SPECIES, padded, x3 + j);
      s03 = y0.fma(x, s03);
      s13 = y1.fma(x, s13);
    }
    s00.intoArray(sums, 0);
    s01.intoArray(sums, LANES);
    s02.intoArray(sums, 2 * LANES);
    s03.intoArray(sums, 3 * LANES);
    s10.intoArray(sums, 4 * LANES);
    s11.intoArray(sums, 5 * LANES);
    s12.intoArray(sums, 6 * LANES);
    s13.intoArray(sums, 7 * LANES);
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
