package org.sparkconv.engine.math;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;

/**
 * Intra-op parallelism: splits a range (the images of a batch) into one contiguous chunk per
 * thread. One instance per thread count, sharing one pool of daemon workers; a network gets its
 * instance from its {@link ComputeContext}, by default {@link #configured()} threads
 * ({@code sparkconv.threads} or {@code SPARKCONV_THREADS}, default 1: no extra threads). Chunk t
 * always goes to worker t, so for a fixed thread count results are deterministic. With several
 * threads, keep BLAS single-threaded ({@code OPENBLAS_NUM_THREADS=1}) so the two do not oversubscribe cores.
 */
public final class Parallel {

  /** Work on the half-open range [from, to) by worker {@code thread}. */
  @FunctionalInterface
  public interface Chunk {
    void run(int thread, int from, int to);
  }

  private static final ConcurrentHashMap<Integer, Parallel> BY_THREADS =
      new ConcurrentHashMap<>();

  private final int threads;
  private final ExecutorService pool;

  private Parallel(int threads) {
    this.threads = threads;
    this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, daemonThreads()) : null;
  }

  /** The instance for {@code threads} threads (one pool per count, made on first use). */
  public static Parallel of(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("intra-op threads must be at least 1, got " + threads);
    }
    return BY_THREADS.computeIfAbsent(threads, Parallel::new);
  }

  /** Threads one operation may use. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code chunk} over [0, n) in {@code threads()} contiguous pieces (fewer if n is
   * smaller); the calling thread runs piece 0. Returns when all pieces are done.
   */
  public void forRange(int n, Chunk chunk) {
    int pieces = Math.min(threads, n);
    if (pieces <= 1) {
      chunk.run(0, 0, n);
      return;
    }
    @SuppressWarnings("unchecked")
    Future<?>[] others = new Future<?>[pieces - 1];
    for (int t = 1; t < pieces; t++) {
      int thread = t;
      others[t - 1] = pool.submit(() -> chunk.run(thread, start(n, pieces, thread),
          start(n, pieces, thread + 1)));
    }
    chunk.run(0, 0, start(n, pieces, 1));
    for (Future<?> f : others) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a worker", e);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  private static int start(int n, int pieces, int t) {
    return (int) ((long) n * t / pieces);
  }

  /** The thread count the system property or environment sets; 1 when neither does. */
  public static int configured() {
    String s = ComputeContext.setting("threads");
    if (s == null || s.isBlank()) {
      return 1;
    }
    try {
      int t = Integer.parseInt(s.trim());
      if (t < 1) {
        throw new NumberFormatException();
      }
      return t;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "setting 'sparkconv.threads'"
          + " must be a positive integer, got '%s'", s));
    }
  }

  private static ThreadFactory daemonThreads() {
    return r -> {
      Thread t = new Thread(r, "sparkconv-intra-op");
      t.setDaemon(true);
      return t;
    };
  }
}
