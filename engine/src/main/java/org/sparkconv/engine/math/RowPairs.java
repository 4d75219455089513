package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The first pass of a 2x2 pool: two rows of a plane combined entry by entry, the larger (or
 * the smaller) of each pair written out, in whole vectors (reading the rows' width rounded up
 * to a whole vector). A row of one or two vectors (LeNet-5's 28 and 10, VGG-small's 14 and 28)
 * runs without a loop: JDK 17's C2 ran the loop of one or two trips at about half the speed.
 * LeNet-5's pooled copies, one image, interleaved in one JVM, four rounds: 6x28x28 1.69-1.87
 * -> 1.21-1.32 us, 16x10x10 0.79-0.87 -> 0.62-0.76 us. Since 2026-12-03 only the inference
 * pool ({@link VectorLoops}) writes its pairs here, into a buffer of each call's own: the
 * pooled copy kept one per thread, and its second pass ran 8-24x slower by where that buffer
 * lay ({@link DirectConvKernel#copyPlanesPooled} pools in registers now). Touched only when
 * the incubator module is resolved.
 */
final class RowPairs {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private RowPairs() {}

  /**
   * {@code pairs[at + x] = max(in[top + x], in[bottom + x])} (min where {@code smaller}) for x
   * below {@code width} rounded up to a whole vector.
   */
  static void combine(float[] in, int top, int bottom, int width, boolean smaller,
      float[] pairs, int at) {
    if (width <= 2 * LANES) {
      combineVector(in, top, bottom, smaller, pairs, at);
      if (width > LANES) {
        combineVector(in, top + LANES, bottom + LANES, smaller, pairs, at + LANES);
      }
      return;
    }
    for (int x = 0; x < width; x += LANES) {
      combineVector(in, top + x, bottom + x, smaller, pairs, at + x);
    }
  }

  /**
   * The larger (the smaller where {@code smaller}) of the vectors at {@code in[top]} and
   * {@code in[bottom]}, into {@code pairs[at]}.
   */
  private static void combineVector(float[] in, int top, int bottom, boolean smaller,
      float[] pairs, int at) {
    FloatVector t = FloatVector.fromArray(SPECIES, in, top);
    FloatVector b = FloatVector.fromArray(SPECIES, in, bottom);
    (smaller ? t.min(b) : t.max(b)).intoArray(pairs, at);
  }
}
