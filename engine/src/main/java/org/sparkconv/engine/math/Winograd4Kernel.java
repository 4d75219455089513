package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The data transforms of Winograd's F(4x4, 3x3) ({@link WinogradConv} with 4x4 tiles) on the
 * Vector API, vectors over consecutive tiles (the output gradient's for the weight gradient,
 * {@link #transformGradient}: vectors over output channels), with
 *
 * <pre>
 *   B^T = | 4  0 -5  0  1  0 |    A^T = | 1  1  1  1  1  0 |
 *         | 0 -4 -4  1  1  0 |          | 0  1 -1  2 -2  0 |
 *         | 0  4 -4 -1  1  0 |          | 0  1  1  4  4  0 |
 *         | 0 -2 -1  2  1  0 |          | 0  1 -1  8 -8  1 |
 *         | 0  2 -1 -2  1  0 |
 *         | 0  4  0 -5  0  1 |
 * </pre>
 *
 * Each transform runs in two passes over its tile: along the rows of the 6x6 (or 6x4) array,
 * then down its columns, the first pass writing where the second reads (in the destination for
 * the input, in place in the products for the output), so no more than a row's six vectors are
 * live at a time. Touched only when the incubator module is resolved.
 */
final class Winograd4Kernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Positions of a transformed tile's row: the window's side. */
  private static final int SIDE = 6;

  private Winograd4Kernel() {}

  /**
   * {@code v[vAt + xi * positionStride + t] = (B^T d_t B)[xi]} ({@code xi = 6a + b}) for tiles
   * t < run (a multiple of LANES), where window entry (i, j) of tile t is
   * {@code padded[at + ((i % 4) * 4 + j % 4) * phasePlane + (i / 4) * rowWidth + j / 4 + t]}.
   */
  static void transformInput(float[] padded, int at, int phasePlane, int rowWidth, int run,
      float[] v, int vAt, int positionStride) {
    for (int i = 0; i < SIDE; i++) {
      int row = at + (i % 4) * 4 * phasePlane + (i / 4) * rowWidth;
      transformInputRows(padded, row, phasePlane, run, v, vAt + SIDE * i * positionStride,
          positionStride);
    }
    for (int b = 0; b < SIDE; b++) {
      transformInputColumns(v, vAt + b * positionStride, run, SIDE * positionStride);
    }
  }

  /**
   * One window row of tiles t < run, {@code d_j = padded[row + (j % 4) * phasePlane + j / 4 +
   * t]}, times B, into {@code v[at + k * stride + t]}, k < 6. The loop runs over tiles, in a
   * method of its own, so that its index checks are hoisted.
   */
  private static void transformInputRows(float[] padded, int row, int phasePlane, int run,
      float[] v, int at, int stride) {
    for (int t = 0; t < run; t += LANES) {
      int d = row + t;
      transformSix(padded, d, d + 1, phasePlane, v, at + t, stride);
    }
  }

  /** Columns of six at {@code v[at + i * stride + t]}, t < run, times B^T, in place. */
  private static void transformInputColumns(float[] v, int at, int run, int stride) {
    for (int t = 0; t < run; t += LANES) {
      int c = at + t;
      transformSix(v, c, c + 4 * stride, stride, v, c, stride);
    }
  }

  /**
   * {@code B^T d} of six vectors into {@code v[at + k * stride]}, k < 6: {@code d_k = d[p + k *
   * step ...]} for k < 4, then {@code d[q ...]} and {@code d[q + step ...]} ({@code q = p + 4
   * step} where the six are evenly spaced). It loads its own vectors (this package's rule: no
   * vector crosses a method boundary).
   */
  static void transformSix(float[] d, int p, int q, int step, float[] v, int at, int stride) {
    FloatVector d0 = FloatVector.fromArray(SPECIES, d, p);
    FloatVector d1 = FloatVector.fromArray(SPECIES, d, p + step);
    FloatVector d2 = FloatVector.fromArray(SPECIES, d, p + 2 * step);
    FloatVector d3 = FloatVector.fromArray(SPECIES, d, p + 3 * step);
    FloatVector d4 = FloatVector.fromArray(SPECIES, d, q);
    FloatVector d5 = FloatVector.fromArray(SPECIES, d, q + step);
    FloatVector d42 = d4.sub(d2);
    FloatVector d34 = d3.add(d4);
    FloatVector d12 = d1.add(d2);
    FloatVector d43 = d4.sub(d3);
    FloatVector d1m2 = d1.sub(d2);
    FloatVector d13 = d1.sub(d3);
    d0.mul(4f).add(d4).sub(d2.mul(5f)).intoArray(v, at);
    d34.sub(d12.mul(4f)).intoArray(v, at + stride);
    d43.add(d1m2.mul(4f)).intoArray(v, at + 2 * stride);
    d42.sub(d13.mul(2f)).intoArray(v, at + 3 * stride);
    d42.add(d13.mul(2f)).intoArray(v, at + 4 * stride);
    d1.mul(4f).add(d5).sub(d3.mul(5f)).intoArray(v, at + 5 * stride);
  }

  /**
   * {@code phases[(4a + b) * run + t]} for tiles t < run = output (a, b) of tile t,
   * {@code ((A^T m_t A)[a][b] + bias) * scale + shift}, where
   * {@code m_t[xi] = products[at + xi * positionStride + t]}; the products' first four
   * positions of each row are overwritten (the rows times A).
   */
  static void transformOutput(float[] products, int at, int positionStride, int run, float bias,
      float scale, float shift, float[] phases) {
    for (int i = 0; i < SIDE; i++) {
      transformOutputRows(products, at + SIDE * i * positionStride, run, positionStride);
    }
    for (int b = 0; b < 4; b++) {
      transformOutputColumns(products, at + b * positionStride, run, SIDE * positionStride,
          bias, scale, shift, phases, b * run, 4 * run);
    }
  }

  /** Rows of six products at {@code m[at + j * stride + t]}, t < run, times A, in place. */
  private static void transformOutputRows(float[] m, int from, int run, int stride) {
    for (int t = 0; t < run; t += LANES) {
      transformOutputRow(m, from + t, stride);
    }
  }

  /**
   * Columns of six at {@code m[at + i * stride + t]}, t < run, times A^T, plus bias, times
   * scale, plus shift, into {@code phases[to + a * phaseStride + t]}.
   */
  private static void transformOutputColumns(float[] m, int at, int run, int stride, float bias,
      float scale, float shift, float[] phases, int to, int phaseStride) {
    for (int t = 0; t < run; t += LANES) {
      transformOutputColumn(m, at + t, stride, bias, scale, shift, phases, to + t, phaseStride);
    }
  }

  /** A row of six products at {@code m[at + j * stride]}, times A, into its first four. */
  static void transformOutputRow(float[] m, int at, int stride) {
    FloatVector m0 = FloatVector.fromArray(SPECIES, m, at);
    FloatVector m1 = FloatVector.fromArray(SPECIES, m, at + stride);
    FloatVector m2 = FloatVector.fromArray(SPECIES, m, at + 2 * stride);
    FloatVector m3 = FloatVector.fromArray(SPECIES, m, at + 3 * stride);
    FloatVector m4 = FloatVector.fromArray(SPECIES, m, at + 4 * stride);
    FloatVector m5 = FloatVector.fromArray(SPECIES, m, at + 5 * stride);
    FloatVector sum12 = m1.add(m2);
    FloatVector dif12 = m1.sub(m2);
    FloatVector sum34 = m3.add(m4);
    FloatVector dif34 = m3.sub(m4);
    m0.add(sum12).add(sum34).intoArray(m, at);
    dif12.add(dif34.mul(2f)).intoArray(m, at + stride);
    sum12.add(sum34.mul(4f)).intoArray(m, at + 2 * stride);
    dif12.add(dif34.mul(8f)).add(m5).intoArray(m, at + 3 * stride);
  }

  /**
   * A column of six at {@code m[at + i * stride]}, times A^T, plus bias, times scale, plus
   * shift, into {@code phases[to + a * phaseStride]}.
   */
  private static void transformOutputColumn(float[] m, int at, int stride, float bias,
      float scale, float shift, float[] phases, int to, int phaseStride) {
    FloatVector m0 = FloatVector.fromArray(SPECIES, m, at);
    FloatVector m1 = FloatVector.fromArray(SPECIES, m, at + stride);
    FloatVector m2 = FloatVector.fromArray(SPECIES, m, at + 2 * stride);
    FloatVector m3 = FloatVector.fromArray(SPECIES, m, at + 3 * stride);
    FloatVector m4 = FloatVector.fromArray(SPECIES, m, at + 4 * stride);
    FloatVector m5 = FloatVector.fromArray(SPECIES, m, at + 5 * stride);
    FloatVector sum12 = m1.add(m2);
    FloatVector dif12 = m1.sub(m2);
    FloatVector sum34 = m3.add(m4);
    FloatVector dif34 = m3.sub(m4);
    m0.add(sum12).add(sum34).add(bias).mul(scale).add(shift).intoArray(phases, to);
    dif12.add(dif34.mul(2f)).add(bias).mul(scale).add(shift)
        .intoArray(phases, to + phaseStride);
    sum12.add(sum34.mul(4f)).add(bias).mul(scale).add(shift)
        .intoArray(phases, to + 2 * phaseStride);
    dif12.add(dif34.mul(8f)).add(m5).add(bias).mul(scale).add(shift)
        .intoArray(phases, to + 3 * phaseStride);
  }

  /**
   * Writes output rows {@code firstRow ... firstRow + rows - 1} (those below {@code outH}) of
   * one channel's plane at {@code out[at]} (outH x outW) from the 16 output phases of its
   * tiles: row {@code firstRow + 4 r + a}, column {@code 4 tx + b} is
   * {@code phases[from + (4a + b) * length + r * rowWidth + tx]}, plus {@code residual} at the
   * same index as {@code out} when not null, then {@code max(0, .)} if {@code relu}. Phases b
   * and b + 2 are zipped, then those pairs: four vectors of a row from one vector of each
   * phase. A row's last vectors may run into the rows after it, which are written later, but
   * never past the plane (those lanes are stored one by one).
   */
  static void interleave(float[] phases, int from, int length, int rowWidth, int firstRow,
      int rows, int outH, int outW, float[] out, int at, boolean relu, float[] residual) {
    int planeEnd = at + outH * outW;
    for (int r = 0; r < rows && firstRow + r < outH; r++) {
      int base = from + 4 * (r & 3) * length + (r >> 2) * rowWidth;
      int row = at + (firstRow + r) * outW;
      for (int x = 0; x < outW; x += 4 * LANES) {
        int p = base + x / 4;
        FloatVector p0 = FloatVector.fromArray(SPECIES, phases, p);
        FloatVector p1 = FloatVector.fromArray(SPECIES, phases, p + length);
        FloatVector p2 = FloatVector.fromArray(SPECIES, phases, p + 2 * length);
        FloatVector p3 = FloatVector.fromArray(SPECIES, phases, p + 3 * length);
        FloatVector evensLow = PairLanes.zipLow(p0, p2);
        FloatVector oddsLow = PairLanes.zipLow(p1, p3);
        FloatVector evensHigh = PairLanes.zipHigh(p0, p2);
        FloatVector oddsHigh = PairLanes.zipHigh(p1, p3);
        // one branch per quarter rather than a vector picked by q: a vector merged from two
        // branches may stay boxed
        for (int q = 0; q < 4 && x + q * LANES < outW; q++) {
          int to = row + x + q * LANES;
          if (to + LANES > planeEnd) {
            storeColumns(phases, base, length, x + q * LANES, out, row, outW, relu, residual);
          } else if (q == 0) {
            WinogradKernel.put(WinogradKernel.plus(PairLanes.zipLow(evensLow, oddsLow),
                residual, to), relu, out, to);
          } else if (q == 1) {
            WinogradKernel.put(WinogradKernel.plus(PairLanes.zipHigh(evensLow, oddsLow),
                residual, to), relu, out, to);
          } else if (q == 2) {
            WinogradKernel.put(WinogradKernel.plus(PairLanes.zipLow(evensHigh, oddsHigh),
                residual, to), relu, out, to);
          } else {
            WinogradKernel.put(WinogradKernel.plus(PairLanes.zipHigh(evensHigh, oddsHigh),
                residual, to), relu, out, to);
          }
        }
      }
    }
  }

  /**
   * Writes rows {@code firstRow ... firstRow + rows - 1} (those below {@code pooledH}) of the
   * 2x2 max pool (stride 2) of one channel's output plane, at {@code out[at]}
   * ({@code pooledH x pooledW}), then {@code max(0, .)} if {@code relu}: a tile's 4x4 outputs
   * are four windows. Pooled row {@code firstRow + r} comes from tile row {@code r / 2}, output
   * rows {@code 2a} and {@code 2a + 1} ({@code a = r % 2}); its window (a, b) of tile tx is the
   * largest of phases {@code (2a + i, 2b + j)}, i and j in {0, 1}, and the two windows of a
   * tile are zipped into the row: one zip where {@link #interleave} takes three. A row's last
   * vectors may run into the rows after it (written later), never past the plane.
   */
  static void pool(float[] phases, int from, int length, int rowWidth, int firstRow, int rows,
      int pooledH, int pooledW, float[] out, int at, boolean relu) {
    int planeEnd = at + pooledH * pooledW;
    for (int r = 0; r < rows && firstRow + r < pooledH; r++) {
      int base = from + 8 * (r & 1) * length + (r >> 1) * rowWidth; // phase (2a, 0)
      int row = at + (firstRow + r) * pooledW;
      for (int x = 0; x < pooledW; x += 2 * LANES) {
        int p = base + x / 2;
        // the windows' largest phases, (0, 0), (0, 1), (1, 0), (1, 1) from p (and 2 columns
        // of phases on), loaded here: no vector crosses a method boundary
        FloatVector left = FloatVector.fromArray(SPECIES, phases, p)
            .max(FloatVector.fromArray(SPECIES, phases, p + length))
            .max(FloatVector.fromArray(SPECIES, phases, p + 4 * length)
                .max(FloatVector.fromArray(SPECIES, phases, p + 5 * length)));
        int q = p + 2 * length;
        FloatVector right = FloatVector.fromArray(SPECIES, phases, q)
            .max(FloatVector.fromArray(SPECIES, phases, q + length))
            .max(FloatVector.fromArray(SPECIES, phases, q + 4 * length)
                .max(FloatVector.fromArray(SPECIES, phases, q + 5 * length)));
        if (row + x + LANES <= planeEnd) {
          WinogradKernel.put(PairLanes.zipLow(left, right), relu, out, row + x);
        } else {
          storePooledColumns(phases, base, length, x, out, row, pooledW, relu);
        }
        if (x + LANES < pooledW) {
          if (row + x + 2 * LANES <= planeEnd) {
            WinogradKernel.put(PairLanes.zipHigh(left, right), relu, out, row + x + LANES);
          } else {
            storePooledColumns(phases, base, length, x + LANES, out, row, pooledW, relu);
          }
        }
      }
    }
  }

  /**
   * The pooled columns from {@code x} below {@code pooledW}, at most a vector's, one by one
   * through the ReLU as asked: a zipped vector's at the plane's end.
   */
  private static void storePooledColumns(float[] phases, int base, int length, int x,
      float[] out, int row, int pooledW, boolean relu) {
    for (int c = x; c < Math.min(x + LANES, pooledW); c++) {
      int p = base + 2 * (c & 1) * length + (c >> 1);
      float v = Math.max(Math.max(phases[p], phases[p + length]),
          Math.max(phases[p + 4 * length], phases[p + 5 * length]));
      out[row + c] = relu ? Math.max(v, 0f) : v;
    }
  }

  /**
   * The row columns from {@code x} below {@code outW}, at most a vector's, one by one from the
   * phases, plus the residual and through the ReLU as asked: a zipped vector's at the plane's
   * end.
   */
  private static void storeColumns(float[] phases, int base, int length, int x, float[] out,
      int row, int outW, boolean relu, float[] residual) {
    for (int c = x; c < Math.min(x + LANES, outW); c++) {
      float v = phases[base + (c & 3) * length + (c >> 2)];
      if (residual != null) {
        v += residual[row + c];
      }
      out[row + c] = relu ? Math.max(v, 0f) : v;
    }
  }

  /**
   * Splits {@code line[from ...]} by column modulo 4: entry {@code 4k + q} to
   * {@code out[phase[q] + k]}, for k below {@code count / 4} rounded up to whole vectors
   * (entries up to {@code 4 LANES - 1} past {@code count} are read, and stored as the rest).
   * Four vectors in, two rounds of even/odd splits in registers, four out.
   */
  static void quarter(float[] line, int from, int count, float[] out, int phase0, int phase1,
      int phase2, int phase3) {
    for (int k = 0; 4 * k < count; k += LANES) {
      int at = from + 4 * k;
      FloatVector v0 = FloatVector.fromArray(SPECIES, line, at);
      FloatVector v1 = FloatVector.fromArray(SPECIES, line, at + LANES);
      FloatVector v2 = FloatVector.fromArray(SPECIES, line, at + 2 * LANES);
      FloatVector v3 = FloatVector.fromArray(SPECIES, line, at + 3 * LANES);
      FloatVector evens0 = PairLanes.evens(v0, v1); // columns 0, 2 mod 4
      FloatVector odds0 = PairLanes.odds(v0, v1); // 1, 3
      FloatVector evens1 = PairLanes.evens(v2, v3);
      FloatVector odds1 = PairLanes.odds(v2, v3);
      PairLanes.evens(evens0, evens1).intoArray(out, phase0 + k);
      PairLanes.evens(odds0, odds1).intoArray(out, phase1 + k);
      PairLanes.odds(evens0, evens1).intoArray(out, phase2 + k);
      PairLanes.odds(odds0, odds1).intoArray(out, phase3 + k);
    }
  }

  /**
   * The output gradient of an F(4x4) convolution, transformed for its weight gradient: for tile
   * rows [firstRow, firstRow + rows) and every tile of them, numbered q from {@code q} in row
   * order, {@code dm[xi * positionStride + q * outPad + o] = (A dY A^T)[xi]} ({@code xi = 6a +
   * b}), where dY is the tile's 4x4 block of {@code dyT[dyAt + (y * rowPixels + x) * outPad +
   * o]} (zero past the {@code outH x outW} plane; rows {@code rowPixels} pixels apart, as
   * {@link WinogradKernel#transformGradient}'s) and A is the transpose of A^T above: the
   * adjoint of the output transform, so that {@code dU[xi] = sum over tiles of dm[xi] V[xi]} is
   * the gradient of the transformed weights.
   * Vectors over output channels ({@code outPad} a multiple of LANES). Two passes per tile, as
   * the other transforms: each row of dY times A^T into the tile's first four rows of
   * positions, then each column of those times A, in place.
   */
  static void transformGradient(float[] dyT, int dyAt, int rowPixels, int outPad, int outH,
      int outW, int firstRow, int rows, int tilesW, float[] dm, int q, int positionStride) {
    int rowStride = SIDE * positionStride;
    for (int ty = firstRow; ty < firstRow + rows; ty++) {
      int realRows = Math.min(4, outH - 4 * ty);
      for (int tx = 0; tx < tilesW; tx++, q++) {
        int realColumns = Math.min(4, outW - 4 * tx);
        int p0 = dyAt + (4 * ty * rowPixels + 4 * tx) * outPad;
        for (int o = 0; o < outPad; o += LANES) {
          int at = q * outPad + o;
          for (int a = 0; a < 4; a++) {
            int p = p0 + a * rowPixels * outPad + o;
            gradientSix(dyT, p, outPad, a < realRows ? realColumns : 0, dm,
                at + a * rowStride, positionStride);
          }
          for (int b = 0; b < SIDE; b++) {
            int c = at + b * positionStride;
            gradientSix(dm, c, rowStride, 4, dm, c, rowStride);
          }
        }
      }
    }
  }

  /**
   * {@code A y} of the four vectors {@code y_k = y[p + k * step ...]} (zero for {@code k >=
   * count}) into {@code dm[at + k * stride]}, k < 6: A's rows are (1 0 0 0), (1 1 1 1),
   * (1 -1 1 -1), (1 2 4 8), (1 -2 4 -8), (0 0 0 1). It loads its own vectors, as
   * {@link #transformSix} does.
   */
  static void gradientSix(float[] y, int p, int step, int count, float[] dm, int at,
      int stride) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector y0 = count > 0 ? FloatVector.fromArray(SPECIES, y, p) : zero;
    FloatVector y1 = count > 1 ? FloatVector.fromArray(SPECIES, y, p + step) : zero;
    FloatVector y2 = count > 2 ? FloatVector.fromArray(SPECIES, y, p + 2 * step) : zero;
    FloatVector y3 = count > 3 ? FloatVector.fromArray(SPECIES, y, p + 3 * step) : zero;
    FloatVector even = y0.add(y2);
    FloatVector odd = y1.add(y3);
    FloatVector evenScaled = y2.mul(4f).add(y0);
    FloatVector oddScaled = y1.mul(2f).add(y3.mul(8f));
    y0.intoArray(dm, at);
    even.add(odd).intoArray(dm, at + stride);
    even.sub(odd).intoArray(dm, at + 2 * stride);
    evenScaled.add(oddScaled).intoArray(dm, at + 3 * stride);
    evenScaled.sub(oddScaled).intoArray(dm, at + 4 * stride);
    y3.intoArray(dm, at + 5 * stride);
  }
}
