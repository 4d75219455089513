package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a stride-1 {@link DirectConv} "by pixels": vectors run over output
 * pixels, so neither operand is transposed. With the output gradient laid out as the padded
 * image's rows are (rows {@code rowWidth} wide, zero in the columns past the output's), output
 * channel k's gradient and input step p's shifted image are two runs of the same length, and
 * {@code dW[k][p]} is their dot product. A tile of 4 output channels by 6 steps keeps 24 lane
 * partial sums in registers: 10 loads per 24 fused multiply-adds (4 by 4 steps, 8 per 16,
 * where the steps do not divide by 6), against the 17 per 16 of the by-channels kernel on 16
 * output channels (one vector of gradients, 16 taps broadcast). The partial sums stay in
 * registers over an image's run, in memory between images, and are summed across lanes once
 * per pass. Touched only when the incubator module is resolved.
 */
final class PixelWeightGradient {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final boolean FEW_REGISTERS = VectorApi.hasFewRegisters();
  private static final int TILE = 4;
  /** Steps in the wide tile ({@link #tile4x6}). */
  private static final int WIDE_TILE = 6;
  /** Taps in a tile of {@link #accumulateWrapped}. */
  private static final int WRAPPED_TILE = 8;

  private PixelWeightGradient() {}

  /**
   * {@code partial[(k * depth + p) * 16 + l]} for lanes l < LANES += the sum over images
   * i < images and runs j (j mod LANES = l, j < run) of
   * {@code dy[i * dyStride + k * run + j] * padded[i * paddedStride + offsets[p] + j]}, for
   * output channels k < rows and steps p < depth; {@code run} is a multiple of 16.
   */
  static void accumulate(float[] dy, int dyStride, int run, int rows, float[] padded,
      int paddedStride, int images, int depth, int[] offsets, float[] partial) {
    for (int i = 0; i < images; i++) {
      accumulateImage(dy, i * dyStride, run, rows, padded, i * paddedStride, depth, offsets,
          partial);
    }
  }

  /**
   * {@link #accumulate} for one image, its gradient at {@code dy[dyAt]} and its copy at
   * {@code padded[paddedAt]}: each tile one counted loop over the run, whose loads the JIT
   * checks once before it (ResNet-20's 16x28x28->16 backward, 64 images, one thread, in one
   * JVM against one loop over the images' runs that wrapped its index at each run's end:
   * 8.91 -> 8.68, 9.38 -> 9.09 and 8.39 -> 8.17 ms).
   */
  static void accumulateImage(float[] dy, int dyAt, int run, int rows, float[] padded,
      int paddedAt, int depth, int[] offsets, float[] partial) {
    int wideEnd = WIDE_TILE * wideTiles(depth, offsets);
    for (int k = 0; k < rows; k += TILE) {
      if (k + TILE > rows) {
        for (int kk = k; kk < rows; kk++) {
          for (int p = 0; p < depth; p++) {
            tile1x1(dy, dyAt, run, kk, padded, paddedAt, offsets[p], partial, kk * depth + p);
          }
        }
        break;
      }
      int p = 0;
      if (FEW_REGISTERS) { // two channels a tile: see VectorApi.hasFewRegisters
        for (; p < wideEnd; p += WIDE_TILE) {
          tile2x6(dy, dyAt, run, k, padded, paddedAt, offsets, p, depth, partial);
          tile2x6(dy, dyAt, run, k + 2, padded, paddedAt, offsets, p, depth, partial);
        }
        for (; p + TILE <= depth; p += TILE) {
          tile2x4(dy, dyAt, run, k, padded, paddedAt, offsets, p, depth, partial);
          tile2x4(dy, dyAt, run, k + 2, padded, paddedAt, offsets, p, depth, partial);
        }
      } else {
        for (; p < wideEnd; p += WIDE_TILE) {
          tile4x6(dy, dyAt, run, k, padded, paddedAt, offsets, p, depth, partial);
        }
        for (; p + TILE <= depth; p += TILE) {
          tile4x4(dy, dyAt, run, k, padded, paddedAt, offsets, p, depth, partial);
        }
      }
      for (; p < depth; p++) {
        for (int kk = k; kk < k + TILE; kk++) {
          tile1x1(dy, dyAt, run, kk, padded, paddedAt, offsets[p], partial, kk * depth + p);
        }
      }
    }
  }

