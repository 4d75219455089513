package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The kernels' choice of tiles by vector registers: the test run limited to AVX2 (the
 * {@code avx2} execution in engine/pom.xml, {@code -XX:UseAVX=2}) runs the tiles sized for 16
 * registers, so that run covers them; AVX-512 runs the wide ones.
 */
class VectorApiTest {

  @Test
  void aJvmLimitedToAvx2TakesTheTilesForSixteenRegisters() {
    assumeTrue(VectorApi.RESOLVED, "no Vector API here");
    String arch = System.getProperty("os.arch", "");
    boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
    boolean limited = ManagementFactory.getRuntimeMXBean().getInputArguments()
        .contains("-XX:UseAVX=2");
    int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    if (x86 && limited) {
      assertEquals(256, bits, "-XX:UseAVX=2 should give 256-bit vectors");
      assertTrue(VectorApi.hasFewRegisters(), "AVX2 has 16 vector registers");
    }
    if (bits >= 512) {
      assertFalse(VectorApi.hasFewRegisters(), "AVX-512 has 32 vector registers");
    }
    if (!x86) {
      assertFalse(VectorApi.hasFewRegisters(), arch + " has 32 vector registers");
    }
  }
}
