package org.sparkconv.engine.math;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Intra-op parallelism: splits a range (the images of a batch) into one contiguous chunk per
 * thread. One instance per thread count, sharing one {@link WorkerCrew} of daemon workers that
 * spin briefly between ranges; a network gets its instance from its {@link ComputeContext}, by
 * default {@link #configured()} threads
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
  private final WorkerCrew crew;

  private Parallel(int threads) {
    this.threads = threads;
    this.crew = threads > 1 ? new WorkerCrew(threads) : null;
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
   * smaller); the calling thread runs piece 0. Returns when all pieces are done, rethrowing a
   * piece's exception. A caller that finds the workers busy with another caller's range (or
   * calls from inside a piece) runs every piece itself, in order, with the same split.
   */
  public void forRange(int n, Chunk chunk) {
    int pieces = Math.min(threads, n);
    if (pieces <= 1) {
      chunk.run(0, 0, n);
      return;
    }
    crew.run(n, pieces, chunk);
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

}
