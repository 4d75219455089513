package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sums of one Winograd position's weight gradient with images in the vector lanes
 * ({@link ImageLanesWinograd#accumulateWeightGradient}): for output channels o and input
 * channels c, the dot product over a block's tiles and images of the transformed output
 * gradient and the transformed input, both laid out tile by tile with a tile's channels side
 * by side ({@code [tile][channel][image]}). So a tile of 4 output by 6 input channels reads
 * its 4 + 6 vectors a step at constant displacements from two indices, each advanced by one
 * stride, and keeps 24 lane partial sums in registers (10 loads per 24 fused multiply-adds).
 * With the channels' runs apart ({@code [channel][tile][image]}, which {@link
 * PixelWeightGradient}'s 4 x 4 tile read at an offset per channel), ResNet-20's
 * 16x28x28 -> 16 weight gradient took 2.06-2.22 ms for 64 images on one thread, this way
 * 1.72-1.83 ({@code ImageLanesTrainingPasses}, two JVMs each; docs/engine-speed-log.md,
 * "Training passes in lanes").
 */
final class LanesWeightGradientKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private LanesWeightGradientKernel() {}

  /**
   * {@code partial[(o * inChannels + c) * LANES + l] +=} for lanes l below {@link #LANES} the sum
   * over tiles t below {@code tiles} of {@code dy[dyAt + (t * outChannels + o) * LANES + l]}
   * times {@code x[xAt + (t * inChannels + c) * LANES + l]}.
   */
  static void accumulate(float[] dy, int dyAt, int outChannels, float[] x, int xAt,
      int inChannels, int tiles, float[] partial) {
    int wide = inChannels / 6; // tiles of 6 input channels, leaving a multiple of 4 if it can
    while (wide > 0 && (inChannels - 6 * wide) % 4 != 0) {
      wide--;
    }
    if (wide == 0) {
      wide = inChannels / 6;
    }
    int fourEnd = 6 * wide + (inChannels - 6 * wide) / 4 * 4;
    int o = 0;
    for (; o + 4 <= outChannels; o += 4) {
      int c = 0;
      for (; c < 6 * wide; c += 6) {
        tile4x6(dy, dyAt, outChannels, x, xAt, inChannels, tiles, o, c, partial);
      }
      for (; c < fourEnd; c += 4) {
        tile4x4(dy, dyAt, outChannels, x, xAt, inChannels, tiles, o, c, partial);
      }
      for (; c < inChannels; c++) {
        for (int oo = o; oo < o + 4; oo++) {
          tile1x1(dy, dyAt, outChannels, x, xAt, inChannels, tiles, oo, c, partial);
        }
      }
    }
    for (; o < outChannels; o++) {
      for (int c = 0; c < inChannels; c++) {
        tile1x1(dy, dyAt, outChannels, x, xAt, inChannels, tiles, o, c, partial);
      }
    }
  }

  /** Output channels o..o+3 by input channels c..c+5. */
  private static void tile4x6(float[] dy, int dyAt, int outChannels, float[] x, int xAt,
      int inChannels, int tiles, int o, int c, float[] partial) {
    int at0 = (o * inChannels + c) * LANES;
    int at1 = at0 + inChannels * LANES;
    int at2 = at1 + inChannels * LANES;
    int at3 = at2 + inChannels * LANES;
    FloatVector s00 = FloatVector.fromArray(SPECIES, partial, at0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, partial, at0 + LANES);
    FloatVector s02 = FloatVector.fromArray(SPECIES, partial, at0 + 2 * LANES);
    FloatVector s03 = FloatVector.fromArray(SPECIES, partial, at0 + 3 * LANES);
    FloatVector s04 = FloatVector.fromArray(SPECIES, partial, at0 + 4 * LANES);
    FloatVector s05 = FloatVector.fromArray(SPECIES, partial, at0 + 5 * LANES);
    FloatVector s10 = FloatVector.fromArray(SPECIES, partial, at1);
    FloatVector s11 = FloatVector.fromArray(SPECIES, partial, at1 + LANES);
    FloatVector s12 = FloatVector.fromArray(SPECIES, partial, at1 + 2 * LANES);
    FloatVector s13 = FloatVector.fromArray(SPECIES, partial, at1 + 3 * LANES);
    FloatVector s14 = FloatVector.fromArray(SPECIES, partial, at1 + 4 * LANES);
    FloatVector s15 = FloatVector.fromArray(SPECIES, partial, at1 + 5 * LANES);
    FloatVector s20 = FloatVector.fromArray(SPECIES, partial, at2);
    FloatVector s21 = FloatVector.fromArray(SPECIES, partial, at2 + LANES);
    FloatVector s22 = FloatVector.fromArray(SPECIES, partial, at2 + 2 * LANES);
    FloatVector s23 = FloatVector.fromArray(SPECIES, partial, at2 + 3 * LANES);
    FloatVector s24 = FloatVector.fromArray(SPECIES, partial, at2 + 4 * LANES);
    FloatVector s25 = FloatVector.fromArray(SPECIES, partial, at2 + 5 * LANES);
    FloatVector s30 = FloatVector.fromArray(SPECIES, partial, at3);
    FloatVector s31 = FloatVector.fromArray(SPECIES, partial, at3 + LANES);
    FloatVector s32 = FloatVector.fromArray(SPECIES, partial, at3 + 2 * LANES);
    FloatVector s33 = FloatVector.fromArray(SPECIES, partial, at3 + 3 * LANES);
    FloatVector s34 = FloatVector.fromArray(SPECIES, partial, at3 + 4 * LANES);
    FloatVector s35 = FloatVector.fromArray(SPECIES, partial, at3 + 5 * LANES);
    int dyStep = outChannels * LANES;
    int xStep = inChannels * LANES;
    int y = dyAt + o * LANES;
    int a = xAt + c * LANES;
    for (int t = 0; t < tiles; t++, y += dyStep, a += xStep) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dy, y);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dy, y + LANES);
      FloatVector d2 = FloatVector.fromArray(SPECIES, dy, y + 2 * LANES);
      FloatVector d3 = FloatVector.fromArray(SPECIES, dy, y + 3 * LANES);
      FloatVector x0 = FloatVector.fromArray(SPECIES, x, a);
      s00 = d0.fma(x0, s00);
      s10 = d1.fma(x0, s10);
      s20 = d2.fma(x0, s20);
      s30 = d3.fma(x0, s30);
      FloatVector x1 = FloatVector.fromArray(SPECIES, x, a + LANES);
      s01 = d0.fma(x1, s01);
      s11 = d1.fma(x1, s11);
      s21 = d2.fma(x1, s21);
      s31 = d3.fma(x1, s31);
      FloatVector x2 = FloatVector.fromArray(SPECIES, x, a + 2 * LANES);
      s02 = d0.fma(x2, s02);
      s12 = d1.fma(x2, s12);
      s22 = d2.fma(x2, s22);
      s32 = d3.fma(x2, s32);
      FloatVector x3 = FloatVector.fromArray(SPECIES, x, a + 3 * LANES);
      s03 = d0.fma(x3, s03);
      s13 = d1.fma(x3, s13);
      s23 = d2.fma(x3, s23);
      s33 = d3.fma(x3, s33);
      FloatVector x4 = FloatVector.fromArray(SPECIES, x, a + 4 * LANES);
      s04 = d0.fma(x4, s04);
      s14 = d1.fma(x4, s14);
      s24 = d2.fma(x4, s24);
      s34 = d3.fma(x4, s34);
      FloatVector x5 = FloatVector.fromArray(SPECIES, x, a + 5 * LANES);
      s05 = d0.fma(x5, s05);
      s15 = d1.fma(x5, s15);
      s25 = d2.fma(x5, s25);
      s35 = d3.fma(x5, s35);
    }
    s00.intoArray(partial, at0);
    s01.intoArray(partial, at0 + LANES);
    s02.intoArray(partial, at0 + 2 * LANES);
    s03.intoArray(partial, at0 + 3 * LANES);
    s04.intoArray(partial, at0 + 4 * LANES);
    s05.intoArray(partial, at0 + 5 * LANES);
    s10.intoArray(partial, at1);
    s11.intoArray(partial, at1 + LANES);
    s12.intoArray(partial, at1 + 2 * LANES);
    s13.intoArray(partial, at1 + 3 * LANES);
    s14.intoArray(partial, at1 + 4 * LANES);
    s15.intoArray(partial, at1 + 5 * LANES);
    s20.intoArray(partial, at2);
    s21.intoArray(partial, at2 + LANES);
    s22.intoArray(partial, at2 + 2 * LANES);
    s23.intoArray(partial, at2 + 3 * LANES);
    s24.intoArray(partial, at2 + 4 * LANES);
    s25.intoArray(partial, at2 + 5 * LANES);
    s30.intoArray(partial, at3);
    s31.intoArray(partial, at3 + LANES);
    s32.intoArray(partial, at3 + 2 * LANES);
    s33.intoArray(partial, at3 + 3 * LANES);
    s34.intoArray(partial, at3 + 4 * LANES);
    s35.intoArray(partial, at3 + 5 * LANES);
  }

  /** Output channels o..o+3 by input channels c..c+3: where the channels do not divide by 6. */
  private static void tile4x4(float[] dy, int dyAt, int outChannels, float[] x, int xAt,
      int inChannels, int tiles, int o, int c, float[] partial) {
    int at0 = (o * inChannels + c) * LANES;
    int at1 = at0 + inChannels * LANES;
    int at2 = at1 + inChannels * LANES;
    int at3 = at2 + inChannels * LANES;
    FloatVector s00 = FloatVector.fromArray(SPECIES, partial, at0);
    FloatVector s01 = FloatVector.fromArray(SPECIES, partial, at0 + LANES);
    FloatVector s02 = FloatVector.fromArray(SPECIES, partial, at0 + 2 * LANES);
    FloatVector s03 = FloatVector.fromArray(SPECIES, partial, at0 + 3 * LANES);
    FloatVector s10 = FloatVector.fromArray(SPECIES, partial, at1);
    FloatVector s11 = FloatVector.fromArray(SPECIES, partial, at1 + LANES);
    FloatVector s12 = FloatVector.fromArray(SPECIES, partial, at1 + 2 * LANES);
    FloatVector s13 = FloatVector.fromArray(SPECIES, partial, at1 + 3 * LANES);
    FloatVector s20 = FloatVector.fromArray(SPECIES, partial, at2);
    FloatVector s21 = FloatVector.fromArray(SPECIES, partial, at2 + LANES);
    FloatVector s22 = FloatVector.fromArray(SPECIES, partial, at2 + 2 * LANES);
    FloatVector s23 = FloatVector.fromArray(SPECIES, partial, at2 + 3 * LANES);
    FloatVector s30 = FloatVector.fromArray(SPECIES, partial, at3);
    FloatVector s31 = FloatVector.fromArray(SPECIES, partial, at3 + LANES);
    FloatVector s32 = FloatVector.fromArray(SPECIES, partial, at3 + 2 * LANES);
    FloatVector s33 = FloatVector.fromArray(SPECIES, partial, at3 + 3 * LANES);
    int dyStep = outChannels * LANES;
    int xStep = inChannels * LANES;
    int y = dyAt + o * LANES;
    int a = xAt + c * LANES;
    for (int t = 0; t < tiles; t++, y += dyStep, a += xStep) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dy, y);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dy, y + LANES);
      FloatVector d2 = FloatVector.fromArray(SPECIES, dy, y + 2 * LANES);
      FloatVector d3 = FloatVector.fromArray(SPECIES, dy, y + 3 * LANES);
      FloatVector x0 = FloatVector.fromArray(SPECIES, x, a);
      s00 = d0.fma(x0, s00);
      s10 = d1.fma(x0, s10);
      s20 = d2.fma(x0, s20);
      s30 = d3.fma(x0, s30);
      FloatVector x1 = FloatVector.fromArray(SPECIES, x, a + LANES);
      s01 = d0.fma(x1, s01);
      s11 = d1.fma(x1, s11);
      s21 = d2.fma(x1, s21);
      s31 = d3.fma(x1, s31);
      FloatVector x2 = FloatVector.fromArray(SPECIES, x, a + 2 * LANES);
      s02 = d0.fma(x2, s02);
      s12 = d1.fma(x2, s12);
      s22 = d2.fma(x2, s22);
      s32 = d3.fma(x2, s32);
      FloatVector x3 = FloatVector.fromArray(SPECIES, x, a + 3 * LANES);
      s03 = d0.fma(x3, s03);
      s13 = d1.fma(x3, s13);
      s23 = d2.fma(x3, s23);
      s33 = d3.fma(x3, s33);
    }
    s00.intoArray(partial, at0);
    s01.intoArray(partial, at0 + LANES);
    s02.intoArray(partial, at0 + 2 * LANES);
    s03.intoArray(partial, at0 + 3 * LANES);
    s10.intoArray(partial, at1);
    s11.intoArray(partial, at1 + LANES);
    s12.intoArray(partial, at1 + 2 * LANES);
    s13.intoArray(partial, at1 + 3 * LANES);
    s20.intoArray(partial, at2);
    s21.intoArray(partial, at2 + LANES);
    s22.intoArray(partial, at2 + 2 * LANES);
    s23.intoArray(partial, at2 + 3 * LANES);
    s30.intoArray(partial, at3);
    s31.intoArray(partial, at3 + LANES);
    s32.intoArray(partial, at3 + 2 * LANES);
    s33.intoArray(partial, at3 + 3 * LANES);
  }

  /** One output channel by one input channel: the channels left over from the tiles. */
  private static void tile1x1(float[] dy, int dyAt, int outChannels, float[] x, int xAt,
      int inChannels, int tiles, int o, int c, float[] partial) {
    int at = (o * inChannels + c) * LANES;
    FloatVector s = FloatVector.fromArray(SPECIES, partial, at);
    for (int t = 0; t < tiles; t++) {
      s = FloatVector.fromArray(SPECIES, dy, dyAt + (t * outChannels + o) * LANES)
          .fma(FloatVector.fromArray(SPECIES, x, xAt + (t * inChannels + c) * LANES), s);
    }
    s.intoArray(partial, at);
  }
}
