package org.sparkconv.engine.math;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The daemon workers behind a {@link Parallel}: worker t (from 1) runs piece t of each range the
 * caller hands out, and the caller runs piece 0. A layer's pieces take tens of microseconds to a
 * few milliseconds, and a training step hands out over a hundred of them, so a worker spins for
 * {@link #SPIN_NANOS} after its piece, watching for the next, before it parks: a parked
 * worker costs 15-30 us to wake on this project's machine (an executor's submit and a future's
 * get measured 14-38 us a range at two threads), a spinning one about a microsecond. The caller
 * waits the same way. One caller at a time: another that finds the crew busy runs its pieces
 * itself, one after another, with the same split and the same worker numbers, so results do not
 * depend on it.
 */
final class WorkerCrew {

  /** How long a worker (or the waiting caller) spins before it parks. */
  static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  private final Thread[] workers; // index 0 unused: the caller's piece
  private final boolean[] parked; // guarded by itself
  private final ReentrantLock busy = new ReentrantLock();
  private volatile Range current = new Range(0, null, 0, 0, null);

  /** One handed-out range: everything a worker reads of it, published at once. */
  private static final class Range {
    final long number;
    final Parallel.Chunk chunk;
    final int n;
    final int pieces;
    final Thread caller;
    final AtomicInteger remaining;
    volatile Throwable failure;

    Range(long number, Parallel.Chunk chunk, int n, int pieces, Thread caller) {
      this.number = number;
      this.chunk = chunk;
      this.n = n;
      this.pieces = pieces;
      this.caller = caller;
      this.remaining = new AtomicInteger(Math.max(0, pieces - 1));
    }
  }

  WorkerCrew(int threads) {
    this.workers = new Thread[threads];
    this.parked = new boolean[threads];
    for (int t = 1; t < threads; t++) {
      int index = t;
      Thread w = new Thread(() -> work(index), "sparkconv-intra-op-" + t);
      w.setDaemon(true);
      workers[t] = w;
      w.start();
    }
  }

  /**
   * Runs {@code chunk} over [0, n) in {@code pieces} (at most the crew's threads) contiguous
   * pieces and returns when all are done; a piece's exception is rethrown here.
   */
  void run(int n, int pieces, Parallel.Chunk chunk) {
    if (busy.isHeldByCurrentThread() || !busy.tryLock()) { // nested, or another caller's turn
      for (int t = 0; t < pieces; t++) {
        chunk.run(t, start(n, pieces, t), start(n, pieces, t + 1));
      }
      return;
    }
    try {
      Range range = new Range(current.number + 1, chunk, n, pieces, Thread.currentThread());
      current = range; // publishes the range to the workers
      for (int t = 1; t < pieces; t++) {
        if (isParked(t)) {
          LockSupport.unpark(workers[t]);
        }
      }
      Throwable own = null;
      try {
        chunk.run(0, 0, start(n, pieces, 1));
      } catch (Throwable e) {
        own = e;
      }
      awaitWorkers(range);
      Throwable e = own != null ? own : range.failure;
      if (e instanceof RuntimeException r) {
        throw r;
      } else if (e instanceof Error err) {
        throw err;
      } else if (e != null) {
        throw new IllegalStateException(e);
      }
    } finally {
      busy.unlock();
    }
  }

  static int start(int n, int pieces, int t) {
    return (int) ((long) n * t / pieces);
  }

  private static void awaitWorkers(Range range) {
    long spinUntil = System.nanoTime() + SPIN_NANOS;
    while (range.remaining.get() > 0) {
      if (System.nanoTime() < spinUntil) {
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(range, TimeUnit.MICROSECONDS.toNanos(50));
      }
    }
  }

  private void work(int t) {
    long seen = 0;
    while (true) {
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      Range range;
      while ((range = current).number == seen) {
        if (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
          continue;
        }
        setParked(t, true);
        if (current.number == seen) { // re-read after announcing: no wake-up is lost
          LockSupport.park(this);
        }
        setParked(t, false);
      }
      seen = range.number;
      if (t < range.pieces) {
        try {
          range.chunk.run(t, start(range.n, range.pieces, t),
              start(range.n, range.pieces, t + 1));
        } catch (Throwable e) {
          range.failure = e;
        }
        if (range.remaining.decrementAndGet() == 0) {
          LockSupport.unpark(range.caller);
        }
      }
    }
  }

  private boolean isParked(int t) {
    synchronized (parked) {
      return parked[t];
    }
  }

  private void setParked(int t, boolean value) {
    synchronized (parked) {
      parked[t] = value;
    }
  }
}
