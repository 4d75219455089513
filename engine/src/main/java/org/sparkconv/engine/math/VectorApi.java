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

  /**
   * Whether vectors are x86's AVX2 (256 bits, 16 vector registers) rather than AVX-512's 32:
   * tiles sized for 32 registers (24 accumulators) spill there. Measured on the Zen 4 with
   * {@code -XX:UseAVX=2}, the 8 x 3 direct tile alone (16x28x28->16, 64 images): 22 GMAC/s,
   * against 47 for a 4 x 2 tile of 8 accumulators and 57 at 512 bits. Other machines with
   * narrower vectors (NEON, SVE) have 32 registers; only call when {@link #RESOLVED}.
   */
  static boolean hasFewRegisters() {
    String arch = System.getProperty("os.arch", "");
    return (arch.equals("amd64") || arch.equals("x86_64")) && Wide.BITS < 512;
  }

  /** Floats in the preferred vector: 16 with AVX-512, 8 with AVX2; only call when resolved. */
  static int floatLanes() {
    return Wide.BITS / Float.SIZE;
  }

  private static final class Wide {
    static final int BITS = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
  }
}