  /**
   * {@code sums[at + steps[t] * width + k] +=} the sum over rows y below {@code length} of
   * tap t's gathered image column ({@code scratch[shift + reads[t] + y]}) times output channel
   * k's gathered gradient ({@code scratch[gradients + y * width + k]}), for taps t and channels
   * k below {@code width}, a multiple of 16: the products {@link #accumulate} added for the
   * taps a {@link WrappedRowsConv} read from a neighbouring row at one border column, summed
   * with vectors over output channels into sums of their own, subtracted once a pass. Against
   * subtracting them from the lane partial sums at each image (a 4 x 4 tile two vectors of
   * rows long: 16 scattered sums loaded and stored from L2 per 32 multiply-adds, 14% of
   * ResNet-20's 16x28x28->16 weight gradient), the sums stay in L1 over a whole column.
   */
  static void accumulateWrapped(float[] scratch, int gradients, int width, int length,
      int[] reads, int shift, int[] steps, float[] sums, int at) {
    for (int k = 0; k < width; k += LANES) {
      int t = 0;
      for (; t + WRAPPED_TILE <= steps.length; t += WRAPPED_TILE) {
        wrappedTile(scratch, gradients + k, width, length, reads, shift, steps, t, sums,
            at + k);
      }
      for (; t < steps.length; t++) {
        FloatVector s = FloatVector.fromArray(SPECIES, sums, at + k + steps[t] * width);
        int c = shift + reads[t];
        for (int y = 0; y < length; y++) {
          s = FloatVector.fromArray(SPECIES, scratch, gradients + k + y * width)
              .fma(FloatVector.broadcast(SPECIES, scratch[c + y]), s);
        }
        s.intoArray(sums, at + k + steps[t] * width);
      }
    }
  }

  /**
   * Taps t..t+7 of {@link #accumulateWrapped} for one vector of output channels, from
   * {@code scratch[gradients]} and into {@code sums[at]}: 8 sums in registers, a load and 8
   * broadcasts per 8 fused multiply-adds a row.
   */
  private static void wrappedTile(float[] scratch, int gradients, int width, int length,
      int[] reads, int shift, int[] steps, int t, float[] sums, int at) {
    int a0 = at + steps[t] * width;
    int a1 = at + steps[t + 1] * width;
    int a2 = at + steps[t + 2] * width;
    int a3 = at + steps[t + 3] * width;
    int a4 = at + steps[t + 4] * width;
    int a5 = at + steps[t + 5] * width;
    int a6 = at + steps[t + 6] * width;
    int a7 = at + steps[t + 7] * width;
    int c0 = shift + reads[t];
    int c1 = shift + reads[t + 1];
    int c2 = shift + reads[t + 2];
    int c3 = shift + reads[t + 3];
    int c4 = shift + reads[t + 4];
    int c5 = shift + reads[t + 5];
    int c6 = shift + reads[t + 6];
    int c7 = shift + reads[t + 7];
    FloatVector s0 = FloatVector.fromArray(SPECIES, sums, a0);
    FloatVector s1 = FloatVector.fromArray(SPECIES, sums, a1);
    FloatVector s2 = FloatVector.fromArray(SPECIES, sums, a2);
    FloatVector s3 = FloatVector.fromArray(SPECIES, sums, a3);
    FloatVector s4 = FloatVector.fromArray(SPECIES, sums, a4);
    FloatVector s5 = FloatVector.fromArray(SPECIES, sums, a5);
    FloatVector s6 = FloatVector.fromArray(SPECIES, sums, a6);
    FloatVector s7 = FloatVector.fromArray(SPECIES, sums, a7);
    for (int y = 0; y < length; y++) {
      FloatVector g = FloatVector.fromArray(SPECIES, scratch, gradients + y * width);
      s0 = g.fma(FloatVector.broadcast(SPECIES, scratch[c0 + y]), s0);
      s1 = g.fma(FloatVector.broadcast(SPECIES, scratch[c1 + y]), s1);
      s2 = g.fma(FloatVector.broadcast(SPECIES, scratch[c2 + y]), s2);
      s3 = g.fma(FloatVector.broadcast(SPECIES, scratch[c3 + y]), s3);
      s4 = g.fma(FloatVector.broadcast(SPECIES, scratch[c4 + y]), s4);
      s5 = g.fma(FloatVector.broadcast(SPECIES, scratch[c5 + y]), s5);
      s6 = g.fma(FloatVector.broadcast(SPECIES, scratch[c6 + y]), s6);
      s7 = g.fma(FloatVector.broadcast(SPECIES, scratch[c7 + y]), s7);
    }
    s0.intoArray(sums, a0);
    s1.intoArray(sums, a1);
    s2.intoArray(sums, a2);
    s3.intoArray(sums, a3);
    s4.intoArray(sums, a4);
    s5.intoArray(sums, a5);
    s6.intoArray(sums, a6);
    s7.intoArray(sums, a7);
  }

