package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link WinogradFilter}'s transform {@code U = G g G^T} with vectors over output channels, for
 * packing a layer's weights once per pass: from kernels laid out by tap, input channel and
 * output channel ({@code gT[(t * depth + c) * width + o]}, {@code t = 3i + j}), each
 * transformed position of one input channel into {@code u[xi * width + o]}. One kernel at a
 * time, the 16 or 36 positions went to as many GEMMs a whole weight matrix apart, and their
 * stores missed the cache: 64x64 channels packed for F(4x4) took 1.2-1.6 ms, as long as the
 * convolution of 64 images of 7x7. F(4x4)'s G, whose thirds are not floats, is applied in
 * floats here (its error is some ulps of U, against the 1e-4 the F(4x4) transforms cost).
 * Touched only when the incubator module is resolved.
 */
final class WinogradFilterKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private WinogradFilterKernel() {}

  /**
   * {@code u[xi * width + o]} = position xi of {@code G g G^T} for the kernels of input
   * channel {@code c} and every output channel {@code o < width} (a multiple of 16), with
   * {@code tile} 2 or 4; {@code gg} is scratch of {@code 18 * width} ({@code G g}). Each
   * product with G in a loop of its own with no vector crossing a call: helpers taking vectors
   * were left uninlined by C2 and boxed them (0.5 MB allocated per 64x64 packing).
   */
  static void transform(int tile, float[] gT, int depth, int width, int c, float[] u,
      float[] gg) {
    int side = tile + 2;
    int tap = depth * width;
    for (int j = 0; j < 3; j++) { // G along each column j of the kernel: rows (a, j) of G g
      int at = (j * depth + c) * width;
      applyG(tile, gT, at, at + 3 * tap, at + 6 * tap, gg, j * width, 3 * width, width);
    }
    for (int a = 0; a < side; a++) { // G along each row a of G g: U's row a
      int at = 3 * a * width;
      applyG(tile, gg, at, at + width, at + 2 * width, u, side * a * width, width, width);
    }
  }

  /**
   * {@code dst[to + k * stride + o] = sum over i of G[k][i] src[at_i + o]} for {@code o <
   * width} by vectors, k below {@code tile + 2}.
   */
  private static void applyG(int tile, float[] src, int at0, int at1, int at2, float[] dst,
      int to, int stride, int width) {
    if (tile == 2) {
      applyG2(src, at0, at1, at2, dst, to, stride, width);
    } else {
      applyG4(src, at0, at1, at2, dst, to, stride, width);
    }
  }

  /** {@link #applyG} with F(2x2)'s G: {@code (r0, (r0 + r1 + r2) / 2, (r0 - r1 + r2) / 2, r2)}. */
  private static void applyG2(float[] src, int at0, int at1, int at2, float[] dst, int to,
      int stride, int width) {
    for (int o = 0; o < width; o += LANES) {
      FloatVector r0 = FloatVector.fromArray(SPECIES, src, at0 + o);
      FloatVector r1 = FloatVector.fromArray(SPECIES, src, at1 + o);
      FloatVector r2 = FloatVector.fromArray(SPECIES, src, at2 + o);
      int d = to + o;
      r0.intoArray(dst, d);
      r0.add(r1).add(r2).mul(0.5f).intoArray(dst, d + stride);
      r0.sub(r1).add(r2).mul(0.5f).intoArray(dst, d + 2 * stride);
      r2.intoArray(dst, d + 3 * stride);
    }
  }

  /**
   * {@link #applyG} with F(4x4)'s G: {@code r0 / 4}, {@code -(r0 + r1 + r2) / 6},
   * {@code -(r0 - r1 + r2) / 6}, {@code r0 / 24 + r1 / 12 + r2 / 6},
   * {@code r0 / 24 - r1 / 12 + r2 / 6}, {@code r2}.
   */
  private static void applyG4(float[] src, int at0, int at1, int at2, float[] dst, int to,
      int stride, int width) {
    for (int o = 0; o < width; o += LANES) {
      FloatVector r0 = FloatVector.fromArray(SPECIES, src, at0 + o);
      FloatVector r1 = FloatVector.fromArray(SPECIES, src, at1 + o);
      FloatVector r2 = FloatVector.fromArray(SPECIES, src, at2 + o);
      FloatVector outer = r0.mul(1f / 24).add(r2.mul(1f / 6));
      FloatVector middle = r1.mul(1f / 12);
      int d = to + o;
      r0.mul(0.25f).intoArray(dst, d);
      r0.add(r1).add(r2).mul(-1f / 6).intoArray(dst, d + stride);
      r0.sub(r1).add(r2).mul(-1f / 6).intoArray(dst, d + 2 * stride);
      outer.add(middle).intoArray(dst, d + 3 * stride);
      outer.sub(middle).intoArray(dst, d + 4 * stride);
      r2.intoArray(dst, d + 5 * stride);
    }
  }
}
