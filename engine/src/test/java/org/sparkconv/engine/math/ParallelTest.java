package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Parallel} over its spinning {@link WorkerCrew}: the split and the worker numbers are
 * fixed, every index runs once, a piece's exception reaches the caller (after the other pieces
 * are done) and leaves the crew working, workers that have parked wake for the next range,
 * callers on several threads and calls from inside a piece all complete with the same results.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a lost wake-up hangs
class ParallelTest {

  private static final Duration LIMIT = Duration.ofSeconds(60);

  @Test
  void splitsIntoContiguousPiecesNumberedByWorker() {
    ConcurrentLinkedQueue<int[]> seen = new ConcurrentLinkedQueue<>();
    Parallel.of(3).forRange(10, (t, from, to) -> seen.add(new int[] {t, from, to}));
    List<int[]> pieces = new ArrayList<>(seen);
    pieces.sort((a, b) -> Integer.compare(a[0], b[0]));
    assertEquals(3, pieces.size());
    assertArrayEquals(new int[] {0, 0, 3}, pieces.get(0));
    assertArrayEquals(new int[] {1, 3, 6}, pieces.get(1));
    assertArrayEquals(new int[] {2, 6, 10}, pieces.get(2));
    // fewer indices than threads: one piece each, the other worker idle
    seen.clear();
    Parallel.of(3).forRange(2, (t, from, to) -> seen.add(new int[] {t, from, to}));
    assertEquals(2, seen.size());
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
  void aWorkersExceptionReachesTheCallerAndTheCrewGoesOn() {
    Parallel p = Parallel.of(2);
    IllegalArgumentException thrown = new IllegalArgumentException("piece 1 failed");
    AtomicBoolean callerPieceRan = new AtomicBoolean();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> p.forRange(8, (t, from, to) -> {
          if (t == 1) {
            throw thrown;
          }
          callerPieceRan.set(true);
        }));
    assertSame(thrown, e);
    assertTrue(callerPieceRan.get());
    AtomicLong sum = new AtomicLong();
    p.forRange(8, (t, from, to) -> sum.addAndGet(to - from));
    assertEquals(8, sum.get());
  }

  @Test
  void theCallersExceptionWaitsForTheWorkersPiece() {
    Parallel p = Parallel.of(2);
    AtomicBoolean workerDone = new AtomicBoolean();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> p.forRange(2, (t, from, to) -> {
          if (t == 0) {
            throw new IllegalStateException("piece 0 failed");
          }
          sleep(20);
          workerDone.set(true);
        }));
    assertEquals("piece 0 failed", e.getMessage());
    assertTrue(workerDone.get(), "the worker's piece finished before the caller returned");
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
      assertEquals(2_000 * (45L + 2 * 4), totals[2]);
    });
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
