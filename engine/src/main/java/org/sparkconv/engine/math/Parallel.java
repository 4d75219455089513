package org.sparkconv.engine.math;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Intra-op parallelism: splits a range (the images of a batch) into contiguous pieces, up to
 * {@link #PIECES_PER_THREAD} a thread, that the threads share out as they go: each starts on
 * its own run of pieces, in order, and one that runs out takes the last piece left in another's.
 * On a machine whose cores do not keep one speed (a shared host) a fixed half each left the
 * faster thread waiting on the slower one: the caller waited 10-19% of a ResNet-20 training
 * step at two threads on this project's machine, 3-4% with the pieces shared. One instance per
 * thread count, sharing one {@link WorkerCrew} of daemon workers that spin briefly between
 * ranges; a network gets its instance from its {@link ComputeContext}, by default
 * {@link #configured()} threads ({@code sparkconv.threads} or {@code SPARKCONV_THREADS},
 * default 1: no extra threads). Which worker runs a piece varies from run to run, so a piece
 * may use the worker number only to pick scratch space; a sum across pieces goes through
 * {@link #forPieces}, one partial per piece added in piece order, so for a fixed thread count
 * results are deterministic. With several threads, keep BLAS single-threaded
 * ({@code OPENBLAS_NUM_THREADS=1}) so the two do not oversubscribe cores.
 */
public final class Parallel {

  /** Pieces a range is split into at most, per thread. */
  public static final int PIECES_PER_THREAD = 4;

  /**
   * Work on the half-open range [from, to) by worker {@code thread}, which the work may use
   * only to pick its scratch space (no two pieces run on one worker at once).
   */
  @FunctionalInterface
  public interface Chunk {
    void run(int thread, int from, int to);
  }

  /** A {@link Chunk} that also knows which piece it is: piece {@code piece} of the range. */
  @FunctionalInterface
  public interface Piece {
    void run(int thread, int piece, int from, int to);
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
   * Runs {@code chunk} over [0, n) in {@link #pieces} contiguous pieces, shared out among the
   * threads as {@link Parallel} says; the calling thread is worker 0. Returns when all pieces
   * are done, rethrowing a piece's exception. A caller that finds the workers busy with another
   * caller's range (or calls from inside a piece) runs every piece itself, in order, with the
   * same split.
   */
  public void forRange(int n, Chunk chunk) {
    forPieces(n, (thread, piece, from, to) -> chunk.run(thread, from, to));
  }

  /**
   * {@link #forRange}, telling each piece its number (from 0, in the order of the range) out of
   * {@link #pieces}{@code (n)}.
   */
  public void forPieces(int n, Piece piece) {
    forPieces(n, maxPieces(threads), piece);
  }

  /**
   * {@link #forPieces} in at most {@code most} pieces ({@link #pieces(int, int)}): for a pass
   * whose pieces each fill and sum a partial large against their work.
   */
  public void forPieces(int n, int most, Piece piece) {
    int pieces = pieces(n, most);
    if (pieces <= 1) {
      piece.run(0, 0, 0, n);
      return;
    }
    crew.run(n, pieces, piece);
  }

  /**
   * {@code into[at + i] += parts[p][from + i]} for {@code i < length}, each element's parts
   * {@code p = 1 .. pieces - 1} added in piece order (part 0 being {@code into} itself, written
   * by piece 0): the per-piece sums of a {@link #forPieces} pass made one, the same for a thread
   * count whichever worker ran a piece. The elements are split among the threads.
   */
  public void addPieces(float[][] parts, int pieces, int from, int length, float[] into,
      int at) {
    if (pieces <= 1 || length == 0) {
      return;
    }
    forRange(length, (t, first, last) -> {
      for (int p = 1; p < pieces; p++) {
        float[] part = parts[p];
        for (int i = first; i < last; i++) {
          into[at + i] += part[from + i];
        }
      }
    });
  }

  /** How many pieces a range of {@code n} is split into: 1 on one thread. */
  public int pieces(int n) {
    return pieces(n, maxPieces(threads));
  }

  /** {@link #pieces(int)} with at most {@code most} pieces. */
  public int pieces(int n, int most) {
    return Math.max(1, Math.min(n, Math.min(most, maxPieces(threads))));
  }

  /** The most pieces a range is split into on {@code threads} threads. */
  public static int maxPieces(int threads) {
    return threads == 1 ? 1 : threads * PIECES_PER_THREAD;
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
