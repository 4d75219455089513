package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a {@link DirectConv} (and of {@link WinogradConv}'s transformed
 * weights) "by channels": a GEMM whose reduction runs over output pixels, vectors over output
 * channels of the transposed output gradient, the padded image broadcast one tap at a time
 * through the same offsets the forward kernel reads. The other route, by pixels, is
 * {@link PixelWeightGradient}. Touched only when the incubator module is resolved.
 */
final class ChannelWeightGradient {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final boolean FEW_REGISTERS = VectorApi.hasFewRegisters();

  private ChannelWeightGradient() {}

  /**
   * {@code accT[p * outPad + o] +=} the sum over pixels q < pixels of
   * {@code padded[offsets[p] + pixelOffsets[q]] * dyT[dyAt + q * outPad + o]}, for reduction
   * steps p in [firstTap, endTap): the weight gradient, transposed, as a GEMM whose reduction
   * runs over output pixels (the dropped columns skipped; a chunk's images as one run, their
   * pixel offsets into images side by side) and whose vectors run over output channels, with
   * the image broadcast one tap at a time. No lanes are summed; {@code outPad} is a multiple of
   * LANES. Tiles of 6 taps by 4 vectors where the outputs fill whole groups of 4 vectors (64
   * floats), else 8 taps by 2 or 16 by 1: 4 loads and 6 broadcasts per 24 multiply-adds
   * against 2 and 8 per 16. Weight gradient alone, 64 images, one thread, 8 x 2 vs 6 x 4 in
   * ms: 32x14x14->64 2.81-3.00 vs 2.48-2.61, 64x7x7->64 1.51-1.59 vs 1.38-1.42, 64x14x14->64
   * 5.57-5.70 vs 4.83-5.27.
   */
  static void accumulate(float[] dyT, int dyAt, int outPad, float[] padded, int firstTap,
      int endTap, int[] offsets, int[] pixelOffsets, int pixels, float[] accT) {
    // with AVX2's 16 vector registers, 6 taps by 2 vectors (VectorApi.hasFewRegisters)
    boolean quads = !FEW_REGISTERS && outPad % (4 * LANES) == 0;
    boolean pairs = !quads && outPad % (2 * LANES) == 0;
    boolean narrow = FEW_REGISTERS && pairs;
    int width = quads ? 4 : pairs ? 2 : 1;
    int taps = quads || narrow ? 6 : pairs ? 8 : 16;
    for (int o = 0; o < outPad; o += width * LANES) {
      int p = firstTap;
      for (; p + taps <= endTap; p += taps) {
        if (narrow) {
          taps6x2(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
        } else if (quads) {
          taps6x4(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
        } else if (pairs) {
          taps8x2(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
        } else {
          taps16x1(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
        }
      }
      // pairs of taps past the last 6-tap tile (a Winograd weight gradient's 32 or 64 input
      // channels leave 2 or 4) with the four vectors at once: 8 accumulators, not 1
      for (; quads && p + 2 <= endTap; p += 2) {
        taps2x4(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
      }
      // on AVX2, 4 then 2 taps by the two vectors: one tap's one sum waits out the latency of
      // every multiply-add in turn (an eighth of the peak at most, at 4 cycles for 2 a cycle)
      for (; narrow && p + 4 <= endTap; p += 4) {
        taps4x2(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
      }
      for (; narrow && p + 2 <= endTap; p += 2) {
        taps2x2(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT, o);
      }
      for (; p < endTap; p++) {
        for (int v = 0; v < width; v++) {
          taps1x1(dyT, dyAt, outPad, padded, offsets, p, pixelOffsets, pixels, accT,
              o + v * LANES);
        }
      }
    }
  }

  /** 6 taps by 4 vectors of output channels: 24 accumulators, 4 loads + 6 broadcasts. */
  private static void taps6x4(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    int x2 = offsets[p + 2];
    int x3 = offsets[p + 3];
    int x4 = offsets[p + 4];
    int x5 = offsets[p + 5];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s0_1 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 1 * LANES);
    FloatVector s0_2 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 2 * LANES);
    FloatVector s0_3 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 3 * LANES);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s1_1 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 1 * LANES);
    FloatVector s1_2 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 2 * LANES);
    FloatVector s1_3 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 3 * LANES);
    FloatVector s2_0 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o);
    FloatVector s2_1 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o + 1 * LANES);
    FloatVector s2_2 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o + 2 * LANES);
    FloatVector s2_3 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o + 3 * LANES);
    FloatVector s3_0 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o);
    FloatVector s3_1 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o + 1 * LANES);
    FloatVector s3_2 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o + 2 * LANES);
    FloatVector s3_3 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o + 3 * LANES);
    FloatVector s4_0 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o);
    FloatVector s4_1 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o + 1 * LANES);
    FloatVector s4_2 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o + 2 * LANES);
    FloatVector s4_3 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o + 3 * LANES);
    FloatVector s5_0 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o);
    FloatVector s5_1 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o + 1 * LANES);
    FloatVector s5_2 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o + 2 * LANES);
    FloatVector s5_3 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o + 3 * LANES);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector g1 = FloatVector.fromArray(SPECIES, dyT, at + 1 * LANES);
      FloatVector g2 = FloatVector.fromArray(SPECIES, dyT, at + 2 * LANES);
      FloatVector g3 = FloatVector.fromArray(SPECIES, dyT, at + 3 * LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      s0_1 = a0.fma(g1, s0_1);
      s0_2 = a0.fma(g2, s0_2);
      s0_3 = a0.fma(g3, s0_3);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      s1_1 = a1.fma(g1, s1_1);
      s1_2 = a1.fma(g2, s1_2);
      s1_3 = a1.fma(g3, s1_3);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x2 + j]);
      s2_0 = a2.fma(g0, s2_0);
      s2_1 = a2.fma(g1, s2_1);
      s2_2 = a2.fma(g2, s2_2);
      s2_3 = a2.fma(g3, s2_3);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x3 + j]);
      s3_0 = a3.fma(g0, s3_0);
      s3_1 = a3.fma(g1, s3_1);
      s3_2 = a3.fma(g2, s3_2);
      s3_3 = a3.fma(g3, s3_3);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x4 + j]);
      s4_0 = a4.fma(g0, s4_0);
      s4_1 = a4.fma(g1, s4_1);
      s4_2 = a4.fma(g2, s4_2);
      s4_3 = a4.fma(g3, s4_3);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x5 + j]);
      s5_0 = a5.fma(g0, s5_0);
      s5_1 = a5.fma(g1, s5_1);
      s5_2 = a5.fma(g2, s5_2);
      s5_3 = a5.fma(g3, s5_3);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s0_1.intoArray(accT, (p) * outPad + o + 1 * LANES);
    s0_2.intoArray(accT, (p) * outPad + o + 2 * LANES);
    s0_3.intoArray(accT, (p) * outPad + o + 3 * LANES);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s1_1.intoArray(accT, (p + 1) * outPad + o + 1 * LANES);
    s1_2.intoArray(accT, (p + 1) * outPad + o + 2 * LANES);
    s1_3.intoArray(accT, (p + 1) * outPad + o + 3 * LANES);
    s2_0.intoArray(accT, (p + 2) * outPad + o);
    s2_1.intoArray(accT, (p + 2) * outPad + o + 1 * LANES);
    s2_2.intoArray(accT, (p + 2) * outPad + o + 2 * LANES);
    s2_3.intoArray(accT, (p + 2) * outPad + o + 3 * LANES);
    s3_0.intoArray(accT, (p + 3) * outPad + o);
    s3_1.intoArray(accT, (p + 3) * outPad + o + 1 * LANES);
    s3_2.intoArray(accT, (p + 3) * outPad + o + 2 * LANES);
    s3_3.intoArray(accT, (p + 3) * outPad + o + 3 * LANES);
    s4_0.intoArray(accT, (p + 4) * outPad + o);
    s4_1.intoArray(accT, (p + 4) * outPad + o + 1 * LANES);
    s4_2.intoArray(accT, (p + 4) * outPad + o + 2 * LANES);
    s4_3.intoArray(accT, (p + 4) * outPad + o + 3 * LANES);
    s5_0.intoArray(accT, (p + 5) * outPad + o);
    s5_1.intoArray(accT, (p + 5) * outPad + o + 1 * LANES);
    s5_2.intoArray(accT, (p + 5) * outPad + o + 2 * LANES);
    s5_3.intoArray(accT, (p + 5) * outPad + o + 3 * LANES);
  }


  /**
   * 6 taps by 2 vectors of output channels: the tile where AVX2 has 16 vector registers (12
   * accumulators, 2 loads + 6 broadcasts).
   */
  private static void taps6x2(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    int x2 = offsets[p + 2];
    int x3 = offsets[p + 3];
    int x4 = offsets[p + 4];
    int x5 = offsets[p + 5];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s0_1 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + LANES);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s1_1 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + LANES);
    FloatVector s2_0 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o);
    FloatVector s2_1 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o + LANES);
    FloatVector s3_0 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o);
    FloatVector s3_1 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o + LANES);
    FloatVector s4_0 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o);
    FloatVector s4_1 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o + LANES);
    FloatVector s5_0 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o);
    FloatVector s5_1 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o + LANES);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector g1 = FloatVector.fromArray(SPECIES, dyT, at + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      s0_1 = a0.fma(g1, s0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      s1_1 = a1.fma(g1, s1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x2 + j]);
      s2_0 = a2.fma(g0, s2_0);
      s2_1 = a2.fma(g1, s2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x3 + j]);
      s3_0 = a3.fma(g0, s3_0);
      s3_1 = a3.fma(g1, s3_1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x4 + j]);
      s4_0 = a4.fma(g0, s4_0);
      s4_1 = a4.fma(g1, s4_1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x5 + j]);
      s5_0 = a5.fma(g0, s5_0);
      s5_1 = a5.fma(g1, s5_1);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s0_1.intoArray(accT, (p) * outPad + o + LANES);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s1_1.intoArray(accT, (p + 1) * outPad + o + LANES);
    s2_0.intoArray(accT, (p + 2) * outPad + o);
    s2_1.intoArray(accT, (p + 2) * outPad + o + LANES);
    s3_0.intoArray(accT, (p + 3) * outPad + o);
    s3_1.intoArray(accT, (p + 3) * outPad + o + LANES);
    s4_0.intoArray(accT, (p + 4) * outPad + o);
    s4_1.intoArray(accT, (p + 4) * outPad + o + LANES);
    s5_0.intoArray(accT, (p + 5) * outPad + o);
    s5_1.intoArray(accT, (p + 5) * outPad + o + LANES);
  }

  /** 8 taps by 2 vectors of output channels: 16 accumulators, 2 loads + 8 broadcasts. */
  private static void taps8x2(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    int x2 = offsets[p + 2];
    int x3 = offsets[p + 3];
    int x4 = offsets[p + 4];
    int x5 = offsets[p + 5];
    int x6 = offsets[p + 6];
    int x7 = offsets[p + 7];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s0_1 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 1 * LANES);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s1_1 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 1 * LANES);
    FloatVector s2_0 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o);
    FloatVector s2_1 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o + 1 * LANES);
    FloatVector s3_0 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o);
    FloatVector s3_1 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o + 1 * LANES);
    FloatVector s4_0 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o);
    FloatVector s4_1 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o + 1 * LANES);
    FloatVector s5_0 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o);
    FloatVector s5_1 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o + 1 * LANES);
    FloatVector s6_0 = FloatVector.fromArray(SPECIES, accT, (p + 6) * outPad + o);
    FloatVector s6_1 = FloatVector.fromArray(SPECIES, accT, (p + 6) * outPad + o + 1 * LANES);
    FloatVector s7_0 = FloatVector.fromArray(SPECIES, accT, (p + 7) * outPad + o);
    FloatVector s7_1 = FloatVector.fromArray(SPECIES, accT, (p + 7) * outPad + o + 1 * LANES);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector g1 = FloatVector.fromArray(SPECIES, dyT, at + 1 * LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      s0_1 = a0.fma(g1, s0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      s1_1 = a1.fma(g1, s1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x2 + j]);
      s2_0 = a2.fma(g0, s2_0);
      s2_1 = a2.fma(g1, s2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x3 + j]);
      s3_0 = a3.fma(g0, s3_0);
      s3_1 = a3.fma(g1, s3_1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x4 + j]);
      s4_0 = a4.fma(g0, s4_0);
      s4_1 = a4.fma(g1, s4_1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x5 + j]);
      s5_0 = a5.fma(g0, s5_0);
      s5_1 = a5.fma(g1, s5_1);
      FloatVector a6 = FloatVector.broadcast(SPECIES, padded[x6 + j]);
      s6_0 = a6.fma(g0, s6_0);
      s6_1 = a6.fma(g1, s6_1);
      FloatVector a7 = FloatVector.broadcast(SPECIES, padded[x7 + j]);
      s7_0 = a7.fma(g0, s7_0);
      s7_1 = a7.fma(g1, s7_1);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s0_1.intoArray(accT, (p) * outPad + o + 1 * LANES);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s1_1.intoArray(accT, (p + 1) * outPad + o + 1 * LANES);
    s2_0.intoArray(accT, (p + 2) * outPad + o);
    s2_1.intoArray(accT, (p + 2) * outPad + o + 1 * LANES);
    s3_0.intoArray(accT, (p + 3) * outPad + o);
    s3_1.intoArray(accT, (p + 3) * outPad + o + 1 * LANES);
    s4_0.intoArray(accT, (p + 4) * outPad + o);
    s4_1.intoArray(accT, (p + 4) * outPad + o + 1 * LANES);
    s5_0.intoArray(accT, (p + 5) * outPad + o);
    s5_1.intoArray(accT, (p + 5) * outPad + o + 1 * LANES);
    s6_0.intoArray(accT, (p + 6) * outPad + o);
    s6_1.intoArray(accT, (p + 6) * outPad + o + 1 * LANES);
    s7_0.intoArray(accT, (p + 7) * outPad + o);
    s7_1.intoArray(accT, (p + 7) * outPad + o + 1 * LANES);
  }

  /** 16 taps by 1 vector of output channels (16 or fewer channels). */
  private static void taps16x1(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    int x2 = offsets[p + 2];
    int x3 = offsets[p + 3];
    int x4 = offsets[p + 4];
    int x5 = offsets[p + 5];
    int x6 = offsets[p + 6];
    int x7 = offsets[p + 7];
    int x8 = offsets[p + 8];
    int x9 = offsets[p + 9];
    int x10 = offsets[p + 10];
    int x11 = offsets[p + 11];
    int x12 = offsets[p + 12];
    int x13 = offsets[p + 13];
    int x14 = offsets[p + 14];
    int x15 = offsets[p + 15];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s2_0 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o);
    FloatVector s3_0 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o);
    FloatVector s4_0 = FloatVector.fromArray(SPECIES, accT, (p + 4) * outPad + o);
    FloatVector s5_0 = FloatVector.fromArray(SPECIES, accT, (p + 5) * outPad + o);
    FloatVector s6_0 = FloatVector.fromArray(SPECIES, accT, (p + 6) * outPad + o);
    FloatVector s7_0 = FloatVector.fromArray(SPECIES, accT, (p + 7) * outPad + o);
    FloatVector s8_0 = FloatVector.fromArray(SPECIES, accT, (p + 8) * outPad + o);
    FloatVector s9_0 = FloatVector.fromArray(SPECIES, accT, (p + 9) * outPad + o);
    FloatVector s10_0 = FloatVector.fromArray(SPECIES, accT, (p + 10) * outPad + o);
    FloatVector s11_0 = FloatVector.fromArray(SPECIES, accT, (p + 11) * outPad + o);
    FloatVector s12_0 = FloatVector.fromArray(SPECIES, accT, (p + 12) * outPad + o);
    FloatVector s13_0 = FloatVector.fromArray(SPECIES, accT, (p + 13) * outPad + o);
    FloatVector s14_0 = FloatVector.fromArray(SPECIES, accT, (p + 14) * outPad + o);
    FloatVector s15_0 = FloatVector.fromArray(SPECIES, accT, (p + 15) * outPad + o);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x2 + j]);
      s2_0 = a2.fma(g0, s2_0);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x3 + j]);
      s3_0 = a3.fma(g0, s3_0);
      FloatVector a4 = FloatVector.broadcast(SPECIES, padded[x4 + j]);
      s4_0 = a4.fma(g0, s4_0);
      FloatVector a5 = FloatVector.broadcast(SPECIES, padded[x5 + j]);
      s5_0 = a5.fma(g0, s5_0);
      FloatVector a6 = FloatVector.broadcast(SPECIES, padded[x6 + j]);
      s6_0 = a6.fma(g0, s6_0);
      FloatVector a7 = FloatVector.broadcast(SPECIES, padded[x7 + j]);
      s7_0 = a7.fma(g0, s7_0);
      FloatVector a8 = FloatVector.broadcast(SPECIES, padded[x8 + j]);
      s8_0 = a8.fma(g0, s8_0);
      FloatVector a9 = FloatVector.broadcast(SPECIES, padded[x9 + j]);
      s9_0 = a9.fma(g0, s9_0);
      FloatVector a10 = FloatVector.broadcast(SPECIES, padded[x10 + j]);
      s10_0 = a10.fma(g0, s10_0);
      FloatVector a11 = FloatVector.broadcast(SPECIES, padded[x11 + j]);
      s11_0 = a11.fma(g0, s11_0);
      FloatVector a12 = FloatVector.broadcast(SPECIES, padded[x12 + j]);
      s12_0 = a12.fma(g0, s12_0);
      FloatVector a13 = FloatVector.broadcast(SPECIES, padded[x13 + j]);
      s13_0 = a13.fma(g0, s13_0);
      FloatVector a14 = FloatVector.broadcast(SPECIES, padded[x14 + j]);
      s14_0 = a14.fma(g0, s14_0);
      FloatVector a15 = FloatVector.broadcast(SPECIES, padded[x15 + j]);
      s15_0 = a15.fma(g0, s15_0);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s2_0.intoArray(accT, (p + 2) * outPad + o);
    s3_0.intoArray(accT, (p + 3) * outPad + o);
    s4_0.intoArray(accT, (p + 4) * outPad + o);
    s5_0.intoArray(accT, (p + 5) * outPad + o);
    s6_0.intoArray(accT, (p + 6) * outPad + o);
    s7_0.intoArray(accT, (p + 7) * outPad + o);
    s8_0.intoArray(accT, (p + 8) * outPad + o);
    s9_0.intoArray(accT, (p + 9) * outPad + o);
    s10_0.intoArray(accT, (p + 10) * outPad + o);
    s11_0.intoArray(accT, (p + 11) * outPad + o);
    s12_0.intoArray(accT, (p + 12) * outPad + o);
    s13_0.intoArray(accT, (p + 13) * outPad + o);
    s14_0.intoArray(accT, (p + 14) * outPad + o);
    s15_0.intoArray(accT, (p + 15) * outPad + o);
  }

  /** 2 taps by 4 vectors, past the last 6-tap tile: 8 accumulators, 4 loads + 2 broadcasts. */
  private static void taps2x4(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s0_1 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 1 * LANES);
    FloatVector s0_2 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 2 * LANES);
    FloatVector s0_3 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + 3 * LANES);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s1_1 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 1 * LANES);
    FloatVector s1_2 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 2 * LANES);
    FloatVector s1_3 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + 3 * LANES);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector g1 = FloatVector.fromArray(SPECIES, dyT, at + 1 * LANES);
      FloatVector g2 = FloatVector.fromArray(SPECIES, dyT, at + 2 * LANES);
      FloatVector g3 = FloatVector.fromArray(SPECIES, dyT, at + 3 * LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      s0_1 = a0.fma(g1, s0_1);
      s0_2 = a0.fma(g2, s0_2);
      s0_3 = a0.fma(g3, s0_3);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      s1_1 = a1.fma(g1, s1_1);
      s1_2 = a1.fma(g2, s1_2);
      s1_3 = a1.fma(g3, s1_3);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s0_1.intoArray(accT, (p) * outPad + o + 1 * LANES);
    s0_2.intoArray(accT, (p) * outPad + o + 2 * LANES);
    s0_3.intoArray(accT, (p) * outPad + o + 3 * LANES);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s1_1.intoArray(accT, (p + 1) * outPad + o + 1 * LANES);
    s1_2.intoArray(accT, (p + 1) * outPad + o + 2 * LANES);
    s1_3.intoArray(accT, (p + 1) * outPad + o + 3 * LANES);
  }

  /** 4 taps by 2 vectors past the 6-tap tiles (AVX2): 8 sums, 2 loads + 4 broadcasts. */
  private static void taps4x2(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    int x2 = offsets[p + 2];
    int x3 = offsets[p + 3];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s0_1 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + LANES);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s1_1 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + LANES);
    FloatVector s2_0 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o);
    FloatVector s2_1 = FloatVector.fromArray(SPECIES, accT, (p + 2) * outPad + o + LANES);
    FloatVector s3_0 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o);
    FloatVector s3_1 = FloatVector.fromArray(SPECIES, accT, (p + 3) * outPad + o + LANES);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector g1 = FloatVector.fromArray(SPECIES, dyT, at + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      s0_1 = a0.fma(g1, s0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      s1_1 = a1.fma(g1, s1_1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, padded[x2 + j]);
      s2_0 = a2.fma(g0, s2_0);
      s2_1 = a2.fma(g1, s2_1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, padded[x3 + j]);
      s3_0 = a3.fma(g0, s3_0);
      s3_1 = a3.fma(g1, s3_1);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s0_1.intoArray(accT, (p) * outPad + o + LANES);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s1_1.intoArray(accT, (p + 1) * outPad + o + LANES);
    s2_0.intoArray(accT, (p + 2) * outPad + o);
    s2_1.intoArray(accT, (p + 2) * outPad + o + LANES);
    s3_0.intoArray(accT, (p + 3) * outPad + o);
    s3_1.intoArray(accT, (p + 3) * outPad + o + LANES);
  }

  /** 2 taps by 2 vectors past the 4-tap tiles (AVX2): 4 sums, 2 loads + 2 broadcasts. */
  private static void taps2x2(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    int x1 = offsets[p + 1];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    FloatVector s0_1 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o + LANES);
    FloatVector s1_0 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o);
    FloatVector s1_1 = FloatVector.fromArray(SPECIES, accT, (p + 1) * outPad + o + LANES);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector g1 = FloatVector.fromArray(SPECIES, dyT, at + LANES);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
      s0_1 = a0.fma(g1, s0_1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, padded[x1 + j]);
      s1_0 = a1.fma(g0, s1_0);
      s1_1 = a1.fma(g1, s1_1);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
    s0_1.intoArray(accT, (p) * outPad + o + LANES);
    s1_0.intoArray(accT, (p + 1) * outPad + o);
    s1_1.intoArray(accT, (p + 1) * outPad + o + LANES);
  }

  /** One tap by one vector: the taps left over. */
  private static void taps1x1(float[] dyT, int dyAt, int outPad, float[] padded,
      int[] offsets, int p, int[] pixelOffsets, int pixels, float[] accT, int o) {
    int x0 = offsets[p];
    FloatVector s0_0 = FloatVector.fromArray(SPECIES, accT, (p) * outPad + o);
    for (int q = 0; q < pixels; q++) {
      int at = dyAt + q * outPad + o;
      int j = pixelOffsets[q];
      FloatVector g0 = FloatVector.fromArray(SPECIES, dyT, at);
      FloatVector a0 = FloatVector.broadcast(SPECIES, padded[x0 + j]);
      s0_0 = a0.fma(g0, s0_0);
    }
    s0_0.intoArray(accT, (p) * outPad + o);
  }
}
