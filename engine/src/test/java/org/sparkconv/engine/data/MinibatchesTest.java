package org.sparkconv.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.tensor.Shape;

class MinibatchesTest {

  private static ImageSet ramp(int count, Shape shape) {
    byte[] pixels = new byte[count * shape.size()];
    int[] labels = new int[count];
    for (int n = 0; n < count; n++) {
      labels[n] = n % 10;
      for (int i = 0; i < shape.size(); i++) {
        pixels[n * shape.size() + i] = (byte) (n + i);
      }
    }
    return new ImageSet("ramp", shape, count, pixels, labels, 10);
  }

  @Test
  void epochOrderIsASeededPermutation() {
    Minibatches a = new Minibatches(ramp(50, new Shape(1, 2, 2)), Normalization.unit(1),
        Augmentation.NONE, 7);
    Minibatches b = new Minibatches(ramp(50, new Shape(1, 2, 2)), Normalization.unit(1),
        Augmentation.NONE, 7);
    int[] order = a.epochOrder(0);
    assertArrayEquals(order, b.epochOrder(0), "same seed, same order");
    assertFalse(Arrays.equals(order, a.epochOrder(1)), "each epoch reshuffles");
    int[] sorted = order.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i], "every example exactly once");
    }
  }

  @Test
  void normalisationUsesPerChannelStatistics() {
    ImageSet set = ramp(20, new Shape(2, 3, 3));
    Normalization norm = Normalization.of(set);
    Minibatches batches = new Minibatches(set, norm, Augmentation.NONE, 1);
    float[] images = new float[20 * 18];
    int[] labels = new int[20];
    batches.assembleInOrder(0, 20, images, labels);
    for (int c = 0; c < 2; c++) {
      double sum = 0;
      double sq = 0;
      for (int n = 0; n < 20; n++) {
        for (int i = 0; i < 9; i++) {
          double v = images[n * 18 + c * 9 + i];
          sum += v;
          sq += v * v;
        }
      }
      assertEquals(0.0, sum / 180, 1e-5, "channel " + c + " mean");
      assertEquals(1.0, sq / 180, 1e-4, "channel " + c + " variance");
    }
    assertEquals(9, labels[9]);
  }

  @Test
  void cropAndFlipMoveThePixelsAndAreSeeded() {
    float[] src = new float[2 * 3 * 4];
    for (int i = 0; i < src.length; i++) {
      src[i] = i + 1;
    }
    float[] dst = new float[src.length];
    Augmentation.shiftAndFlip(src, 0, dst, 0, 2, 3, 4, 1, -1, false);
    // dst[c][y][x] = src[c][y + 1][x - 1]
    assertEquals(0f, dst[0], "x - 1 < 0 is padding");
    assertEquals(src[4], dst[1]);
    assertEquals(0f, dst[8], "y + 1 = 3 is padding");
    Augmentation.shiftAndFlip(src, 0, dst, 0, 2, 3, 4, 0, 0, true);
    assertEquals(src[3], dst[0], "mirrored row");
    assertEquals(src[12 + 4 + 3], dst[12 + 4 + 0]);

    ImageSet set = ramp(8, new Shape(1, 4, 4));
    Augmentation aug = new Augmentation(1, true);
    Minibatches a = new Minibatches(set, Normalization.unit(1), aug, 3);
    float[] x1 = new float[8 * 16];
    float[] x2 = new float[8 * 16];
    float[] plain = new float[8 * 16];
    int[] labels = new int[8];
    int[] order = a.epochOrder(0);
    a.assemble(order, 0, 8, 5, x1, labels);
    new Minibatches(set, Normalization.unit(1), aug, 3).assemble(order, 0, 8, 5, x2, labels);
    a.assemble(order, 0, 8, -1, plain, labels);
    assertArrayEquals(x1, x2, "augmentation is a function of seed, step and position");
    assertTrue(!Arrays.equals(x1, plain), "augmentation changed something");
  }
}
