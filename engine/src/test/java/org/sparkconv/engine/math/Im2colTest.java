package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

class Im2colTest {

  /** (channels, h, w, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw). */
  private static final int[][] GEOMETRIES = {
      {1, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
      {2, 7, 6, 3, 2, 2, 2, 1, 0, 1, 0, 1, 1},
      {3, 6, 5, 4, 4, 1, 1, 1, 1, 2, 2, 1, 1}, // "same" with an even kernel: asymmetric
      {2, 8, 7, 3, 3, 1, 1, 0, 0, 0, 0, 2, 2},
      {2, 4, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1}, // "full"
      {1, 9, 4, 2, 3, 3, 1, 0, 2, 1, 2, 2, 1},
      // Stride 1 and output rows as wide as input rows: the plane-shift path.
      {2, 6, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, // "same" with dilation 2
      {2, 5, 4, 5, 1, 1, 1, 2, 0, 2, 0, 1, 1}, // kernel 5x1: no column padding at all
      {1, 3, 4, 3, 3, 1, 1, 5, 1, 5, 1, 1, 1}, // padding wider than the image: empty rows
      {1, 4, 3, 2, 3, 1, 1, 0, 1, 1, 1, 1, 1}, // "same" even kernel, one padded row at the end
      {1, 7, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1}, // one-pixel-wide rows
  };

  static ConvGeometry geometry(int[] g) {
    int outH = ConvGeometry.outputLength(g[1], g[7], g[9], g[3], g[5], g[11]);
    int outW = ConvGeometry.outputLength(g[2], g[8], g[10], g[4], g[6], g[12]);
    return new ConvGeometry(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[11], g[12],
        outH, outW);
  }

  @Test
  void col2imIsTheAdjointOfIm2col() {
    long seed = 100;
    for (int[] spec : GEOMETRIES) {
      ConvGeometry g = geometry(spec);
      float[] x = uniform(g.imageSize(), seed++);
      float[] y = uniform(g.colSize(), seed++);
      float[] col = new float[g.colSize()];
      Im2col.im2col(g, x, 0, col, 0);
      float[] back = new float[g.imageSize()];
      Im2col.col2im(g, y, 0, back, 0);
      double left = 0;
      for (int i = 0; i < col.length; i++) {
        left += (double) col[i] * y[i];
      }
      double right = 0;
      for (int i = 0; i < x.length; i++) {
        right += (double) x[i] * back[i];
      }
      assertEquals(left, right, 1e-4 * (1 + Math.abs(left)), "<im2col x, y> vs <x, col2im y> for "
          + g);
    }
  }

  /**
   * The lowering from its definition: for every entry of the lowered matrix, the pixel it holds
   * ({@code (c, oy * sh - padTop + i * dh, ox * sw - padLeft + j * dw)}), or -1 where that lies in
   * the padding. Both directions are tested against this one table.
   */
  private static int[] sourcePixels(ConvGeometry g) {
    int[] source = new int[g.colSize()];
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < g.kernelH(); i++) {
        for (int j = 0; j < g.kernelW(); j++) {
          for (int oy = 0; oy < g.outH(); oy++) {
            for (int ox = 0; ox < g.outW(); ox++) {
              int iy = oy * g.strideH() - g.padTop() + i * g.dilationH();
              int ix = ox * g.strideW() - g.padLeft() + j * g.dilationW();
              int row = (c * g.kernelH() + i) * g.kernelW() + j;
              source[row * g.colCols() + oy * g.outW() + ox] =
                  iy >= 0 && iy < g.height() && ix >= 0 && ix < g.width()
                      ? (c * g.height() + iy) * g.width() + ix : -1;
            }
          }
        }
      }
    }
    return source;
  }

  @Test
  void im2colPlacesEachPixelWhereTheFormulaSays() {
    for (int[] spec : GEOMETRIES) {
      ConvGeometry g = geometry(spec);
      float[] x = new float[g.imageSize()];
      for (int i = 0; i < x.length; i++) {
        x[i] = i + 1;
      }
      float[] col = new float[g.colSize() + 4];
      java.util.Arrays.fill(col, Float.NaN); // every entry must be written
      Im2col.im2col(g, x, 0, col, 4);
      int[] source = sourcePixels(g);
      for (int e = 0; e < source.length; e++) {
        float expected = source[e] < 0 ? 0f : x[source[e]];
        assertEquals(expected, col[4 + e], "col entry " + e + " for " + g);
      }
    }
  }

  @Test
  void col2imAddsEachEntryOntoItsPixelAtAnyOffset() {
    long seed = 300;
    for (int[] spec : GEOMETRIES) {
      ConvGeometry g = geometry(spec);
      float[] col = uniform(g.colSize() + 3, seed++);
      float[] original = col.clone();
      float[] x = uniform(g.imageSize() + 5, seed++);
      float[] expected = x.clone();
      int[] source = sourcePixels(g);
      for (int e = 0; e < source.length; e++) {
        if (source[e] >= 0) {
          expected[5 + source[e]] += original[3 + e];
        }
      }
      Im2col.col2im(g, col, 3, x, 5);
      for (int i = 0; i < x.length; i++) {
        assertEquals(expected[i], x[i], 1e-5f, "pixel " + i + " of col2im for " + g);
      }
    }
  }
}
