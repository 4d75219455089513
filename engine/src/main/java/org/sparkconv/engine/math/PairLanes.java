package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The even and the odd entries of two consecutive vectors, each as one vector, and the inverse
 * (two vectors zipped into the first or second half of their pairs), by single-vector
 * {@code rearrange} and {@code blend} (JDK 17 runs its two-vector {@code rearrange} 10x slower).
 * Touched only when the incubator module is resolved.
 */
final class PairLanes {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Lane k takes lane 2k (or 2k + 1) modulo LANES: with {@link #HIGH_LANES}, a pair unzipped. */
  private static final VectorShuffle<Float> EVENS =
      VectorShuffle.fromOp(SPECIES, k -> 2 * k % LANES);
  private static final VectorShuffle<Float> ODDS =
      VectorShuffle.fromOp(SPECIES, k -> (2 * k + 1) % LANES);
  private static final VectorMask<Float> HIGH_LANES = lanes(k -> k >= LANES / 2);
  /** Lane k takes lane k / 2 (or + LANES / 2): with {@link #ODD_LANES}, two vectors zipped. */
  private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(SPECIES, k -> k / 2);
  private static final VectorShuffle<Float> ZIP_HIGH =
      VectorShuffle.fromOp(SPECIES, k -> LANES / 2 + k / 2);
  private static final VectorMask<Float> ODD_LANES = lanes(k -> (k & 1) == 1);

  private PairLanes() {}

  /** Entries 0, 2, ..., 2 LANES - 2 of {@code low} followed by {@code high}. */
  static FloatVector evens(FloatVector low, FloatVector high) {
    return low.rearrange(EVENS).blend(high.rearrange(EVENS), HIGH_LANES);
  }

  /** Entries 1, 3, ..., 2 LANES - 1 of {@code low} followed by {@code high}. */
  static FloatVector odds(FloatVector low, FloatVector high) {
    return low.rearrange(ODDS).blend(high.rearrange(ODDS), HIGH_LANES);
  }

  /** Entries 0, 2, ..., LANES - 2 of {@code v} in its first half (the second half repeats it). */
  static FloatVector evens(FloatVector v) {
    return v.rearrange(EVENS);
  }

  /** Entries 1, 3, ..., LANES - 1 of {@code v} in its first half (the second half repeats it). */
  static FloatVector odds(FloatVector v) {
    return v.rearrange(ODDS);
  }

  /** Lanes 0 to LANES / 2 - 1 of {@code even} and {@code odd}, alternately. */
  static FloatVector zipLow(FloatVector even, FloatVector odd) {
    return even.rearrange(ZIP_LOW).blend(odd.rearrange(ZIP_LOW), ODD_LANES);
  }

  /** Lanes LANES / 2 to LANES - 1 of {@code even} and {@code odd}, alternately. */
  static FloatVector zipHigh(FloatVector even, FloatVector odd) {
    return even.rearrange(ZIP_HIGH).blend(odd.rearrange(ZIP_HIGH), ODD_LANES);
  }

  private static VectorMask<Float> lanes(java.util.function.IntPredicate set) {
    boolean[] bits = new boolean[LANES];
    for (int k = 0; k < LANES; k++) {
      bits[k] = set.test(k);
    }
    return VectorMask.fromArray(SPECIES, bits, 0);
  }
}
