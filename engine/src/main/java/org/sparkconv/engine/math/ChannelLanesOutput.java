package org.sparkconv.engine.math;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Writes a {@link ChannelLanesKernel} result, pixel-major {@code resultT (pixels, width)}, to
 * the layer's channel-major planes {@code out (outChannels, pixels)}:
 * {@code out[o][q] = act((resultT[q][o] + bias[o]) * scale[o] + shift[o] + residual[o][q])},
 * each part where given ({@code act} a ReLU or nothing).
 *
 * <p>Whole vectors of channels are done as vectors where {@link LaneTranspose} has a block for them
 * (16 lanes, or AVX2's 8): blocks of a vector's pixels by its channels transposed in registers into
 * the planes, then the bias, norm and ReLU applied to each channel's pixels there (where there is
 * any of them). A residual is then added (and the ReLU taken) in one contiguous pass over the
 * planes. The pixels past the last whole block (one of 49 on a 7x7 plane), the channels past the
 * last whole vector, and every channel where there is no block go one float at a time: the tail
 * pixels went by one scatter to 16 planes, which C2 at times compiled on the Vector API's Java
 * fallback (`scripts/jit-check.sh resnet20 train` named this method in 2 of 7 runs, 2 more failed
 * on the bytes a step allocated; 0 of 4 after), as it did the gather {@link ChannelRows} had for
 * its tail. Before the blocks, the scatters did every pixel: 64 images of 64 channels on a 7x7
 * plane, one thread: 0.44 -> 0.10 ms by scatters alone, 1.02 -> 0.29 ms with a residual, against
 * 2.0 ms for the convolution itself (on an Intel Xeon); on Zen 5, whose scatters are slower, the
 * blocks took whole ResNet-20 inference steps 1.036x faster (0.99-1.10, 9 pairs alternated).
 * Touched only when the incubator module is resolved.
 */
final class ChannelLanesOutput {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  private static final boolean BLOCKS = LaneTranspose.APPLIES;

  private ChannelLanesOutput() {}

  /**
   * The write in the class comment; {@code bias} from {@code biasOff}, {@code scale} and
   * {@code shift} (both or neither) from 0; {@code residual} laid out as {@code out}, at the same
   * offset, and not {@code out} itself.
   */
  static void write(float[] resultT, int width, int outChannels, int pixels, float[] bias,
      int biasOff, float[] scale, float[] shift, boolean relu, float[] residual, float[] out,
      int outOff) {
    write(resultT, 0, width, outChannels, pixels, bias, biasOff, scale, shift, relu, residual,
        out, outOff);
  }

  /** As above, the result from {@code resultT[resultOff]}. */
  static void write(float[] resultT, int resultOff, int width, int outChannels, int pixels,
      float[] bias, int biasOff, float[] scale, float[] shift, boolean relu, float[] residual,
      float[] out, int outOff) {
    if (residual == out) {
      throw new IllegalArgumentException("the residual must not be the output array itself");
    }
    int vectorChannels = BLOCKS ? outChannels / LANES * LANES : 0;
    int blockPixels = pixels / LaneTranspose.SIZE * LaneTranspose.SIZE;
    boolean reluHere = relu && residual == null;
    // nothing to map (a training pass's output before its batch norm): the blocks as they are,
    // which adding a zero bias would not change, since a result is never -0 (sums from +0).
    // ResNet-20 training steps 1.016x (scripts/bench-builds.sh, both orders; 2026-12-05)
    boolean maps = bias != null || scale != null || reluHere;
    for (int o = 0; o < vectorChannels; o += LANES) {
      int to = outOff + o * pixels;
      for (int q = 0; q < blockPixels; q += LaneTranspose.SIZE) {
        // transposed into the planes, then each channel's 16 pixels mapped there
        LaneTranspose.block(resultT, resultOff + q * width + o, width, out, to + q, pixels);
        // (scalar operands, not per-channel vectors that may be null)
        for (int k = 0; maps && k < LaneTranspose.SIZE; k++) {
          int at = to + k * pixels + q;
          FloatVector v = FloatVector.fromArray(SPECIES, out, at)
              .add(bias == null ? 0f : bias[biasOff + o + k]);
          if (scale != null) {
            v = v.mul(scale[o + k]).add(shift[o + k]);
          }
          (reluHere ? v.max(0f) : v).intoArray(out, at);
        }
      }
    }
    if (residual != null && vectorChannels > 0) {
      // one contiguous pass over those channels' planes; it also runs over the pixels past the
      // blocks, not written yet, which the loop below then writes whole (residual included)
      addResidual(residual, relu, out, outOff, outOff + vectorChannels * pixels);
    }
    // the pixels past the blocks of those channels, and every pixel of the others
    for (int o = 0; o < outChannels; o++) {
      float b = bias == null ? 0f : bias[biasOff + o];
      float sc = scale == null ? 1f : scale[o];
      float sh = scale == null ? 0f : shift[o];
      int to = outOff + o * pixels;
      for (int q = o < vectorChannels ? blockPixels : 0; q < pixels; q++) {
        float v = (resultT[resultOff + q * width + o] + b) * sc + sh;
        if (residual != null) {
          v += residual[to + q];
        }
        out[to + q] = relu ? Math.max(v, 0f) : v;
      }
    }
  }

