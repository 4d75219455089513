package org.sparkconv.spark.worker;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one per-JVM pool of built networks for training tasks (and evaluation; scoring tasks
 * borrow twins of one network holding the model instead: {@code score.ScoringNetworks}).
 * Building a network allocates its buffers and workspaces, so a task borrows a built one for
 * its model, points it at the round's weights (or copies them in), and gives it back; a network
 * is never used by two running tasks. The key is the model spec as JSON (the network's shape
 * is all a pooled object depends on). At most {@link #MAX_IDLE} idle workers are kept: giving
 * one back past that evicts the idle ones of the model used least recently, so a long-lived
 * executor that has scored or trained many models does not keep all their buffers. Idle
 * workers are held softly ({@link SoftStack}): when the executor's heap runs short, the
 * collector takes them back before a task would fail for want of memory.
 */
public final class NetworkPool {

  /** Idle workers kept per JVM: enough for every task slot of a busy executor, twice over. */
  public static final int MAX_IDLE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

  // Access order: the first key is the model used least recently.
  private static final LinkedHashMap<String, SoftStack<Worker>> IDLE =
      new LinkedHashMap<>(16, 0.75f, true);

  private NetworkPool() {}

  /** An idle worker for {@code specJson}, or a new one from {@code build}. */
  public static Worker borrow(String specJson, Supplier<Worker> build) {
    synchronized (IDLE) {
      SoftStack<Worker> idle = IDLE.get(specJson);
      Worker worker = idle == null ? null : idle.pop();
      if (worker != null) {
        return worker;
      }
    }
    return build.get();
  }

  /** Gives {@code worker} back for later tasks of the same model. */
  public static void release(String specJson, Worker worker) {
    synchronized (IDLE) {
      IDLE.computeIfAbsent(specJson, k -> new SoftStack<>()).push(worker);
      int held = idleCount();
      for (Iterator<Map.Entry<String, SoftStack<Worker>>> it = IDLE.entrySet().iterator();
          held > MAX_IDLE && it.hasNext(); ) {
        SoftStack<Worker> eldest = it.next().getValue();
        while (held > MAX_IDLE && eldest.size() > 0) {
          eldest.dropOldest();
          held--;
        }
        if (eldest.size() == 0) {
          it.remove();
        }
      }
    }
  }

  /** Idle workers held now, not counting those the collector took (for tests). */
  public static int idleCount() {
    synchronized (IDLE) {
      return IDLE.values().stream().mapToInt(SoftStack::size).sum();
    }
  }

  /**
   * Idle workers held for {@code specJson}. Read through the entries, not {@code get}: in an
   * access-ordered map a lookup counts as a use and would move the model behind the others
   * in the eviction order.
   */
  public static int idleCount(String specJson) {
    synchronized (IDLE) {
      for (Map.Entry<String, SoftStack<Worker>> e : IDLE.entrySet()) {
        if (e.getKey().equals(specJson)) {
          return e.getValue().size();
        }
      }
      return 0;
    }
  }
}
