package org.sparkconv.spark.worker;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;

/**
 * Idle objects kept for reuse, the one given back last lent first, each held through a
 * {@link SoftReference}: an idle network keeps its buffers (GBs for VGG16 at 224x224) only while
 * the heap can spare them. The JVM clears softly held objects before it throws
 * {@link OutOfMemoryError}, and HotSpot keeps one for about a second per free MB of heap since it
 * was last given back, so the networks a job reuses round after round stay while the next job on
 * a long-lived executor (a notebook's) gets their memory back when it needs it. A cleared object
 * is simply not there: its next borrower builds a new one. Not thread-safe: the pools that own
 * one lock around it.
 */
public final class SoftStack<T> {

  private final ArrayDeque<SoftReference<T>> held = new ArrayDeque<>();

  /** Keeps {@code idle} for reuse. */
  public void push(T idle) {
    held.push(new SoftReference<>(idle));
  }

  /** The object pushed last that the collector has not cleared (dropping cleared ones), or null. */
  public T pop() {
    while (!held.isEmpty()) {
      T idle = held.pop().get();
      if (idle != null) {
        return idle;
      }
    }
    return null;
  }

  /** Objects still held, after dropping the cleared ones. */
  public int size() {
    held.removeIf(r -> r.get() == null);
    return held.size();
  }

  /** Lets go of the object pushed first (the oldest), if any is held. */
  public void dropOldest() {
    held.pollLast();
  }
}
