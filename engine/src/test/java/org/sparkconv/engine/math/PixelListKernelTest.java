package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The pixel-list kernel against its definition summed in double: lists of 1 to 16 pixels (every
 * mix of the 7- and 4-pixel tiles, and the padding repeated past the real pixels) at scattered
 * offsets, over 1 to 4 vectors of output lanes (pairs of vectors, a single one, both), with
 * the weights packed by {@link PixelListKernel#packedIndex} after other data and the sums
 * written after other data.
 */
class PixelListKernelTest {

  @Test
  void padsListsToWholeTilesRepeatingTheLastPixel() {
    assertArrayEquals(new int[] {5, 5, 5, 5}, PixelListKernel.padded(new int[] {5}));
    assertEquals(4, PixelListKernel.padded(new int[4]).length); // a 14x14 plane's tail
    assertEquals(7, PixelListKernel.padded(new int[5]).length);
    assertEquals(11, PixelListKernel.padded(new int[11]).length);
    assertEquals(14, PixelListKernel.padded(new int[14]).length);
    int[] fifteen = PixelListKernel.padded(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        13, 14});
    assertEquals(18, fifteen.length); // 7 + 7 + 4
    assertEquals(14, fifteen[17]);
  }

  @Test
  void sumsEveryListedPixelOverEveryOutputLane() {
    assumeTrue(VectorApi.RESOLVED, "the incubator vector module is not resolved");
    int lanes = FloatVector.SPECIES_PREFERRED.length();
    long seed = 11;
    int depth = 13;
    float[] padded = uniform(500, seed++);
    int[] offsets = new int[depth];
    for (int p = 0; p < depth; p++) {
      offsets[p] = (p * 37) % 200;
    }
    for (int vectors = 1; vectors <= 4; vectors++) {
      int outPad = vectors * lanes;
      int outChannels = outPad - 3; // the last lanes' weights stay zero
      float[] w = uniform(outChannels * depth, seed++);
      int packedAt = 5;
      float[] packed = new float[packedAt + outPad * depth];
      for (int o = 0; o < outChannels; o++) {
        for (int p = 0; p < depth; p++) {
          packed[packedAt + PixelListKernel.packedIndex(o, p, depth, outPad)] = w[o * depth + p];
        }
      }
      for (int count = 1; count <= 16; count++) {
        int[] pixels = new int[count];
        for (int q = 0; q < count; q++) {
          pixels[q] = (q * 53) % 290;
        }
        int[] list = PixelListKernel.padded(pixels);
        int outAt = 9;
        float[] outT = new float[outAt + list.length * outPad];
        PixelListKernel.run(packed, packedAt, outPad, depth, offsets, padded, list, outT, outAt);
        for (int q = 0; q < count; q++) {
          for (int o = 0; o < outPad; o++) {
            double expected = 0;
            for (int p = 0; p < depth && o < outChannels; p++) {
              expected += (double) w[o * depth + p] * padded[offsets[p] + pixels[q]];
            }
            assertEquals(expected, outT[outAt + q * outPad + o], 1e-5 * (1 + Math.abs(expected)),
                count + " pixels, " + outPad + " lanes: pixel " + q + ", lane " + o);
          }
        }
      }
    }
  }
}
