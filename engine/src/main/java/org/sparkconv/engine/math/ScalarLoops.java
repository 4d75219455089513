package org.sparkconv.engine.math;

/**
 * {@link ElementLoops} without the Vector API. The sums use eight (four for the masked ones)
 * independent accumulators, so the additions overlap instead of each waiting for the one before
 * (four cycles apart).
 */
final class ScalarLoops implements ElementLoops {

  @Override
  public float sum(float[] a, int from, int to) {
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
      s4 += a[i + 4];
      s5 += a[i + 5];
      s6 += a[i + 6];
      s7 += a[i + 7];
    }
    for (; i < to; i++) {
      s0 += a[i];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  @Override
  public float sumSquaredDeviations(float[] a, int from, int to, float center) {
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      float d0 = a[i] - center;
      float d1 = a[i + 1] - center;
      float d2 = a[i + 2] - center;
      float d3 = a[i + 3] - center;
      float d4 = a[i + 4] - center;
      float d5 = a[i + 5] - center;
      float d6 = a[i + 6] - center;
      float d7 = a[i + 7] - center;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
      s4 += d4 * d4;
      s5 += d5 * d5;
      s6 += d6 * d6;
      s7 += d7 * d7;
    }
    for (; i < to; i++) {
      float d = a[i] - center;
      s0 += d * d;
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }




  @Override
  public void gradientSums(float[] gOut, float[] x, int from, int to, float mu, float scale,
      float beta, boolean masked, double[] sums) {
    float s0 = 0f, s1 = 0f, d0 = 0f, d1 = 0f;
    int i = from;
    for (; i + 2 <= to; i += 2) {
      float c0 = x[i] - mu;
      float c1 = x[i + 1] - mu;
      float g0 = masked ? ElementLoops.passWherePositive(gOut[i], c0 * scale + beta) : gOut[i];
      float g1 = masked ? ElementLoops.passWherePositive(gOut[i + 1], c1 * scale + beta)
          : gOut[i + 1];
      s0 += g0;
      s1 += g1;
      d0 += g0 * c0;
      d1 += g1 * c1;
    }
    for (; i < to; i++) {
      float c = x[i] - mu;
      float g = masked ? ElementLoops.passWherePositive(gOut[i], c * scale + beta) : gOut[i];
      s0 += g;
      d0 += g * c;
    }
    sums[0] += s0 + s1;
    sums[1] += d0 + d1;
  }

  @Override
  public void batchNormOutput(float[] x, float[] out, int from, int to, float mu, float scale,
      float beta, boolean relu) {
    if (relu) {
      for (int i = from; i < to; i++) {
        out[i] = Math.max((x[i] - mu) * scale + beta, 0f);
      }
    } else {
      for (int i = from; i < to; i++) {
        out[i] = (x[i] - mu) * scale + beta;
      }
    }
  }

  @Override
  public void batchNormOutputAdding(float[] x, float[] residual, float[] out, int from, int to,
      float mu, float scale, float beta, boolean relu) {
    if (relu) {
      for (int i = from; i < to; i++) {
        out[i] = Math.max((x[i] - mu) * scale + beta + residual[i], 0f);
      }
    } else {
      for (int i = from; i < to; i++) {
        out[i] = (x[i] - mu) * scale + beta + residual[i];
      }
    }
  }

  @Override
  public void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to,
      float mu, float gScale, float xScale, float offset) {
    for (int i = from; i < to; i++) {
      dIn[i] = gScale * dOut[i] - xScale * (x[i] - mu) - offset;
    }
  }

  @Override
  public void batchNormInputGradient(float[] dOut, float[] x, float[] dIn, int from, int to,
      float mu, float scale, float beta, float gScale, float xScale, float offset) {
    for (int i = from; i < to; i++) {
      float g = ElementLoops.passWherePositive(dOut[i], (x[i] - mu) * scale + beta);
      dIn[i] = gScale * g - xScale * (x[i] - mu) - offset;
    }
  }

  /** Branch-free (a 50/50 branch here cost more than the arithmetic). */
  @Override
  public void reluGradient(float[] dOut, float[] y, float[] dIn, float[] dIn2, int from,
      int to) {
    for (int i = from; i < to; i++) {
      float g = ElementLoops.passWherePositive(dOut[i], y[i]);
      dIn[i] = g;
      if (dIn2 != null) {
        dIn2[i] = g;
      }
    }
  }

  @Override
  public void add(float[] src, int srcOff, float[] dst, int dstOff, int length) {
    for (int i = 0; i < length; i++) {
      dst[dstOff + i] += src[srcOff + i];
    }
  }

  /**
   * The comparisons are integer arithmetic: the sign bit of (u - v) is 1 exactly when v > u (for
   * distinct finite floats the difference is never zero). Any select, even of ints, on a float
   * comparison compiles to a branch here, mispredicted half the time on real activations (4x
   * slower).
   */
  @Override
  public void maxPool2x2(float[] in, float[] out, int[] switches, int fromPlane, int toPlane,
      int h, int w) {
    int outW = w / 2;
    for (int p = fromPlane; p < toPlane; p++) {
      for (int r = 0; r < h / 2; r++) {
        int top = p * h * w + 2 * r * w;
        int o = (p * (h / 2) + r) * outW;
        windows(in, out, switches, top, w, o, 0, outW);
      }
    }
  }

  /** Windows [from, to) of the row pair at {@code in[top]}, outputs from {@code out[o]}. */
  static void windows(float[] in, float[] out, int[] switches, int top, int w, int o, int from,
      int to) {
    for (int k = from; k < to; k++) {
      int i = top + 2 * k;
      int j = i + w;
      int topIndex = i + (Float.floatToRawIntBits(in[i] - in[i + 1]) >>> 31);
      int bottomIndex = j + (Float.floatToRawIntBits(in[j] - in[j + 1]) >>> 31);
      int bottomWins = Float.floatToRawIntBits(in[topIndex] - in[bottomIndex]) >> 31;
      int best = topIndex + ((bottomIndex - topIndex) & bottomWins);
      out[o + k] = in[best];
      switches[o + k] = best;
    }
  }

  @Override
  public void maxPool2x2(float[] in, float[] out, int fromPlane, int toPlane, int h, int w) {
    int outH = h / 2;
    int outW = w / 2;
    int o = fromPlane * outH * outW;
    for (int p = fromPlane; p < toPlane; p++) {
      for (int r = 0; r < outH; r++) {
        int top = p * h * w + 2 * r * w;
        for (int x = 0; x < w; x += 2, o++) {
          out[o] = Math.max(Math.max(in[top + x], in[top + x + 1]),
              Math.max(in[top + w + x], in[top + w + x + 1]));
        }
      }
    }
  }
}
