package org.sparkconv.spark.allreduce;

/**
 * A peer's two neighbours in a ring: it sends only to the next peer and receives only from the
 * previous one. Messages are matched by tag, so either side may run ahead of the other.
 */
public interface RingLink {

  /** Sends {@code source[from, from + length)} to the next peer under {@code tag}. */
  void send(long tag, float[] source, int from, int length);

  /**
   * Waits for the previous peer's message {@code tag} and adds it into (or, without
   * {@code add}, copies it over) {@code target[from, from + length)}.
   */
  void receive(long tag, float[] target, int from, int length, boolean add);
}