  /**
   * The 2x2 max pool at stride 2 of the write above (no residual): planes of
   * {@code outH / 2 x outW / 2} (even sides) from a result of {@code outH x outW} pixels. Each
   * pooled pixel is the largest of its four pixels, each mapped by the bias and folded norm,
   * then the ReLU if {@code relu}: the values a separate pool of the written planes takes. The
   * pooled pixels overwrite the result's first rows in place, a vector of channels (or one
   * channel) at a time, pixel by pixel: pooled pixel p goes to row p, and the pooled pixels
   * after it read only rows past p. They then go to the planes as {@link #write} takes them.
   */
  static void writePooled(float[] resultT, int resultOff, int width, int outChannels, int outH,
      int outW, float[] bias, int biasOff, float[] scale, float[] shift, boolean relu,
      float[] out, int outOff) {
    if (outH % 2 != 0 || outW % 2 != 0) {
      throw new IllegalArgumentException("a 2x2 pool at stride 2 takes even sides, not "
          + outH + "x" + outW);
    }
    int vectorChannels = outChannels / LANES * LANES;
    int pooled = outH / 2 * (outW / 2);
    for (int o = 0; o < vectorChannels; o += LANES) {
      FloatVector b = bias == null ? FloatVector.zero(SPECIES)
          : FloatVector.fromArray(SPECIES, bias, biasOff + o);
      FloatVector sc = scale == null ? null : FloatVector.fromArray(SPECIES, scale, o);
      FloatVector sh = scale == null ? null : FloatVector.fromArray(SPECIES, shift, o);
      for (int p = 0; p < pooled; p++) {
        int top = resultOff + window(p, outW) * width + o; // the window's top-left pixel
        int bottom = top + outW * width;
        // each pixel mapped here, not in a helper: no vector crosses a method boundary
        FloatVector v0 = FloatVector.fromArray(SPECIES, resultT, top).add(b);
        FloatVector v1 = FloatVector.fromArray(SPECIES, resultT, top + width).add(b);
        FloatVector v2 = FloatVector.fromArray(SPECIES, resultT, bottom).add(b);
        FloatVector v3 = FloatVector.fromArray(SPECIES, resultT, bottom + width).add(b);
        if (sc != null) {
          v0 = v0.mul(sc).add(sh);
          v1 = v1.mul(sc).add(sh);
          v2 = v2.mul(sc).add(sh);
          v3 = v3.mul(sc).add(sh);
        }
        FloatVector v = v0.max(v1).max(v2).max(v3);
        (relu ? v.max(0f) : v).intoArray(resultT, resultOff + p * width + o);
      }
    }
    for (int o = vectorChannels; o < outChannels; o++) {
      float b = bias == null ? 0f : bias[biasOff + o];
      float sc = scale == null ? 1f : scale[o];
      float sh = scale == null ? 0f : shift[o];
      for (int p = 0; p < pooled; p++) {
        int top = resultOff + window(p, outW) * width + o;
        int bottom = top + outW * width;
        float v = Math.max(Math.max((resultT[top] + b) * sc + sh,
            (resultT[top + width] + b) * sc + sh), Math.max((resultT[bottom] + b) * sc + sh,
            (resultT[bottom + width] + b) * sc + sh));
        resultT[resultOff + p * width + o] = relu ? Math.max(v, 0f) : v;
      }
    }
    write(resultT, resultOff, width, outChannels, pooled, null, 0, null, null, false, null, out,
        outOff);
  }

