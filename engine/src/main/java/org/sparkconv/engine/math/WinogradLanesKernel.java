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
  private static final boolean BLOCKS = LaneTranspose.APPLIES;
  /** Per thread, one transposed block of {@link #pad}. */
  private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(
      () -> new float[LaneTranspose.SIZE * LaneTranspose.SIZE]);

  private WinogradLanesKernel() {}

  /**
   * Copies the planes {@code x[xOff + c * pixels + k]} to {@code padded[at + target[k] + c]}.
   * Where {@link LaneTranspose} has a block for the vectors (AVX-512's 16 lanes, AVX2's 8),
   * whole groups of a vector's channels go by blocks of as many pixels transposed in registers
   * into this thread's block buffer, whose rows (a pixel's channels each) are then stored
   * whole; where the hardware has scatters (AVX-512), the channels past the last group go a
   * vector of a plane's pixels at a time by one scatter (as {@link ChannelLanesOutput} writes
   * the other way); every other float one at a time. 64 images of 64 7x7 planes (ResNet-20's
   * third stage), one thread, on Zen 5, medians of two runs: 0.091-0.096 ms against
   * 0.130-0.235 by scatters alone.
   */
  static void pad(float[] x, int xOff, int channels, int pixels, int[] target, float[] padded,
      int at) {
    int whole = BLOCKS ? pixels / LANES * LANES : 0;
    int groups = BLOCKS ? channels / LANES * LANES : 0;
    float[] block = groups > 0 && whole > 0 ? BLOCK.get() : null;
    for (int c = 0; c < groups; c += LANES) {
      int source = xOff + c * pixels;
      for (int k = 0; k < whole; k += LANES) {
        LaneTranspose.block(x, source + k, pixels, block, 0, LANES);
        for (int l = 0; l < LANES; l++) {
          FloatVector.fromArray(SPECIES, block, l * LANES)
              .intoArray(padded, at + target[k + l] + c);
        }
      }
    }
    for (int c = 0; c < channels; c++) {
      int source = xOff + c * pixels;
      int to = at + c;
      int k = c < groups ? whole : 0; // past the groups' blocks
      for (; SCATTER && k < whole; k += LANES) {
        FloatVector.fromArray(SPECIES, x, source + k).intoArray(padded, to, target, k);
      }
      for (; k < pixels; k++) {
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

  /**
   * Floats a {@link #transformInput4} call keeps a tile's row transforms in: 36 vectors of at
   * most 16 lanes.
   */
  static final int ROW_SCRATCH = 36 * 16;

  /**
   * F(4x4)'s input transform by channels ({@link Winograd4Kernel}'s B): {@code v[vAt + xi *
   * positionStride + o] = (B^T d B)[xi]} ({@code xi = 6a + b}) for one tile whose 6x6 window
   * entry (i, j) is {@code padded[at + (i * padW + j) * width + o]}: a vector of channels at a
   * time, along the window's rows into {@code v[rowsAt ...]} ({@link #ROW_SCRATCH} floats,
   * contiguous), then down its columns into place. In place, the rows went to the positions
   * and were read back from there: 36 stores and loads a vector that many floats apart, 55 KB
   * for ResNet-20's 12-tile groups of 32 channels, past L1 (one thread, those tiles: 124-137
   * ns a tile and vector, against 84-86 now, the same sums).
   */
  static void transformInput4(float[] padded, int at, int padW, int width, float[] v, int vAt,
      int positionStride, int rowsAt) {
    // B^T of six vectors (Winograd4Kernel.transformSix's sums) written out in both loops: no
    // vector crosses a method boundary, and calling transformSix, which loads its own, made
    // VGG-small inference steps 2-3% slower (this transform 12.4% of the samples against 9.6%).
    for (int o = 0; o < width; o += LANES) {
      for (int i = 0; i < 6; i++) {
        int p = at + i * padW * width + o;
        int to = rowsAt + 6 * i * LANES;
        int stride = LANES;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p + width);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p + 2 * width);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p + 3 * width);
        FloatVector d4 = FloatVector.fromArray(SPECIES, padded, p + 4 * width);
        FloatVector d5 = FloatVector.fromArray(SPECIES, padded, p + 5 * width);
        FloatVector d42 = d4.sub(d2);
        FloatVector d13 = d1.sub(d3);
        d0.mul(4f).add(d4).sub(d2.mul(5f)).intoArray(v, to);
        d3.add(d4).sub(d1.add(d2).mul(4f)).intoArray(v, to + stride);
        d4.sub(d3).add(d1.sub(d2).mul(4f)).intoArray(v, to + 2 * stride);
        d42.sub(d13.mul(2f)).intoArray(v, to + 3 * stride);
        d42.add(d13.mul(2f)).intoArray(v, to + 4 * stride);
        d1.mul(4f).add(d5).sub(d3.mul(5f)).intoArray(v, to + 5 * stride);
      }
      for (int b = 0; b < 6; b++) {
        int c = rowsAt + b * LANES;
        int to = vAt + b * positionStride + o;
        int stride = 6 * positionStride;
        FloatVector d0 = FloatVector.fromArray(SPECIES, v, c);
        FloatVector d1 = FloatVector.fromArray(SPECIES, v, c + 6 * LANES);
        FloatVector d2 = FloatVector.fromArray(SPECIES, v, c + 12 * LANES);
        FloatVector d3 = FloatVector.fromArray(SPECIES, v, c + 18 * LANES);
        FloatVector d4 = FloatVector.fromArray(SPECIES, v, c + 24 * LANES);
        FloatVector d5 = FloatVector.fromArray(SPECIES, v, c + 30 * LANES);
        FloatVector d42 = d4.sub(d2);
        FloatVector d13 = d1.sub(d3);
        d0.mul(4f).add(d4).sub(d2.mul(5f)).intoArray(v, to);
        d3.add(d4).sub(d1.add(d2).mul(4f)).intoArray(v, to + stride);
        d4.sub(d3).add(d1.sub(d2).mul(4f)).intoArray(v, to + 2 * stride);
        d42.sub(d13.mul(2f)).intoArray(v, to + 3 * stride);
        d42.add(d13.mul(2f)).intoArray(v, to + 4 * stride);
        d1.mul(4f).add(d5).sub(d3.mul(5f)).intoArray(v, to + 5 * stride);
      }
    }
  }

  /**
   * F(4x4)'s output transform of one tile {@code (ty, tx)} by channels: with
   * {@code m[xi] = products[at + xi * positionStride + o]}, writes {@code (A^T m A)[a][b]} to
   * {@code resultT[resultAt + ((4 ty + a) * outW + 4 tx + b) * width + o]} where that pixel
   * lies inside {@code outH x outW}; the products' rows are overwritten (times A, in place).
   */
  static void transformOutput4(float[] products, int at, int positionStride, int width, int ty,
      int tx, int outH, int outW, float[] resultT, int resultAt) {
    for (int i = 0; i < 6; i++) {
      for (int o = 0; o < width; o += LANES) {
        Winograd4Kernel.transformOutputRow(products, at + 6 * i * positionStride + o,
            positionStride);
      }
    }
    int rows = Math.min(4, outH - 4 * ty);
    int columns = Math.min(4, outW - 4 * tx);
    int pixel = resultAt + (4 * ty * outW + 4 * tx) * width;
    for (int b = 0; b < columns; b++) {
      for (int o = 0; o < width; o += LANES) {
        outputColumn4(products, at + b * positionStride + o, 6 * positionStride, rows, resultT,
            pixel + b * width + o, outW * width);
      }
    }
  }

  /**
   * A column of six at {@code m[at + i * stride]} times A^T: output rows a below {@code rows}
   * into {@code resultT[to + a * rowStride]}.
   */
  private static void outputColumn4(float[] m, int at, int stride, int rows, float[] resultT,
      int to, int rowStride) {
    FloatVector m0 = FloatVector.fromArray(SPECIES, m, at);
    FloatVector m1 = FloatVector.fromArray(SPECIES, m, at + stride);
    FloatVector m2 = FloatVector.fromArray(SPECIES, m, at + 2 * stride);
    FloatVector m3 = FloatVector.fromArray(SPECIES, m, at + 3 * stride);
    FloatVector m4 = FloatVector.fromArray(SPECIES, m, at + 4 * stride);
    FloatVector sum12 = m1.add(m2);
    FloatVector dif12 = m1.sub(m2);
    FloatVector sum34 = m3.add(m4);
    FloatVector dif34 = m3.sub(m4);
    m0.add(sum12).add(sum34).intoArray(resultT, to);
    if (rows > 1) {
      dif12.add(dif34.mul(2f)).intoArray(resultT, to + rowStride);
    }
    if (rows > 2) {
      sum12.add(sum34.mul(4f)).intoArray(resultT, to + 2 * rowStride);
    }
    if (rows > 3) {
      FloatVector m5 = FloatVector.fromArray(SPECIES, m, at + 5 * stride);
      dif12.add(dif34.mul(8f)).add(m5).intoArray(resultT, to + 3 * rowStride);
    }
  }
}
