package org.sparkconv.engine.data;

import java.util.SplittableRandom;

/**
 * The one seeded shuffle of the code base: a Fisher-Yates permutation of {@code 0..n-1}. Epoch
 * orders (single JVM and per Spark partition) and the dealing of examples to partitions all draw
 * from it, so that the same generator state gives the same order everywhere.
 */
public final class Shuffle {

  private Shuffle() {}

  /** A uniformly random permutation of {@code 0..n-1} drawn from {@code rng}. */
  public static int[] permutation(int n, SplittableRandom rng) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