  /** {@code g[gOff + i] += } the lanes of {@code partial[i * 16 ...]} summed, for i < count. */
  static void addTo(float[] partial, int count, float[] g, int gOff) {
    for (int i = 0; i < count; i++) {
      g[gOff + i] += FloatVector.fromArray(SPECIES, partial, i * 16)
          .reduceLanes(VectorOperators.ADD);
    }
  }

  /**
   * How many 4 x 6 tiles run before the 4 x 4 ones: as many as fit, unless the steps then left
   * to one-step tiles outnumber those that 4 x 4 tiles alone leave (a 3x3 kernel on one input
   * channel, 9 steps, stays 4 + 4 + 1, not 6 + 3); none unless each wide tile's steps are two
   * runs of three consecutive columns ({@link #tile4x6}), as a kernel three columns wide, not
   * dilated, reads them (LeNet-5's 5x5 first conv takes 4 x 4 tiles).
   */
  private static int wideTiles(int depth, int[] offsets) {
    int wide = depth / WIDE_TILE;
    while (wide > 0 && (depth - wide * WIDE_TILE) % TILE > depth % TILE) {
      wide--;
    }
    for (int p = 0; p < wide * WIDE_TILE; p += 3) {
      if (offsets[p + 1] != offsets[p] + 1 || offsets[p + 2] != offsets[p] + 2) {
        return 0;
      }
    }
    return wide;
  }