  /**
   * The values {@link #write} gives (no residual), written instead to one image of
   * {@code into}'s layout at {@code out[outOff]} (the result's {@code into.rows() x
   * into.columns()} pixels, {@code width} equal to {@code into.lanes()}): no transpose, each
   * pixel's channels a run of vectors, the border and the lanes past {@code outChannels}
   * written zero, the image in order. Per channel the same float operations as
   * {@link #write}'s, so the same values bit for bit. (Writing only the pixels, into a buffer
   * of its own whose border stayed zero, was no faster: VGG-small inference, whose 14x14
   * planes by 4x4 tiles pad to 18x18, 1.006 and 0.994.)
   */
  static void writePadded(float[] resultT, int resultOff, int width, int outChannels,
      float[] bias, int biasOff, float[] scale, float[] shift, boolean relu, PaddedLanes into,
      float[] out, int outOff) {
    if (width != into.lanes() || outChannels > width) {
      throw new IllegalArgumentException(outChannels + " channels in results " + width
          + " wide into " + into.lanes() + " lanes");
    }
    int vectorChannels = outChannels / LANES * LANES;
    int done = outOff; // written up to here
    for (int y = 0; y < into.rows(); y++) {
      int to = outOff + into.pixel(y, 0);
      int from = resultOff + y * into.columns() * width;
      Arrays.fill(out, done, to, 0f); // the border before this row's pixels
      for (int x = 0; x < into.columns(); x++, to += width, from += width) {
        for (int o = 0; o < vectorChannels; o += LANES) {
          FloatVector v = FloatVector.fromArray(SPECIES, resultT, from + o)
              .add(bias == null ? FloatVector.zero(SPECIES)
                  : FloatVector.fromArray(SPECIES, bias, biasOff + o));
          if (scale != null) {
            v = v.mul(FloatVector.fromArray(SPECIES, scale, o))
                .add(FloatVector.fromArray(SPECIES, shift, o));
          }
          (relu ? v.max(0f) : v).intoArray(out, to + o);
        }
        for (int o = vectorChannels; o < outChannels; o++) {
          float v = (resultT[from + o] + (bias == null ? 0f : bias[biasOff + o]))
              * (scale == null ? 1f : scale[o]) + (scale == null ? 0f : shift[o]);
          out[to + o] = relu ? Math.max(v, 0f) : v;
        }
        Arrays.fill(out, to + outChannels, to + width, 0f);
      }
      done = to;
    }
    Arrays.fill(out, done, outOff + into.imageSize(), 0f);
  }

  /** The top-left pixel of pooled pixel p's 2x2 window on a plane {@code outW} wide. */
  private static int window(int p, int outW) {
    int pooledW = outW / 2;
    return 2 * (p / pooledW) * outW + 2 * (p % pooledW);
  }

  /** {@code out[i] = act(out[i] + residual[i])} for {@code from <= i < to}. */
  private static void addResidual(float[] residual, boolean relu, float[] out, int from,
      int to) {
    int i = from;
    for (; i + LANES <= to; i += LANES) {
      FloatVector v = FloatVector.fromArray(SPECIES, out, i)
          .add(FloatVector.fromArray(SPECIES, residual, i));
      (relu ? v.max(0f) : v).intoArray(out, i);
    }
    for (; i < to; i++) {
      float v = out[i] + residual[i];
      out[i] = relu ? Math.max(v, 0f) : v;
    }
  }
}
