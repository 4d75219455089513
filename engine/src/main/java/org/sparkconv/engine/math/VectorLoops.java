package org.sparkconv.engine.math;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ElementLoops} on the Vector API: sums in one vector accumulator (as many partial sums
 * as lanes), masks as vector compares; the elements past the last whole vector go to
 * {@link ScalarLoops}. Loaded only when the module is resolved.
 *
 * <p>The ReLU mask {@code (x - mu) * scale + beta > 0} (the scalar forward's operations) is
 * written out in each loop rather than in a helper: when the JIT did not inline such a helper,
 * the mask it returned was boxed on every step and batch norm's backward ran 2x slower.
 */
final class VectorLoops implements ElementLoops {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private static final VectorSpecies<Integer> INT_SPECIES = SPECIES.withLanes(int.class);
  /**
   * 0, 2, 4, ...: the left column of consecutive windows, loaded where used. Held as a vector
   * constant, now and then (about one JVM in ten) C2 compiled {@link #poolVector} with the
   * switches' store left to the Java fallback ("missing constant" vector class): every 2x2 max
   * pool of that JVM then ran many times slower.
   */
  private static final int[] EVEN_COLUMNS = IntStream.range(0, LANES).map(k -> 2 * k).toArray();

  private final ScalarLoops tail = new ScalarLoops();

  @Override
  public float sum(float[] a, int from, int to) {
    FloatVector acc = FloatVector.zero(SPECIES);
    FloatVector acc2 = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + 2 * LANES <= to; i += 2 * LANES) {
      acc = acc.add(FloatVector.fromArray(SPECIES, a, i));
      acc2 = acc2.add(FloatVector.fromArray(SPECIES, a, i + LANES));
    }
    for (; i + LANES <= to; i += LANES) {
      acc = acc.add(FloatVector.fromArray(SPECIES, a, i));
    }
    return acc.add(acc2).reduceLanes(VectorOperators.ADD) + tail.sum(a, i, to);
  }

  @Override
  public float sumSquaredDeviations(float[] a, int from, int to, float center) {
    FloatVector acc = FloatVector.zero(SPECIES);
    FloatVector acc2 = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + 2 * LANES <= to; i += 2 * LANES) {
      FloatVector d = FloatVector.fromArray(SPECIES, a, i).sub(center);
      acc = d.fma(d, acc);
      FloatVector d2 = FloatVector.fromArray(SPECIES, a, i + LANES).sub(center);
      acc2 = d2.fma(d2, acc2);
    }
    for (; i + LANES <= to; i += LANES) {
      FloatVector d = FloatVector.fromArray(SPECIES, a, i).sub(center);
      acc = d.fma(d, acc);
    }
    return acc.add(acc2).reduceLanes(VectorOperators.ADD)
        + tail.sumSquaredDeviations(a, i, to, center);
  }




  @Override
  public void gradientSums(float[] gOut, float[] x, int from, int to, float mu, float scale,
      float beta, boolean masked, double[] sums) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector s0 = zero;
    FloatVector s1 = zero;
    FloatVector d0 = zero;
    FloatVector d1 = zero;
    int i = from;
    if (masked) {
      for (; i + 2 * LANES <= to; i += 2 * LANES) {
        FloatVector c0 = FloatVector.fromArray(SPECIES, x, i).sub(mu);
        FloatVector g0 = zero.blend(FloatVector.fromArray(SPECIES, gOut, i),
            c0.mul(scale).add(beta).compare(VectorOperators.GT, 0f));
        s0 = s0.add(g0);
        d0 = g0.fma(c0, d0);
        FloatVector c1 = FloatVector.fromArray(SPECIES, x, i + LANES).sub(mu);
        FloatVector g1 = zero.blend(FloatVector.fromArray(SPECIES, gOut, i + LANES),
            c1.mul(scale).add(beta).compare(VectorOperators.GT, 0f));
        s1 = s1.add(g1);
        d1 = g1.fma(c1, d1);
      }
      for (; i + LANES <= to; i += LANES) {
        FloatVector c0 = FloatVector.fromArray(SPECIES, x, i).sub(mu);
        FloatVector g0 = zero.blend(FloatVector.fromArray(SPECIES, gOut, i),
            c0.mul(scale).add(beta).compare(VectorOperators.GT, 0f));
        s0 = s0.add(g0);
        d0 = g0.fma(c0, d0);
      }
    } else {
      for (; i + 2 * LANES <= to; i += 2 * LANES) {
        FloatVector g0 = FloatVector.fromArray(SPECIES, gOut, i);
        s0 = s0.add(g0);
        d0 = g0.fma(FloatVector.fromArray(SPECIES, x, i).sub(mu), d0);
        FloatVector g1 = FloatVector.fromArray(SPECIES, gOut, i + LANES);
        s1 = s1.add(g1);
        d1 = g1.fma(FloatVector.fromArray(SPECIES, x, i + LANES).sub(mu), d1);
      }
      for (; i + LANES <= to; i += LANES) {
        FloatVector g0 = FloatVector.fromArray(SPECIES, gOut, i);
        s0 = s0.add(g0);
        d0 = g0.fma(FloatVector.fromArray(SPECIES, x, i).sub(mu), d0);
      }
    }
    sums[0] += s0.add(s1).reduceLanes(VectorOperators.ADD);
    sums[1] += d0.add(d1).reduceLanes(VectorOperators.ADD);
    tail.gradientSums(gOut, x, i, to, mu, scale, beta, masked, sums);
  }

  @Override
  public void batchNormOutput(float[] x, float[] out, int from, int to, float mu, float scale,
      float beta, boolean relu) {
    int i = from;
    if (relu) {
      for (; i + LANES <= to; i += LANES) {
        FloatVector.fromArray(SPECIES, x, i).sub(mu).mul(scale).add(beta).max(0f)
            .intoArray(out, i);
      }
    } else {
      for (; i + LANES <= to; i += LANES) {
        FloatVector.fromArray(SPECIES, x, i).sub(mu).mul(scale).add(beta).intoArray(out, i);
      }
    }
    tail.batchNormOutput(x, out, i, to, mu, scale, beta, relu);
  }

  @Override
  public void batchNormOutputAdding(float[] x, float[] residual, float[] out, int from, int to,
      float mu, float scale, float beta, boolean relu) {
    int i = from;
    if (relu) {
      for (; i + LANES <= to; i += LANES) {
        FloatVector.fromArray(SPECIES, x, i).sub(mu).mul(scale).add(beta)
            .add(FloatVector.fromArray(SPECIES, residual, i)).max(0f).intoArray(out, i);
      }
    } else {
      for (; i + LANES <= to; i += LANES) {
        FloatVector.fromArray(SPECIES, x, i).sub(mu).mul(scale).add(beta)
            .add(FloatVector.fromArray(SPECIES, residual, i)).intoArray(out, i);
      }
    }
    tail.batchNormOutputAdding(x, residual, out, i, to, mu, scale, beta, relu);
  }

  @Override
  public void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to,
      float mu, float gScale, float xScale, float offset) {
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector.fromArray(SPECIES, dOut, i).mul(gScale)
          .sub(FloatVector.fromArray(SPECIES, x, i).sub(mu).mul(xScale)).sub(offset)
          .intoArray(dIn, i);
    }
    tail.batchNormInputGradient(dOut, x, dIn, i, to, mu, gScale, xScale, offset);
  }

  @Override
  public void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to,
      float mu, float scale, float beta, float gScale, float xScale, float offset) {
    FloatVector zero = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector xv = FloatVector.fromArray(SPECIES, x, i);
      FloatVector y = xv.sub(mu).mul(scale).add(beta);
      FloatVector g = zero.blend(FloatVector.fromArray(SPECIES, dOut, i),
          y.compare(VectorOperators.GT, 0f));
      g.mul(gScale).sub(xv.sub(mu).mul(xScale)).sub(offset).intoArray(dIn, i);
    }
    tail.batchNormInputGradient(dOut, x, dIn, i, to, mu, scale, beta, gScale, xScale, offset);
  }

  /**
   * The scalar rule ({@link ElementLoops#passWherePositive}: y's bits those of a positive
   * float, +NaN included) as one integer compare (C2 left the scalar form's bit arithmetic
   * unvectorized: a residual sum's backward took three times its forward).
   */
  @Override
  public void reluGradient(float[] dOut, float[] y, float[] dIn, float[] dIn2, int from,
      int to) {
    FloatVector zero = FloatVector.zero(SPECIES);
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector g = zero.blend(FloatVector.fromArray(SPECIES, dOut, i),
          FloatVector.fromArray(SPECIES, y, i).reinterpretAsInts().compare(VectorOperators.GT, 0)
              .cast(SPECIES));
      g.intoArray(dIn, i);
      if (dIn2 != null) {
        g.intoArray(dIn2, i);
      }
    }
    tail.reluGradient(dOut, y, dIn, dIn2, i, to);
  }

  @Override
  public void add(float[] src, int srcOff, float[] dst, int dstOff, int length) {
    int i = 0;
    for (; i + LANES <= length; i += LANES) {
      FloatVector.fromArray(SPECIES, dst, dstOff + i)
          .add(FloatVector.fromArray(SPECIES, src, srcOff + i))
          .intoArray(dst, dstOff + i);
    }
    tail.add(src, srcOff + i, dst, dstOff + i, length - i);
  }

  /**
   * Two passes a plane: the maxima of each row pair, written back to back into a small buffer
   * (a row's last vector runs into the next row's place, written after it), then the maxima of
   * adjacent entries over the whole buffer at once, which are the outputs in order (w is even):
   * whole vectors even where rows are narrower than a vector (VGG-small's 14, LeNet-5's 10).
   * A buffer of each call's own: the pooled copy's per-thread buffer of the same passes made
   * that copy 8-24x slower in some JVMs by where it lay; pooling each row in registers instead
   * (as that copy does now) ran this pool 1.1-1.8x slower (64 images of VGG-small's and
   * LeNet-5's pools, four JVMs each, 2026-12-03).
   */
  @Override
  public void maxPool2x2(float[] in, float[] out, int fromPlane, int toPlane, int h, int w) {
    int outH = h / 2;
    int outPlane = outH * (w / 2);
    int rowEnd = (w + LANES - 1) / LANES * LANES; // what a row's vectors read
    float[] pairs = new float[outH * w + 2 * LANES];
    for (int p = fromPlane; p < toPlane; p++) {
      for (int r = 0; r < outH; r++) {
        int top = p * h * w + 2 * r * w;
        int bottom = top + w;
        if (bottom + rowEnd > in.length) {
          for (int x = 0; x < w; x++) {
            pairs[r * w + x] = Math.max(in[top + x], in[bottom + x]);
          }
          continue;
        }
        RowPairs.combine(in, top, bottom, w, false, pairs, r * w);
      }
      int o = p * outPlane;
      int k = 0;
      for (; k + LANES <= outPlane; k += LANES) {
        FloatVector low = FloatVector.fromArray(SPECIES, pairs, 2 * k);
        FloatVector high = FloatVector.fromArray(SPECIES, pairs, 2 * k + LANES);
        PairLanes.evens(low, high).max(PairLanes.odds(low, high)).intoArray(out, o + k);
      }
      for (; k < outPlane; k++) {
        out[o + k] = Math.max(pairs[2 * k], pairs[2 * k + 1]);
      }
    }
  }

  /**
   * The scalar tournament's arithmetic on vectors of consecutive windows of a row pair: each
   * row's even and odd entries split apart ({@link PairLanes}), the sign bits of the same
   * differences as masks. A row's last vector may pass its windows into the next row's
   * outputs, which are written after it; where it would pass the range's last output, the
   * scalar tournament takes the rest of the row.
   */
  @Override
  public void maxPool2x2(float[] in, float[] out, int[] switches, int fromPlane, int toPlane,
      int h, int w) {
    int outW = w / 2;
    int end = toPlane * (h / 2) * outW;
    for (int p = fromPlane; p < toPlane; p++) {
      for (int r = 0; r < h / 2; r++) {
        int top = p * h * w + 2 * r * w;
        int o = (p * (h / 2) + r) * outW;
        // Whole vectors while they stay within the range's outputs (their windows then lie
        // within its planes), as one bound: C2 ran the loop with three tests in its
        // condition, and a row of one vector (VGG-small's 14 and 7 windows) as a loop of one
        // trip, at a fraction of the speed.
        int vectors = Math.min(outW, end - o - LANES + 1);
        int k = 0;
        if (outW <= LANES) {
          if (vectors > 0) {
            poolVector(in, top, w, out, switches, o);
            k = LANES;
          }
        } else {
          for (; k < vectors; k += LANES) {
            poolVector(in, top + 2 * k, w, out, switches, o + k);
          }
        }
        if (k < outW) {
          ScalarLoops.windows(in, out, switches, top, w, o, k, outW);
        }
      }
    }
  }

  /** The windows of one vector of outputs at {@code out[at]}, their top-left at {@code in[x]}. */
  private static void poolVector(float[] in, int x, int w, float[] out, int[] switches,
      int at) {
    FloatVector t0 = FloatVector.fromArray(SPECIES, in, x);
    FloatVector t1 = FloatVector.fromArray(SPECIES, in, x + LANES);
    FloatVector b0 = FloatVector.fromArray(SPECIES, in, x + w);
    FloatVector b1 = FloatVector.fromArray(SPECIES, in, x + w + LANES);
    FloatVector topLeft = PairLanes.evens(t0, t1);
    FloatVector topRight = PairLanes.odds(t0, t1);
    FloatVector bottomLeft = PairLanes.evens(b0, b1);
    FloatVector bottomRight = PairLanes.odds(b0, b1);
    VectorMask<Integer> topRightWins = signBits(topLeft.sub(topRight));
    VectorMask<Integer> bottomRightWins = signBits(bottomLeft.sub(bottomRight));
    FloatVector topBest = topLeft.blend(topRight, topRightWins.cast(SPECIES));
    FloatVector bottomBest = bottomLeft.blend(bottomRight, bottomRightWins.cast(SPECIES));
    VectorMask<Integer> bottomWins = signBits(topBest.sub(bottomBest));
    topBest.blend(bottomBest, bottomWins.cast(SPECIES)).intoArray(out, at);
    // the winner's offset from the window's top-left: its column, plus w if in the bottom row
    IntVector zero = IntVector.zero(INT_SPECIES);
    IntVector column = zero.blend(1, topRightWins)
        .blend(zero.blend(1, bottomRightWins).add(w), bottomWins);
    IntVector.fromArray(INT_SPECIES, EVEN_COLUMNS, 0).add(x).add(column)
        .intoArray(switches, at);
  }

  /** Lanes whose float has its sign bit set. */
  private static VectorMask<Integer> signBits(FloatVector v) {
    return v.reinterpretAsInts().lt(0);
  }
}