  /**
   * Output channels k..k+3 by steps p..p+5: 24 partial sums, 4 + 6 loads a vector step (10 per
   * 24 multiply-adds, against 4 x 4's 8 per 16). ResNet-20's 16x28x28->16 weight gradient
   * (depth 144), alone, in one JVM against 4 x 4 tiles: 1.10-1.16x. Steps p..p+2 and p+3..p+5
   * each read three consecutive columns ({@link #wideTiles}), so the six image loads take two
   * indices and constant displacements: with an offset per step, C2 (JDK 17) spent two
   * instructions on each load's index, spilled two accumulators and three offsets to the stack
   * and ran the loop in 79 instructions; now 67, nothing spilled. The same layer's backward
   * pass (input and weight gradients, 64 images, one thread, interleaved in one JVM, medians of
   * 100-200 rounds) 4.99 -> 4.82, 5.28 -> 5.08, 9.61 -> 8.94 ms.
   */
  private static void tile4x6(float[] dy, int dyAt, int run, int k, float[] padded,
      int paddedAt, int[] offsets, int p, int depth, float[] partial) {
    int at0 = (k * depth + p) * 16;
    int at1 = at0 + depth * 16;
    int at2 = at1 + depth * 16;
    int at3 = at2 + depth * 16;
    FloatVector s00 = FloatVector.fromArray(SPECIES, partial, at0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, partial, at0 + 16);
    FloatVector s02 = FloatVector.fromArray(SPECIES, partial, at0 + 32);
    FloatVector s03 = FloatVector.fromArray(SPECIES, partial, at0 + 48);
    FloatVector s04 = FloatVector.fromArray(SPECIES, partial, at0 + 64);
    FloatVector s05 = FloatVector.fromArray(SPECIES, partial, at0 + 80);
    FloatVector s10 = FloatVector.fromArray(SPECIES, partial, at1);
    FloatVector s11 = FloatVector.fromArray(SPECIES, partial, at1 + 16);
    FloatVector s12 = FloatVector.fromArray(SPECIES, partial, at1 + 32);
    FloatVector s13 = FloatVector.fromArray(SPECIES, partial, at1 + 48);
    FloatVector s14 = FloatVector.fromArray(SPECIES, partial, at1 + 64);
    FloatVector s15 = FloatVector.fromArray(SPECIES, partial, at1 + 80);
    FloatVector s20 = FloatVector.fromArray(SPECIES, partial, at2);
    FloatVector s21 = FloatVector.fromArray(SPECIES, partial, at2 + 16);
    FloatVector s22 = FloatVector.fromArray(SPECIES, partial, at2 + 32);
    FloatVector s23 = FloatVector.fromArray(SPECIES, partial, at2 + 48);
    FloatVector s24 = FloatVector.fromArray(SPECIES, partial, at2 + 64);
    FloatVector s25 = FloatVector.fromArray(SPECIES, partial, at2 + 80);
    FloatVector s30 = FloatVector.fromArray(SPECIES, partial, at3);
    FloatVector s31 = FloatVector.fromArray(SPECIES, partial, at3 + 16);
    FloatVector s32 = FloatVector.fromArray(SPECIES, partial, at3 + 32);
    FloatVector s33 = FloatVector.fromArray(SPECIES, partial, at3 + 48);
    FloatVector s34 = FloatVector.fromArray(SPECIES, partial, at3 + 64);
    FloatVector s35 = FloatVector.fromArray(SPECIES, partial, at3 + 80);
    int a = paddedAt + offsets[p]; // steps p..p+2 in the image's padded copy
    int b = paddedAt + offsets[p + 3]; // steps p+3..p+5
    int y = dyAt + k * run; // channel k's run in the image's gradient
    for (int j = 0; j < run; j += LANES) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dy, y + j);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dy, y + run + j);
      FloatVector d2 = FloatVector.fromArray(SPECIES, dy, y + 2 * run + j);
      FloatVector d3 = FloatVector.fromArray(SPECIES, dy, y + 3 * run + j);
      FloatVector x0 = FloatVector.fromArray(SPECIES, padded, a + j);
      s00 = d0.fma(x0, s00);
      s10 = d1.fma(x0, s10);
      s20 = d2.fma(x0, s20);
      s30 = d3.fma(x0, s30);
      FloatVector x1 = FloatVector.fromArray(SPECIES, padded, a + j + 1);
      s01 = d0.fma(x1, s01);
      s11 = d1.fma(x1, s11);
      s21 = d2.fma(x1, s21);
      s31 = d3.fma(x1, s31);
      FloatVector x2 = FloatVector.fromArray(SPECIES, padded, a + j + 2);
      s02 = d0.fma(x2, s02);
      s12 = d1.fma(x2, s12);
      s22 = d2.fma(x2, s22);
      s32 = d3.fma(x2, s32);
      FloatVector x3 = FloatVector.fromArray(SPECIES, padded, b + j);
      s03 = d0.fma(x3, s03);
      s13 = d1.fma(x3, s13);
      s23 = d2.fma(x3, s23);
      s33 = d3.fma(x3, s33);
      FloatVector x4 = FloatVector.fromArray(SPECIES, padded, b + j + 1);
      s04 = d0.fma(x4, s04);
      s14 = d1.fma(x4, s14);
      s24 = d2.fma(x4, s24);
      s34 = d3.fma(x4, s34);
      FloatVector x5 = FloatVector.fromArray(SPECIES, padded, b + j + 2);
      s05 = d0.fma(x5, s05);
      s15 = d1.fma(x5, s15);
      s25 = d2.fma(x5, s25);
      s35 = d3.fma(x5, s35);
    }
    s00.intoArray(partial, at0);
    s01.intoArray(partial, at0 + 16);
    s02.intoArray(partial, at0 + 32);
    s03.intoArray(partial, at0 + 48);
    s04.intoArray(partial, at0 + 64);
    s05.intoArray(partial, at0 + 80);
    s10.intoArray(partial, at1);
    s11.intoArray(partial, at1 + 16);
    s12.intoArray(partial, at1 + 32);
    s13.intoArray(partial, at1 + 48);
    s14.intoArray(partial, at1 + 64);
    s15.intoArray(partial, at1 + 80);
    s20.intoArray(partial, at2);
    s21.intoArray(partial, at2 + 16);
    s22.intoArray(partial, at2 + 32);
    s23.intoArray(partial, at2 + 48);
    s24.intoArray(partial, at2 + 64);
    s25.intoArray(partial, at2 + 80);
    s30.intoArray(partial, at3);
    s31.intoArray(partial, at3 + 16);
    s32.intoArray(partial, at3 + 32);
    s33.intoArray(partial, at3 + 48);
    s34.intoArray(partial, at3 + 64);
    s35.intoArray(partial, at3 + 80);
  }

  /** Output channels k..k+3 by steps p..p+3: 16 partial sums, 4 + 4 loads a vector step. */
  private static void tile4x4(float[] dy, int dyAt, int run, int k, float[] padded,
      int paddedAt, int[] offsets, int p, int depth, float[] partial) {
    int at0 = (k * depth + p) * 16;
    int at1 = at0 + depth * 16;
    int at2 = at1 + depth * 16;
    int at3 = at2 + depth * 16;
    FloatVector s00 = FloatVector.fromArray(SPECIES, partial, at0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, partial, at0 + 16);
    FloatVector s02 = FloatVector.fromArray(SPECIES, partial, at0 + 32);
    FloatVector s03 = FloatVector.fromArray(SPECIES, partial, at0 + 48);
    FloatVector s10 = FloatVector.fromArray(SPECIES, partial, at1);
    FloatVector s11 = FloatVector.fromArray(SPECIES, partial, at1 + 16);
    FloatVector s12 = FloatVector.fromArray(SPECIES, partial, at1 + 32);
    FloatVector s13 = FloatVector.fromArray(SPECIES, partial, at1 + 48);
    FloatVector s20 = FloatVector.fromArray(SPECIES, partial, at2);
    FloatVector s21 = FloatVector.fromArray(SPECIES, partial, at2 + 16);
    FloatVector s22 = FloatVector.fromArray(SPECIES, partial, at2 + 32);
    FloatVector s23 = FloatVector.fromArray(SPECIES, partial, at2 + 48);
    FloatVector s30 = FloatVector.fromArray(SPECIES, partial, at3);
    FloatVector s31 = FloatVector.fromArray(SPECIES, partial, at3 + 16);
    FloatVector s32 = FloatVector.fromArray(SPECIES, partial, at3 + 32);
    FloatVector s33 = FloatVector.fromArray(SPECIES, partial, at3 + 48);
    int o0 = offsets[p];
    int o1 = offsets[p + 1];
    int o2 = offsets[p + 2];
    int o3 = offsets[p + 3];
    int y = dyAt + k * run; // channel k's run in the image's gradient
    int x = paddedAt; // the image's padded copy
    for (int j = 0; j < run; j += LANES) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dy, y + j);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dy, y + run + j);
      FloatVector d2 = FloatVector.fromArray(SPECIES, dy, y + 2 * run + j);
      FloatVector d3 = FloatVector.fromArray(SPECIES, dy, y + 3 * run + j);
      FloatVector x0 = FloatVector.fromArray(SPECIES, padded, x + o0 + j);
      s00 = d0.fma(x0, s00);
      s10 = d1.fma(x0, s10);
      s20 = d2.fma(x0, s20);
      s30 = d3.fma(x0, s30);
      FloatVector x1 = FloatVector.fromArray(SPECIES, padded, x + o1 + j);
      s01 = d0.fma(x1, s01);
      s11 = d1.fma(x1, s11);
      s21 = d2.fma(x1, s21);
      s31 = d3.fma(x1, s31);
      FloatVector x2 = FloatVector.fromArray(SPECIES, padded, x + o2 + j);
      s02 = d0.fma(x2, s02);
      s12 = d1.fma(x2, s12);
      s22 = d2.fma(x2, s22);
      s32 = d3.fma(x2, s32);
      FloatVector x3 = FloatVector.fromArray(SPECIES, padded, x + o3 + j);
      s03 = d0.fma(x3, s03);
      s13 = d1.fma(x3, s13);
      s23 = d2.fma(x3, s23);
      s33 = d3.fma(x3, s33);
    }
    s00.intoArray(partial, at0);
    s01.intoArray(partial, at0 + 16);
    s02.intoArray(partial, at0 + 32);
    s03.intoArray(partial, at0 + 48);
    s10.intoArray(partial, at1);
    s11.intoArray(partial, at1 + 16);
    s12.intoArray(partial, at1 + 32);
    s13.intoArray(partial, at1 + 48);
    s20.intoArray(partial, at2);
    s21.intoArray(partial, at2 + 16);
    s22.intoArray(partial, at2 + 32);
    s23.intoArray(partial, at2 + 48);
    s30.intoArray(partial, at3);
    s31.intoArray(partial, at3 + 16);
    s32.intoArray(partial, at3 + 32);
    s33.intoArray(partial, at3 + 48);
  }

  /**
   * Output channels k and k+1 by steps p..p+5 ({@link #tile4x6}'s steps): the wide tile where
   * AVX2 has 16 vector registers, 12 partial sums and 8 loads a vector step.
   */
  private static void tile2x6(float[] dy, int dyAt, int run, int k, float[] padded,
      int paddedAt, int[] offsets, int p, int depth, float[] partial) {
    int at0 = (k * depth + p) * 16;
    int at1 = at0 + depth * 16;
    FloatVector s00 = FloatVector.fromArray(SPECIES, partial, at0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, partial, at0 + 16);
    FloatVector s02 = FloatVector.fromArray(SPECIES, partial, at0 + 32);
    FloatVector s03 = FloatVector.fromArray(SPECIES, partial, at0 + 48);
    FloatVector s04 = FloatVector.fromArray(SPECIES, partial, at0 + 64);
    FloatVector s05 = FloatVector.fromArray(SPECIES, partial, at0 + 80);
    FloatVector s10 = FloatVector.fromArray(SPECIES, partial, at1);
    FloatVector s11 = FloatVector.fromArray(SPECIES, partial, at1 + 16);
    FloatVector s12 = FloatVector.fromArray(SPECIES, partial, at1 + 32);
    FloatVector s13 = FloatVector.fromArray(SPECIES, partial, at1 + 48);
    FloatVector s14 = FloatVector.fromArray(SPECIES, partial, at1 + 64);
    FloatVector s15 = FloatVector.fromArray(SPECIES, partial, at1 + 80);
    int a = paddedAt + offsets[p]; // steps p..p+2 in the image's padded copy
    int b = paddedAt + offsets[p + 3]; // steps p+3..p+5
    int y = dyAt + k * run; // channel k's run in the image's gradient
    for (int j = 0; j < run; j += LANES) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dy, y + j);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dy, y + run + j);
      FloatVector x0 = FloatVector.fromArray(SPECIES, padded, a + j);
      s00 = d0.fma(x0, s00);
      s10 = d1.fma(x0, s10);
      FloatVector x1 = FloatVector.fromArray(SPECIES, padded, a + j + 1);
      s01 = d0.fma(x1, s01);
      s11 = d1.fma(x1, s11);
      FloatVector x2 = FloatVector.fromArray(SPECIES, padded, a + j + 2);
      s02 = d0.fma(x2, s02);
      s12 = d1.fma(x2, s12);
      FloatVector x3 = FloatVector.fromArray(SPECIES, padded, b + j);
      s03 = d0.fma(x3, s03);
      s13 = d1.fma(x3, s13);
      FloatVector x4 = FloatVector.fromArray(SPECIES, padded, b + j + 1);
      s04 = d0.fma(x4, s04);
      s14 = d1.fma(x4, s14);
      FloatVector x5 = FloatVector.fromArray(SPECIES, padded, b + j + 2);
      s05 = d0.fma(x5, s05);
      s15 = d1.fma(x5, s15);
    }
    s00.intoArray(partial, at0);
    s01.intoArray(partial, at0 + 16);
    s02.intoArray(partial, at0 + 32);
    s03.intoArray(partial, at0 + 48);
    s04.intoArray(partial, at0 + 64);
    s05.intoArray(partial, at0 + 80);
    s10.intoArray(partial, at1);
    s11.intoArray(partial, at1 + 16);
    s12.intoArray(partial, at1 + 32);
    s13.intoArray(partial, at1 + 48);
    s14.intoArray(partial, at1 + 64);
    s15.intoArray(partial, at1 + 80);
  }

  /** Output channels k and k+1 by steps p..p+3: {@link #tile4x4} with 16 vector registers. */
  private static void tile2x4(float[] dy, int dyAt, int run, int k, float[] padded,
      int paddedAt, int[] offsets, int p, int depth, float[] partial) {
    int at0 = (k * depth + p) * 16;
    int at1 = at0 + depth * 16;
    FloatVector s00 = FloatVector.fromArray(SPECIES, partial, at0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, partial, at0 + 16);
    FloatVector s02 = FloatVector.fromArray(SPECIES, partial, at0 + 32);
    FloatVector s03 = FloatVector.fromArray(SPECIES, partial, at0 + 48);
    FloatVector s10 = FloatVector.fromArray(SPECIES, partial, at1);
    FloatVector s11 = FloatVector.fromArray(SPECIES, partial, at1 + 16);
    FloatVector s12 = FloatVector.fromArray(SPECIES, partial, at1 + 32);
    FloatVector s13 = FloatVector.fromArray(SPECIES, partial, at1 + 48);
    int o0 = paddedAt + offsets[p + 0];
    int o1 = paddedAt + offsets[p + 1];
    int o2 = paddedAt + offsets[p + 2];
    int o3 = paddedAt + offsets[p + 3];
    int y = dyAt + k * run; // channel k's run in the image's gradient
    for (int j = 0; j < run; j += LANES) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dy, y + j);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dy, y + run + j);
      FloatVector x0 = FloatVector.fromArray(SPECIES, padded, o0 + j);
      s00 = d0.fma(x0, s00);
      s10 = d1.fma(x0, s10);
      FloatVector x1 = FloatVector.fromArray(SPECIES, padded, o1 + j);
      s01 = d0.fma(x1, s01);
      s11 = d1.fma(x1, s11);
      FloatVector x2 = FloatVector.fromArray(SPECIES, padded, o2 + j);
      s02 = d0.fma(x2, s02);
      s12 = d1.fma(x2, s12);
      FloatVector x3 = FloatVector.fromArray(SPECIES, padded, o3 + j);
      s03 = d0.fma(x3, s03);
      s13 = d1.fma(x3, s13);
    }
    s00.intoArray(partial, at0);
    s01.intoArray(partial, at0 + 16);
    s02.intoArray(partial, at0 + 32);
    s03.intoArray(partial, at0 + 48);
    s10.intoArray(partial, at1);
    s11.intoArray(partial, at1 + 16);
    s12.intoArray(partial, at1 + 32);
    s13.intoArray(partial, at1 + 48);
  }

  /** One output channel by one step: the rows and steps left over. */
  private static void tile1x1(float[] dy, int dyAt, int run, int k, float[] padded,
      int paddedAt, int offset, float[] partial, int index) {
    FloatVector s = FloatVector.fromArray(SPECIES, partial, index * 16);
    int y = dyAt + k * run; // channel k's run in the image's gradient
    int x = offset + paddedAt; // the image's padded copy
    for (int j = 0; j < run; j += LANES) {
      s = FloatVector.fromArray(SPECIES, dy, y + j)
          .fma(FloatVector.fromArray(SPECIES, padded, x + j), s);
    }
    s.intoArray(partial, index * 16);
  }
}
