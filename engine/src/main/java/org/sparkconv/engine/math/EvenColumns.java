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
    int k = 0;
    for (; k < count && from + 2 * k + 2 * LANES <= x.length && at + k + LANES <= to.length;
        k += LANES) {
      FloatVector low = FloatVector.fromArray(SPECIES, x, from + 2 * k);
      FloatVector high = FloatVector.fromArray(SPECIES, x, from + 2 * k + LANES);
      PairLanes.evens(low, high).intoArray(to, at + k);
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
    FloatVector zero = FloatVector.zero(SPECIES);
    int j = 0;
    for (; j < width && row + j + 2 * LANES <= limit && from + j / 2 + LANES <= values.length;
        j += 2 * LANES) {
      FloatVector v = FloatVector.fromArray(SPECIES, values, from + j / 2);
      PairLanes.zipLow(v, zero).intoArray(out, row + j);
      PairLanes.zipHigh(v, zero).intoArray(out, row + j + LANES);
    }
    for (; j < width; j++) {
      out[row + j] = (j & 1) == 0 ? values[from + j / 2] : 0f;
    }
  }
}
