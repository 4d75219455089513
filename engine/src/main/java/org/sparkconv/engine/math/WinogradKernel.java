package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The transforms of {@link WinogradConv} on the Vector API, vectors over consecutive tiles.
 * Touched only when the incubator module is resolved.
 */
final class WinogradKernel {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private WinogradKernel() {}

  /**
   * {@code v[vAt + xi * positionStride + t] = (B^T d_t B)[xi]} for tiles t < run (a multiple of
   * LANES), where window entry (i, j) of tile t is
   * {@code padded[at + ((i % 2) * 2 + j % 2) * phasePlane + (i / 2) * rowWidth + j / 2 + t]}.
   * Rows first: {@code w = d B} is {@code (d0 - d2, d1 + d2, d2 - d1, d1 - d3)} along j; then
   * {@code B^T w} is the same along i.
   *
   * <p>Two loops of eight positions each, window rows 0-2 then 1-3, each in a method of its own:
   * the 16 positions in one loop body (16 loads, 32 adds, 16 stores) made a compiled method in
   * which JDK 17's C2, inside a network, left the last stores' vector types unresolved, so they
   * ran the Vector API's Java fallback and allocated a vector each (VGG-small inference by
   * Winograd: ~100 MB a step). Reloading two window rows costs less than that.
   */
  static void transformInput(float[] padded, int at, int phasePlane, int rowWidth, int run,
      float[] v, int vAt, int positionStride) {
    transformRows012(padded, at, phasePlane, rowWidth, run, v, vAt, positionStride);
    transformRows123(padded, at, phasePlane, rowWidth, run, v, vAt, positionStride);
  }

