package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A convolution of any kernel, stride and padding of at most one, computed from its
 * definition with a group of {@link ImageLanesWinograd#LANES} images in the vector lanes: the
 * input and output in {@link ImageLanesWinograd}'s padded layout, each in that of its own
 * plane, so that a chain of convolutions in lanes ({@code ImageLanesRun}) goes on through a
 * strided one (ResNet-20's downsampling convolutions and their 1x1 projections) without
 * converting to NCHW and back. Each output pixel is a whole vector, and so is every input
 * pixel a tap reads: a tile of 8 output channels by 3 output pixels (4 by 3 where vectors are
 * AVX2's 16 registers) reads, per input channel and tap, the 3 pixels' vectors wherever the
 * stride puts them and 8 broadcast weights (24 multiply-adds), then adds the bias and a
 * residual (a projection shortcut's sum), clamps at zero for a ReLU and writes the vectors
 * into place. The output pixels are a list (each
 * one's input and output position), padded to whole tiles by repeating the last, whose sums
 * are then written twice, the same values.
 *
 * <p>Stateless apart from its geometry: one instance may serve every thread.
 */
public final class ImageLanesDirect {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final int ROWS = 8; // output channels a packed panel
  private static final boolean FEW_REGISTERS = VectorApi.hasFewRegisters();

  private final int inChannels;
  private final int outChannels;
  private final int depth; // inChannels x kernel taps
  private final int outPlane; // floats of an output channel's padded plane
  private final int[] taps; // per (input channel, tap): its offset from a pixel's window
  private final int[] inPixels; // per output pixel, tiles whole: its window's corner
  private final int[] outPixels; // and where it goes in its channel's plane

  /**
   * The plan for a convolution of {@code kernel x kernel} at {@code stride}, padded by
   * {@code pad} on every side (0 or 1), from {@code inChannels x inH x inW} to
   * {@code outChannels} (a multiple of 4).
   */
  public ImageLanesDirect(int inChannels, int inH, int inW, int outChannels, int kernel,
      int stride, int pad) {
    if (!applies(inH, inW, outChannels, kernel, stride, pad)) {
      throw new IllegalArgumentException("a direct convolution in image lanes takes "
          + inChannels + "x" + inH + "x" + inW + " -> " + outChannels + ", kernel " + kernel
          + ", stride " + stride + ", pad " + pad + ": expected output channels a multiple of"
          + " 4, padding 0 or 1 and planes of at least one vector's pixels (" + LANES + ")");
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    int outH = outSide(inH, kernel, stride, pad);
    int outW = outSide(inW, kernel, stride, pad);
    this.outPlane = ImageLanesWinograd.pixel(outH, outW, 1, 0, 0)
        - ImageLanesWinograd.pixel(outH, outW, 0, 0, 0);
    this.depth = inChannels * kernel * kernel;
    this.taps = new int[depth];
    int origin = ImageLanesWinograd.pixel(inH, inW, 0, 0, 0);
    for (int c = 0; c < inChannels; c++) {
      for (int i = 0; i < kernel; i++) {
        for (int j = 0; j < kernel; j++) {
          taps[(c * kernel + i) * kernel + j] = ImageLanesWinograd.pixel(inH, inW, c, i, j)
              - origin;
        }
      }
    }
    int pixels = outH * outW;
    int whole = (pixels + 2) / 3 * 3;
    this.inPixels = new int[whole];
    this.outPixels = new int[whole];
    for (int q = 0; q < whole; q++) {
      int y = Math.min(q, pixels - 1) / outW;
      int x = Math.min(q, pixels - 1) % outW;
      // the window's corner (in the border where the padding is): pixel + taps[p] is the
      // input pixel (c, y * stride - pad + i, x * stride - pad + j)
      inPixels[q] = ImageLanesWinograd.pixel(inH, inW, 0, y * stride - pad, x * stride - pad);
      outPixels[q] = ImageLanesWinograd.pixel(outH, outW, 0, y, x);
    }
  }

  /**
   * Whether a plan takes this geometry: output channels a multiple of 4, padding 0 or 1 (the
   * layout's border is one pixel), a kernel that fits the padded input and planes of at least
   * a vector's pixels in and out.
   */
  public static boolean applies(int inH, int inW, int outChannels, int kernel, int stride,
      int pad) {
    if (outChannels % 4 != 0 || pad < 0 || pad > 1 || kernel < 1 || stride < 1
        || kernel > Math.min(inH, inW) + 2 * pad) {
      return false;
    }
    int outH = outSide(inH, kernel, stride, pad);
    int outW = outSide(inW, kernel, stride, pad);
    return ImageLanesWinograd.applies(inH, inW) && ImageLanesWinograd.applies(outH, outW);
  }

  private static int outSide(int side, int kernel, int stride, int pad) {
    return (side + 2 * pad - kernel) / stride + 1;
  }

  /** Floats of the packed weights ({@link #packWeights}). */
  public int packedSize() {
    return packedSize(inChannels, outChannels, depth / inChannels);
  }

  /** {@link #packedSize} of a plan of {@code inChannels -> outChannels}, kernel taps given. */
  public static int packedSize(int inChannels, int outChannels, int taps) {
    return (outChannels + ROWS - 1) / ROWS * ROWS * inChannels * taps;
  }

  /**
   * Packs the weights {@code w[wOff + (o * inChannels + c) * k * k + k i + j]}, output channel
   * o's times {@code scale[o]} where scale is not null (a batch norm folded in), in panels of
   * 8 output channels: {@code packed[(o / 8 * depth + p) * 8 + o % 8]}, the rows past the
   * output channels zero.
   */
  public void packWeights(float[] w, int wOff, float[] scale, float[] packed) {
    java.util.Arrays.fill(packed, 0, packedSize(), 0f);
    for (int o = 0; o < outChannels; o++) {
      float s = scale == null ? 1f : scale[o];
      for (int p = 0; p < depth; p++) {
        packed[(o / ROWS * depth + p) * ROWS + o % ROWS] = w[wOff + o * depth + p] * s;
      }
    }
  }

  /**
   * The convolution of the group in {@code in} (its layout from {@code in[inAt]}) with weights
   * from {@link #packWeights}, plus {@code bias[o]}, plus {@code residual} (the output's
   * layout from {@code residual[residualAt]}) where not null, then {@code max(0, .)} if
   * {@code relu}, into the output layout from {@code out[outAt]}: every output pixel written,
   * the border and what lies past the plane not ({@code residual} may be {@code out} at the
   * same start: each float is read where it is then written).
   */
  public void convolve(float[] in, int inAt, float[] packed, float[] bias, float[] residual,
      int residualAt, boolean relu, float[] out, int outAt) {
    if (in == out) {
      throw new IllegalArgumentException("the output cannot be the input: a strided"
          + " convolution's outputs overwrite pixels later windows read");
    }
    float lowest = relu ? 0f : Float.NEGATIVE_INFINITY;
    int residualShift = residualAt - outAt;
    for (int o = 0; o < outChannels; o += ROWS) {
      int aAt = o / ROWS * depth * ROWS;
      boolean eight = !FEW_REGISTERS && o + ROWS <= outChannels;
      for (int q = 0; q < inPixels.length; q += 3) {
        int i0 = inAt + inPixels[q];
        int i1 = inAt + inPixels[q + 1];
        int i2 = inAt + inPixels[q + 2];
        int q0 = outAt + outPixels[q];
        int q1 = outAt + outPixels[q + 1];
        int q2 = outAt + outPixels[q + 2];
        if (eight) {
          tile8x3(packed, aAt, depth, taps, in, i0, i1, i2, bias, o, residual, residualShift,
              lowest, out, outPlane, q0, q1, q2);
          continue;
        }
        tile4x3(packed, aAt, depth, taps, in, i0, i1, i2, bias, o, residual, residualShift,
            lowest, out, outPlane, q0, q1, q2);
        if (o + 4 < outChannels) {
          tile4x3(packed, aAt + 4, depth, taps, in, i0, i1, i2, bias, o + 4, residual,
              residualShift, lowest, out, outPlane, q0, q1, q2);
        }
      }
    }
  }

  private static void tile8x3(float[] packed, int aAt, int depth, int[] taps, float[] in,
      int i0, int i1, int i2, float[] bias, int o, float[] residual, int residualShift,
      float lowest, float[] out, int plane,
      int q0, int q1, int q2) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c02 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c12 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c22 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    FloatVector c32 = FloatVector.zero(SPECIES);
    FloatVector c40 = FloatVector.zero(SPECIES);
    FloatVector c41 = FloatVector.zero(SPECIES);
    FloatVector c42 = FloatVector.zero(SPECIES);
    FloatVector c50 = FloatVector.zero(SPECIES);
    FloatVector c51 = FloatVector.zero(SPECIES);
    FloatVector c52 = FloatVector.zero(SPECIES);
    FloatVector c60 = FloatVector.zero(SPECIES);
    FloatVector c61 = FloatVector.zero(SPECIES);
    FloatVector c62 = FloatVector.zero(SPECIES);
    FloatVector c70 = FloatVector.zero(SPECIES);
    FloatVector c71 = FloatVector.zero(SPECIES);
    FloatVector c72 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int tap = taps[p];
      FloatVector b0 = FloatVector.fromArray(SPECIES, in, i0 + tap);
      FloatVector b1 = FloatVector.fromArray(SPECIES, in, i1 + tap);
      FloatVector b2 = FloatVector.fromArray(SPECIES, in, i2 + tap);
      FloatVector a0 = FloatVector.broadcast(SPECIES, packed[ap + 0]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      FloatVector a1 = FloatVector.broadcast(SPECIES, packed[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      FloatVector a2 = FloatVector.broadcast(SPECIES, packed[ap + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      c22 = a2.fma(b2, c22);
      FloatVector a3 = FloatVector.broadcast(SPECIES, packed[ap + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      c32 = a3.fma(b2, c32);
      FloatVector a4 = FloatVector.broadcast(SPECIES, packed[ap + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      c42 = a4.fma(b2, c42);
      FloatVector a5 = FloatVector.broadcast(SPECIES, packed[ap + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      c52 = a5.fma(b2, c52);
      FloatVector a6 = FloatVector.broadcast(SPECIES, packed[ap + 6]);
      c60 = a6.fma(b0, c60);
      c61 = a6.fma(b1, c61);
      c62 = a6.fma(b2, c62);
      FloatVector a7 = FloatVector.broadcast(SPECIES, packed[ap + 7]);
      c70 = a7.fma(b0, c70);
      c71 = a7.fma(b1, c71);
      c72 = a7.fma(b2, c72);
    }
    FloatVector bias0 = FloatVector.broadcast(SPECIES, bias[o + 0]);
    int at0 = (o + 0) * plane;
    c00 = c00.add(bias0);
    c01 = c01.add(bias0);
    c02 = c02.add(bias0);
    FloatVector bias1 = FloatVector.broadcast(SPECIES, bias[o + 1]);
    int at1 = (o + 1) * plane;
    c10 = c10.add(bias1);
    c11 = c11.add(bias1);
    c12 = c12.add(bias1);
    FloatVector bias2 = FloatVector.broadcast(SPECIES, bias[o + 2]);
    int at2 = (o + 2) * plane;
    c20 = c20.add(bias2);
    c21 = c21.add(bias2);
    c22 = c22.add(bias2);
    FloatVector bias3 = FloatVector.broadcast(SPECIES, bias[o + 3]);
    int at3 = (o + 3) * plane;
    c30 = c30.add(bias3);
    c31 = c31.add(bias3);
    c32 = c32.add(bias3);
    FloatVector bias4 = FloatVector.broadcast(SPECIES, bias[o + 4]);
    int at4 = (o + 4) * plane;
    c40 = c40.add(bias4);
    c41 = c41.add(bias4);
    c42 = c42.add(bias4);
    FloatVector bias5 = FloatVector.broadcast(SPECIES, bias[o + 5]);
    int at5 = (o + 5) * plane;
    c50 = c50.add(bias5);
    c51 = c51.add(bias5);
    c52 = c52.add(bias5);
    FloatVector bias6 = FloatVector.broadcast(SPECIES, bias[o + 6]);
    int at6 = (o + 6) * plane;
    c60 = c60.add(bias6);
    c61 = c61.add(bias6);
    c62 = c62.add(bias6);
    FloatVector bias7 = FloatVector.broadcast(SPECIES, bias[o + 7]);
    int at7 = (o + 7) * plane;
    c70 = c70.add(bias7);
    c71 = c71.add(bias7);
    c72 = c72.add(bias7);
    if (residual != null) {
      c00 = c00.add(FloatVector.fromArray(SPECIES, residual, at0 + q0 + residualShift));
      c01 = c01.add(FloatVector.fromArray(SPECIES, residual, at0 + q1 + residualShift));
      c02 = c02.add(FloatVector.fromArray(SPECIES, residual, at0 + q2 + residualShift));
      c10 = c10.add(FloatVector.fromArray(SPECIES, residual, at1 + q0 + residualShift));
      c11 = c11.add(FloatVector.fromArray(SPECIES, residual, at1 + q1 + residualShift));
      c12 = c12.add(FloatVector.fromArray(SPECIES, residual, at1 + q2 + residualShift));
      c20 = c20.add(FloatVector.fromArray(SPECIES, residual, at2 + q0 + residualShift));
      c21 = c21.add(FloatVector.fromArray(SPECIES, residual, at2 + q1 + residualShift));
      c22 = c22.add(FloatVector.fromArray(SPECIES, residual, at2 + q2 + residualShift));
      c30 = c30.add(FloatVector.fromArray(SPECIES, residual, at3 + q0 + residualShift));
      c31 = c31.add(FloatVector.fromArray(SPECIES, residual, at3 + q1 + residualShift));
      c32 = c32.add(FloatVector.fromArray(SPECIES, residual, at3 + q2 + residualShift));
      c40 = c40.add(FloatVector.fromArray(SPECIES, residual, at4 + q0 + residualShift));
      c41 = c41.add(FloatVector.fromArray(SPECIES, residual, at4 + q1 + residualShift));
      c42 = c42.add(FloatVector.fromArray(SPECIES, residual, at4 + q2 + residualShift));
      c50 = c50.add(FloatVector.fromArray(SPECIES, residual, at5 + q0 + residualShift));
      c51 = c51.add(FloatVector.fromArray(SPECIES, residual, at5 + q1 + residualShift));
      c52 = c52.add(FloatVector.fromArray(SPECIES, residual, at5 + q2 + residualShift));
      c60 = c60.add(FloatVector.fromArray(SPECIES, residual, at6 + q0 + residualShift));
      c61 = c61.add(FloatVector.fromArray(SPECIES, residual, at6 + q1 + residualShift));
      c62 = c62.add(FloatVector.fromArray(SPECIES, residual, at6 + q2 + residualShift));
      c70 = c70.add(FloatVector.fromArray(SPECIES, residual, at7 + q0 + residualShift));
      c71 = c71.add(FloatVector.fromArray(SPECIES, residual, at7 + q1 + residualShift));
      c72 = c72.add(FloatVector.fromArray(SPECIES, residual, at7 + q2 + residualShift));
    }
    c00.max(lowest).intoArray(out, at0 + q0);
    c01.max(lowest).intoArray(out, at0 + q1);
    c02.max(lowest).intoArray(out, at0 + q2);
    c10.max(lowest).intoArray(out, at1 + q0);
    c11.max(lowest).intoArray(out, at1 + q1);
    c12.max(lowest).intoArray(out, at1 + q2);
    c20.max(lowest).intoArray(out, at2 + q0);
    c21.max(lowest).intoArray(out, at2 + q1);
    c22.max(lowest).intoArray(out, at2 + q2);
    c30.max(lowest).intoArray(out, at3 + q0);
    c31.max(lowest).intoArray(out, at3 + q1);
    c32.max(lowest).intoArray(out, at3 + q2);
    c40.max(lowest).intoArray(out, at4 + q0);
    c41.max(lowest).intoArray(out, at4 + q1);
    c42.max(lowest).intoArray(out, at4 + q2);
    c50.max(lowest).intoArray(out, at5 + q0);
    c51.max(lowest).intoArray(out, at5 + q1);
    c52.max(lowest).intoArray(out, at5 + q2);
    c60.max(lowest).intoArray(out, at6 + q0);
    c61.max(lowest).intoArray(out, at6 + q1);
    c62.max(lowest).intoArray(out, at6 + q2);
    c70.max(lowest).intoArray(out, at7 + q0);
    c71.max(lowest).intoArray(out, at7 + q1);
    c72.max(lowest).intoArray(out, at7 + q2);
  }

  private static void tile4x3(float[] packed, int aAt, int depth, int[] taps, float[] in,
      int i0, int i1, int i2, float[] bias, int o, float[] residual, int residualShift,
      float lowest, float[] out, int plane,
      int q0, int q1, int q2) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = FloatVector.zero(SPECIES);
    FloatVector c02 = FloatVector.zero(SPECIES);
    FloatVector c10 = FloatVector.zero(SPECIES);
    FloatVector c11 = FloatVector.zero(SPECIES);
    FloatVector c12 = FloatVector.zero(SPECIES);
    FloatVector c20 = FloatVector.zero(SPECIES);
    FloatVector c21 = FloatVector.zero(SPECIES);
    FloatVector c22 = FloatVector.zero(SPECIES);
    FloatVector c30 = FloatVector.zero(SPECIES);
    FloatVector c31 = FloatVector.zero(SPECIES);
    FloatVector c32 = FloatVector.zero(SPECIES);
    for (int p = 0; p < depth; p++) {
      int ap = aAt + p * ROWS;
      int tap = taps[p];
      FloatVector b0 = FloatVector.fromArray(SPECIES, in, i0 + tap);
      FloatVector b1 = FloatVector.fromArray(SPECIES, in, i1 + tap);
      FloatVector b2 = FloatVector.fromArray(SPECIES, in, i2 + tap);
      FloatVector a0 = FloatVector.broadcast(SPECIES, packed[ap + 0]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      FloatVector a1 = FloatVector.broadcast(SPECIES, packed[ap + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      FloatVector a2 = FloatVector.broadcast(SPECIES, packed[ap + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      c22 = a2.fma(b2, c22);
      FloatVector a3 = FloatVector.broadcast(SPECIES, packed[ap + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      c32 = a3.fma(b2, c32);
    }
    FloatVector bias0 = FloatVector.broadcast(SPECIES, bias[o + 0]);
    int at0 = (o + 0) * plane;
    c00 = c00.add(bias0);
    c01 = c01.add(bias0);
    c02 = c02.add(bias0);
    FloatVector bias1 = FloatVector.broadcast(SPECIES, bias[o + 1]);
    int at1 = (o + 1) * plane;
    c10 = c10.add(bias1);
    c11 = c11.add(bias1);
    c12 = c12.add(bias1);
    FloatVector bias2 = FloatVector.broadcast(SPECIES, bias[o + 2]);
    int at2 = (o + 2) * plane;
    c20 = c20.add(bias2);
    c21 = c21.add(bias2);
    c22 = c22.add(bias2);
    FloatVector bias3 = FloatVector.broadcast(SPECIES, bias[o + 3]);
    int at3 = (o + 3) * plane;
    c30 = c30.add(bias3);
    c31 = c31.add(bias3);
    c32 = c32.add(bias3);
    if (residual != null) {
      c00 = c00.add(FloatVector.fromArray(SPECIES, residual, at0 + q0 + residualShift));
      c01 = c01.add(FloatVector.fromArray(SPECIES, residual, at0 + q1 + residualShift));
      c02 = c02.add(FloatVector.fromArray(SPECIES, residual, at0 + q2 + residualShift));
      c10 = c10.add(FloatVector.fromArray(SPECIES, residual, at1 + q0 + residualShift));
      c11 = c11.add(FloatVector.fromArray(SPECIES, residual, at1 + q1 + residualShift));
      c12 = c12.add(FloatVector.fromArray(SPECIES, residual, at1 + q2 + residualShift));
      c20 = c20.add(FloatVector.fromArray(SPECIES, residual, at2 + q0 + residualShift));
      c21 = c21.add(FloatVector.fromArray(SPECIES, residual, at2 + q1 + residualShift));
      c22 = c22.add(FloatVector.fromArray(SPECIES, residual, at2 + q2 + residualShift));
      c30 = c30.add(FloatVector.fromArray(SPECIES, residual, at3 + q0 + residualShift));
      c31 = c31.add(FloatVector.fromArray(SPECIES, residual, at3 + q1 + residualShift));
      c32 = c32.add(FloatVector.fromArray(SPECIES, residual, at3 + q2 + residualShift));
    }
    c00.max(lowest).intoArray(out, at0 + q0);
    c01.max(lowest).intoArray(out, at0 + q1);
    c02.max(lowest).intoArray(out, at0 + q2);
    c10.max(lowest).intoArray(out, at1 + q0);
    c11.max(lowest).intoArray(out, at1 + q1);
    c12.max(lowest).intoArray(out, at1 + q2);
    c20.max(lowest).intoArray(out, at2 + q0);
    c21.max(lowest).intoArray(out, at2 + q1);
    c22.max(lowest).intoArray(out, at2 + q2);
    c30.max(lowest).intoArray(out, at3 + q0);
    c31.max(lowest).intoArray(out, at3 + q1);
    c32.max(lowest).intoArray(out, at3 + q2);
  }

}
