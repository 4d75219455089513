package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.sparkconv.engine.TestArrays.uniform;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The write of a pixel-major result to channel planes against its definition, one float at a
 * time in the same order of operations (so equal to the bit): whole vectors of channels (by
 * scatter on 512-bit vectors), channels past the last whole vector, every combination of bias,
 * folded norm, ReLU and residual, at an offset inside a larger output that must stay untouched
 * around it.
 */
class ChannelLanesOutputTest {

  /** (outChannels, pixels, width): width is the channels rounded up to 16. */
  private static final int[][] CASES = {
      {64, 49, 64}, // ResNet-20's 7x7 stage
      {50, 13, 64}, // three whole vectors and two channels past them
      {5, 7, 16}, // no whole vector
      {16, 1, 16}, // one pixel
  };

  @Test
  void writesTheDefinitionForEveryEpilogue() {
    long seed = 3;
    for (int[] c : CASES) {
      int channels = c[0];
      int pixels = c[1];
      int width = c[2];
      float[] resultT = uniform(pixels * width, seed++);
      float[] bias = uniform(channels + 3, seed++);
      float[] scale = uniform(channels, seed++);
      float[] shift = uniform(channels, seed++);
      int outOff = 7;
      int size = channels * pixels;
      float[] residual = uniform(outOff + size + 5, seed++);
      for (int variant = 0; variant < 16; variant++) {
        boolean withBias = (variant & 1) != 0;
        boolean withNorm = (variant & 2) != 0;
        boolean relu = (variant & 4) != 0;
        boolean withResidual = (variant & 8) != 0;
        float[] out = uniform(outOff + size + 5, seed++);
        float[] expected = out.clone();
        for (int o = 0; o < channels; o++) {
          for (int q = 0; q < pixels; q++) {
            float v = resultT[q * width + o] + (withBias ? bias[3 + o] : 0f);
            if (withNorm) {
              v = v * scale[o] + shift[o];
            }
            if (withResidual) {
              v += residual[outOff + o * pixels + q];
            }
            expected[outOff + o * pixels + q] = relu ? Math.max(v, 0f) : v;
          }
        }
        ChannelLanesOutput.write(resultT, width, channels, pixels, withBias ? bias : null, 3,
            withNorm ? scale : null, withNorm ? shift : null, relu,
            withResidual ? residual : null, out, outOff);
        for (int i = 0; i < out.length; i++) {
          assertEquals(expected[i], out[i], 0f, "channels " + channels + ", pixels " + pixels
              + ", variant " + variant + ", at " + i);
        }
      }
    }
  }

  /**
   * Into a padded pixel-major layout ({@link ChannelLanesOutput#writePadded}): each pixel's
   * channels as {@link ChannelLanesOutput#write} maps them, bit for bit, for every epilogue;
   * every other float of the image (border, lanes past the channels) zero, though the buffer
   * held other values; the floats around the image untouched.
   */
  @Test
  void writesPaddedLanesAsThePlanesWouldHoldThem() {
    // (outChannels, width, rows, columns, height, padded width, top, left)
    int[][] cases = {{64, 64, 14, 14, 18, 18, 1, 1}, {50, 64, 3, 5, 6, 8, 2, 0},
        {5, 16, 2, 2, 2, 3, 0, 1}};
    long seed = 71;
    for (int[] c : cases) {
      int channels = c[0];
      int width = c[1];
      PaddedLanes into = new PaddedLanes(c[4], c[5], width, c[6], c[7], c[2], c[3]);
      int pixels = c[2] * c[3];
      float[] resultT = uniform(pixels * width, seed++);
      float[] bias = uniform(channels + 3, seed++);
      float[] scale = uniform(channels, seed++);
      float[] shift = uniform(channels, seed++);
      for (int variant = 0; variant < 8; variant++) {
        boolean withBias = (variant & 1) != 0;
        boolean withNorm = (variant & 2) != 0;
        boolean relu = (variant & 4) != 0;
        float[] planes = new float[channels * pixels];
        ChannelLanesOutput.write(resultT, width, channels, pixels, withBias ? bias : null, 3,
            withNorm ? scale : null, withNorm ? shift : null, relu, null, planes, 0);
        int outOff = 5;
        float[] out = uniform(outOff + into.imageSize() + 4, seed++);
        float[] before = out.clone();
        ChannelLanesOutput.writePadded(resultT, 0, width, channels, withBias ? bias : null, 3,
            withNorm ? scale : null, withNorm ? shift : null, relu, into, out, outOff);
        float[] expected = before.clone();
        Arrays.fill(expected, outOff, outOff + into.imageSize(), 0f);
        for (int q = 0; q < pixels; q++) {
          for (int o = 0; o < channels; o++) {
            expected[outOff + into.pixel(q / c[3], q % c[3]) + o] = planes[o * pixels + q];
          }
        }
        for (int i = 0; i < out.length; i++) {
          assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(out[i]),
              "case " + Arrays.toString(c) + ", variant " + variant + ", at " + i);
        }
      }
    }
    assertThrows(IllegalArgumentException.class, () -> ChannelLanesOutput.writePadded(
        new float[64], 0, 32, 16, null, 0, null, null, false,
        new PaddedLanes(3, 3, 16, 1, 1, 1, 1), new float[144], 0));
  }

  @Test
  void refusesAResidualThatIsTheOutputItself() {
    float[] out = new float[16];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChannelLanesOutput.write(new float[16], 16, 16, 1, null, 0, null, null, true, out,
            out, 0));
    assertEquals("the residual must not be the output array itself", e.getMessage());
  }
}