  /** Positions 0-7 of {@link #transformInput}: {@code w0 - w2} and {@code w1 + w2}. */
  private static void transformRows012(float[] padded, int at, int phasePlane, int rowWidth,
      int run, float[] v, int vAt, int positionStride) {
    int p00 = at;
    int p01 = at + phasePlane;
    int p10 = at + 2 * phasePlane;
    int p11 = at + 3 * phasePlane;
    for (int t = 0; t < run; t += LANES) {
      // window rows 0 and 2 live in phase row 0, row 1 in phase row 1; row 2 one row down
      FloatVector w00, w01, w02, w03;
      FloatVector w10, w11, w12, w13;
      FloatVector w20, w21, w22, w23;
      {
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p00 + t);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p01 + t);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p00 + t + 1);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p01 + t + 1);
        w00 = d0.sub(d2);
        w01 = d1.add(d2);
        w02 = d2.sub(d1);
        w03 = d1.sub(d3);
      }
      {
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p10 + t);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p11 + t);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p10 + t + 1);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p11 + t + 1);
        w10 = d0.sub(d2);
        w11 = d1.add(d2);
        w12 = d2.sub(d1);
        w13 = d1.sub(d3);
      }
      {
        int r = t + rowWidth;
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p00 + r);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p01 + r);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p00 + r + 1);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p01 + r + 1);
        w20 = d0.sub(d2);
        w21 = d1.add(d2);
        w22 = d2.sub(d1);
        w23 = d1.sub(d3);
      }
      int o = vAt + t;
      w00.sub(w20).intoArray(v, o);
      w01.sub(w21).intoArray(v, o + positionStride);
      w02.sub(w22).intoArray(v, o + 2 * positionStride);
      w03.sub(w23).intoArray(v, o + 3 * positionStride);
      w10.add(w20).intoArray(v, o + 4 * positionStride);
      w11.add(w21).intoArray(v, o + 5 * positionStride);
      w12.add(w22).intoArray(v, o + 6 * positionStride);
      w13.add(w23).intoArray(v, o + 7 * positionStride);
    }
  }

  /** Positions 8-15 of {@link #transformInput}: {@code w2 - w1} and {@code w1 - w3}. */
  private static void transformRows123(float[] padded, int at, int phasePlane, int rowWidth,
      int run, float[] v, int vAt, int positionStride) {
    int p00 = at;
    int p01 = at + phasePlane;
    int p10 = at + 2 * phasePlane;
    int p11 = at + 3 * phasePlane;
    for (int t = 0; t < run; t += LANES) {
      // window row 1 lives in phase row 1; rows 2 and 3 one row down in phase rows 0 and 1
      FloatVector w10, w11, w12, w13;
      FloatVector w20, w21, w22, w23;
      FloatVector w30, w31, w32, w33;
      {
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p10 + t);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p11 + t);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p10 + t + 1);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p11 + t + 1);
        w10 = d0.sub(d2);
        w11 = d1.add(d2);
        w12 = d2.sub(d1);
        w13 = d1.sub(d3);
      }
      int r = t + rowWidth;
      {
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p00 + r);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p01 + r);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p00 + r + 1);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p01 + r + 1);
        w20 = d0.sub(d2);
        w21 = d1.add(d2);
        w22 = d2.sub(d1);
        w23 = d1.sub(d3);
      }
      {
        FloatVector d0 = FloatVector.fromArray(SPECIES, padded, p10 + r);
        FloatVector d1 = FloatVector.fromArray(SPECIES, padded, p11 + r);
        FloatVector d2 = FloatVector.fromArray(SPECIES, padded, p10 + r + 1);
        FloatVector d3 = FloatVector.fromArray(SPECIES, padded, p11 + r + 1);
        w30 = d0.sub(d2);
        w31 = d1.add(d2);
        w32 = d2.sub(d1);
        w33 = d1.sub(d3);
      }
      int o = vAt + t + 8 * positionStride;
      w20.sub(w10).intoArray(v, o);
      w21.sub(w11).intoArray(v, o + positionStride);
      w22.sub(w12).intoArray(v, o + 2 * positionStride);
      w23.sub(w13).intoArray(v, o + 3 * positionStride);
      w10.sub(w30).intoArray(v, o + 4 * positionStride);
      w11.sub(w31).intoArray(v, o + 5 * positionStride);
      w12.sub(w32).intoArray(v, o + 6 * positionStride);
      w13.sub(w33).intoArray(v, o + 7 * positionStride);
    }
  }

  /**
   * {@code phases[ab * run + t]} for tiles t < run = output (a, b) of tile t,
   * {@code ((A^T m_t A)[a][b] + bias) * scale + shift}, where
   * {@code m_t[xi] = products[at + xi * positionStride + t]}. Along each row of m, {@code m A}
   * is {@code (m0 + m1 + m2, m1 - m2 - m3)}; then the same down the columns. Output row 0 (from
   * rows 0-2 of m) and row 1 (rows 1-3) in methods of their own, for the reason
   * {@link #transformInput} gives: in one, with the folded map, C2 left two stores to the Java
   * fallback (~0.5 GB allocated per VGG-small inference benchmark).
   */
  static void transformOutput(float[] products, int at, int positionStride, int run, float bias,
      float scale, float shift, float[] phases) {
    transformOutputRow0(products, at, positionStride, run, bias, scale, shift, phases);
    transformOutputRow1(products, at, positionStride, run, bias, scale, shift, phases);
  }

  /** Phases (0, 0) and (0, 1) of {@link #transformOutput}: {@code s0 + s1 + s2}. */
  private static void transformOutputRow0(float[] products, int at, int positionStride, int run,
      float bias, float scale, float shift, float[] phases) {
    FloatVector b = FloatVector.broadcast(SPECIES, bias);
    FloatVector sc = FloatVector.broadcast(SPECIES, scale);
    FloatVector sh = FloatVector.broadcast(SPECIES, shift);
    for (int t = 0; t < run; t += LANES) {
      int m = at + t;
      FloatVector s00, s01, s10, s11, s20, s21;
      {
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, m);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, m + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, m + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, m + 3 * positionStride);
        s00 = m0.add(m1).add(m2);
        s01 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + 4 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s10 = m0.add(m1).add(m2);
        s11 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + 8 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s20 = m0.add(m1).add(m2);
        s21 = m1.sub(m2).sub(m3);
      }
      s00.add(s10).add(s20).add(b).mul(sc).add(sh).intoArray(phases, t);
      s01.add(s11).add(s21).add(b).mul(sc).add(sh).intoArray(phases, run + t);
    }
  }

  /** Phases (1, 0) and (1, 1) of {@link #transformOutput}: {@code s1 - s2 - s3}. */
  private static void transformOutputRow1(float[] products, int at, int positionStride, int run,
      float bias, float scale, float shift, float[] phases) {
    FloatVector b = FloatVector.broadcast(SPECIES, bias);
    FloatVector sc = FloatVector.broadcast(SPECIES, scale);
    FloatVector sh = FloatVector.broadcast(SPECIES, shift);
    for (int t = 0; t < run; t += LANES) {
      int m = at + t;
      FloatVector s10, s11, s20, s21, s30, s31;
      {
        int r = m + 4 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s10 = m0.add(m1).add(m2);
        s11 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + 8 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s20 = m0.add(m1).add(m2);
        s21 = m1.sub(m2).sub(m3);
      }
      {
        int r = m + 12 * positionStride;
        FloatVector m0 = FloatVector.fromArray(SPECIES, products, r);
        FloatVector m1 = FloatVector.fromArray(SPECIES, products, r + positionStride);
        FloatVector m2 = FloatVector.fromArray(SPECIES, products, r + 2 * positionStride);
        FloatVector m3 = FloatVector.fromArray(SPECIES, products, r + 3 * positionStride);
        s30 = m0.add(m1).add(m2);
        s31 = m1.sub(m2).sub(m3);
      }
      s10.sub(s20).sub(s30).add(b).mul(sc).add(sh).intoArray(phases, 2 * run + t);
      s11.sub(s21).sub(s31).add(b).mul(sc).add(sh).intoArray(phases, 3 * run + t);
    }
  }

  /**
   * Writes output rows {@code firstRow ... firstRow + rows - 1} (those below {@code outH}) of
   * one channel's plane at {@code out[at]} (outH x outW) from the four output phases of its
   * tiles: row {@code firstRow + 2 r + a}, column {@code 2 tx + b} is
   * {@code phases[from + (2a + b) * length + r * rowWidth + tx]}, plus {@code residual} at the same
   * index as {@code out} when not null, then {@code max(0, .)} if {@code relu}. Even and odd
   * phases are zipped two vectors at a time; a row's last vectors may run into the rows after
   * it, which are written later, but never past the plane (those lanes are stored one by one).
   */
  static void interleave(float[] phases, int from, int length, int rowWidth, int firstRow,
      int rows, int outH, int outW, float[] out, int at, boolean relu, float[] residual) {
    int planeEnd = at + outH * outW;
    for (int r = 0; r < rows && firstRow + r < outH; r++) {
      int a = r & 1;
      int even = from + 2 * a * length + (r >> 1) * rowWidth;
      int odd = even + length;
      int row = at + (firstRow + r) * outW;
      for (int x = 0; x < outW; x += 2 * LANES) {
        int tx = x / 2;
        FloatVector e = FloatVector.fromArray(SPECIES, phases, even + tx);
        FloatVector o = FloatVector.fromArray(SPECIES, phases, odd + tx);
        int to = row + x;
        if (to + LANES <= planeEnd) {
          put(plus(PairLanes.zipLow(e, o), residual, to), relu, out, to);
        } else {
          storeLanes(phases, even + tx, odd + tx, out, to, Math.min(LANES, outW - x), relu,
              residual);
        }
        if (x + LANES < outW) {
          to += LANES;
          if (to + LANES <= planeEnd) {
            put(plus(PairLanes.zipHigh(e, o), residual, to), relu, out, to);
          } else {
            storeLanes(phases, even + tx + LANES / 2, odd + tx + LANES / 2, out, to,
                Math.min(LANES, outW - x - LANES), relu, residual);
          }
        }
      }
    }
  }

  /**
   * Writes rows {@code firstRow ... firstRow + rows - 1} (those below {@code pooledH}) of the
   * 2x2 max pool (stride 2) of one channel's output plane, at {@code out[at]}
   * ({@code pooledH x pooledW}, half the output's sides), then {@code max(0, .)} if
   * {@code relu}: each tile's four outputs are one window, so pooled row {@code firstRow + r},
   * column {@code tx} is the largest of {@code phases[from + ab * length + r * rowWidth + tx]}
   * over the four phases ab, in place of {@link #interleave}'s zip. The same values the pool
   * takes from the interleaved plane (a ReLU and a maximum commute), without writing the plane.
   * A row's last vector may run into the rows after it (written later), never past the plane.
   */
  static void pool(float[] phases, int from, int length, int rowWidth, int firstRow, int rows,
      int pooledH, int pooledW, float[] out, int at, boolean relu) {
    int planeEnd = at + pooledH * pooledW;
    for (int r = 0; r < rows && firstRow + r < pooledH; r++) {
      int p = from + r * rowWidth;
      int row = at + (firstRow + r) * pooledW;
      for (int x = 0; x < pooledW; x += LANES) {
        if (row + x + LANES <= planeEnd) {
          FloatVector v = FloatVector.fromArray(SPECIES, phases, p + x)
              .max(FloatVector.fromArray(SPECIES, phases, p + length + x))
              .max(FloatVector.fromArray(SPECIES, phases, p + 2 * length + x)
                  .max(FloatVector.fromArray(SPECIES, phases, p + 3 * length + x)));
          (relu ? v.max(0f) : v).intoArray(out, row + x);
          continue;
        }
        for (int c = x; c < pooledW; c++) {
          float v = Math.max(Math.max(phases[p + c], phases[p + length + c]),
              Math.max(phases[p + 2 * length + c], phases[p + 3 * length + c]));
          out[row + c] = relu ? Math.max(v, 0f) : v;
        }
      }
    }
  }

  /**
   * {@code v} plus the residual at {@code at} where there is one. Vectors cross only tiny
   * methods like this one, which C2 inlines at any call-site frequency (this package's rule).
   */
  static FloatVector plus(FloatVector v, float[] residual, int at) {
    return residual == null ? v : v.add(FloatVector.fromArray(SPECIES, residual, at));
  }

  /** Stores {@code v} at {@code out[at]}, through the ReLU if {@code relu}; tiny as above. */
  static void put(FloatVector v, boolean relu, float[] out, int at) {
    (relu ? v.max(0f) : v).intoArray(out, at);
  }

  /**
   * The first {@code lanes} entries of a zipped vector at a plane's end, one by one from the
   * phases, plus the residual and through the ReLU as asked.
   */
  private static void storeLanes(float[] phases, int even, int odd, float[] out, int at,
      int lanes, boolean relu, float[] residual) {
    for (int k = 0; k < lanes; k++) {
      float v = phases[((k & 1) == 0 ? even : odd) + (k >> 1)];
      if (residual != null) {
        v += residual[at + k];
      }
      out[at + k] = relu ? Math.max(v, 0f) : v;
    }
  }

  /**
   * Splits {@code x[from ... from + count)} into its even entries, stored from
   * {@code evens[evensAt]}, and odd ones, from {@code evens[oddsAt]} (one array, two places), a
   * pair of vectors at a time: the stores are whole vectors, so up to LANES - 1 floats past the
   * last entry of either are overwritten (the caller zeroes what must stay zero). Near the end
   * of {@code x} the rest goes one by one.
   */
  static void deinterleave(float[] x, int from, int count, float[] evens, int evensAt,
      int oddsAt) {
    int m = 0;
    for (; 2 * m < count && from + 2 * m + 2 * LANES <= x.length; m += LANES) {
      FloatVector v0 = FloatVector.fromArray(SPECIES, x, from + 2 * m);
      FloatVector v1 = FloatVector.fromArray(SPECIES, x, from + 2 * m + LANES);
      PairLanes.evens(v0, v1).intoArray(evens, evensAt + m);
      PairLanes.odds(v0, v1).intoArray(evens, oddsAt + m);
    }
    for (int k = 2 * m; k < count; k++) {
      evens[((k & 1) == 0 ? evensAt : oddsAt) + (k >> 1)] = x[from + k];
    }
  }

  /**
   * The output gradient of a stride-1 Winograd convolution, transformed for its weight
   * gradient: for tile rows [firstRow, firstRow + rows) and every tile of them, numbered q from
   * {@code q} in row order, {@code dm[xi * positionStride + q * outPad + o] = (A dY A^T)[xi]},
   * where dY is the tile's 2x2 block of {@code dyT[dyAt + (y * rowPixels + x) * outPad + o]}
   * (zero past the {@code outH x outW} plane; {@code rowPixels} at least {@code outW}, more where
   * the gradient is read from padded rows) and A = (1 0; 1 1; 1 -1; 0 -1): the transpose of the
   * output transform, so that {@code dU[xi] = sum over tiles of dm[xi] V[xi]} is the gradient
   * of the transformed weights. Vectors over output channels ({@code outPad} a multiple of
   * LANES).
   */
  static void transformGradient(float[] dyT, int dyAt, int rowPixels, int outPad, int outH,
      int outW, int firstRow, int rows, int tilesW, float[] dm, int q, int positionStride) {
    FloatVector zero = FloatVector.zero(SPECIES);
    for (int ty = firstRow; ty < firstRow + rows; ty++) {
      boolean below = 2 * ty + 1 < outH;
      for (int tx = 0; tx < tilesW; tx++, q++) {
        boolean right = 2 * tx + 1 < outW;
        int p00 = dyAt + ((2 * ty) * rowPixels + 2 * tx) * outPad;
        int p10 = p00 + rowPixels * outPad;
        for (int o = 0; o < outPad; o += LANES) {
          FloatVector y00 = FloatVector.fromArray(SPECIES, dyT, p00 + o);
          FloatVector y01 = right ? FloatVector.fromArray(SPECIES, dyT, p00 + outPad + o) : zero;
          FloatVector y10 = below ? FloatVector.fromArray(SPECIES, dyT, p10 + o) : zero;
          FloatVector y11 = right && below
              ? FloatVector.fromArray(SPECIES, dyT, p10 + outPad + o) : zero;
          // rows: r = (y0, y0 + y1, y0 - y1, -y1); then the same down the columns
          FloatVector r01 = y00.add(y01);
          FloatVector r02 = y00.sub(y01);
          FloatVector r03 = y01.neg();
          FloatVector r11 = y10.add(y11);
          FloatVector r12 = y10.sub(y11);
          FloatVector r13 = y11.neg();
          int at = q * outPad + o;
          y00.intoArray(dm, at);
          r01.intoArray(dm, at + positionStride);
          r02.intoArray(dm, at + 2 * positionStride);
          r03.intoArray(dm, at + 3 * positionStride);
          y00.add(y10).intoArray(dm, at + 4 * positionStride);
          r01.add(r11).intoArray(dm, at + 5 * positionStride);
          r02.add(r12).intoArray(dm, at + 6 * positionStride);
          r03.add(r13).intoArray(dm, at + 7 * positionStride);
          y00.sub(y10).intoArray(dm, at + 8 * positionStride);
          r01.sub(r11).intoArray(dm, at + 9 * positionStride);
          r02.sub(r12).intoArray(dm, at + 10 * positionStride);
          r03.sub(r13).intoArray(dm, at + 11 * positionStride);
          y10.neg().intoArray(dm, at + 12 * positionStride);
          r11.neg().intoArray(dm, at + 13 * positionStride);
          r12.neg().intoArray(dm, at + 14 * positionStride);
          y11.intoArray(dm, at + 15 * positionStride);
        }
      }
    }
  }
}
