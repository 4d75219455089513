package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;

/**
 * The direct kernel's pooled write ({@link DirectConv#convolvePooled}, on padded rows: a pooled
 * pass never wraps its rows) is, bit for bit, the 2x2 max pool ({@link Math#max}) of the output
 * its unpooled write gives: LeNet-5's two convs (pooled rows of 14 and of 5, shorter than a
 * vector), VGG-small's 28x28 and ResNet's 14x14 shapes, an odd channel count, pooled rows of
 * one vector and a tail and of several steps; every combination of bias, folded norm and ReLU
 * (the map before the pool: a negative scale flips which value wins); several images, nothing
 * written outside each image's pooled planes. The same for the write by channels.
 */
class PooledDirectConvTest {

  /** As {@link DirectConvTest}'s cases; outputs with even sides. */
  private static final int[][] CASES = {
      {1, 6, 28, 28, 5, 5, 2, 2, 2, 2, 1, 1}, // LeNet-5's first conv
      {6, 16, 14, 14, 5, 5, 0, 0, 0, 0, 1, 1}, // its second: 10x10, pooled rows of 5
      {32, 32, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1}, // VGG-small's second
      {16, 5, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1}, // five outputs on 14x14
      {3, 8, 6, 40, 3, 3, 1, 1, 1, 1, 1, 1}, // pooled rows of 20: a vector and a tail
      {2, 3, 4, 86, 3, 3, 1, 1, 1, 1, 1, 1}, // pooled rows of 43: three steps of a row
  };

  @Test
  void pooledWriteIsThePoolOfTheOutput() {
    checkPooledWrites(CASES, false, 51);
  }

  /**
   * By channels ({@link DirectConv#convolveByChannelsPooled}), bit for bit the pool of
   * {@link DirectConv#convolveByChannels}' output: LeNet-5's second conv sliding along rows,
   * 16 outputs on 28x28 and 12 on rows of 28, 64 outputs (no sliding), every map variant.
   */
  @Test
  void pooledWriteByChannelsIsThePoolOfTheOutput() {
    int[][] cases = {
        {6, 16, 14, 14, 5, 5, 0, 0, 0, 0, 1, 1}, {16, 16, 28, 28, 5, 5, 2, 2, 2, 2, 1, 1},
        {3, 12, 6, 28, 5, 5, 2, 2, 2, 2, 1, 1}, {8, 64, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1}};
    checkPooledWrites(cases, true, 71);
  }

  /**
   * For each case, the pooled write (by channels or by pixels) against the pool of the
   * unpooled write, three images, every combination of bias, folded norm and ReLU.
   */
  private static void checkPooledWrites(int[][] cases, boolean byChannels, long seed) {
    for (int[] c : cases) {
      ConvGeometry g = DirectConvTest.geometry(c);
      int cout = c[1];
      DirectConv direct = DirectConv.forward(g, cout);
      assertTrue(direct.poolsEvenly(), "even sides: " + g);
      if (byChannels) {
        assertEquals(cout <= 16, direct.slidesRows(), "slides: " + g);
      }
      float[] w = uniform(cout * g.colRows(), seed++);
      float[] packed = new float[byChannels ? direct.channelPackedWeightsSize()
          : direct.packedWeightsSize()];
      if (byChannels) {
        direct.packWeightsByChannels(w, 0, packed);
      } else {
        direct.packWeights(w, 0, packed);
      }
      float[] bias = uniform(cout + 1, seed++);
      float[] scale = uniform(cout, seed++); // about half of them negative
      float[] shift = uniform(cout, seed++);
      int images = 3;
      float[] x = uniform(images * g.imageSize(), seed++);
      int outSize = cout * g.outH() * g.outW();
      int pooledSize = outSize / 4;
      for (int variant = 0; variant < 8; variant++) {
        float[] b = (variant & 1) != 0 ? bias : null;
        float[] s = (variant & 2) != 0 ? scale : null;
        float[] t = (variant & 2) != 0 ? shift : null;
        boolean relu = (variant & 4) != 0;
        float[] full = new float[images * outSize];
        float[] pooled = uniform(images * pooledSize + 3, seed++);
        float[] before = pooled.clone();
        float[] padded = new float[direct.paddedSize()];
        float[] result = new float[byChannels ? direct.channelResultSize()
            : direct.resultSize()];
        for (int n = 0; n < images; n++) {
          direct.pad(x, n * g.imageSize(), padded, 0);
          if (byChannels) {
            direct.convolveByChannels(padded, packed, b, 1, full, n * outSize, result, s, t,
                relu, null);
            direct.convolveByChannelsPooled(padded, packed, b, 1, pooled, n * pooledSize,
                result, s, t, relu);
          } else {
            direct.convolve(padded, packed, b, 1, full, n * outSize, result, s, t, relu, null);
            direct.convolvePooled(padded, packed, b, 1, pooled, n * pooledSize, result, s, t,
                relu);
          }
        }
        assertPoolOf(full, pooled, before, images * cout, g, g + " -> " + cout
            + (byChannels ? " by channels" : "") + ", variant " + variant);
      }
    }
  }

  /** {@code pooled} is, bit for bit, the 2x2 pool of {@code full}'s planes, and no more. */
  private static void assertPoolOf(float[] full, float[] pooled, float[] before, int planes,
      ConvGeometry g, String what) {
    int oh = g.outH() / 2;
    int ow = g.outW() / 2;
    for (int p = 0; p < planes; p++) {
      for (int y = 0; y < oh; y++) {
        for (int xo = 0; xo < ow; xo++) {
          int at = p * g.outH() * g.outW() + 2 * y * g.outW() + 2 * xo;
          float expected = Math.max(Math.max(full[at], full[at + 1]),
              Math.max(full[at + g.outW()], full[at + g.outW() + 1]));
          int i = p * oh * ow + y * ow + xo;
          assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(pooled[i]),
              what + " at " + i);
        }
      }
    }
    for (int i = planes * oh * ow; i < pooled.length; i++) {
      assertEquals(before[i], pooled[i], 0f, what + ": past the last image at " + i);
    }
  }

  @Test
  void oddSidesDoNotPool() {
    assertFalse(DirectConv.forward(DirectConvTest.geometry(
        new int[] {3, 8, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1}), 8).poolsEvenly(), "7 rows");
    assertFalse(DirectConv.forward(DirectConvTest.geometry(
        new int[] {3, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1}), 8).poolsEvenly(), "5 columns");
  }
}
