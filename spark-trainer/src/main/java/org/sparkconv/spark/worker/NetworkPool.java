package org.sparkconv.spark.worker;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one per-JVM pool of built networks for training tasks (and evaluation; scoring tasks
 * borrow twins of one network holding the model instead: {@code score.ScoringNetworks}). Building
 * a network allocates its buffers and workspaces, so a task borrows a built one for its model,
 * loads the round's weights into it, and gives it back; a network is never used by two running
 * tasks. The key is the model spec as JSON (the network's shape is all a pooled object depends
 * on). At most {@link #MAX_IDLE} idle workers are kept: giving one back past that evicts the
 * idle ones of the model used least recently, so a long-lived executor that has scored or
 * trained many models does not keep all their buffers.
 */
public final class NetworkPool {

  /** Idle workers kept per JVM: enough for every task slot of a busy executor, twice over. */
  public static final int MAX_IDLE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

  // Access order: the first key is the model used least recently.
  private static final LinkedHashMap<String, ArrayDeque<Worker>> IDLE =
      new LinkedHashMap<>(16, 0.75f, true);
  private static int idleCount;

  private NetworkPool() {}

  /** An idle worker for {@code specJson}, or a new one from {@code build}. */
  public static Worker borrow(String specJson, Supplier<Worker> build) {
    synchronized (IDLE) {
      ArrayDeque<Worker> idle = IDLE.get(specJson);
      if (idle != null && !idle.isEmpty()) {
        idleCount--;
        return idle.pop();
      }
    }
    return build.get();
  }

  /** Gives {@code worker} back for later tasks of the same model. */
  public static void release(String specJson, Worker worker) {
    synchronized (IDLE) {
      IDLE.computeIfAbsent(specJson, k -> new ArrayDeque<>()).push(worker);
      idleCount++;
      for (Iterator<Map.Entry<String, ArrayDeque<Worker>>> it = IDLE.entrySet().iterator();
          idleCount > MAX_IDLE && it.hasNext(); ) {
        ArrayDeque<Worker> eldest = it.next().getValue();
        while (idleCount > MAX_IDLE && !eldest.isEmpty()) {
          eldest.removeLast();
          idleCount--;
        }
        if (eldest.isEmpty()) {
          it.remove();
        }
      }
    }
  }

  /** Idle workers held now (for tests of reuse and eviction). */
  public static int idleCount() {
    synchronized (IDLE) {
      return idleCount;
    }
  }

  /** Idle workers held for {@code specJson}. */
  public static int idleCount(String specJson) {
    synchronized (IDLE) {
      ArrayDeque<Worker> idle = IDLE.get(specJson);
      return idle == null ? 0 : idle.size();
    }
  }
}
