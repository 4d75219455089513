package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A square block of floats, as many rows as a vector has lanes, transposed in registers: 16 x
 * 16 with 512-bit vectors, 8 x 8 with AVX2's 256-bit ones ({@link #APPLIES}). Row loads, one
 * butterfly stage per bit of the lane number (four for 16 lanes, three for 8) of one lane
 * permutation and one blend per vector, row stores. Stage {@code s} (8, 4, 2, 1) swaps the row
 * number's bit of value {@code s} with the lane number's, between rows {@code k} and
 * {@code k + s} (k with that bit clear). Against 16-lane gathers (what {@link ChannelRows} did
 * before), 64 images of 32 planes of 784 pixels to pixel rows, one thread, on an AMD EPYC
 * (Zen 5): 0.40-0.42 ms against 0.60-0.66; 64 planes of 196 pixels 0.18-0.21 against
 * 0.30-0.34. On AVX2, which has no scatters, the callers copied a float at a time before the
 * 8 x 8 block (2026-12-04).
 *
 * <p>The stages run a quarter of the rows at a time: rows 0-3 through bits 0 and 1, rows 4-7
 * too, then bit 2 among rows 0-7; the same for rows 8-15; then the top bit between the halves,
 * each pair stored once done. Every row is read before any is written. Stage by stage over all
 * 16 rows, C2 kept every permuted row live at once and spilled (55 vector spills and reloads
 * on the compiled main path, 4 this way): one 16 x 16 block in L1 (stride 49, one thread,
 * Zen 5) took 41-75 ns that way (nine JVMs) and 35-40 ns this way (five); ResNet-20 inference
 * steps (batch 256, {@code scripts/bench-builds.sh}, both orders) 1.017x, its training steps
 * 1.002x. The 8 x 8 block, reordered alike, reads the same (11-13 ns either way).
 *
 * <p>The stages are written out operation by operation, without helper methods: with a helper
 * for each of the two rows of a pair, the compiled block allocated (85 MB a VGG-small training
 * step: Vector API operations left to the Java fallback, it seems past C2's inlining budget for
 * one method), and VGG-small training ran 736 img/s against 1,190 with the gathers.
 */
final class LaneTranspose {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  /** Rows and lanes of a block: a vector's lanes. */
  static final int SIZE = SPECIES.length();
  /** Whether there is a block for this vector width (16 or 8 lanes). */
  static final boolean APPLIES = SIZE == 16 || SIZE == 8;
  private static final VectorShuffle<Float> SWAP1 = APPLIES ? swap(1) : null;
  private static final VectorShuffle<Float> SWAP2 = APPLIES ? swap(2) : null;
  private static final VectorShuffle<Float> SWAP4 = APPLIES ? swap(4) : null;
  private static final VectorShuffle<Float> SWAP8 = SIZE == 16 ? swap(8) : null;
  private static final VectorMask<Float> UPPER1 = APPLIES ? upper(1) : null;
  private static final VectorMask<Float> UPPER2 = APPLIES ? upper(2) : null;
  private static final VectorMask<Float> UPPER4 = APPLIES ? upper(4) : null;
  private static final VectorMask<Float> UPPER8 = SIZE == 16 ? upper(8) : null;

  private LaneTranspose() {}

  /** Lane {@code l} takes lane {@code l ^ s}. */
  private static VectorShuffle<Float> swap(int s) {
    int[] lanes = new int[SIZE];
    for (int l = 0; l < SIZE; l++) {
      lanes[l] = l ^ s;
    }
    return VectorShuffle.fromArray(SPECIES, lanes, 0);
  }

  /** The lanes whose bit {@code s} is set. */
  private static VectorMask<Float> upper(int s) {
    boolean[] set = new boolean[SIZE];
    for (int l = 0; l < SIZE; l++) {
      set[l] = (l & s) != 0;
    }
    return VectorMask.fromArray(SPECIES, set, 0);
  }

  /**
   * {@code dst[dstAt + l * dstStride + k] = src[srcAt + k * srcStride + l]} for k, l below
   * {@link #SIZE}; only where {@link #APPLIES}.
   */
  static void block(float[] src, int srcAt, int srcStride, float[] dst, int dstAt,
      int dstStride) {
    if (SIZE == 16) {
      block16(src, srcAt, srcStride, dst, dstAt, dstStride);
    } else {
      block8(src, srcAt, srcStride, dst, dstAt, dstStride);
    }
  }

