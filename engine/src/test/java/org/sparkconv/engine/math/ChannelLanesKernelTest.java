package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The channel-lanes kernel against its definition summed in double, over 1 to 7 vectors of
 * output lanes (every mix of its 4-, 2- and 1-vector tiles) and pixel counts that fill whole
 * tiles or leave a tail, with the weights packed by {@link ChannelLanesKernel#packedIndex} after
 * other data and the sums written after other data; and its contiguous form (offsets side by
 * side, as Winograd's GEMMs by channels read them) bit for bit equal to the table's.
 */
class ChannelLanesKernelTest {

  @Test
  void sumsEveryPixelOverEveryOutputLaneAndTheContiguousFormMatchesTheTable() {
    assumeTrue(VectorApi.RESOLVED, "the incubator vector module is not resolved");
    int lanes = FloatVector.SPECIES_PREFERRED.length();
    long seed = 23;
    for (int depth : new int[] {13, 32}) {
      int first = 7;
      int inPad = depth + 3; // a pixel's entries, then a gap, as a transformed tile's
      int[] offsets = new int[depth];
      for (int p = 0; p < depth; p++) {
        offsets[p] = first + p;
      }
      for (int vectors = 1; vectors <= 7; vectors++) {
        int outPad = vectors * lanes;
        int outChannels = outPad - 3; // the last lanes' weights stay zero
        float[] w = uniform(outChannels * depth, seed++);
        int packedAt = 5;
        float[] packed = new float[packedAt + outPad * depth];
        for (int o = 0; o < outChannels; o++) {
          for (int p = 0; p < depth; p++) {
            packed[packedAt + ChannelLanesKernel.packedIndex(o, p, depth, outPad)] =
                w[o * depth + p];
          }
        }
        for (int pixels : new int[] {6, 12, 17, 24}) {
          int rounded = (pixels + ChannelLanesKernel.PIXEL_MULTIPLE - 1)
              / ChannelLanesKernel.PIXEL_MULTIPLE * ChannelLanesKernel.PIXEL_MULTIPLE;
          int[] pixelOffsets = new int[rounded];
          for (int q = 0; q < rounded; q++) {
            pixelOffsets[q] = Math.min(q, pixels - 1) * inPad;
          }
          float[] padded = uniform(first + pixels * inPad + depth, seed++);
          int outAt = 9;
          float[] byTable = new float[outAt + rounded * outPad];
          float[] contiguous = new float[byTable.length];
          ChannelLanesKernel.run(packed, packedAt, outPad, depth, offsets, padded, pixelOffsets,
              pixels, byTable, outAt, false);
          ChannelLanesKernel.run(packed, packedAt, outPad, depth, offsets, padded, pixelOffsets,
              pixels, contiguous, outAt, true);
          String where = depth + " deep, " + outPad + " lanes, " + pixels + " pixels";
          assertArrayEquals(byTable, contiguous, where);
          for (int q = 0; q < pixels; q++) {
            for (int o = 0; o < outPad; o++) {
              double sum = 0;
              double size = 0;
              for (int p = 0; p < depth && o < outChannels; p++) {
                double term = (double) padded[offsets[p] + pixelOffsets[q]] * w[o * depth + p];
                sum += term;
                size += Math.abs(term);
              }
              assertEquals(sum, byTable[outAt + q * outPad + o], 1e-5 * size + 1e-7,
                  where + ", pixel " + q + ", lane " + o);
            }
          }
        }
      }
    }
  }
}
