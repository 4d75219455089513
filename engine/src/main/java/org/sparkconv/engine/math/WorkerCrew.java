package org.sparkconv.engine.math;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The daemon workers behind a {@link Parallel}. A range's pieces are dealt in contiguous runs,
 * run b to worker b (the caller is worker 0); each worker runs its own from the front and, when
 * they are done, takes the last piece left in another worker's run, so a thread that runs
 * slower hands its tail to one that runs faster, and without that each keeps its own images
 * (in its own caches) from layer to layer. A layer's pieces take tens of microseconds to a few
 * milliseconds, and a training step hands out over a hundred ranges, so a worker spins for
 * {@link #SPIN_NANOS} after a range, watching for the next, before it parks: a parked worker
 * costs 15-30 us to wake on this project's machine (an executor's submit and a future's get
 * measured 14-38 us a range at two threads), a spinning one about a microsecond. The caller
 * waits the same way. One caller at a time: another that finds the crew busy runs the pieces
 * itself, one after another, each numbered with the worker its run was dealt to, so results do
 * not depend on it.
 */
final class WorkerCrew {

  /** How long a worker (or the waiting caller) spins before it parks. */
  static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  private final Thread[] workers; // index 0 unused: the caller's piece
  private final boolean[] parked; // guarded by itself
  private final ReentrantLock busy = new ReentrantLock();
  private volatile Range current = new Range(0, null, 0, 0, 1, null);

  /**
   * One handed-out range: everything a worker reads of it, published at once. Run b's next
   * piece from the front and its end are packed in {@code runs[b]}: front in the high half,
   * end in the low, so its owner (taking the front) and another worker (taking the back) claim
   * a piece by one compare-and-set each.
   */
  private static final class Range {
    final long number;
    // the task, let go once it is done: a crew shared by every network of a thread count held
    // the last one's pieces (and through them that network) until the next task
    volatile Parallel.Piece piece;
    final int n;
    final int pieces;
    final Thread caller;
    final AtomicLongArray runs;
    final AtomicInteger remaining;
    volatile Throwable failure;

    Range(long number, Parallel.Piece piece, int n, int pieces, int workers, Thread caller) {
      this.number = number;
      this.piece = piece;
      this.n = n;
      this.pieces = pieces;
      this.caller = caller;
      this.runs = new AtomicLongArray(workers);
      for (int b = 0; b < workers; b++) {
        runs.set(b, pack(start(pieces, workers, b), start(pieces, workers, b + 1)));
      }
      this.remaining = new AtomicInteger(pieces);
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
   * Runs {@code piece} over [0, n) in {@code pieces} (at least 2) contiguous pieces and returns
   * when all are done; a piece's exception is rethrown here.
   */
  void run(int n, int pieces, Parallel.Piece piece) {
    int runs = Math.min(workers.length, pieces);
    if (busy.isHeldByCurrentThread() || !busy.tryLock()) { // nested, or another caller's turn
      for (int b = 0; b < runs; b++) {
        for (int p = start(pieces, runs, b); p < start(pieces, runs, b + 1); p++) {
          piece.run(b, p, start(n, pieces, p), start(n, pieces, p + 1));
        }
      }
      return;
    }
    try {
      Range range = new Range(current.number + 1, piece, n, pieces, runs, Thread.currentThread());
      current = range; // publishes the range to the workers
      for (int t = 1; t < workers.length; t++) {
        if (isParked(t)) {
          LockSupport.unpark(workers[t]);
        }
      }
      runPieces(range, 0);
      awaitWorkers(range);
      range.piece = null; // every piece has run; a late worker takes none
      Throwable e = range.failure;
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

  /** Index of part {@code t} of {@code n} split into {@code parts} contiguous parts. */
  static int start(int n, int parts, int t) {
    return (int) ((long) n * t / parts);
  }

  /**
   * Worker t's share of a range: its own run's pieces from the front, then the others' from
   * their backs, until none is left. The first exception is kept for the caller; the pieces
   * after it are claimed and counted but not run.
   */
  private static void runPieces(Range range, int t) {
    int done = 0;
    int runs = range.runs.length();
    for (int p = t < runs ? take(range, t, true) : -1; p >= 0; p = take(range, t, true)) {
      runPiece(range, t, p);
      done++;
    }
    for (int k = 1; k <= runs; k++) { // every other run (a worker past the runs has none)
      int other = (t + k) % runs;
      if (other == t) {
        continue;
      }
      for (int p = take(range, other, false); p >= 0; p = take(range, other, false)) {
        runPiece(range, t, p);
        done++;
      }
    }
    if (done > 0 && range.remaining.addAndGet(-done) == 0 && t != 0) {
      LockSupport.unpark(range.caller);
    }
  }

  private static void runPiece(Range range, int t, int p) {
    if (range.failure != null) {
      return;
    }
    try {
      range.piece.run(t, p, start(range.n, range.pieces, p), start(range.n, range.pieces, p + 1));
    } catch (Throwable e) {
      synchronized (range) {
        if (range.failure == null) {
          range.failure = e;
        }
      }
    }
  }

  /**
   * Claims the first piece left in run b ({@code front}, its owner) or the last (another
   * worker), or returns -1 when the run has none left.
   */
  private static int take(Range range, int b, boolean front) {
    while (true) {
      long v = range.runs.get(b);
      int first = (int) (v >>> 32);
      int end = (int) v;
      if (first >= end) {
        return -1;
      }
      long claimed = front ? pack(first + 1, end) : pack(first, end - 1);
      if (range.runs.compareAndSet(b, v, claimed)) {
        return front ? first : end - 1;
      }
    }
  }

  private static long pack(int front, int end) {
    return ((long) front << 32) | (end & 0xffffffffL);
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
      runPieces(range, t);
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