  /** {@link #block} for 16 lanes. */
  private static void block16(float[] src, int srcAt, int srcStride, float[] dst, int dstAt,
      int dstStride) {
    FloatVector t;
    // rows 0-3: bits 0 and 1
    FloatVector r0 = FloatVector.fromArray(SPECIES, src, srcAt);
    FloatVector r1 = FloatVector.fromArray(SPECIES, src, srcAt + srcStride);
    FloatVector r2 = FloatVector.fromArray(SPECIES, src, srcAt + 2 * srcStride);
    FloatVector r3 = FloatVector.fromArray(SPECIES, src, srcAt + 3 * srcStride);
    t = r0.blend(r1.rearrange(SWAP1), UPPER1);
    r1 = r0.rearrange(SWAP1).blend(r1, UPPER1); r0 = t;
    t = r2.blend(r3.rearrange(SWAP1), UPPER1);
    r3 = r2.rearrange(SWAP1).blend(r3, UPPER1); r2 = t;
    t = r0.blend(r2.rearrange(SWAP2), UPPER2);
    r2 = r0.rearrange(SWAP2).blend(r2, UPPER2); r0 = t;
    t = r1.blend(r3.rearrange(SWAP2), UPPER2);
    r3 = r1.rearrange(SWAP2).blend(r3, UPPER2); r1 = t;
    // rows 4-7: bits 0 and 1
    FloatVector r4 = FloatVector.fromArray(SPECIES, src, srcAt + 4 * srcStride);
    FloatVector r5 = FloatVector.fromArray(SPECIES, src, srcAt + 5 * srcStride);
    FloatVector r6 = FloatVector.fromArray(SPECIES, src, srcAt + 6 * srcStride);
    FloatVector r7 = FloatVector.fromArray(SPECIES, src, srcAt + 7 * srcStride);
    t = r4.blend(r5.rearrange(SWAP1), UPPER1);
    r5 = r4.rearrange(SWAP1).blend(r5, UPPER1); r4 = t;
    t = r6.blend(r7.rearrange(SWAP1), UPPER1);
    r7 = r6.rearrange(SWAP1).blend(r7, UPPER1); r6 = t;
    t = r4.blend(r6.rearrange(SWAP2), UPPER2);
    r6 = r4.rearrange(SWAP2).blend(r6, UPPER2); r4 = t;
    t = r5.blend(r7.rearrange(SWAP2), UPPER2);
    r7 = r5.rearrange(SWAP2).blend(r7, UPPER2); r5 = t;
    // rows 0-7: bit 2
    t = r0.blend(r4.rearrange(SWAP4), UPPER4);
    r4 = r0.rearrange(SWAP4).blend(r4, UPPER4); r0 = t;
    t = r1.blend(r5.rearrange(SWAP4), UPPER4);
    r5 = r1.rearrange(SWAP4).blend(r5, UPPER4); r1 = t;
    t = r2.blend(r6.rearrange(SWAP4), UPPER4);
    r6 = r2.rearrange(SWAP4).blend(r6, UPPER4); r2 = t;
    t = r3.blend(r7.rearrange(SWAP4), UPPER4);
    r7 = r3.rearrange(SWAP4).blend(r7, UPPER4); r3 = t;
    // rows 8-11: bits 0 and 1
    FloatVector r8 = FloatVector.fromArray(SPECIES, src, srcAt + 8 * srcStride);
    FloatVector r9 = FloatVector.fromArray(SPECIES, src, srcAt + 9 * srcStride);
    FloatVector r10 = FloatVector.fromArray(SPECIES, src, srcAt + 10 * srcStride);
    FloatVector r11 = FloatVector.fromArray(SPECIES, src, srcAt + 11 * srcStride);
    t = r8.blend(r9.rearrange(SWAP1), UPPER1);
    r9 = r8.rearrange(SWAP1).blend(r9, UPPER1); r8 = t;
    t = r10.blend(r11.rearrange(SWAP1), UPPER1);
    r11 = r10.rearrange(SWAP1).blend(r11, UPPER1); r10 = t;
    t = r8.blend(r10.rearrange(SWAP2), UPPER2);
    r10 = r8.rearrange(SWAP2).blend(r10, UPPER2); r8 = t;
    t = r9.blend(r11.rearrange(SWAP2), UPPER2);
    r11 = r9.rearrange(SWAP2).blend(r11, UPPER2); r9 = t;
    // rows 12-15: bits 0 and 1
    FloatVector r12 = FloatVector.fromArray(SPECIES, src, srcAt + 12 * srcStride);
    FloatVector r13 = FloatVector.fromArray(SPECIES, src, srcAt + 13 * srcStride);
    FloatVector r14 = FloatVector.fromArray(SPECIES, src, srcAt + 14 * srcStride);
    FloatVector r15 = FloatVector.fromArray(SPECIES, src, srcAt + 15 * srcStride);
    t = r12.blend(r13.rearrange(SWAP1), UPPER1);
    r13 = r12.rearrange(SWAP1).blend(r13, UPPER1); r12 = t;
    t = r14.blend(r15.rearrange(SWAP1), UPPER1);
    r15 = r14.rearrange(SWAP1).blend(r15, UPPER1); r14 = t;
    t = r12.blend(r14.rearrange(SWAP2), UPPER2);
    r14 = r12.rearrange(SWAP2).blend(r14, UPPER2); r12 = t;
    t = r13.blend(r15.rearrange(SWAP2), UPPER2);
    r15 = r13.rearrange(SWAP2).blend(r15, UPPER2); r13 = t;
    // rows 8-15: bit 2
    t = r8.blend(r12.rearrange(SWAP4), UPPER4);
    r12 = r8.rearrange(SWAP4).blend(r12, UPPER4); r8 = t;
    t = r9.blend(r13.rearrange(SWAP4), UPPER4);
    r13 = r9.rearrange(SWAP4).blend(r13, UPPER4); r9 = t;
    t = r10.blend(r14.rearrange(SWAP4), UPPER4);
    r14 = r10.rearrange(SWAP4).blend(r14, UPPER4); r10 = t;
    t = r11.blend(r15.rearrange(SWAP4), UPPER4);
    r15 = r11.rearrange(SWAP4).blend(r15, UPPER4); r11 = t;
    // bit 3 between the halves, each pair stored as it is done
    t = r0.blend(r8.rearrange(SWAP8), UPPER8);
    r8 = r0.rearrange(SWAP8).blend(r8, UPPER8); r0 = t;
    r0.intoArray(dst, dstAt);
    r8.intoArray(dst, dstAt + 8 * dstStride);
    t = r1.blend(r9.rearrange(SWAP8), UPPER8);
    r9 = r1.rearrange(SWAP8).blend(r9, UPPER8); r1 = t;
    r1.intoArray(dst, dstAt + dstStride);
    r9.intoArray(dst, dstAt + 9 * dstStride);
    t = r2.blend(r10.rearrange(SWAP8), UPPER8);
    r10 = r2.rearrange(SWAP8).blend(r10, UPPER8); r2 = t;
    r2.intoArray(dst, dstAt + 2 * dstStride);
    r10.intoArray(dst, dstAt + 10 * dstStride);
    t = r3.blend(r11.rearrange(SWAP8), UPPER8);
    r11 = r3.rearrange(SWAP8).blend(r11, UPPER8); r3 = t;
    r3.intoArray(dst, dstAt + 3 * dstStride);
    r11.intoArray(dst, dstAt + 11 * dstStride);
    t = r4.blend(r12.rearrange(SWAP8), UPPER8);
    r12 = r4.rearrange(SWAP8).blend(r12, UPPER8); r4 = t;
    r4.intoArray(dst, dstAt + 4 * dstStride);
    r12.intoArray(dst, dstAt + 12 * dstStride);
    t = r5.blend(r13.rearrange(SWAP8), UPPER8);
    r13 = r5.rearrange(SWAP8).blend(r13, UPPER8); r5 = t;
    r5.intoArray(dst, dstAt + 5 * dstStride);
    r13.intoArray(dst, dstAt + 13 * dstStride);
    t = r6.blend(r14.rearrange(SWAP8), UPPER8);
    r14 = r6.rearrange(SWAP8).blend(r14, UPPER8); r6 = t;
    r6.intoArray(dst, dstAt + 6 * dstStride);
    r14.intoArray(dst, dstAt + 14 * dstStride);
    t = r7.blend(r15.rearrange(SWAP8), UPPER8);
    r15 = r7.rearrange(SWAP8).blend(r15, UPPER8); r7 = t;
    r7.intoArray(dst, dstAt + 7 * dstStride);
    r15.intoArray(dst, dstAt + 15 * dstStride);
  }

