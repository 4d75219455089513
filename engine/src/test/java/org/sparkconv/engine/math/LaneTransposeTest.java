package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A block transposed in registers (16 x 16 on 512-bit vectors, 8 x 8 in the test run on
 * AVX2) equals its definition bit for bit, read and written at offsets with strides that
 * differ from its size and from each other; everything around the written rows stays
 * untouched.
 */
class LaneTransposeTest {

  @Test
  void blockIsTheTransposeOfItsRows() {
    assumeTrue(VectorApi.RESOLVED && LaneTranspose.APPLIES, "no block for these vectors");
    int n = LaneTranspose.SIZE;
    int[][] cases = {{3, 16, 5, 16}, {0, 49, 7, 64}, {11, 200, 0, 17}}; // at, stride for each
    long seed = 5;
    for (int[] c : cases) {
      int srcAt = c[0];
      int srcStride = c[1];
      int dstAt = c[2];
      int dstStride = c[3];
      float[] src = uniform(srcAt + (n - 1) * srcStride + n + 3, seed++);
      float[] dst = new float[dstAt + (n - 1) * dstStride + n + 3];
      Arrays.fill(dst, Float.NaN);
      float[] expected = dst.clone();
      for (int k = 0; k < n; k++) {
        for (int l = 0; l < n; l++) {
          expected[dstAt + l * dstStride + k] = src[srcAt + k * srcStride + l];
        }
      }
      LaneTranspose.block(src, srcAt, srcStride, dst, dstAt, dstStride);
      for (int i = 0; i < dst.length; i++) {
        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(dst[i]),
            Arrays.toString(c) + " at " + i);
      }
    }
  }
}
