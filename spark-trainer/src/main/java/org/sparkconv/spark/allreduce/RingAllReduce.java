package org.sparkconv.spark.allreduce;

/**
 * Element-wise sum of one vector over n peers arranged in a ring, every peer ending with the
 * same bits: a reduce-scatter (n - 1 steps; each peer sends one n-th of the vector to the next
 * and adds the previous peer's n-th into its own, until each n-th has been summed completely at
 * one peer) then an all-gather (n - 1 steps passing the finished n-ths round). Each peer sends
 * and receives 2 (n - 1) / n of the vector in all, whatever n is; each n-th is summed in one
 * place in one order, so all replicas receive identical floats.
 */
public final class RingAllReduce {

  private RingAllReduce() {}

  /**
   * Replaces {@code v} by the sum of every peer's {@code v}; {@code rank} is this peer's place
   * in the ring of {@code peers}, {@code round} numbers the collective (the tags of its
   * messages), and every peer must call with the same length and round.
   */
  public static void sum(float[] v, int rank, int peers, RingLink link, long round) {
    if (peers == 1) {
      return;
    }
    if (rank < 0 || rank >= peers) {
      throw new IllegalArgumentException("rank " + rank + " is not in a ring of " + peers);
    }
    for (int s = 0; s < peers - 1; s++) {
      int out = Math.floorMod(rank - s, peers);
      int in = Math.floorMod(rank - s - 1, peers);
      long tag = tag(round, 0, s, peers);
      link.send(tag, v, start(out, v.length, peers), length(out, v.length, peers));
      link.receive(tag, v, start(in, v.length, peers), length(in, v.length, peers), true);
    }
    for (int s = 0; s < peers - 1; s++) {
      int out = Math.floorMod(rank + 1 - s, peers);
      int in = Math.floorMod(rank - s, peers);
      long tag = tag(round, 1, s, peers);
      link.send(tag, v, start(out, v.length, peers), length(out, v.length, peers));
      link.receive(tag, v, start(in, v.length, peers), length(in, v.length, peers), false);
    }
  }

  private static long tag(long round, int phase, int step, int peers) {
    return (round * 2 + phase) * peers + step;
  }

  /** Where the {@code chunk}-th of {@code peers} nearly equal pieces of a vector starts. */
  static int start(int chunk, int length, int peers) {
    return (int) ((long) length * chunk / peers);
  }

  static int length(int chunk, int length, int peers) {
    return start(chunk + 1, length, peers) - start(chunk, length, peers);
  }
}