  /** {@link #block} for 8 lanes: the stages of bits 2, 1 and 0. */
  private static void block8(float[] src, int srcAt, int srcStride, float[] dst, int dstAt,
      int dstStride) {
    FloatVector t;
    // rows 0-3: bits 0 and 1
    FloatVector r0 = FloatVector.fromArray(SPECIES, src, srcAt);
    FloatVector r1 = FloatVector.fromArray(SPECIES, src, srcAt + srcStride);
    FloatVector r2 = FloatVector.fromArray(SPECIES, src, srcAt + 2 * srcStride);
    FloatVector r3 = FloatVector.fromArray(SPECIES, src, srcAt + 3 * srcStride);
    t = r0.blend(r1.rearrange(SWAP1), UPPER1);
    r1 = r0.rearrange(SWAP1).blend(r1, UPPER1); r0 = t;
    t = r2.blend(r3.rearrange(SWAP1), UPPER1);
    r3 = r2.rearrange(SWAP1).blend(r3, UPPER1); r2 = t;
    t = r0.blend(r2.rearrange(SWAP2), UPPER2);
    r2 = r0.rearrange(SWAP2).blend(r2, UPPER2); r0 = t;
    t = r1.blend(r3.rearrange(SWAP2), UPPER2);
    r3 = r1.rearrange(SWAP2).blend(r3, UPPER2); r1 = t;
    // rows 4-7: bits 0 and 1
    FloatVector r4 = FloatVector.fromArray(SPECIES, src, srcAt + 4 * srcStride);
    FloatVector r5 = FloatVector.fromArray(SPECIES, src, srcAt + 5 * srcStride);
    FloatVector r6 = FloatVector.fromArray(SPECIES, src, srcAt + 6 * srcStride);
    FloatVector r7 = FloatVector.fromArray(SPECIES, src, srcAt + 7 * srcStride);
    t = r4.blend(r5.rearrange(SWAP1), UPPER1);
    r5 = r4.rearrange(SWAP1).blend(r5, UPPER1); r4 = t;
    t = r6.blend(r7.rearrange(SWAP1), UPPER1);
    r7 = r6.rearrange(SWAP1).blend(r7, UPPER1); r6 = t;
    t = r4.blend(r6.rearrange(SWAP2), UPPER2);
    r6 = r4.rearrange(SWAP2).blend(r6, UPPER2); r4 = t;
    t = r5.blend(r7.rearrange(SWAP2), UPPER2);
    r7 = r5.rearrange(SWAP2).blend(r7, UPPER2); r5 = t;
    // bit 2 between the halves, each pair stored as it is done
    t = r0.blend(r4.rearrange(SWAP4), UPPER4);
    r4 = r0.rearrange(SWAP4).blend(r4, UPPER4); r0 = t;
    r0.intoArray(dst, dstAt);
    r4.intoArray(dst, dstAt + 4 * dstStride);
    t = r1.blend(r5.rearrange(SWAP4), UPPER4);
    r5 = r1.rearrange(SWAP4).blend(r5, UPPER4); r1 = t;
    r1.intoArray(dst, dstAt + dstStride);
    r5.intoArray(dst, dstAt + 5 * dstStride);
    t = r2.blend(r6.rearrange(SWAP4), UPPER4);
    r6 = r2.rearrange(SWAP4).blend(r6, UPPER4); r2 = t;
    r2.intoArray(dst, dstAt + 2 * dstStride);
    r6.intoArray(dst, dstAt + 6 * dstStride);
    t = r3.blend(r7.rearrange(SWAP4), UPPER4);
    r7 = r3.rearrange(SWAP4).blend(r7, UPPER4); r3 = t;
    r3.intoArray(dst, dstAt + 3 * dstStride);
    r7.intoArray(dst, dstAt + 7 * dstStride);
  }
}
