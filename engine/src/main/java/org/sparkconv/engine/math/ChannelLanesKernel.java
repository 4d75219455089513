package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A {@link DirectConv} forward with vectors over output channels instead of pixels:
 * {@code outT[q * outPad + o] = sum over p < depth of padded[offsets[p] + pixelOffsets[q]] *
 * w[o][p]}, the convolution transposed to pixel-major rows. The pixel-vector kernel
 * ({@link DirectConvKernel#run}) computes whole runs of the padded rows, the dropped columns
 * and a run rounded up to whole tiles included: on a 7x7 plane 64 positions for 49 pixels. Here
 * only the output's pixels are multiplied (the narrower tiles' count rounded up to
 * {@link #PIXEL_MULTIPLE}, the extra ones repeating the last; the widest tile leaves what is
 * past its last whole tile to a one-pixel tile), and a tile broadcasts one padded
 * entry per pixel and tap to every output channel. The weights are packed in chunks of the
 * tile widths (4, 2, 1 vectors), each {@code (depth, chunk width)}, so that a tile steps
 * through them by a constant: with the stride a variable the same tile measured 74-91 GMAC/s
 * on data in cache, with it constant 100. Touched only when the incubator module is resolved.
 */
final class ChannelLanesKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final boolean FEW_REGISTERS = VectorApi.hasFewRegisters();
  /** Pixels every tile height divides: the pixel offsets are padded to a multiple of it. */
  static final int PIXEL_MULTIPLE = 12;

  private ChannelLanesKernel() {}

  /**
   * Where weight {@code (o, p)} goes in weights packed for {@link #run} with {@code outPad}
   * output lanes: chunks of 4 vectors of output channels, then of 2, then of 1, each
   * {@code (depth, width)}, one after another.
   */
  static int packedIndex(int o, int p, int depth, int outPad) {
    int start = 0;
    int width = chunkWidth(outPad);
    while (o >= start + width) {
      start += width;
      width = chunkWidth(outPad - start);
    }
    return start * depth + p * width + o - start;
  }

  /**
   * The fewest pixels that fill every tile of {@link #run} on {@code outPad} output channels:
   * 6 where they are all 4 vectors wide, else {@link #PIXEL_MULTIPLE} (the narrower tiles'
   * height, which the widest divides).
   */
  static int tileRows(int outPad) {
    return outPad % (4 * LANES) == 0 ? 6 : PIXEL_MULTIPLE;
  }

  /** The widest tile that fits {@code left} output channels. */
  static int chunkWidth(int left) {
    return left >= 4 * LANES ? 4 * LANES : left >= 2 * LANES ? 2 * LANES : LANES;
  }

  /**
   * {@code outT (pixelOffsets.length, outPad)} as in the class comment for the first
   * {@code pixels} (and the repeated ones up to a multiple of the tile height), with weights laid
   * out by {@link #packedIndex}; {@code pixelOffsets.length} is {@code pixels} rounded up to
   * {@link #PIXEL_MULTIPLE}.
   */
  static void run(float[] packedT, int outPad, int depth, int[] offsets, float[] padded,
      int[] pixelOffsets, int pixels, float[] outT) {
    run(packedT, 0, outPad, depth, offsets, padded, pixelOffsets, pixels, outT, 0, false);
  }

  /**
   * As {@link #run(float[], int, int, int[], float[], int[], int, float[])} with the packed
   * weights from {@code packedT[packedOff]} and the result at {@code outT[outOff]}: one of
   * several GEMMs packed one after another ({@link WinogradConv}'s positions). Where
   * {@code contiguous}, the caller promises {@code offsets[p] == offsets[0] + p} (a GEMM over
   * channels side by side, as Winograd's by channels), and the 2- and 4-vector tiles step
   * through the padded entries by their index instead of the table: with the table, each of a
   * step's broadcasts (12 or 6) takes an add and a bounds check of its own in C2's code
   * ({@code scripts/disassemble.sh ChannelLanesKernel::pixels12x2}: 104 instructions a step
   * for 24 multiply-adds), where an index that grows with the step lets C2 check each pixel's
   * range once before the loop.
   */
  static void run(float[] packedT, int packedOff, int outPad, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int pixels, float[] outT, int outOff,
      boolean contiguous) {
    int first = offsets[0];
    int o = 0;
    while (o < outPad) {
      int width = chunkWidth(outPad - o);
      int chunk = packedOff + o * depth;
      // the tiles index outT as row * outPad + column: the offset rides on the column
      int column = outOff + o;
      if (FEW_REGISTERS && width > LANES) { // see VectorApi.hasFewRegisters
        // as below: 4-vector chunks leave the pixels past whole tiles to one-pixel tiles,
        // 2-vector chunks compute the repeated ones up to the padded offsets' length
        int whole = width == 4 * LANES ? pixels - pixels % 6 : pixels;
        int q = 0;
        for (; q < whole; q += 6) {
          for (int half = 0; half < width; half += 2 * LANES) {
            if (contiguous) {
              pixels6x2Contiguous(packedT, chunk + half, width, depth, first, padded,
                  pixelOffsets, q, outT, outPad, column + half);
            } else {
              pixels6x2(packedT, chunk + half, width, depth, offsets, padded, pixelOffsets, q,
                  outT, outPad, column + half);
            }
          }
        }
        for (; q < pixels; q++) {
          pixels1x4(packedT, chunk, depth, offsets, padded, pixelOffsets[q], outT,
              q * outPad + column);
        }
      } else if (width == 4 * LANES) {
        int q = 0;
        for (; q + 6 <= pixels; q += 6) {
          if (contiguous) {
            pixels6x4Contiguous(packedT, chunk, depth, first, padded, pixelOffsets, q, outT,
                outPad, column);
          } else {
            pixels6x4(packedT, chunk, depth, offsets, padded, pixelOffsets, q, outT, outPad,
                column);
          }
        }
        for (; q < pixels; q++) {
          pixels1x4(packedT, chunk, depth, offsets, padded, pixelOffsets[q], outT,
              q * outPad + column);
        }
      } else if (width == 2 * LANES) {
        for (int q = 0; q < pixels; q += 12) {
          if (contiguous) {
            pixels12x2Contiguous(packedT, chunk, depth, first, padded, pixelOffsets, q, outT,
                outPad, column);
          } else {
            pixels12x2(packedT, chunk, depth, offsets, padded, pixelOffsets, q, outT, outPad,
                column);
          }
        }
      } else {
        for (int q = 0; q < pixels; q += 12) {
          pixels12x1(packedT, chunk, depth, offsets, padded, pixelOffsets, q, outT, outPad,
              column);
        }
      }
      o += width;
    }
  }

  /** 6 pixels by 4 vectors of output channels: 24 accumulators, 4 loads + 6 broadcasts. */
  private static void pixels6x4(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad, int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c0_2 = FloatVector.zero(SPECIES);
    FloatVector c0_3 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c1_2 = FloatVector.zero(SPECIES);
    FloatVector c1_3 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c2_2 = FloatVector.zero(SPECIES);
    FloatVector c2_3 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
    FloatVector c3_2 = FloatVector.zero(SPECIES);
    FloatVector c3_3 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c4_1 = FloatVector.zero(SPECIES);
    FloatVector c4_2 = FloatVector.zero(SPECIES);
    FloatVector c4_3 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c5_1 = FloatVector.zero(SPECIES);
    FloatVector c5_2 = FloatVector.zero(SPECIES);
    FloatVector c5_3 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * 4 * LANES;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + 1 * LANES);
      FloatVector w2 = FloatVector.fromArray(SPECIES, packedT, w + 2 * LANES);
      FloatVector w3 = FloatVector.fromArray(SPECIES, packedT, w + 3 * LANES);
      int x = offsets[p];
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      c0_1 = a0.fma(w1, c0_1);
      c0_2 = a0.fma(w2, c0_2);
      c0_3 = a0.fma(w3, c0_3);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      c1_1 = a1.fma(w1, c1_1);
      c1_2 = a1.fma(w2, c1_2);
      c1_3 = a1.fma(w3, c1_3);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      c2_1 = a2.fma(w1, c2_1);
      c2_2 = a2.fma(w2, c2_2);
      c2_3 = a2.fma(w3, c2_3);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      c3_1 = a3.fma(w1, c3_1);
      c3_2 = a3.fma(w2, c3_2);
      c3_3 = a3.fma(w3, c3_3);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      c4_1 = a4.fma(w1, c4_1);
      c4_2 = a4.fma(w2, c4_2);
      c4_3 = a4.fma(w3, c4_3);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      c5_1 = a5.fma(w1, c5_1);
      c5_2 = a5.fma(w2, c5_2);
      c5_3 = a5.fma(w3, c5_3);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c0_1.intoArray(outT, (q + 0) * outPad + o + 1 * LANES);
    c0_2.intoArray(outT, (q + 0) * outPad + o + 2 * LANES);
    c0_3.intoArray(outT, (q + 0) * outPad + o + 3 * LANES);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c1_1.intoArray(outT, (q + 1) * outPad + o + 1 * LANES);
    c1_2.intoArray(outT, (q + 1) * outPad + o + 2 * LANES);
    c1_3.intoArray(outT, (q + 1) * outPad + o + 3 * LANES);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c2_1.intoArray(outT, (q + 2) * outPad + o + 1 * LANES);
    c2_2.intoArray(outT, (q + 2) * outPad + o + 2 * LANES);
    c2_3.intoArray(outT, (q + 2) * outPad + o + 3 * LANES);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c3_1.intoArray(outT, (q + 3) * outPad + o + 1 * LANES);
    c3_2.intoArray(outT, (q + 3) * outPad + o + 2 * LANES);
    c3_3.intoArray(outT, (q + 3) * outPad + o + 3 * LANES);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c4_1.intoArray(outT, (q + 4) * outPad + o + 1 * LANES);
    c4_2.intoArray(outT, (q + 4) * outPad + o + 2 * LANES);
    c4_3.intoArray(outT, (q + 4) * outPad + o + 3 * LANES);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c5_1.intoArray(outT, (q + 5) * outPad + o + 1 * LANES);
    c5_2.intoArray(outT, (q + 5) * outPad + o + 2 * LANES);
    c5_3.intoArray(outT, (q + 5) * outPad + o + 3 * LANES);
  }

  /** {@link #pixels6x4} where {@code offsets[p] == first + p}: see {@link #run}. */
  private static void pixels6x4Contiguous(float[] packedT, int chunk, int depth, int first,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad, int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c0_2 = FloatVector.zero(SPECIES);
    FloatVector c0_3 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c1_2 = FloatVector.zero(SPECIES);
    FloatVector c1_3 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c2_2 = FloatVector.zero(SPECIES);
    FloatVector c2_3 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
    FloatVector c3_2 = FloatVector.zero(SPECIES);
    FloatVector c3_3 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c4_1 = FloatVector.zero(SPECIES);
    FloatVector c4_2 = FloatVector.zero(SPECIES);
    FloatVector c4_3 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c5_1 = FloatVector.zero(SPECIES);
    FloatVector c5_2 = FloatVector.zero(SPECIES);
    FloatVector c5_3 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * 4 * LANES;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + 1 * LANES);
      FloatVector w2 = FloatVector.fromArray(SPECIES, packedT, w + 2 * LANES);
      FloatVector w3 = FloatVector.fromArray(SPECIES, packedT, w + 3 * LANES);
      int x = first + p;
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      c0_1 = a0.fma(w1, c0_1);
      c0_2 = a0.fma(w2, c0_2);
      c0_3 = a0.fma(w3, c0_3);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      c1_1 = a1.fma(w1, c1_1);
      c1_2 = a1.fma(w2, c1_2);
      c1_3 = a1.fma(w3, c1_3);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      c2_1 = a2.fma(w1, c2_1);
      c2_2 = a2.fma(w2, c2_2);
      c2_3 = a2.fma(w3, c2_3);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      c3_1 = a3.fma(w1, c3_1);
      c3_2 = a3.fma(w2, c3_2);
      c3_3 = a3.fma(w3, c3_3);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      c4_1 = a4.fma(w1, c4_1);
      c4_2 = a4.fma(w2, c4_2);
      c4_3 = a4.fma(w3, c4_3);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      c5_1 = a5.fma(w1, c5_1);
      c5_2 = a5.fma(w2, c5_2);
      c5_3 = a5.fma(w3, c5_3);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c0_1.intoArray(outT, (q + 0) * outPad + o + 1 * LANES);
    c0_2.intoArray(outT, (q + 0) * outPad + o + 2 * LANES);
    c0_3.intoArray(outT, (q + 0) * outPad + o + 3 * LANES);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c1_1.intoArray(outT, (q + 1) * outPad + o + 1 * LANES);
    c1_2.intoArray(outT, (q + 1) * outPad + o + 2 * LANES);
    c1_3.intoArray(outT, (q + 1) * outPad + o + 3 * LANES);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c2_1.intoArray(outT, (q + 2) * outPad + o + 1 * LANES);
    c2_2.intoArray(outT, (q + 2) * outPad + o + 2 * LANES);
    c2_3.intoArray(outT, (q + 2) * outPad + o + 3 * LANES);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c3_1.intoArray(outT, (q + 3) * outPad + o + 1 * LANES);
    c3_2.intoArray(outT, (q + 3) * outPad + o + 2 * LANES);
    c3_3.intoArray(outT, (q + 3) * outPad + o + 3 * LANES);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c4_1.intoArray(outT, (q + 4) * outPad + o + 1 * LANES);
    c4_2.intoArray(outT, (q + 4) * outPad + o + 2 * LANES);
    c4_3.intoArray(outT, (q + 4) * outPad + o + 3 * LANES);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c5_1.intoArray(outT, (q + 5) * outPad + o + 1 * LANES);
    c5_2.intoArray(outT, (q + 5) * outPad + o + 2 * LANES);
    c5_3.intoArray(outT, (q + 5) * outPad + o + 3 * LANES);
  }

  /**
   * One pixel by 4 vectors, for the pixels past the last whole 6-pixel tile: on a 7x7 plane the
   * 49th, where a ninth tile would compute five repeated pixels (54 for 49). 64 images of
   * 64x7x7->64, one thread: the kernel 1.32 -> 1.21 ms, the forward with its pad and copy-out
   * 1.52 -> 1.42.
   */
  private static void pixels1x4(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int j, float[] outT, int at) {
    FloatVector c0 = FloatVector.zero(SPECIES);
    FloatVector c1 = FloatVector.zero(SPECIES);
    FloatVector c2 = FloatVector.zero(SPECIES);
    FloatVector c3 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * 4 * LANES;
      FloatVector a = FloatVector.broadcast(SPECIES, padded[offsets[p] + j]);
      c0 = a.fma(FloatVector.fromArray(SPECIES, packedT, w), c0);
      c1 = a.fma(FloatVector.fromArray(SPECIES, packedT, w + 1 * LANES), c1);
      c2 = a.fma(FloatVector.fromArray(SPECIES, packedT, w + 2 * LANES), c2);
      c3 = a.fma(FloatVector.fromArray(SPECIES, packedT, w + 3 * LANES), c3);
    }
    c0.intoArray(outT, at);
    c1.intoArray(outT, at + 1 * LANES);
    c2.intoArray(outT, at + 2 * LANES);
    c3.intoArray(outT, at + 3 * LANES);
  }

  /**
   * 6 pixels by 2 vectors of output channels, from {@code packedT[chunk]} in a chunk
   * {@code width} floats wide (2 or 4 vectors: the first or second half of a 4-vector chunk):
   * the tile of {@link #run} where AVX2 has 16 vector registers, 12 accumulators and 2 loads +
   * 6 broadcasts per 12 multiply-adds.
   */
  private static void pixels6x2(float[] packedT, int chunk, int width, int depth,
      int[] offsets, float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad,
      int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c4_1 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c5_1 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * width;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + LANES);
      int x = offsets[p];
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      c0_1 = a0.fma(w1, c0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      c1_1 = a1.fma(w1, c1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      c2_1 = a2.fma(w1, c2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      c3_1 = a3.fma(w1, c3_1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      c4_1 = a4.fma(w1, c4_1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      c5_1 = a5.fma(w1, c5_1);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c0_1.intoArray(outT, (q + 0) * outPad + o + LANES);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c1_1.intoArray(outT, (q + 1) * outPad + o + LANES);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c2_1.intoArray(outT, (q + 2) * outPad + o + LANES);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c3_1.intoArray(outT, (q + 3) * outPad + o + LANES);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c4_1.intoArray(outT, (q + 4) * outPad + o + LANES);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c5_1.intoArray(outT, (q + 5) * outPad + o + LANES);
  }
  /** {@link #pixels6x2} where {@code offsets[p] == first + p}: see {@link #run}. */
  private static void pixels6x2Contiguous(float[] packedT, int chunk, int width, int depth,
      int first, float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad,
      int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c4_1 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c5_1 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * width;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + LANES);
      int x = first + p;
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      c0_1 = a0.fma(w1, c0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      c1_1 = a1.fma(w1, c1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      c2_1 = a2.fma(w1, c2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      c3_1 = a3.fma(w1, c3_1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      c4_1 = a4.fma(w1, c4_1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      c5_1 = a5.fma(w1, c5_1);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c0_1.intoArray(outT, (q + 0) * outPad + o + LANES);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c1_1.intoArray(outT, (q + 1) * outPad + o + LANES);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c2_1.intoArray(outT, (q + 2) * outPad + o + LANES);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c3_1.intoArray(outT, (q + 3) * outPad + o + LANES);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c4_1.intoArray(outT, (q + 4) * outPad + o + LANES);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c5_1.intoArray(outT, (q + 5) * outPad + o + LANES);
  }

  /** 12 pixels by 2 vectors: 24 accumulators, 2 loads + 12 broadcasts. */
  private static void pixels12x2(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad, int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    int j6 = pixelOffsets[q + 6];
    int j7 = pixelOffsets[q + 7];
    int j8 = pixelOffsets[q + 8];
    int j9 = pixelOffsets[q + 9];
    int j10 = pixelOffsets[q + 10];
    int j11 = pixelOffsets[q + 11];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c4_1 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c5_1 = FloatVector.zero(SPECIES);
    FloatVector c6_0 = FloatVector.zero(SPECIES);
    FloatVector c6_1 = FloatVector.zero(SPECIES);
    FloatVector c7_0 = FloatVector.zero(SPECIES);
    FloatVector c7_1 = FloatVector.zero(SPECIES);
    FloatVector c8_0 = FloatVector.zero(SPECIES);
    FloatVector c8_1 = FloatVector.zero(SPECIES);
    FloatVector c9_0 = FloatVector.zero(SPECIES);
    FloatVector c9_1 = FloatVector.zero(SPECIES);
    FloatVector c10_0 = FloatVector.zero(SPECIES);
    FloatVector c10_1 = FloatVector.zero(SPECIES);
    FloatVector c11_0 = FloatVector.zero(SPECIES);
    FloatVector c11_1 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * 2 * LANES;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + 1 * LANES);
      int x = offsets[p];
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      c0_1 = a0.fma(w1, c0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      c1_1 = a1.fma(w1, c1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      c2_1 = a2.fma(w1, c2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      c3_1 = a3.fma(w1, c3_1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      c4_1 = a4.fma(w1, c4_1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      c5_1 = a5.fma(w1, c5_1);
      FloatVector a6 = FloatVector.broadcast(SPECIES, padded[x + j6]);
      c6_0 = a6.fma(w0, c6_0);
      c6_1 = a6.fma(w1, c6_1);
      FloatVector a7 = FloatVector.broadcast(SPECIES, padded[x + j7]);
      c7_0 = a7.fma(w0, c7_0);
      c7_1 = a7.fma(w1, c7_1);
      FloatVector a8 = FloatVector.broadcast(SPECIES, padded[x + j8]);
      c8_0 = a8.fma(w0, c8_0);
      c8_1 = a8.fma(w1, c8_1);
      FloatVector a9 = FloatVector.broadcast(SPECIES, padded[x + j9]);
      c9_0 = a9.fma(w0, c9_0);
      c9_1 = a9.fma(w1, c9_1);
      FloatVector a10 = FloatVector.broadcast(SPECIES, padded[x + j10]);
      c10_0 = a10.fma(w0, c10_0);
      c10_1 = a10.fma(w1, c10_1);
      FloatVector a11 = FloatVector.broadcast(SPECIES, padded[x + j11]);
      c11_0 = a11.fma(w0, c11_0);
      c11_1 = a11.fma(w1, c11_1);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c0_1.intoArray(outT, (q + 0) * outPad + o + 1 * LANES);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c1_1.intoArray(outT, (q + 1) * outPad + o + 1 * LANES);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c2_1.intoArray(outT, (q + 2) * outPad + o + 1 * LANES);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c3_1.intoArray(outT, (q + 3) * outPad + o + 1 * LANES);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c4_1.intoArray(outT, (q + 4) * outPad + o + 1 * LANES);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c5_1.intoArray(outT, (q + 5) * outPad + o + 1 * LANES);
    c6_0.intoArray(outT, (q + 6) * outPad + o);
    c6_1.intoArray(outT, (q + 6) * outPad + o + 1 * LANES);
    c7_0.intoArray(outT, (q + 7) * outPad + o);
    c7_1.intoArray(outT, (q + 7) * outPad + o + 1 * LANES);
    c8_0.intoArray(outT, (q + 8) * outPad + o);
    c8_1.intoArray(outT, (q + 8) * outPad + o + 1 * LANES);
    c9_0.intoArray(outT, (q + 9) * outPad + o);
    c9_1.intoArray(outT, (q + 9) * outPad + o + 1 * LANES);
    c10_0.intoArray(outT, (q + 10) * outPad + o);
    c10_1.intoArray(outT, (q + 10) * outPad + o + 1 * LANES);
    c11_0.intoArray(outT, (q + 11) * outPad + o);
    c11_1.intoArray(outT, (q + 11) * outPad + o + 1 * LANES);
  }

  /** {@link #pixels12x2} where {@code offsets[p] == first + p}: see {@link #run}. */
  private static void pixels12x2Contiguous(float[] packedT, int chunk, int depth, int first,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad, int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    int j6 = pixelOffsets[q + 6];
    int j7 = pixelOffsets[q + 7];
    int j8 = pixelOffsets[q + 8];
    int j9 = pixelOffsets[q + 9];
    int j10 = pixelOffsets[q + 10];
    int j11 = pixelOffsets[q + 11];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c4_1 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c5_1 = FloatVector.zero(SPECIES);
    FloatVector c6_0 = FloatVector.zero(SPECIES);
    FloatVector c6_1 = FloatVector.zero(SPECIES);
    FloatVector c7_0 = FloatVector.zero(SPECIES);
    FloatVector c7_1 = FloatVector.zero(SPECIES);
    FloatVector c8_0 = FloatVector.zero(SPECIES);
    FloatVector c8_1 = FloatVector.zero(SPECIES);
    FloatVector c9_0 = FloatVector.zero(SPECIES);
    FloatVector c9_1 = FloatVector.zero(SPECIES);
    FloatVector c10_0 = FloatVector.zero(SPECIES);
    FloatVector c10_1 = FloatVector.zero(SPECIES);
    FloatVector c11_0 = FloatVector.zero(SPECIES);
    FloatVector c11_1 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * 2 * LANES;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + 1 * LANES);
      int x = first + p;
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      c0_1 = a0.fma(w1, c0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      c1_1 = a1.fma(w1, c1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      c2_1 = a2.fma(w1, c2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      c3_1 = a3.fma(w1, c3_1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      c4_1 = a4.fma(w1, c4_1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      c5_1 = a5.fma(w1, c5_1);
      FloatVector a6 = FloatVector.broadcast(SPECIES, padded[x + j6]);
      c6_0 = a6.fma(w0, c6_0);
      c6_1 = a6.fma(w1, c6_1);
      FloatVector a7 = FloatVector.broadcast(SPECIES, padded[x + j7]);
      c7_0 = a7.fma(w0, c7_0);
      c7_1 = a7.fma(w1, c7_1);
      FloatVector a8 = FloatVector.broadcast(SPECIES, padded[x + j8]);
      c8_0 = a8.fma(w0, c8_0);
      c8_1 = a8.fma(w1, c8_1);
      FloatVector a9 = FloatVector.broadcast(SPECIES, padded[x + j9]);
      c9_0 = a9.fma(w0, c9_0);
      c9_1 = a9.fma(w1, c9_1);
      FloatVector a10 = FloatVector.broadcast(SPECIES, padded[x + j10]);
      c10_0 = a10.fma(w0, c10_0);
      c10_1 = a10.fma(w1, c10_1);
      FloatVector a11 = FloatVector.broadcast(SPECIES, padded[x + j11]);
      c11_0 = a11.fma(w0, c11_0);
      c11_1 = a11.fma(w1, c11_1);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c0_1.intoArray(outT, (q + 0) * outPad + o + 1 * LANES);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c1_1.intoArray(outT, (q + 1) * outPad + o + 1 * LANES);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c2_1.intoArray(outT, (q + 2) * outPad + o + 1 * LANES);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c3_1.intoArray(outT, (q + 3) * outPad + o + 1 * LANES);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c4_1.intoArray(outT, (q + 4) * outPad + o + 1 * LANES);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c5_1.intoArray(outT, (q + 5) * outPad + o + 1 * LANES);
    c6_0.intoArray(outT, (q + 6) * outPad + o);
    c6_1.intoArray(outT, (q + 6) * outPad + o + 1 * LANES);
    c7_0.intoArray(outT, (q + 7) * outPad + o);
    c7_1.intoArray(outT, (q + 7) * outPad + o + 1 * LANES);
    c8_0.intoArray(outT, (q + 8) * outPad + o);
    c8_1.intoArray(outT, (q + 8) * outPad + o + 1 * LANES);
    c9_0.intoArray(outT, (q + 9) * outPad + o);
    c9_1.intoArray(outT, (q + 9) * outPad + o + 1 * LANES);
    c10_0.intoArray(outT, (q + 10) * outPad + o);
    c10_1.intoArray(outT, (q + 10) * outPad + o + 1 * LANES);
    c11_0.intoArray(outT, (q + 11) * outPad + o);
    c11_1.intoArray(outT, (q + 11) * outPad + o + 1 * LANES);
  }

  /** 12 pixels by 1 vector: the last vector of outputs. */
  private static void pixels12x1(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int outPad, int o) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    int j6 = pixelOffsets[q + 6];
    int j7 = pixelOffsets[q + 7];
    int j8 = pixelOffsets[q + 8];
    int j9 = pixelOffsets[q + 9];
    int j10 = pixelOffsets[q + 10];
    int j11 = pixelOffsets[q + 11];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c6_0 = FloatVector.zero(SPECIES);
    FloatVector c7_0 = FloatVector.zero(SPECIES);
    FloatVector c8_0 = FloatVector.zero(SPECIES);
    FloatVector c9_0 = FloatVector.zero(SPECIES);
    FloatVector c10_0 = FloatVector.zero(SPECIES);
    FloatVector c11_0 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * 1 * LANES;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      int x = offsets[p];
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x + j0]);
      c0_0 = a0.fma(w0, c0_0);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x + j1]);
      c1_0 = a1.fma(w0, c1_0);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x + j2]);
      c2_0 = a2.fma(w0, c2_0);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x + j3]);
      c3_0 = a3.fma(w0, c3_0);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x + j4]);
      c4_0 = a4.fma(w0, c4_0);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x + j5]);
      c5_0 = a5.fma(w0, c5_0);
      FloatVector a6 = FloatVector.broadcast(SPECIES, padded[x + j6]);
      c6_0 = a6.fma(w0, c6_0);
      FloatVector a7 = FloatVector.broadcast(SPECIES, padded[x + j7]);
      c7_0 = a7.fma(w0, c7_0);
      FloatVector a8 = FloatVector.broadcast(SPECIES, padded[x + j8]);
      c8_0 = a8.fma(w0, c8_0);
      FloatVector a9 = FloatVector.broadcast(SPECIES, padded[x + j9]);
      c9_0 = a9.fma(w0, c9_0);
      FloatVector a10 = FloatVector.broadcast(SPECIES, padded[x + j10]);
      c10_0 = a10.fma(w0, c10_0);
      FloatVector a11 = FloatVector.broadcast(SPECIES, padded[x + j11]);
      c11_0 = a11.fma(w0, c11_0);
    }
    c0_0.intoArray(outT, (q + 0) * outPad + o);
    c1_0.intoArray(outT, (q + 1) * outPad + o);
    c2_0.intoArray(outT, (q + 2) * outPad + o);
    c3_0.intoArray(outT, (q + 3) * outPad + o);
    c4_0.intoArray(outT, (q + 4) * outPad + o);
    c5_0.intoArray(outT, (q + 5) * outPad + o);
    c6_0.intoArray(outT, (q + 6) * outPad + o);
    c7_0.intoArray(outT, (q + 7) * outPad + o);
    c8_0.intoArray(outT, (q + 8) * outPad + o);
    c9_0.intoArray(outT, (q + 9) * outPad + o);
    c10_0.intoArray(outT, (q + 10) * outPad + o);
    c11_0.intoArray(outT, (q + 11) * outPad + o);
  }

}
