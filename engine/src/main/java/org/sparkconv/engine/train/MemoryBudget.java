package org.sparkconv.engine.train;

import java.util.Locale;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkSummary;
import org.sparkconv.engine.optim.OptimizerSpec;

/**
 * Whether a model fits the memory it will get, decided from its spec before anything is
 * allocated, so that an absurd size fails at once with the numbers and what to change instead
 * of an OutOfMemoryError minutes into a run.
 */
public final class MemoryBudget {

  /** The share of the heap a run may plan for; the rest is data, GC headroom and the JVM. */
  static final double USABLE = 0.8;

  private MemoryBudget() {}

  /**
   * Fails unless one JVM can train {@code spec} at {@code batch} and evaluate it at
   * {@code evalBatch} with {@code optimizer} and {@code threads} intra-op threads within
   * {@code heapBytes}: the network's own buffers at the larger of the two batches, plus the
   * optimizer's state.
   */
  public static void requireTrainingFits(NetworkSpec spec, int batch, int evalBatch,
      OptimizerSpec optimizer, int threads, long heapBytes) {
    NetworkSummary training = NetworkSummary.of(spec, batch, threads);
    NetworkSummary evaluation = NetworkSummary.of(spec, evalBatch, threads);
    long slots = slots(optimizer) * training.paramCount() * Float.BYTES;
    long needed = Math.max(training.trainingBytes(), evaluation.trainingBytes()) + slots;
    if (needed > USABLE * heapBytes) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "model '%s' needs about %s"
              + " to train at batch %d and evaluate at batch %d (parameters and gradients %s,"
              + " optimizer state %s, activations %s) but this JVM may plan for %s of its %s"
              + " heap: lower batch_size, use a smaller model, or give the JVM more memory"
              + " (-Xmx, spark.driver.memory)", spec.name(), gib(needed), batch, evalBatch,
          gib(training.parameterBytes()), gib(slots), gib(Math.max(training.activationBytes(),
              evaluation.activationBytes())), gib((long) (USABLE * heapBytes)),
          gib(heapBytes)));
    }
  }

  /**
   * Fails unless a Spark driver can hold {@code spec} within {@code heapBytes}: parameters,
   * gradients and state, the optimizer's state, a snapshot of all three for recovery, and the
   * round's broadcast and summed vector. The driver runs no forward pass.
   */
  public static void requireDriverFits(NetworkSpec spec, OptimizerSpec optimizer,
      long heapBytes) {
    NetworkSummary summary = NetworkSummary.of(spec, 1, 1);
    long params = summary.paramCount() * Float.BYTES;
    long state = summary.stateCount() * Float.BYTES;
    long slots = slots(optimizer) * params;
    long needed = summary.parameterBytes() + slots + (params + state + slots) + 2 * params;
    if (needed > USABLE * heapBytes) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "model '%s' has %,d"
              + " parameters: the Spark driver needs about %s for them, their gradients, the"
              + " optimizer's state, a recovery snapshot and each round's vectors, but may plan"
              + " for %s of its %s heap: raise spark.driver.memory (--driver-memory) or use a"
              + " smaller model", spec.name(), summary.paramCount(), gib(needed),
          gib((long) (USABLE * heapBytes)), gib(heapBytes)));
    }
  }

  /** Arrays parallel to the parameters that {@code optimizer} keeps. */
  static int slots(OptimizerSpec optimizer) {
    return switch (optimizer.type()) {
      case SGD -> optimizer.momentum() > 0f ? 1 : 0;
      case ADAM, ADAMW -> 2;
    };
  }

  static String gib(long bytes) {
    return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
  }
}
