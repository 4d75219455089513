package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link CacheLines} reads addresses on the JVMs the engine runs on (HotSpot, compressed
 * references or not), and reads them right: two arrays allocated one after the other lie one
 * after the other, so the second's address is the first's plus its size.
 */
class CacheLinesTest {

  @Test
  void readsAddressesOnThisJvm() {
    assertTrue(CacheLines.readsAddresses(), "HotSpot's references read as addresses");
  }

  @Test
  void arraysAllocatedInTurnLieOneAfterTheOther() {
    // a float[k], k even: its header (16 or 24 bytes), then 4k bytes. A collection between
    // two allocations, or a new allocation buffer, can part a pair: most must not.
    int adjacent = 0;
    int pairs = 200;
    for (int n = 0; n < pairs; n++) {
      int k = 2 * (n % 7);
      float[] first = new float[k];
      float[] second = new float[2];
      long header = CacheLines.elementAddress(second) - CacheLines.elementAddress(first)
          - 4L * k;
      adjacent += header == 16 || header == 24 ? 1 : 0;
    }
    assertTrue(adjacent > pairs * 9 / 10, adjacent + " of " + pairs + " pairs adjacent");
  }

  @Test
  void theFirstLineIsWithinOneLine() {
    for (int k = 0; k < 100; k++) {
      int line = CacheLines.firstLine(new float[k + 1]);
      assertTrue(line >= 0 && line < CacheLines.FLOATS, "line " + line);
    }
    assertEquals(16, CacheLines.FLOATS);
  }
}
