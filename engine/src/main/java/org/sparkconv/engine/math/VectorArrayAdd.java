package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** {@link ArrayAdd} on the Vector API; loaded only when the module is resolved. */
final class VectorArrayAdd {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorArrayAdd() {}

  static void add(float[] src, int srcOff, float[] dst, int dstOff, int length) {
    int i = 0;
    for (int bound = SPECIES.loopBound(length); i < bound; i += SPECIES.length()) {
      FloatVector.fromArray(SPECIES, dst, dstOff + i)
          .add(FloatVector.fromArray(SPECIES, src, srcOff + i))
          .intoArray(dst, dstOff + i);
    }
    for (; i < length; i++) {
      dst[dstOff + i] += src[srcOff + i];
    }
  }
}
