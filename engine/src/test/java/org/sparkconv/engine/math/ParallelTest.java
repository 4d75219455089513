package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Parallel} over its spinning {@link WorkerCrew}: the pieces are fixed and contiguous,
 * every index runs once, no worker runs two pieces at once, a worker whose own pieces are done
 * takes the last ones of a slower worker, a piece's exception reaches the caller (after the
 * pieces running are done) and leaves the crew working, workers that have parked wake for the
 * next range, callers on several threads and calls from inside a piece all complete with the
 * same results.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a lost wake-up hangs
class ParallelTest {

  private static final Duration LIMIT = Duration.ofSeconds(60);

  @Test
  void splitsIntoContiguousNumberedPiecesUpToFourAThread() {
    Parallel p = Parallel.of(3);
    assertEquals(10, p.pieces(10));
    assertEquals(12, p.pieces(64));
    assertEquals(1, Parallel.of(1).pieces(64), "one thread: one piece, as a plain loop");
    ConcurrentLinkedQueue<int[]> seen = new ConcurrentLinkedQueue<>();
    p.forPieces(64, (t, piece, from, to) -> seen.add(new int[] {piece, from, to, t}));
    List<int[]> pieces = new ArrayList<>(seen);
    pieces.sort((a, b) -> Integer.compare(a[0], b[0]));
    assertEquals(12, pieces.size());
    int next = 0;
    for (int k = 0; k < 12; k++) {
      int[] piece = pieces.get(k);
      assertEquals(k, piece[0]);
      assertEquals(next, piece[1], "piece " + k + " starts where the one before ended");
      assertEquals(64 * (k + 1) / 12, piece[2]);
      assertTrue(piece[3] >= 0 && piece[3] < 3, "worker " + piece[3]);
      next = piece[2];
    }
    // fewer indices than threads: one piece each, the other worker idle
    seen.clear();
    p.forRange(2, (t, from, to) -> seen.add(new int[] {t, from, to}));
    assertEquals(2, seen.size());
    // at most 3 pieces (one a thread), the same split by thirds
    assertEquals(3, p.pieces(64, 3));
    assertEquals(12, p.pieces(64, 40), "never more than four a thread");
    assertEquals(2, p.pieces(2, 3));
    seen.clear();
    p.forPieces(64, 3, (t, piece, from, to) -> seen.add(new int[] {piece, from, to}));
    List<int[]> thirds = new ArrayList<>(seen);
    thirds.sort((a, b) -> Integer.compare(a[0], b[0]));
    assertEquals(3, thirds.size());
    for (int k = 0; k < 3; k++) {
      assertEquals(64 * k / 3, thirds.get(k)[1], "third " + k + " from");
      assertEquals(64 * (k + 1) / 3, thirds.get(k)[2], "third " + k + " to");
    }
  }

  @Test
  void noWorkerRunsTwoPiecesAtOnce() {
    assertTimeoutPreemptively(LIMIT, () -> {
      Parallel p = Parallel.of(2);
      AtomicIntegerArray running = new AtomicIntegerArray(2);
      AtomicBoolean overlapped = new AtomicBoolean();
      for (int call = 0; call < 2_000; call++) {
        p.forRange(64, (t, from, to) -> {
          if (running.incrementAndGet(t) != 1) {
            overlapped.set(true);
          }
          Thread.onSpinWait();
          running.decrementAndGet(t);
        });
      }
      assertFalse(overlapped.get(), "a worker's scratch space would be shared");
    });
  }

  @Test
  void aWorkerDoneWithItsOwnPiecesTakesTheLastOfAnother() {
    assertTimeoutPreemptively(LIMIT, () -> {
      Parallel p = Parallel.of(2);
      int[] ranBy = new int[8];
      // pieces 0-3 are dealt to the caller, 4-7 to the worker: the worker's are slow
      p.forPieces(8, (t, piece, from, to) -> {
        ranBy[piece] = t;
        if (piece >= 4) {
          sleep(30);
        }
      });
      assertEquals(0, ranBy[0]);
      assertEquals(0, ranBy[7], "the caller took the slow worker's last piece");
    });
  }

  @Test
  void manyRangesInARowEachRunEveryIndexOnce() {
    assertTimeoutPreemptively(LIMIT, () -> {
      Parallel p = Parallel.of(2);
      AtomicLongArray counts = new AtomicLongArray(37);
      for (int call = 0; call < 20_000; call++) {
        p.forRange(37, (t, from, to) -> {
          for (int i = from; i < to; i++) {
            counts.incrementAndGet(i);
          }
        });
      }
      for (int i = 0; i < 37; i++) {
        assertEquals(20_000, counts.get(i), "index " + i);
      }
    });
  }

  @Test
  void parkedWorkersWakeForTheNextRange() {
    assertTimeoutPreemptively(LIMIT, () -> {
      Parallel p = Parallel.of(2);
      AtomicLong sum = new AtomicLong();
      for (int call = 0; call < 30; call++) {
        Thread.sleep(1 + call % 3); // past the spin: the worker parks between calls
        p.forRange(4, (t, from, to) -> sum.addAndGet(to - from));
      }
      assertEquals(120, sum.get());
    });
  }

  @Test
  void aPiecesExceptionReachesTheCallerAndTheCrewGoesOn() {
    Parallel p = Parallel.of(2);
    IllegalArgumentException thrown = new IllegalArgumentException("piece 5 failed");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.forPieces(8, (t, piece, from, to) -> {
          if (piece == 5) {
            throw thrown;
          }
        }));
    assertSame(thrown, e);
    AtomicLong sum = new AtomicLong();
    p.forRange(8, (t, from, to) -> sum.addAndGet(to - from));
    assertEquals(8, sum.get());
  }

  @Test
  void anExceptionWaitsForThePiecesRunning() {
    Parallel p = Parallel.of(2);
    AtomicBoolean otherDone = new AtomicBoolean();
    CountDownLatch otherStarted = new CountDownLatch(1);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> p.forPieces(2, (t, piece, from, to) -> {
          if (piece == 0) {
            await(otherStarted); // piece 1 is running on the worker when piece 0 throws
            throw new IllegalStateException("piece 0 failed");
          }
          otherStarted.countDown();
          sleep(20);
          otherDone.set(true);
        }));
    assertEquals("piece 0 failed", e.getMessage());
    assertTrue(otherDone.get(), "the running piece finished before the caller returned");
  }

  @Test
  void callersOnSeveralThreadsAndNestedCallsAllComplete() {
    assertTimeoutPreemptively(LIMIT, () -> {
      Parallel p = Parallel.of(2);
      long[] totals = new long[3];
      Thread[] callers = new Thread[3];
      for (int c = 0; c < callers.length; c++) {
        int caller = c;
        callers[c] = new Thread(() -> {
          for (int call = 0; call < 2_000; call++) {
            AtomicLong sum = new AtomicLong();
            p.forRange(10, (t, from, to) -> {
              for (int i = from; i < to; i++) {
                sum.addAndGet(i);
              }
              if (caller == 2) { // a range from inside a piece runs there, in order
                p.forRange(4, (t2, f2, e2) -> sum.addAndGet(e2 - f2));
              }
            });
            totals[caller] += sum.get();
          }
        });
        callers[c].start();
      }
      for (Thread t : callers) {
        t.join();
      }
      assertEquals(2_000 * 45L, totals[0]);
      assertEquals(2_000 * 45L, totals[1]);
      assertEquals(2_000 * (45L + p.pieces(10) * 4), totals[2]);
    });
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
