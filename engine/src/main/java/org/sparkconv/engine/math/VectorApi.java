package org.sparkconv.engine.math;

/**
 * Whether this JVM resolved {@code jdk.incubator.vector} (it runs with
 * {@code --add-modules jdk.incubator.vector}). Classes that use the Vector API are touched only
 * when it did: their initialisers need the module.
 */
final class VectorApi {

  static final boolean RESOLVED =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private VectorApi() {}

  /**
   * Whether the Vector API's preferred species is 512 bits or wider (AVX-512); only call when
   * {@link #RESOLVED}. The species is read in a nested class, so this class loads without the
   * module.
   */
  static boolean hasWideVectors() {
    return Wide.BITS >= 512;
  }

  private static final class Wide {
    static final int BITS = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
  }
}
