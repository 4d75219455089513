package org.sparkconv.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sparkconv.engine.data.ImageSet;

/** Splits an image set into one shard of packed blocks per partition. */
final class Sharding {

  /** Images per packed block: large enough for few objects, small enough to ship easily. */
  static final int BLOCK_SIZE = 4096;

  private Sharding() {}

  /**
   * Training shards: a seeded shuffle of the whole set, dealt round-robin, so every partition
   * gets a like mix of classes.
   */
  static List<Shard> dealt(ImageSet set, int partitions, long seed) {
    int[] order = new int[set.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int i = order.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    List<Shard> shards = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      List<Integer> members = new ArrayList<>();
      for (int i = p; i < order.length; i += partitions) {
        members.add(order[i]);
      }
      shards.add(pack(set, p, members));
    }
    return shards;
  }

  /** Evaluation shards: contiguous ranges, in order. */
  static List<Shard> contiguous(ImageSet set, int partitions) {
    List<Shard> shards = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      int from = (int) ((long) set.count() * p / partitions);
      int to = (int) ((long) set.count() * (p + 1) / partitions);
      List<Integer> members = new ArrayList<>();
      for (int i = from; i < to; i++) {
        members.add(i);
      }
      shards.add(pack(set, p, members));
    }
    return shards;
  }

  /** The examples {@code members} of {@code set}, in that order, as partition {@code p}. */
  static Shard pack(ImageSet set, int p, List<Integer> members) {
    int size = set.shape().size();
    int blocks = (members.size() + BLOCK_SIZE - 1) / BLOCK_SIZE;
    DataBlock[] packed = new DataBlock[blocks];
    for (int b = 0; b < blocks; b++) {
      int from = b * BLOCK_SIZE;
      int n = Math.min(BLOCK_SIZE, members.size() - from);
      byte[] pixels = new byte[n * size];
      int[] labels = new int[n];
      for (int k = 0; k < n; k++) {
        int example = members.get(from + k);
        System.arraycopy(set.pixels(), example * size, pixels, k * size, size);
        labels[k] = set.labels()[example];
      }
      packed[b] = new DataBlock(n, size, pixels, labels);
    }
    return new Shard(p, members.size(), BLOCK_SIZE, packed);
  }
}
