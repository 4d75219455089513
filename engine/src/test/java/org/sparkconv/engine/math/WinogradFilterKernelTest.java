package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

/**
 * The vector filter transform that packs Winograd weights against {@link WinogradFilter}'s
 * scalar one, kernel by kernel: F(2x2) bit for bit (the same float operations in the same
 * order), F(4x4) within 1e-6 of {@code 1 + |u|} (floats here, doubles rounded once there).
 */
class WinogradFilterKernelTest {

  @Test
  void transformsEveryOutputChannelAsTheScalarDefinition() {
    int depth = 3;
    int width = 48; // three vectors of 16, or six of 8
    for (int tile : new int[] {2, 4}) {
      int positions = (tile + 2) * (tile + 2);
      float[] kernels = uniform(9 * depth * width, 7 + tile);
      float[] u = new float[positions * width];
      float[] g = new float[9];
      float[] expected = new float[positions];
      for (int c = 0; c < depth; c++) {
        WinogradFilterKernel.transform(tile, kernels, depth, width, c, u, new float[18 * width]);
        for (int o = 0; o < width; o++) {
          for (int t = 0; t < 9; t++) {
            g[t] = kernels[(t * depth + c) * width + o];
          }
          WinogradFilter.transform(tile, g, expected);
          for (int xi = 0; xi < positions; xi++) {
            String where = "F(" + tile + "x" + tile + ") channel " + c + ", output " + o
                + ", position " + xi;
            if (tile == 2) {
              assertEquals(expected[xi], u[xi * width + o], where);
            } else {
              assertEquals(expected[xi], u[xi * width + o], 1e-6 * (1 + Math.abs(expected[xi])),
                  where);
            }
          }
        }
      }
    }
  }
}
