package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The phase planes of a stack of images equal their definition bit for bit: phase (py, px) of
 * a channel holds padded pixel {@code (py + side i, px + side j)} at {@code i * rowWidth + j},
 * zero where that pixel is padding or past the input. Several images are copied one after
 * another into buffers that held other data before (only the planes' first fill is zero), so
 * a row or channel that leaks into the next, or a padding entry written once and never cleared,
 * fails; geometries with negative padding and with columns clipped at the right are included.
 */
class PhasePlanesTest {

  @Test
  void quarterPlanesHoldTheirPaddedPixels() {
    assumeTrue(VectorApi.RESOLVED, "the incubator vector module is not resolved");
    // channels, height, width, padTop, padLeft, phase rows, row width
    int[][] cases = {{3, 28, 28, 1, 1, 8, 8}, {2, 14, 14, 1, 1, 5, 5}, {2, 13, 11, 0, 2, 5, 4},
        {1, 31, 30, 2, 0, 9, 9}, {2, 5, 40, -1, 3, 3, 10}, {1, 56, 56, 1, 1, 15, 15},
        {2, 9, 7, 1, 1, 2, 3}};
    long seed = 11;
    for (int[] c : cases) {
      assertPlanes(4, c, seed++);
    }
  }

  @Test
  void pairPlanesHoldTheirPaddedPixels() {
    assumeTrue(VectorApi.RESOLVED, "the incubator vector module is not resolved");
    int[][] cases = {{3, 28, 28, 1, 1, 15, 15}, {2, 14, 14, 1, 1, 8, 8}, {2, 13, 11, 0, 2, 7, 6},
        {2, 5, 40, -1, 3, 3, 20}};
    long seed = 31;
    for (int[] c : cases) {
      assertPlanes(2, c, seed++);
    }
  }

  private static void assertPlanes(int side, int[] c, long seed) {
    int channels = c[0];
    int inH = c[1];
    int inW = c[2];
    int padTop = c[3];
    int padLeft = c[4];
    int rows = c[5];
    int rowWidth = c[6];
    int phasePlane = rows * rowWidth + 16 + rowWidth + 1;
    PhasePlanes planes = new PhasePlanes(side, channels, inH, inW, padTop, padLeft, rows,
        rowWidth, phasePlane);
    int imageSize = channels * inH * inW;
    int images = 3;
    float[] x = uniform(images * imageSize, seed);
    float[] padded = new float[planes.imageSize()];
    for (int i = 0; i < images; i++) {
      planes.copy(x, i * imageSize, padded, 0);
      for (int ch = 0; ch < channels; ch++) {
        for (int py = 0; py < side; py++) {
          for (int px = 0; px < side; px++) {
            int plane = (ch * side * side + py * side + px) * phasePlane;
            for (int r = 0; r < rows; r++) {
              for (int k = 0; k < rowWidth; k++) {
                int y = py + side * r - padTop;
                int xx = px + side * k - padLeft;
                float expected = y >= 0 && y < inH && xx >= 0 && xx < inW
                    ? x[i * imageSize + (ch * inH + y) * inW + xx] : 0f;
                assertEquals(Float.floatToRawIntBits(expected),
                    Float.floatToRawIntBits(padded[plane + r * rowWidth + k]),
                    Arrays.toString(c) + " side " + side + " image " + i + " channel " + ch
                        + " phase (" + py + ", " + px + ") row " + r + " column " + k);
              }
            }
          }
        }
      }
    }
  }
}
