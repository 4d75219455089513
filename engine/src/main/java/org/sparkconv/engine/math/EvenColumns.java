package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A row's even columns taken out into consecutive floats, and put back with zeros between, a
 * pair of vectors at a time ({@link PairLanes}): the pixels a stride-2 1x1 window reads, and
 * its input gradient ({@link PointwiseConv}). Both store whole vectors past the row's end,
 * into places the caller writes afterwards; near the end of an array they go one by one.
 * Touched only when the incubator module is resolved.
 */
final class EvenColumns {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private EvenColumns() {}

  /**
   * {@code to[at + k] = x[from + 2 k]} for k < count; up to LANES - 1 floats after
   * {@code to[at + count - 1]} are overwritten.
   */
  static void take(float[] x, int from, int count, float[] to, int at) {
    // Whole vectors while they read and store within the arrays, as one bound, and a row of one
    // vector (ResNet-20's 14 and 7) without a loop: C2 ran the loop with three tests in its
    // condition, one trip a row, at a fraction of the speed.
    int vectors = Math.min(count,
        Math.min(Math.floorDiv(x.length - from - 2 * LANES, 2), to.length - at - LANES) + 1);
    int k = 0;
    if (count <= LANES) {
      if (vectors > 0) {
        takeVector(x, from, to, at);
        k = LANES;
      }
    } else {
      for (; k < vectors; k += LANES) {
        takeVector(x, from + 2 * k, to, at + k);
      }
    }
    for (; k < count; k++) {
      to[at + k] = x[from + 2 * k];
    }
  }

  /**
   * {@code out[row + j] = values[from + j / 2]} for even j below {@code width}, 0 for odd j:
   * whole vectors while they end within {@code limit} in {@code out} (so up to 2 LANES - 1
   * floats after {@code out[row + width - 1]} may be overwritten, none at or past limit).
   */
  static void spread(float[] values, int from, int width, float[] out, int row, int limit) {
    // as in take: one bound, and a row of two vectors (ResNet-20's 28 and 14) without a loop
    int vectors = Math.min(width,
        Math.min(limit - row - 2 * LANES, 2 * (values.length - from - LANES)) + 1);
    int j = 0;
    if (width <= 2 * LANES) {
      if (vectors > 0) {
        spreadVector(values, from, out, row);
        j = 2 * LANES;
      }
    } else {
      for (; j < vectors; j += 2 * LANES) {
        spreadVector(values, from + j / 2, out, row + j);
      }
    }
    for (; j < width; j++) {
      out[row + j] = (j & 1) == 0 ? values[from + j / 2] : 0f;
    }
  }

  /** {@code to[at + k] = x[from + 2 k]} for k below LANES. */
  private static void takeVector(float[] x, int from, float[] to, int at) {
    FloatVector low = FloatVector.fromArray(SPECIES, x, from);
    FloatVector high = FloatVector.fromArray(SPECIES, x, from + LANES);
    PairLanes.evens(low, high).intoArray(to, at);
  }

  /** {@code out[row + j]} for j below 2 LANES: values[from + j / 2] at even j, 0 at odd. */
  private static void spreadVector(float[] values, int from, float[] out, int row) {
    FloatVector v = FloatVector.fromArray(SPECIES, values, from);
    FloatVector zero = FloatVector.zero(SPECIES);
    PairLanes.zipLow(v, zero).intoArray(out, row);
    PairLanes.zipHigh(v, zero).intoArray(out, row + LANES);
  }
}
