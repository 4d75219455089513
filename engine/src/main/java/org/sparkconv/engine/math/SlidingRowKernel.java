package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A stride-1 convolution with a 5-wide kernel and at most 16 output channels, with vectors over
 * those channels, a tile of 10 consecutive output pixels of one row at a time:
 * {@code outT[(oy * outW + ox) * 16 + o] = sum over rows r = (c, ki) and kj of
 * padded[rowOffsets[r] + oy * rowWidth + ox + kj] * w[o][r * 5 + kj]}. A tile reads 14
 * consecutive entries of each kernel row, and each entry is broadcast once and multiplied into
 * every pixel of the tile its taps reach (up to 5), against the kernel row's 5 weight vectors
 * held in registers: per kernel row, 14 broadcasts and 5 loads for 50 multiply-adds.
 * {@link ChannelLanesKernel} broadcasts each entry once per pixel and tap (one broadcast per
 * multiply-add on a single vector: 35.6 GMAC/s on LeNet-5's second conv, 256 images, against
 * 57.2 here, one thread of a 57-58 GMAC/s Zen 4), and the pixel-vector kernel computes whole
 * vectors of padded rows, which rows of 10 in 14 leave 100 outputs of 160 positions. Only the
 * output's pixels are computed; a row whose width is not a multiple of 10 ends with a tile
 * moved left to end at the row's end, whose first pixels are computed twice, the same sums.
 *
 * <p>A 14-pixel tile for 3-wide kernels ran as fast on ResNet-20's 16x28x28->16 (57.0 GMAC/s
 * alone, 64 images) but lost inside the network to the rows that wrap there, which compute no
 * dropped columns and write planes without a transpose (training steps 0.981x with the
 * forward pass and adjoint by it), and was removed. Weights packed as
 * {@link ChannelLanesKernel} packs 16 output lanes: {@code packedT[p * 16 + o]},
 * {@code p = r * 5 + kj}. With AVX2's 16 vector registers (8 lanes) the tile is 5 pixels by
 * both vectors of lanes, a tap at a time ({@link #taps5x2}). Touched only when the incubator
 * module is resolved.
 */
final class SlidingRowKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Output lanes of the packed weights and of the result's rows. */
  static final int OUT_PAD = 16;
  /** Pixels of a tile. */
  private static final int TILE = 10;
  /** Pixels of a tile where AVX2 has 16 vector registers: see {@link #taps5x2}. */
  private static final int NARROW_TILE = 5;
  private static final boolean FEW_REGISTERS = VectorApi.hasFewRegisters();

  private SlidingRowKernel() {}

  /**
   * Pixels of a tile for a {@code kernelW}-wide kernel, 0 where this kernel has no tile for it
   * (all but 5): output rows must be at least this wide.
   */
  static int tile(int kernelW) {
    return kernelW == 5 ? TILE : 0;
  }

  /**
   * The sums of the class comment for every output pixel of an {@code outH x outW} output
   * ({@code outW} at least {@link #tile}) of a 5-wide kernel, into {@code outT} pixel-major
   * with rows of {@link #OUT_PAD}; {@code rowOffsets} per kernel row {@code (c, ki)}, the entry
   * its first tap reads for output pixel (0, 0), and {@code tapOffsets} the same per tap
   * {@code (c, ki, kj)}.
   */
  static void run(float[] packedT, int[] rowOffsets, int[] tapOffsets, float[] padded,
      int rowWidth, int outH, int outW, float[] outT) {
    int tile = FEW_REGISTERS ? NARROW_TILE : TILE;
    int step = FEW_REGISTERS ? 2 * LANES : LANES;
    for (int v = 0; v < OUT_PAD; v += step) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ; ox += tile) {
          int x = Math.min(ox, outW - tile);
          int at = (oy * outW + x) * OUT_PAD + v;
          if (FEW_REGISTERS) {
            taps5x2(packedT, v, tapOffsets, padded, oy * rowWidth + x, outT, at);
          } else {
            tile10x5(packedT, v, rowOffsets, padded, oy * rowWidth + x, outT, at);
          }
          if (x + tile >= outW) {
            break;
          }
        }
      }
    }
  }

  /** 10 pixels of a row by a 5-wide kernel: 10 accumulators, 14 broadcasts + 5 loads a row. */
  private static void tile10x5(float[] packedT, int v, int[] rowOffsets, float[] padded,
      int base, float[] outT, int at) {
    FloatVector c0 = FloatVector.zero(SPECIES);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    FloatVector c4 = c0;
    FloatVector c5 = c0;
    FloatVector c6 = c0;
    FloatVector c7 = c0;
    FloatVector c8 = c0;
    FloatVector c9 = c0;
    for (int r = 0; r < rowOffsets.length; r++) {
      int b = base + rowOffsets[r];
      int w = v + r * 5 * OUT_PAD;
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, w + OUT_PAD);
      FloatVector w2 = FloatVector.fromArray(SPECIES, packedT, w + 2 * OUT_PAD);
      FloatVector w3 = FloatVector.fromArray(SPECIES, packedT, w + 3 * OUT_PAD);
      FloatVector w4 = FloatVector.fromArray(SPECIES, packedT, w + 4 * OUT_PAD);
      FloatVector a = FloatVector.broadcast(SPECIES, padded[b]);
      c0 = a.fma(w0, c0);
      a = FloatVector.broadcast(SPECIES, padded[b + 1]);
      c0 = a.fma(w1, c0);
      c1 = a.fma(w0, c1);
      a = FloatVector.broadcast(SPECIES, padded[b + 2]);
      c0 = a.fma(w2, c0);
      c1 = a.fma(w1, c1);
      c2 = a.fma(w0, c2);
      a = FloatVector.broadcast(SPECIES, padded[b + 3]);
      c0 = a.fma(w3, c0);
      c1 = a.fma(w2, c1);
      c2 = a.fma(w1, c2);
      c3 = a.fma(w0, c3);
      a = FloatVector.broadcast(SPECIES, padded[b + 4]);
      c0 = a.fma(w4, c0);
      c1 = a.fma(w3, c1);
      c2 = a.fma(w2, c2);
      c3 = a.fma(w1, c3);
      c4 = a.fma(w0, c4);
      a = FloatVector.broadcast(SPECIES, padded[b + 5]);
      c1 = a.fma(w4, c1);
      c2 = a.fma(w3, c2);
      c3 = a.fma(w2, c3);
      c4 = a.fma(w1, c4);
      c5 = a.fma(w0, c5);
      a = FloatVector.broadcast(SPECIES, padded[b + 6]);
      c2 = a.fma(w4, c2);
      c3 = a.fma(w3, c3);
      c4 = a.fma(w2, c4);
      c5 = a.fma(w1, c5);
      c6 = a.fma(w0, c6);
      a = FloatVector.broadcast(SPECIES, padded[b + 7]);
      c3 = a.fma(w4, c3);
      c4 = a.fma(w3, c4);
      c5 = a.fma(w2, c5);
      c6 = a.fma(w1, c6);
      c7 = a.fma(w0, c7);
      a = FloatVector.broadcast(SPECIES, padded[b + 8]);
      c4 = a.fma(w4, c4);
      c5 = a.fma(w3, c5);
      c6 = a.fma(w2, c6);
      c7 = a.fma(w1, c7);
      c8 = a.fma(w0, c8);
      a = FloatVector.broadcast(SPECIES, padded[b + 9]);
      c5 = a.fma(w4, c5);
      c6 = a.fma(w3, c6);
      c7 = a.fma(w2, c7);
      c8 = a.fma(w1, c8);
      c9 = a.fma(w0, c9);
      a = FloatVector.broadcast(SPECIES, padded[b + 10]);
      c6 = a.fma(w4, c6);
      c7 = a.fma(w3, c7);
      c8 = a.fma(w2, c8);
      c9 = a.fma(w1, c9);
      a = FloatVector.broadcast(SPECIES, padded[b + 11]);
      c7 = a.fma(w4, c7);
      c8 = a.fma(w3, c8);
      c9 = a.fma(w2, c9);
      a = FloatVector.broadcast(SPECIES, padded[b + 12]);
      c8 = a.fma(w4, c8);
      c9 = a.fma(w3, c9);
      a = FloatVector.broadcast(SPECIES, padded[b + 13]);
      c9 = a.fma(w4, c9);
    }
    c0.intoArray(outT, at);
    c1.intoArray(outT, at + OUT_PAD);
    c2.intoArray(outT, at + 2 * OUT_PAD);
    c3.intoArray(outT, at + 3 * OUT_PAD);
    c4.intoArray(outT, at + 4 * OUT_PAD);
    c5.intoArray(outT, at + 5 * OUT_PAD);
    c6.intoArray(outT, at + 6 * OUT_PAD);
    c7.intoArray(outT, at + 7 * OUT_PAD);
    c8.intoArray(outT, at + 8 * OUT_PAD);
    c9.intoArray(outT, at + 9 * OUT_PAD);
  }

  /**
   * 5 pixels of a row by the 2 vectors of the 16 output lanes, one tap at a time: the tap's
   * 2 weight vectors and 5 broadcasts for 10 multiply-adds into 10 independent sums, 13 vector
   * registers. Each sum takes the taps in the order {@link #tile10x5} does, so the same sums
   * bit for bit. It replaced a 5-pixel tile of one vector that held a kernel row's 5 weights
   * (9 broadcasts + 5 loads for 25 multiply-adds a row): its 5 sums took 5 dependent
   * multiply-adds a row each, so with 4 cycles of latency the two multiply-add units were at
   * most 62% busy. LeNet-5 with {@code -XX:UseAVX=2}, one thread, turn by turn in separate
   * JVMs: inference (batch 256) 1.188x (1.179-1.198), training (batch 64) 1.034x. Ten pixels
   * of one vector, a tap at a time (10 broadcasts for 10 multiply-adds), gained 1.078x;
   * {@link #tile10x5} with each kernel row in two passes, of 3 weights then 2 (14 registers),
   * lost, 0.919x: C2 moved the broadcasts ahead and spilled sums to the stack.
   */
  private static void taps5x2(float[] packedT, int v, int[] tapOffsets, float[] padded,
      int base, float[] outT, int at) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    for (int p = 0; p < tapOffsets.length; p++) {
      int b = base + tapOffsets[p];
      FloatVector w0 = FloatVector.fromArray(SPECIES, packedT, v + p * OUT_PAD);
      FloatVector w1 = FloatVector.fromArray(SPECIES, packedT, v + p * OUT_PAD + LANES);
      FloatVector a = FloatVector.broadcast(SPECIES, padded[b]);
      c00 = a.fma(w0, c00);
      c01 = a.fma(w1, c01);
      a = FloatVector.broadcast(SPECIES, padded[b + 1]);
      c10 = a.fma(w0, c10);
      c11 = a.fma(w1, c11);
      a = FloatVector.broadcast(SPECIES, padded[b + 2]);
      c20 = a.fma(w0, c20);
      c21 = a.fma(w1, c21);
      a = FloatVector.broadcast(SPECIES, padded[b + 3]);
      c30 = a.fma(w0, c30);
      c31 = a.fma(w1, c31);
      a = FloatVector.broadcast(SPECIES, padded[b + 4]);
      c40 = a.fma(w0, c40);
      c41 = a.fma(w1, c41);
    }
    c00.intoArray(outT, at);
    c01.intoArray(outT, at + LANES);
    c10.intoArray(outT, at + OUT_PAD);
    c11.intoArray(outT, at + OUT_PAD + LANES);
    c20.intoArray(outT, at + 2 * OUT_PAD);
    c21.intoArray(outT, at + 2 * OUT_PAD + LANES);
    c30.intoArray(outT, at + 3 * OUT_PAD);
    c31.intoArray(outT, at + 3 * OUT_PAD + LANES);
    c40.intoArray(outT, at + 4 * OUT_PAD);
    c41.intoArray(outT, at + 4 * OUT_PAD + LANES);
  }
}
