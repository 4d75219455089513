package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The weight gradient by channels against its definition summed in double, added to what the
 * accumulator held: over 1 to 7 vectors of output lanes (its 4-, 2- and 1-vector tiles, and
 * the tails of taps past whole tiles), a run of taps that starts inside the offsets, taps at
 * scattered offsets, and pixels at scattered offsets.
 */
class ChannelWeightGradientTest {

  @Test
  void sumsEveryPixelIntoEveryTapOfTheRun() {
    assumeTrue(VectorApi.RESOLVED, "the incubator vector module is not resolved");
    int lanes = FloatVector.SPECIES_PREFERRED.length();
    long seed = 31;
    int taps = 40;
    int[] offsets = new int[taps];
    for (int p = 0; p < taps; p++) {
      offsets[p] = 3 + (p * 29) % 61;
    }
    for (int pixels : new int[] {1, 7, 30}) {
      int[] pixelOffsets = new int[pixels];
      for (int q = 0; q < pixels; q++) {
        pixelOffsets[q] = (q * 53) % 97 * 2;
      }
      float[] padded = uniform(3 + 61 + 200, seed++);
      for (int vectors = 1; vectors <= 7; vectors++) {
        int outPad = vectors * lanes;
        int dyAt = 6;
        float[] dyT = uniform(dyAt + pixels * outPad, seed++);
        float[] start = uniform(taps * outPad, seed++);
        for (int[] range : new int[][] {{0, taps}, {5, 37}}) {
          float[] accT = start.clone();
          ChannelWeightGradient.accumulate(dyT, dyAt, outPad, padded, range[0], range[1],
              offsets, pixelOffsets, pixels, accT);
          String where = outPad + " lanes, taps " + range[0] + "-" + range[1] + ", " + pixels
              + " pixels";
          for (int p = 0; p < taps; p++) {
            for (int o = 0; o < outPad; o++) {
              double sum = start[p * outPad + o];
              double size = Math.abs(sum);
              for (int q = 0; q < pixels && p >= range[0] && p < range[1]; q++) {
                double term = (double) padded[offsets[p] + pixelOffsets[q]]
                    * dyT[dyAt + q * outPad + o];
                sum += term;
                size += Math.abs(term);
              }
              assertEquals(sum, accT[p * outPad + o], 1e-5 * size + 1e-7,
                  where + ", tap " + p + ", lane " + o);
            }
          }
        }
      }
    }
  }
}
