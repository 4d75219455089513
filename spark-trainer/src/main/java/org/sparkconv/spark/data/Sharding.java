package org.sparkconv.spark.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Shuffle;
import org.sparkconv.spark.wire.DataBlock;
import org.sparkconv.spark.wire.Shard;

/** Splits an image set into one shard of packed blocks per partition. */
public final class Sharding {

  /** Images per packed block: large enough for few objects, small enough to ship easily. */
  static final int BLOCK_SIZE = 4096;

  private Sharding() {}

  /**
   * Training shards: a seeded shuffle of the whole set, dealt round-robin, so every partition
   * gets a like mix of classes.
   */
  public static List<Shard> dealt(ImageSet set, int partitions, long seed) {
    List<Shard> shards = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      shards.add(dealt(set, partitions, seed, p));
    }
    return shards;
  }

  /** Partition {@code p}'s shard of {@link #dealt(ImageSet, int, long)}, computed alone. */
  public static Shard dealt(ImageSet set, int partitions, long seed, int p) {
    int[] order = Shuffle.permutation(set.count(), new SplittableRandom(seed ^ 0x5DEECE66DL));
    List<Integer> members = new ArrayList<>();
    for (int i = p; i < order.length; i += partitions) {
      members.add(order[i]);
    }
    return pack(set, p, members);
  }

  /** Evaluation shards: contiguous ranges, in order. */
  public static List<Shard> contiguous(ImageSet set, int partitions) {
    List<Shard> shards = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      shards.add(contiguous(set, partitions, p));
    }
    return shards;
  }

  /** Partition {@code p}'s shard of {@link #contiguous(ImageSet, int)}, computed alone. */
  public static Shard contiguous(ImageSet set, int partitions, int p) {
    List<Integer> members = new ArrayList<>();
    for (int i = rangeStart(set.count(), partitions, p);
        i < rangeStart(set.count(), partitions, p + 1); i++) {
      members.add(i);
    }
    return pack(set, p, members);
  }

  /** Where partition {@code p}'s contiguous range of {@code count} examples starts. */
  static int rangeStart(int count, int partitions, int p) {
    return (int) ((long) count * p / partitions);
  }

  /** The examples {@code members} of {@code set}, in that order, as partition {@code p}. */
  static Shard pack(ImageSet set, int p, List<Integer> members) {
    int size = set.shape().size();
    return pack(p, members.size(), size, (i, dst, off) -> {
      int example = members.get(i);
      System.arraycopy(set.pixels(), example * size, dst, off, size);
      return set.labels()[example];
    });
  }

  /** Where a shard's examples come from: copies example i's pixels, returns its label. */
  @FunctionalInterface
  interface Examples {
    int copy(int index, byte[] dst, int dstOff);
  }

  /** {@code count} examples of {@code imageSize} bytes as partition {@code p}'s shard. */
  static Shard pack(int p, int count, int imageSize, Examples examples) {
    int blocks = (count + BLOCK_SIZE - 1) / BLOCK_SIZE;
    DataBlock[] packed = new DataBlock[blocks];
    for (int b = 0; b < blocks; b++) {
      int from = b * BLOCK_SIZE;
      int n = Math.min(BLOCK_SIZE, count - from);
      byte[] pixels = new byte[n * imageSize];
      int[] labels = new int[n];
      for (int k = 0; k < n; k++) {
        labels[k] = examples.copy(from + k, pixels, k * imageSize);
      }
      packed[b] = new DataBlock(n, imageSize, pixels, labels);
    }
    return new Shard(p, count, BLOCK_SIZE, packed);
  }
}
