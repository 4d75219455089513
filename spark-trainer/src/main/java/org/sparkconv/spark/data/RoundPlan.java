package org.sparkconv.spark.data;

import java.io.Serializable;
import java.util.SplittableRandom;
import org.sparkconv.engine.data.Shuffle;

/**
 * Which examples every partition uses in every round: a pure function of (seed, epoch, round,
 * partition), computed the same way on the driver (for tests and planning) and on executors.
 *
 * <p>A global minibatch of {@code batch} examples is split over the partitions, partition p
 * taking {@code share(p) = batch / P} (plus one for the first {@code batch % P}). Each epoch,
 * partition p visits its shard in a seeded order; round r takes the r-th run of share(p)
 * examples of that order. An epoch has as many rounds as the smallest shard allows (the
 * remainder waits for the next epoch's order).
 */
public record RoundPlan(int batch, long seed, int[] shardSizes) implements Serializable {

  public RoundPlan {
    long examples = java.util.Arrays.stream(shardSizes).asLongStream().sum();
    if (batch > examples) {
      throw new IllegalArgumentException("batch_size " + batch + " is larger than the "
          + examples + " training examples: lower batch_size (or train_limit leaves too few)");
    }
    if (batch < shardSizes.length) {
      throw new IllegalArgumentException("batch_size " + batch + " is smaller than the "
          + shardSizes.length + " partitions: every partition needs at least one example per"
          + " round (raise batch_size or lower spark.partitions)");
    }
    for (int p = 0; p < shardSizes.length; p++) {
      int share = batch / shardSizes.length + (p < batch % shardSizes.length ? 1 : 0);
      if (shardSizes[p] < share) {
        throw new IllegalArgumentException("partition " + p + " holds " + shardSizes[p]
            + " examples, fewer than its share " + share + " of one batch of " + batch);
      }
    }
  }

  public int partitions() {
    return shardSizes.length;
  }

  /** Examples partition {@code p} contributes to every round. */
  public int share(int p) {
    int partitions = shardSizes.length;
    return batch / partitions + (p < batch % partitions ? 1 : 0);
  }

  /** Rounds (global minibatches) per epoch. */
  public int roundsPerEpoch() {
    int rounds = Integer.MAX_VALUE;
    for (int p = 0; p < shardSizes.length; p++) {
      rounds = Math.min(rounds, shardSizes[p] / share(p));
    }
    return rounds;
  }

  /** Partition {@code p}'s visiting order of its shard in epoch {@code epoch}. */
  public int[] epochOrder(int epoch, int p) {
    return Shuffle.permutation(shardSizes[p], new SplittableRandom(seed
        ^ (epoch * 0x9E3779B97F4A7C15L) ^ ((p + 1L) * 0xC2B2AE3D27D4EB4FL)));
  }

  /** Equal plans give equal orders: compares the shard sizes by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof RoundPlan other && batch == other.batch && seed == other.seed
        && java.util.Arrays.equals(shardSizes, other.shardSizes);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(batch, seed, java.util.Arrays.hashCode(shardSizes));
  }

  /** First index into {@link #epochOrder} used by round {@code round}. */
  public int firstOfRound(int round, int p) {
    return round * share(p);
  }
}
