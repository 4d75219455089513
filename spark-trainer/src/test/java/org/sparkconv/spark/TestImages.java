package org.sparkconv.spark;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.tensor.Shape;

/** Generated labelled images: a bright square in one of four quadrants, plus noise. */
public final class TestImages {

  private TestImages() {}

  /**
   * Writes {@code set} as two IDX files (images and labels, plain), the format the Spark
   * trainer's executors read from any Hadoop URI.
   */
  public static void writeIdx(ImageSet set, Path images, Path labels) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
      out.writeInt(0x00000803);
      out.writeInt(set.count());
      out.writeInt(set.shape().height());
      out.writeInt(set.shape().width());
      out.write(set.pixels());
    }
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(labels))) {
      out.writeInt(0x00000801);
      out.writeInt(set.count());
      for (int label : set.labels()) {
        out.writeByte(label);
      }
    }
  }

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
