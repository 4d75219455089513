package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The arithmetic of {@link DirectConv} on the Vector API: a GEMM micro-kernel (as
 * {@link VectorGemm}'s, but 8 rows by 3 vectors instead of 4 by 2) with its B panel read in
 * place from a padded image through a table of offsets, one offset per reduction step (the
 * weight gradient, with the roles turned, is {@link ChannelWeightGradient}'s). Touched only when
 * the incubator module is resolved.
 */
final class DirectConvKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Whether the vector registers are AVX2's 16: see {@link #runInHalves}. */
  private static final boolean FEW_REGISTERS = VectorApi.hasFewRegisters();
  /** Per thread, the offsets of a run of columns: see {@link #shiftedOffsets}. */
  private static final ThreadLocal<int[]> SHIFTED = ThreadLocal.withInitial(() -> new int[0]);
  /** Output channels per micro-tile. */
  static final int ROWS = 8;

  private DirectConvKernel() {}

  /**
   * {@code result[o * runLength + j]} for o < rows and j < runLength (a multiple of LANES) = sum
   * over p < depth of {@code packed[(o / 8 * depth + p) * 8 + o % 8] * padded[offsets[p] + j]},
   * the panels packed for {@code rows} rounded up to 8 (the result too, whose rows past
   * {@code rows} may be left unwritten).
   */
  static void run(float[] packed, int rows, int depth, int[] offsets, float[] padded,
      float[] result, int runLength) {
    run(packed, 0, rows, depth, offsets, padded, result, 0, runLength);
  }

  /**
   * As above with the packed panels from {@code packed[packedAt]}, the result at
   * {@code result[resultAt]}. A last panel of at most 6 rows (LeNet-5's 6-channel first conv)
   * runs a 6 x 4-vector tile, not the 8 x 3 one: no multiply-adds on its zero rows.
   */
  static void run(float[] packed, int packedAt, int rows, int depth, int[] offsets,
      float[] padded, float[] result, int resultAt, int runLength) {
    run(packed, packedAt, rows, depth, offsets, padded, result, resultAt, runLength, runLength);
  }

  /**
   * As above with the result's rows {@code rowStride} apart (at least {@code runLength}): a
   * run that stops short of its plane, written straight into the planes.
   */
  static void run(float[] packed, int packedAt, int rows, int depth, int[] offsets,
      float[] padded, float[] result, int resultAt, int runLength, int rowStride) {
    if (FEW_REGISTERS) {
      runInHalves(packed, packedAt, rows, depth, offsets, padded, result, resultAt, runLength,
          rowStride);
      return;
    }
    int left = rows % ROWS;
    int eightRows = left == 0 || left > 6 ? rows : rows - left; // panels the 8-row tiles take
    int[] shifted = shiftedOffsets(depth);
    // A last vector after the 3-vector tiles runs with the tile before as two 2-vector tiles:
    // the 8 x 1 tile (8 broadcasts a load) ran its columns at 2/3 of the 8 x 3 tile's rate.
    // Whole layers of 64 images, one thread, fwd + bwd, alternated in one JVM, split / not:
    // 32x28x28->32 (runs of 64) 0.993, 32x14x14->64 0.990, 64x14x14->64 1.002 (no such runs).
    int threeVectors = runLength / (3 * LANES) * 3 * LANES;
    if (runLength - threeVectors == LANES && threeVectors > 0) {
      threeVectors -= 3 * LANES;
    }
    int j = 0;
    for (; j < threeVectors; j += 3 * LANES) {
      shift(offsets, depth, j, shifted);
      for (int q = 0; q < eightRows; q += ROWS) {
        microKernel3(packed, packedAt + q * depth, depth, shifted, padded, result,
            resultAt + q * rowStride + j, rowStride);
      }
    }
    for (; j + 2 * LANES <= runLength; j += 2 * LANES) {
      shift(offsets, depth, j, shifted);
      for (int q = 0; q < eightRows; q += ROWS) {
        microKernel2(packed, packedAt + q * depth, depth, shifted, padded, result,
            resultAt + q * rowStride + j, rowStride);
      }
    }
    for (; j < runLength; j += LANES) {
      shift(offsets, depth, j, shifted);
      for (int q = 0; q < eightRows; q += ROWS) {
        microKernel1(packed, packedAt + q * depth, depth, shifted, padded, result,
            resultAt + q * rowStride + j, rowStride);
      }
    }
    if (eightRows < rows) {
      int q = eightRows;
      int k = 0;
      for (; k + 4 * LANES <= runLength; k += 4 * LANES) {
        shift(offsets, depth, k, shifted);
        microKernel6x4(packed, packedAt + q * depth, depth, shifted, padded, result,
            resultAt + q * rowStride + k, rowStride);
      }
      for (; k < runLength; k += LANES) {
        shift(offsets, depth, k, shifted);
        microKernel1(packed, packedAt + q * depth, depth, shifted, padded, result,
            resultAt + q * rowStride + k, rowStride);
      }
    }
  }

  /**
   * {@link #run} with 16 vector registers (AVX2), where the 8 x 3 tile's 24 accumulators spill:
   * each panel as 4-row halves by 2 vectors (8 accumulators, 2 loads and 4 broadcasts per 8
   * multiply-adds), a half past {@code rows} skipped, the last 2 rows of a 5- or 6-row panel
   * by {@link #microKernel2x4}; the last vector of a run by the 8 x 1 tile. Alone,
   * 16x28x28->16 at 64 images on the Zen 4 with {@code -XX:UseAVX=2}: 8 x 3 22 GMAC/s, 4 x 3
   * (16 registers live) 24, 4 x 2 47 (medians of 30 rounds alternated).
   */
  private static void runInHalves(float[] packed, int packedAt, int rows, int depth,
      int[] offsets, float[] padded, float[] result, int resultAt, int runLength,
      int rowStride) {
    int[] shifted = shiftedOffsets(depth);
    int half = ROWS / 2;
    // a last panel of 5 or 6 rows: its last 2 rows by 2 x 4 tiles where the run has 4 vectors
    int lastPanel = (rows - 1) / ROWS * ROWS;
    boolean twoRows = rows - lastPanel > half && rows - lastPanel <= half + 2;
    int pairs = twoRows ? lastPanel + half : -1;
    int pairColumns = twoRows ? runLength / (4 * LANES) * 4 * LANES : 0;
    int j = 0;
    for (; j + 2 * LANES <= runLength; j += 2 * LANES) {
      shift(offsets, depth, j, shifted);
      for (int q = 0; q < rows; q += half) {
        if (q == pairs && j < pairColumns) {
          continue;
        }
        microKernel4x2(packed, packedAt + (q - q % ROWS) * depth + q % ROWS, depth, shifted,
            padded, result, resultAt + q * rowStride + j, rowStride);
      }
    }
    for (int k = 0; k < pairColumns; k += 4 * LANES) {
      shift(offsets, depth, k, shifted);
      microKernel2x4(packed, packedAt + lastPanel * depth + half, depth, shifted, padded,
          result, resultAt + pairs * rowStride + k, rowStride);
    }
    for (; j < runLength; j += LANES) {
      shift(offsets, depth, j, shifted);
      for (int q = 0; q < rows; q += ROWS) {
        microKernel1(packed, packedAt + q * depth, depth, shifted, padded, result,
            resultAt + q * rowStride + j, rowStride);
      }
    }
  }

  /**
   * This thread's table for {@link #shift}, at least {@code depth} long. The micro-kernels
   * read their B panel at {@code offsets[p] + j} folded into one table per run of columns: with
   * {@code j} a separate register, JDK 17's C2 (24 accumulators, 8 broadcasts, 3 loads) had a
   * general register too few and kept {@code j} in a vector register, moving it back and forth
   * every step on the ports the multiply-adds use. Folded, the 8 x 3 tile ran 1.2-1.4x faster
   * (a GEMM of 64 x 64 x 144 in cache, alone, interleaved in one JVM: 42-45 -> 52-56 GMAC/s
   * median, best 84), for {@code depth} additions per run of 48 columns.
   */
  private static int[] shiftedOffsets(int depth) {
    int[] table = SHIFTED.get();
    if (table.length < depth) {
      table = new int[depth];
      SHIFTED.set(table);
    }
    return table;
  }

  /** {@code shifted[p] = offsets[p] + j} for p below {@code depth}. */
  private static void shift(int[] offsets, int depth, int j, int[] shifted) {
    for (int p = 0; p < depth; p++) {
      shifted[p] = offsets[p] + j;
    }
  }

  /**
   * {@code out[to + y * outW + x] = (result[from + y * rowWidth + x] + bias) * scale + shift},
   * plus {@code residual} at the same index as {@code out} when not null, then
   * {@code max(0, .)} if {@code relu}, for rows y below {@code rows} and x below {@code outW}: a
   * plane of the result, its padding columns dropped, with the bias and (in inference) a folded
   * batch norm's map and the sum after it applied on the way (scale 1, shift 0 without one).
   * Whole vectors, a row's last one running into the next row's place (written after it), or
   * past the plane into the next one's; lanes that would pass {@code limit} in {@code out}, or
   * read past {@code result}, go one by one.
   */
  static void copyPlane(float[] result, int from, int rowWidth, float bias, float scale,
      float shift, boolean relu, float[] residual, float[] out, int to, int outW, int rows,
      int limit) {
    int lastVector = (outW - 1) / LANES * LANES; // where a row's last vector starts
    for (int y = 0; y < rows; y++) {
      int source = from + y * rowWidth;
      int target = to + y * outW;
      // Whole vectors while x < end: one bound, which C2 compiles as a counted loop (with the
      // three tests in the loop's condition it ran 1.3-1.7x slower), and rows of one or two
      // vectors without a loop (2-3x faster than the three-test loop: LeNet-5's and ResNet-20's
      // 28-, 14- and 10-wide rows, per row a loop of one or two trips).
      int end = Math.min(outW, Math.min(limit - target, result.length - source) - LANES + 1);
      if (outW <= 2 * LANES && end > lastVector) {
        copyVector(result, source, bias, scale, shift, relu, residual, out, target);
        if (lastVector > 0) {
          copyVector(result, source + LANES, bias, scale, shift, relu, residual, out,
              target + LANES);
        }
        continue;
      }
      int x = 0;
      for (; x < end; x += LANES) {
        copyVector(result, source + x, bias, scale, shift, relu, residual, out, target + x);
      }
      for (; x < outW; x++) {
        float v = (result[source + x] + bias) * scale + shift;
        if (residual != null) {
          v += residual[target + x];
        }
        out[target + x] = relu ? Math.max(v, 0f) : v;
      }
    }
  }

  /**
   * One vector of {@link #copyPlane}: result at source, out (and residual) at target. Given the
   * map's floats, not vectors (this package's rule: no vector crosses a method boundary).
   */
  private static void copyVector(float[] result, int source, float bias, float scale,
      float shift, boolean relu, float[] residual, float[] out, int target) {
    FloatVector v = FloatVector.fromArray(SPECIES, result, source).add(bias).mul(scale)
        .add(shift);
    if (residual != null) {
      v = v.add(FloatVector.fromArray(SPECIES, residual, target));
    }
    (relu ? v.max(0f) : v).intoArray(out, target);
  }

  /**
   * The 2x2 max pool (stride 2) of each of the result's {@code channels} planes (channel o's at
   * {@code result[o * runLength]}, rows {@code rowWidth} apart), each value first mapped as
   * {@link #copyPlane} maps it ({@code (r + bias[biasOff + o]) * scale[o] + shift[o]}, bias and
   * scale where not null, then {@code max(0, .)} if {@code relu}; no residual): channel o's
   * pooled plane at {@code out[outOff + o * (outH / 2) * (outW / 2)]}, pooled row py and column
   * px the {@link Math#max} of the four mapped values at rows 2py and 2py + 1, columns 2px and
   * 2px + 1. Both sides even.
   *
   * <p>The map is monotonic (each of its rounded steps is): non-decreasing where the scale is
   * not negative, so the largest mapped value of a window is the map of its largest value, and
   * of its smallest where the scale is negative; each output is mapped once, bit for bit the
   * same. Per pooled row, 2 vectors of columns at a time (one where the row is no wider): the
   * larger (smaller) of the two rows, then of each adjacent pair ({@link PairLanes}), mapped
   * and stored as a whole vector of pooled outputs, whose lanes past the row run into the next
   * row's place (written after it). Outputs whose vector would pass the last channel's plane,
   * or read past {@code result}, go one by one.
   *
   * <p>It wrote the row pairs' maxima back to back into a buffer first and pooled the buffer
   * in whole vectors; each of those loads spanned several of the overlapping stores before it,
   * and took 0.03 ms or 0.26-0.73 ms for 64 images of LeNet-5's second conv by where the
   * buffer lay (one JVM, the buffer reallocated 24 times): its inference 0.87x-1.47x of
   * PyTorch's from run to run. Nothing here is read back after it is stored.
   */
  static void copyPlanesPooled(float[] result, int runLength, int rowWidth, int channels,
      float[] bias, int biasOff, float[] scale, float[] shift, boolean relu, float[] out,
      int outOff, int outW, int outH) {
    int pooledW = outW / 2;
    int pooledH = outH / 2;
    int pooledPlane = pooledW * pooledH;
    int limit = outOff + channels * pooledPlane;
    int reads = outW <= LANES ? LANES : 2 * LANES; // what a step reads past its first column
    float lowest = relu ? 0f : Float.NEGATIVE_INFINITY; // max(v, -inf) is v, NaN included
    for (int o = 0; o < channels; o++) {
      float bo = bias == null ? 0f : bias[biasOff + o];
      float so = scale == null ? 1f : scale[o];
      float to = scale == null ? 0f : shift[o];
      boolean decreasing = so < 0f;
      FloatVector b = FloatVector.broadcast(SPECIES, bo);
      FloatVector s = FloatVector.broadcast(SPECIES, so);
      FloatVector t = FloatVector.broadcast(SPECIES, to);
      for (int py = 0; py < pooledH; py++) {
        int top = o * runLength + 2 * py * rowWidth;
        int below = top + rowWidth;
        int target = outOff + o * pooledPlane + py * pooledW;
        // whole steps while x < end: one bound, as copyPlane's loop
        int end = Math.min(outW, Math.min(result.length - below - reads,
            2 * (limit - target - LANES)) + 1);
        int x = 0;
        for (; x < end; x += 2 * LANES) {
          // the larger (smaller) of the two rows; no vector crosses a method boundary
          FloatVector topLow = FloatVector.fromArray(SPECIES, result, top + x);
          FloatVector belowLow = FloatVector.fromArray(SPECIES, result, below + x);
          FloatVector low = decreasing ? topLow.min(belowLow) : topLow.max(belowLow);
          FloatVector evens;
          FloatVector odds;
          if (reads == LANES) { // the row's pairs in half a vector
            evens = PairLanes.evens(low);
            odds = PairLanes.odds(low);
          } else {
            FloatVector topHigh = FloatVector.fromArray(SPECIES, result, top + x + LANES);
            FloatVector belowHigh = FloatVector.fromArray(SPECIES, result, below + x + LANES);
            FloatVector high = decreasing ? topHigh.min(belowHigh) : topHigh.max(belowHigh);
            evens = PairLanes.evens(low, high);
            odds = PairLanes.odds(low, high);
          }
          (decreasing ? evens.min(odds) : evens.max(odds)).add(b).mul(s).add(t).max(lowest)
              .intoArray(out, target + x / 2);
        }
        for (; x < outW; x += 2) {
          float m = decreasing
              ? Math.min(Math.min(result[top + x], result[below + x]),
                  Math.min(result[top + x + 1], result[below + x + 1]))
              : Math.max(Math.max(result[top + x], result[below + x]),
                  Math.max(result[top + x + 1], result[below + x + 1]));
          out[target + x / 2] = mapped(m, bo, so, to, relu);
        }
      }
    }
  }

  /** {@code (r + bias) * scale + shift}, then {@code max(0, .)} if {@code relu}. */
  private static float mapped(float r, float bias, float scale, float shift, boolean relu) {
    float v = (r + bias) * scale + shift;
    return relu ? Math.max(v, 0f) : v;
  }

  /** {@link #microKernel3} with two vectors of columns: 8 x 2 accumulators. */
  private static void microKernel2(float[] a, int aAt, int depth, int[] offs, float[] padded,
      float[] result, int at, int row) {
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
      int bp = offs[p];
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
   * The 8 x 3-vector tile at result[at] from panel {@code a[aAt]} and pixels at {@code offs}: 24
   * accumulators, 3 loads and 8 broadcasts per 24 fused multiply-adds. Measured, ResNet-20
   * inference at 1 thread: a 4 x 2 tile (as in {@link VectorGemm}) 1,160 img/s, 8 x 2
   * 1,390-1,600, this 1,540-1,620; the JIT keeps all 24 in registers.
   */
  private static void microKernel3(float[] a, int aAt, int depth, int[] offs, float[] padded,
      float[] result, int at, int row) {
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
      int bp = offs[p];
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

  /**
   * The first 6 rows of a panel by 4 vectors at result[at]: 24 accumulators, 4 loads and 6
   * broadcasts per 24 fused multiply-adds.
   */
  private static void microKernel6x4(float[] a, int aAt, int depth, int[] offs,
      float[] padded, float[] result, int at, int row) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c02 = FloatVector.zero(SPECIES);
    FloatVector c03 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c12 = FloatVector.zero(SPECIES);
    FloatVector c13 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c22 = FloatVector.zero(SPECIES);
    FloatVector c23 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    FloatVector c32 = FloatVector.zero(SPECIES);
    FloatVector c33 = FloatVector.zero(SPECIES);
    FloatVector c40 = FloatVector.zero(SPECIES);
    FloatVector c41 = FloatVector.zero(SPECIES);
    FloatVector c42 = FloatVector.zero(SPECIES);
    FloatVector c43 = FloatVector.zero(SPECIES);
    FloatVector c50 = FloatVector.zero(SPECIES);
    FloatVector c51 = FloatVector.zero(SPECIES);
    FloatVector c52 = FloatVector.zero(SPECIES);
    FloatVector c53 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int bp = offs[p];
      FloatVector b0 = FloatVector.fromArray(SPECIES, padded, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, padded, bp + 1 * LANES);
      FloatVector b2 = FloatVector.fromArray(SPECIES, padded, bp + 2 * LANES);
      FloatVector b3 = FloatVector.fromArray(SPECIES, padded, bp + 3 * LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ap]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      c03 = a0.fma(b3, c03);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      c13 = a1.fma(b3, c13);
      FloatVector a2 = FloatVector.broadcast(SPECIES, a[ap + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      c22 = a2.fma(b2, c22);
      c23 = a2.fma(b3, c23);
      FloatVector a3 = FloatVector.broadcast(SPECIES, a[ap + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      c32 = a3.fma(b2, c32);
      c33 = a3.fma(b3, c33);
      FloatVector a4 = FloatVector.broadcast(SPECIES, a[ap + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      c42 = a4.fma(b2, c42);
      c43 = a4.fma(b3, c43);
      FloatVector a5 = FloatVector.broadcast(SPECIES, a[ap + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      c52 = a5.fma(b2, c52);
      c53 = a5.fma(b3, c53);
    }
    c00.intoArray(result, at);
    c01.intoArray(result, at + 1 * LANES);
    c02.intoArray(result, at + 2 * LANES);
    c03.intoArray(result, at + 3 * LANES);
    c10.intoArray(result, at + row);
    c11.intoArray(result, at + row + 1 * LANES);
    c12.intoArray(result, at + row + 2 * LANES);
    c13.intoArray(result, at + row + 3 * LANES);
    c20.intoArray(result, at + 2 * row);
    c21.intoArray(result, at + 2 * row + 1 * LANES);
    c22.intoArray(result, at + 2 * row + 2 * LANES);
    c23.intoArray(result, at + 2 * row + 3 * LANES);
    c30.intoArray(result, at + 3 * row);
    c31.intoArray(result, at + 3 * row + 1 * LANES);
    c32.intoArray(result, at + 3 * row + 2 * LANES);
    c33.intoArray(result, at + 3 * row + 3 * LANES);
    c40.intoArray(result, at + 4 * row);
    c41.intoArray(result, at + 4 * row + 1 * LANES);
    c42.intoArray(result, at + 4 * row + 2 * LANES);
    c43.intoArray(result, at + 4 * row + 3 * LANES);
    c50.intoArray(result, at + 5 * row);
    c51.intoArray(result, at + 5 * row + 1 * LANES);
    c52.intoArray(result, at + 5 * row + 2 * LANES);
    c53.intoArray(result, at + 5 * row + 3 * LANES);
  }

  /**
   * Four rows of a panel, from {@code a[aAt]} (its first or fifth row), by 2 vectors at
   * result[at]: the tile of {@link #runInHalves}.
   */
  private static void microKernel4x2(float[] a, int aAt, int depth, int[] offs, float[] padded,
      float[] result, int at, int row) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int bp = offs[p];
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
    }
    c00.intoArray(result, at);
    c01.intoArray(result, at + LANES);
    c10.intoArray(result, at + row);
    c11.intoArray(result, at + row + LANES);
    c20.intoArray(result, at + 2 * row);
    c21.intoArray(result, at + 2 * row + LANES);
    c30.intoArray(result, at + 3 * row);
    c31.intoArray(result, at + 3 * row + LANES);
  }

  /**
   * Two rows of a panel, from {@code a[aAt]} (its fifth), by 4 vectors at result[at]:
   * {@link #runInHalves}' tile for the last 2 rows of a 5- or 6-row panel, where a 4-row half
   * would multiply 2 zero rows (LeNet-5's 6-channel first conv and the adjoint into it). 8
   * accumulators, 4 loads and 2 broadcasts per 8 multiply-adds.
   */
  private static void microKernel2x4(float[] a, int aAt, int depth, int[] offs, float[] padded,
      float[] result, int at, int row) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c02 = FloatVector.zero(SPECIES);
    FloatVector c03 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c12 = FloatVector.zero(SPECIES);
    FloatVector c13 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int bp = offs[p];
      FloatVector b0 = FloatVector.fromArray(SPECIES, padded, bp);
      FloatVector b1 = FloatVector.fromArray(SPECIES, padded, bp + LANES);
      FloatVector b2 = FloatVector.fromArray(SPECIES, padded, bp + 2 * LANES);
      FloatVector b3 = FloatVector.fromArray(SPECIES, padded, bp + 3 * LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, a[ap]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      c03 = a0.fma(b3, c03);
      FloatVector a1 = FloatVector.broadcast(SPECIES, a[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      c13 = a1.fma(b3, c13);
    }
    c00.intoArray(result, at);
    c01.intoArray(result, at + LANES);
    c02.intoArray(result, at + 2 * LANES);
    c03.intoArray(result, at + 3 * LANES);
    c10.intoArray(result, at + row);
    c11.intoArray(result, at + row + LANES);
    c12.intoArray(result, at + row + 2 * LANES);
    c13.intoArray(result, at + row + 3 * LANES);
  }

  /**
   * The 8 x 1-vector tile: a run of one vector (longer runs end in 3- and 2-vector tiles), and
   * the vectors after a 6-row panel's 6 x 4 tiles.
   */
  private static void microKernel1(float[] a, int aAt, int depth, int[] offs, float[] padded,
      float[] result, int at, int row) {
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
      int bp = offs[p];
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
}
