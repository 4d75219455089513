package org.sparkconv.engine.math;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A convolution's sums at a short list of output pixels, with vectors over output channels:
 * {@code outT[outAt + q * outPad + o] = sum over p < depth of packedT[...(o, p)] *
 * padded[offsets[p] + pixelOffsets[q]]}, 7 or 4 pixels a tile. What {@link WrappedRowsConv}
 * computes apart from its runs of whole vectors: a plane's last pixels past them (4 of 196 on
 * 14x14), and at each border column the products of the taps that wrapped to a neighbouring
 * row, to be taken back out. The pixel-vector kernel would spend a whole vector column of 8-row
 * tiles on those 4 pixels, and the border sums as columns of their own gathered from the padded
 * rows (a scalar copy per row and channel); here each pixel's entry is broadcast from the
 * padded image where it lies, against a row of weights over the output channels. The weights
 * are packed by {@link #packedIndex} in chunks of 2 vectors, then one, each
 * {@code (depth, chunk width)}. Touched only when the incubator module is resolved.
 */
final class PixelListKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Pixels of the wide tile. */
  private static final int TILE = 7;
  /** Pixels of the narrow tile: a list of 7k + 1 to 7k + 4 pixels ends in one of these. */
  private static final int SHORT_TILE = 4;

  private PixelListKernel() {}

  /**
   * Where weight {@code (o, p)} goes in weights packed for {@link #run} with {@code outPad}
   * output lanes (a multiple of the vector width): chunks of 2 vectors of output channels, then
   * one of a single vector if one is left, each {@code (depth, width)}.
   */
  static int packedIndex(int o, int p, int depth, int outPad) {
    int pairs = outPad / (2 * LANES) * 2 * LANES; // output lanes in 2-vector chunks
    if (o < pairs) {
      return o / (2 * LANES) * 2 * LANES * depth + p * 2 * LANES + o % (2 * LANES);
    }
    return pairs * depth + p * LANES + o - pairs;
  }

  /**
   * The pixel offsets {@code pixelOffsets} padded to whole tiles (of 7, the last of 4 where 1 to
   * 4 are left) by repeating the last (whose sums are computed and not read). ResNet-20's
   * 14x14 planes: 4 pixels past the runs, a border column of 14.
   */
  static int[] padded(int[] pixelOffsets) {
    int whole = pixelOffsets.length / TILE * TILE;
    int left = pixelOffsets.length - whole;
    int length = whole + (left == 0 ? 0 : left <= SHORT_TILE ? SHORT_TILE : TILE);
    int[] result = Arrays.copyOf(pixelOffsets, length);
    Arrays.fill(result, pixelOffsets.length, length, pixelOffsets[pixelOffsets.length - 1]);
    return result;
  }

  /**
   * {@code outT[outAt + q * outPad + o]} as in the class comment for every q below
   * {@code pixelOffsets.length} (whole tiles, as {@link #padded} pads) and o below {@code outPad}
   * (a multiple of the vector width), the weights from {@code packedT[packedAt]} laid out by
   * {@link #packedIndex}.
   */
  static void run(float[] packedT, int packedAt, int outPad, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, float[] outT, int outAt) {
    int pairs = outPad / (2 * LANES) * 2 * LANES;
    int whole = pixelOffsets.length / TILE * TILE;
    for (int o = 0; o < pairs; o += 2 * LANES) {
      int chunk = packedAt + o * depth;
      for (int q = 0; q < whole; q += TILE) {
        pixels7x2(packedT, chunk, depth, offsets, padded, pixelOffsets, q, outT, outAt + o,
            outPad);
      }
      if (whole < pixelOffsets.length) {
        pixels4x2(packedT, chunk, depth, offsets, padded, pixelOffsets, whole, outT, outAt + o,
            outPad);
      }
    }
    if (pairs < outPad) {
      int chunk = packedAt + pairs * depth;
      for (int q = 0; q < whole; q += TILE) {
        pixels7x1(packedT, chunk, depth, offsets, padded, pixelOffsets, q, outT, outAt + pairs,
            outPad);
      }
      if (whole < pixelOffsets.length) {
        pixels4x1(packedT, chunk, depth, offsets, padded, pixelOffsets, whole, outT,
            outAt + pairs, outPad);
      }
    }
  }

  /** 7 pixels by 2 vectors of output channels: 14 accumulators, 2 loads + 7 broadcasts. */
  private static void pixels7x2(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int at, int outPad) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    int j6 = pixelOffsets[q + 6];
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
    }
    c0_0.intoArray(outT, at + (q + 0) * outPad);
    c0_1.intoArray(outT, at + (q + 0) * outPad + 1 * LANES);
    c1_0.intoArray(outT, at + (q + 1) * outPad);
    c1_1.intoArray(outT, at + (q + 1) * outPad + 1 * LANES);
    c2_0.intoArray(outT, at + (q + 2) * outPad);
    c2_1.intoArray(outT, at + (q + 2) * outPad + 1 * LANES);
    c3_0.intoArray(outT, at + (q + 3) * outPad);
    c3_1.intoArray(outT, at + (q + 3) * outPad + 1 * LANES);
    c4_0.intoArray(outT, at + (q + 4) * outPad);
    c4_1.intoArray(outT, at + (q + 4) * outPad + 1 * LANES);
    c5_0.intoArray(outT, at + (q + 5) * outPad);
    c5_1.intoArray(outT, at + (q + 5) * outPad + 1 * LANES);
    c6_0.intoArray(outT, at + (q + 6) * outPad);
    c6_1.intoArray(outT, at + (q + 6) * outPad + 1 * LANES);
  }

  /** 7 pixels by one vector of output channels: 7 accumulators, a load + 7 broadcasts. */
  private static void pixels7x1(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int at, int outPad) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    int j4 = pixelOffsets[q + 4];
    int j5 = pixelOffsets[q + 5];
    int j6 = pixelOffsets[q + 6];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c4_0 = FloatVector.zero(SPECIES);
    FloatVector c5_0 = FloatVector.zero(SPECIES);
    FloatVector c6_0 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * LANES;
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
    }
    c0_0.intoArray(outT, at + (q + 0) * outPad);
    c1_0.intoArray(outT, at + (q + 1) * outPad);
    c2_0.intoArray(outT, at + (q + 2) * outPad);
    c3_0.intoArray(outT, at + (q + 3) * outPad);
    c4_0.intoArray(outT, at + (q + 4) * outPad);
    c5_0.intoArray(outT, at + (q + 5) * outPad);
    c6_0.intoArray(outT, at + (q + 6) * outPad);
  }

  /** 4 pixels by 2 vectors of output channels: 8 accumulators, 2 loads + 4 broadcasts. */
  private static void pixels4x2(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int at, int outPad) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c0_1 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c1_1 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c2_1 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    FloatVector c3_1 = FloatVector.zero(SPECIES);
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
    }
    c0_0.intoArray(outT, at + (q + 0) * outPad);
    c0_1.intoArray(outT, at + (q + 0) * outPad + 1 * LANES);
    c1_0.intoArray(outT, at + (q + 1) * outPad);
    c1_1.intoArray(outT, at + (q + 1) * outPad + 1 * LANES);
    c2_0.intoArray(outT, at + (q + 2) * outPad);
    c2_1.intoArray(outT, at + (q + 2) * outPad + 1 * LANES);
    c3_0.intoArray(outT, at + (q + 3) * outPad);
    c3_1.intoArray(outT, at + (q + 3) * outPad + 1 * LANES);
  }

  /** 4 pixels by one vector of output channels: 4 accumulators, a load + 4 broadcasts. */
  private static void pixels4x1(float[] packedT, int chunk, int depth, int[] offsets,
      float[] padded, int[] pixelOffsets, int q, float[] outT, int at, int outPad) {
    int j0 = pixelOffsets[q + 0];
    int j1 = pixelOffsets[q + 1];
    int j2 = pixelOffsets[q + 2];
    int j3 = pixelOffsets[q + 3];
    FloatVector c0_0 = FloatVector.zero(SPECIES);
    FloatVector c1_0 = FloatVector.zero(SPECIES);
    FloatVector c2_0 = FloatVector.zero(SPECIES);
    FloatVector c3_0 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int w = chunk + p * LANES;
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
    }
    c0_0.intoArray(outT, at + (q + 0) * outPad);
    c1_0.intoArray(outT, at + (q + 1) * outPad);
    c2_0.intoArray(outT, at + (q + 2) * outPad);
    c3_0.intoArray(outT, at + (q + 3) * outPad);
  }
}
