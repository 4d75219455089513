package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.sparkconv.engine.TestArrays.uniform;

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

  @Test
  void refusesAResidualThatIsTheOutputItself() {
    float[] out = new float[16];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChannelLanesOutput.write(new float[16], 16, 16, 1, null, 0, null, null, true, out,
            out, 0));
    assertEquals("the residual must not be the output array itself", e.getMessage());
  }
}
