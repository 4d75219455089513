package org.sparkconv.spark;

import java.util.SplittableRandom;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.tensor.Shape;

/** Generated labelled images: a bright square in one of four quadrants, plus noise. */
public final class TestImages {

  private TestImages() {}

  public static ImageSet quadrants(int count, int side, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int size = side * side;
    byte[] pixels = new byte[count * size];
    int[] labels = new int[count];
    int half = side / 2;
    for (int n = 0; n < count; n++) {
      int label = rng.nextInt(4);
      labels[n] = label;
      for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
          boolean lit = (y < half) == (label < 2) && (x < half) == (label % 2 == 0);
          pixels[n * size + y * side + x] = (byte) ((lit ? 150 : 30) + rng.nextInt(80));
        }
      }
    }
    return new ImageSet("quadrants", new Shape(1, side, side), count, pixels, labels, 4);
  }
}
