package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The data movement and transforms of {@link WinogradConv#forwardByChannels}, vectors over
 * channels: the image padded pixel-major ({@code (padH, padW, channels rounded to 16)}, its
 * border zero), the input transform of each tile from there, and the output transform of the
 * GEMMs' pixel-major products. Touched only when the incubator module is resolved.
 */
final class WinogradLanesKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final boolean SCATTER = VectorApi.hasWideVectors();

  private WinogradLanesKernel() {}

  /**
   * Copies the planes {@code x[xOff + c * pixels + k]} to {@code padded[at + target[k] + c]}:
   * a vector of a plane's pixels at a time by one scatter where the hardware has it (as
   * {@link ChannelLanesOutput} writes the other way), else one float at a time.
   */
  static void pad(float[] x, int xOff, int channels, int pixels, int[] target, float[] padded,
      int at) {
    int whole = SCATTER ? pixels / LANES * LANES : 0;
    for (int c = 0; c < channels; c++) {
      int source = xOff + c * pixels;
      int to = at + c;
      for (int k = 0; k < whole; k += LANES) {
        FloatVector.fromArray(SPECIES, x, source + k).intoArray(padded, to, target, k);
      }
      for (int k = whole; k < pixels; k++) {
        padded[to + target[k]] = x[source + k];
      }
    }
  }

  /**
   * {@code v[vAt + xi * positionStride + o] = (B^T d B)[xi]} for one tile whose 4x4 window
   * entry (i, j) is the pixel vector {@code padded[at + (i * padW + j) * width + o]}, for
   * {@code o < width} by vectors (as {@link WinogradKernel#transformInput}, rows first), in
   * two methods of eight positions for the reason given there.
   */
  static void transformInput(float[] padded, int at, int padW, int width, float[] v, int vAt,
      int positionStride) {
    inputRows012(padded, at, padW, width, v, vAt, positionStride);
    inputRows123(padded, at, padW, width, v, vAt, positionStride);
  }

  /** Positions 0-7 of {@link #transformInput}: {@code w0 - w2} and {@code w1 + w2}. */
  private static void inputRows012(float[] padded, int at, int padW, int width, float[] v,
      int vAt, int positionStride) {
    int row = padW * width;
    for (int o = 0; o < width; o += LANES) {
      FloatVector w00, w01, w02, w03;
      FloatVector w10, w11, w12, w13;
      FloatVector w20, w21, w22, w23;
      {
        int p = at + o;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        w00 = d0.sub(d2);
        w01 = d1.add(d2);
        w02 = d2.sub(d1);
        w03 = d1.sub(d3);
      }
      {
        int p = at + row + o;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        w10 = d0.sub(d2);
        w11 = d1.add(d2);
        w12 = d2.sub(d1);
        w13 = d1.sub(d3);
      }
      {
        int p = at + 2 * row + o;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        w20 = d0.sub(d2);
        w21 = d1.add(d2);
        w22 = d2.sub(d1);
        w23 = d1.sub(d3);
      }
      int q = vAt + o;
      w00.sub(w20).intoArray(v, q);
      w01.sub(w21).intoArray(v, q + positionStride);
      w02.sub(w22).intoArray(v, q + 2 * positionStride);
      w03.sub(w23).intoArray(v, q + 3 * positionStride);
      w10.add(w20).intoArray(v, q + 4 * positionStride);
      w11.add(w21).intoArray(v, q + 5 * positionStride);
      w12.add(w22).intoArray(v, q + 6 * positionStride);
      w13.add(w23).intoArray(v, q + 7 * positionStride);
    }
  }

  /** Positions 8-15 of {@link #transformInput}: {@code w2 - w1} and {@code w1 - w3}. */
  private static void inputRows123(float[] padded, int at, int padW, int width, float[] v,
      int vAt, int positionStride) {
    int row = padW * width;
    for (int o = 0; o < width; o += LANES) {
      FloatVector w10, w11, w12, w13;
      FloatVector w20, w21, w22, w23;
      FloatVector w30, w31, w32, w33;
      {
        int p = at + row + o;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        w10 = d0.sub(d2);
        w11 = d1.add(d2);
        w12 = d2.sub(d1);
        w13 = d1.sub(d3);
      }
      {
        int p = at + 2 * row + o;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        w20 = d0.sub(d2);
        w21 = d1.add(d2);
        w22 = d2.sub(d1);
        w23 = d1.sub(d3);
      }
      {
        int p = at + 3 * row + o;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        w30 = d0.sub(d2);
        w31 = d1.add(d2);
        w32 = d2.sub(d1);
        w33 = d1.sub(d3);
      }
      int q = vAt + 8 * positionStride + o;
      w20.sub(w10).intoArray(v, q);
      w21.sub(w11).intoArray(v, q + positionStride);
      w22.sub(w12).intoArray(v, q + 2 * positionStride);
      w23.sub(w13).intoArray(v, q + 3 * positionStride);
      w10.sub(w30).intoArray(v, q + 4 * positionStride);
      w11.sub(w31).intoArray(v, q + 5 * positionStride);
      w12.sub(w32).intoArray(v, q + 6 * positionStride);
      w13.sub(w33).intoArray(v, q + 7 * positionStride);
    }
  }

  /**
   * The output transform of one tile {@code (ty, tx)}: with
   * {@code m[xi] = products[at + xi * positionStride + o]} for output channels o (vectors over
   * {@code width}, a whole number of them), writes {@code (A^T m A)[a][b]} to the pixel-major
   * image {@code resultT[resultAt + ((2 ty + a) * outW + 2 tx + b) * width + o]} where that
   * pixel lies inside {@code outH x outW}. Output row 0 and row 1 in methods of their own, as
   * {@link WinogradKernel#transformOutput} does.
   */
  static void transformOutput(float[] products, int at, int positionStride, int width, int ty,
      int tx, int outH, int outW, float[] resultT, int resultAt) {
    int pixel = resultAt + (2 * ty * outW + 2 * tx) * width;
    boolean right = 2 * tx + 1 < outW;
    outputRow0ByChannels(products, at, positionStride, width, right, resultT, pixel);
    if (2 * ty + 1 < outH) {
      outputRow1ByChannels(products, at, positionStride, width, right, resultT,
          pixel + outW * width);
    }
  }

  /** Output row 0 of {@link #transformOutput}: {@code s0 + s1 + s2}. */
  private static void outputRow0ByChannels(float[] products, int m, int positionStride,
      int width, boolean right, float[] resultT, int pixel) {
    for (int o = 0; o < width; o += LANES) {
      FloatVector s00, s01, s10, s11, s20, s21;
      {
        int r = m + o;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s00 = m0.add(m1).add(m2);
        s01 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + o + 4 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s10 = m0.add(m1).add(m2);
        s11 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + o + 8 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s20 = m0.add(m1).add(m2);
        s21 = m1.sub(m2).sub(m3);
      }
      s00.add(s10).add(s20).intoArray(resultT, pixel + o);
      if (right) {
        s01.add(s11).add(s21).intoArray(resultT, pixel + width + o);
      }
    }
  }

  /** Output row 1 of {@link #transformOutput}: {@code s1 - s2 - s3}. */
  private static void outputRow1ByChannels(float[] products, int m, int positionStride,
      int width, boolean right, float[] resultT, int pixel) {
    for (int o = 0; o < width; o += LANES) {
      FloatVector s10, s11, s20, s21, s30, s31;
      {
        int r = m + o + 4 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s10 = m0.add(m1).add(m2);
        s11 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + o + 8 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s20 = m0.add(m1).add(m2);
        s21 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + o + 12 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s30 = m0.add(m1).add(m2);
        s31 = m1.sub(m2).sub(m3);
      }
      s10.sub(s20).sub(s30).intoArray(resultT, pixel + o);
      if (right) {
        s11.sub(s21).sub(s31).intoArray(resultT, pixel + width + o);
      }
    }
  }
}
