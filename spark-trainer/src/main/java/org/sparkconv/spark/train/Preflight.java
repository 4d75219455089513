package org.sparkconv.spark.train;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;
import org.sparkconv.engine.net.InferenceFootprint;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkSummary;
import org.sparkconv.engine.net.ParamLayout;

/**
 * Checks, before the first round, that the job fits what Spark was given, and fails with the
 * numbers and the setting to change instead of an out-of-memory error halfway through.
 */
public final class Preflight {

  /** The share of an executor's heap a job may plan for; the rest is Spark's and the JVM's. */
  static final double USABLE = 0.6;

  private Preflight() {}

  /**
   * @param summary the model's costs for one partition's share of a round, from its spec
   * @param tasksStep whether the tasks step an optimizer, so hold parameters and optimizer
   *     state of their own, or read the broadcast's ({@link SparkSettings#tasksStep})
   * @param slots the optimizer's slots (arrays of the parameters' size)
   * @param resultBytes bytes one partition returns per round
   * @param concurrentTasks tasks that may run at once in one executor JVM
   * @param executorMemoryBytes heap of one executor (the driver's in local mode)
   * @param shardBytes cached training and test data per partition
   */
  public static void check(NetworkSummary summary, boolean tasksStep, int slots, long resultBytes,
      int partitions, int depth, SparkConf conf, int concurrentTasks, long executorMemoryBytes,
      long shardBytes) {
    long maxResult = JavaUtils.byteStringAsBytes(conf.get("spark.driver.maxResultSize", "1g"));
    // treeAggregate brings about P^(1/depth) partial sums to the driver at its last level.
    long arriving = Math.max(2, (long) Math.ceil(Math.pow(partitions, 1.0 / depth)));
    if (depth == 1) {
      arriving = partitions;
    }
    if (maxResult > 0 && resultBytes * arriving > maxResult) {
      throw new IllegalStateException(String.format(Locale.ROOT, "the model's %s per partition"
              + " times the %d results that reach the driver exceeds spark.driver.maxResultSize"
              + " (%s): raise spark.driver.maxResultSize or spark.tree_depth", mib(resultBytes),
          arriving, mib(maxResult)));
    }
    long task = taskBytes(summary, tasksStep, slots);
    long needed = concurrentTasks * (task + 2 * resultBytes + shardBytes)
        + broadcastBytes(summary, tasksStep, slots);
    long usable = (long) (executorMemoryBytes * USABLE);
    if (needed > usable) {
      throw new IllegalStateException(String.format(Locale.ROOT, "an executor would need about"
              + " %s (%d concurrent tasks x (%s for the model, activations and workspaces at"
              + " %d examples per partition + %s of cached data)) but has %s usable of %s heap:"
              + " set spark.executor.memory to at least %s for a batch of %d per partition,"
              + " lower spark.executor.cores, or lower batch_size",
          mib(needed), concurrentTasks, mib(task), summary.batch(),
          mib(shardBytes), mib(usable), mib(executorMemoryBytes), memorySetting(needed),
          summary.batch()));
    }
  }

  /**
   * Bytes one training task holds from its network's costs at its share of a round
   * ({@code summary}: activations, workspaces, gradients, state, parameters): a task that takes
   * optimizer steps also holds {@code slots} optimizer slots of its own, one that does not
   * reads the broadcast's parameters instead of holding its own ({@code Worker.withModel}).
   */
  static long taskBytes(NetworkSummary summary, boolean tasksStep, int slots) {
    long params = (long) summary.paramCount() * Float.BYTES;
    return summary.trainingBytes() + (tasksStep ? slots * params : -params);
  }

  /**
   * Bytes of a round's broadcast, deserialised once per executor: parameters and state, and the
   * optimizer slots where the tasks step.
   */
  static long broadcastBytes(NetworkSummary summary, boolean tasksStep, int slots) {
    long params = (long) summary.paramCount() * Float.BYTES;
    return params * (1 + (tasksStep ? slots : 0)) + (long) summary.stateCount() * Float.BYTES;
  }

  /**
   * Fails unless an executor can score with a model of {@code spec} at {@code batch} images a
   * minibatch: {@code concurrentTasks} networks on {@code threads} threads each, twins of one
   * that holds the model's weights, each with what {@code Network.infer} holds for the batch
   * ({@link InferenceFootprint}) less what twins share, and the batch's images (the rows' bytes
   * and the floats they become); what the twins share once, and the broadcast model once. The
   * message gives the largest batch that fits, or the memory the model needs at one image, and
   * names the batch by {@code batchSetting} (the option or parameter that set it).
   */
  public static void checkScoring(NetworkSpec spec, int batch, String batchSetting,
      int threads, int concurrentTasks, long executorMemoryBytes) {
    long usable = (long) (executorMemoryBytes * USABLE);
    long needed = scoringBytes(spec, batch, threads, concurrentTasks);
    if (needed <= usable) {
      return;
    }
    int fits = 0; // the largest batch that fits, by bisection (the bytes grow with the batch)
    for (int low = 1, high = batch - 1; low <= high; ) {
      int mid = (int) (((long) low + high) / 2);
      if (scoringBytes(spec, mid, threads, concurrentTasks) <= usable) {
        fits = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    long oneImage = scoringBytes(spec, 1, threads, concurrentTasks);
    String change = fits > 0
        ? String.format(Locale.ROOT, "use %s %d or less, or set spark.executor.memory to at"
            + " least %s", batchSetting, fits, memorySetting(needed))
        : String.format(Locale.ROOT, "even one image a minibatch needs %s: set"
            + " spark.executor.memory to at least %s or lower spark.executor.cores",
            mib(oneImage), memorySetting(oneImage));
    throw new IllegalStateException(String.format(Locale.ROOT, "scoring with model '%s' at"
            + " %s %d would need about %s an executor (%d concurrent tasks, each a"
            + " network on %d threads with its buffers and a minibatch of images, the weights"
            + " they share, and the broadcast model) but it has %s usable of %s heap: %s",
        spec.name(), batchSetting, batch, mib(needed), concurrentTasks, threads, mib(usable),
        mib(executorMemoryBytes), change));
  }

  private static long scoringBytes(NetworkSpec spec, int batch, int threads, int tasks) {
    long images = (long) batch * spec.input().size() * (Float.BYTES + 1);
    ParamLayout layout = ParamLayout.of(spec);
    long model = ((long) layout.paramCount() + layout.stateCount()) * Float.BYTES;
    long shared = InferenceFootprint.sharedByTwinsBytes(spec, threads);
    return tasks * (InferenceFootprint.bytes(spec, batch, threads) - shared + images) + shared
        + model;
  }

  /** A {@code spark.executor.memory} value whose usable share holds {@code needed} bytes. */
  static String memorySetting(long needed) {
    long mib = (long) Math.ceil(needed / USABLE / (1L << 20));
    return mib >= 1024 ? (long) Math.ceil(mib / 1024.0) + "g" : mib + "m";
  }

  /**
   * Why a barrier stage of {@code partitions} tasks could not start here, or null when it can:
   * barrier mode launches all of them at once (Spark would otherwise wait minutes, then fail)
   * and refuses dynamic allocation. Waits up to {@code waitSeconds} for executors still
   * registering.
   */
  static String barrierProblem(org.apache.spark.api.java.JavaSparkContext jsc, int partitions,
      double waitSeconds) {
    if (jsc.getConf().getBoolean("spark.dynamicAllocation.enabled", false)) {
      return "spark.sync=allreduce runs in Spark's barrier mode, which does not allow dynamic"
          + " allocation: set spark.dynamicAllocation.enabled=false (and a fixed"
          + " spark.executor.instances), or spark.sync=tree";
    }
    // Executors may still be registering; a local master's slots are all there at once.
    boolean local = jsc.master().startsWith("local[") || jsc.master().equals("local");
    long deadline = System.nanoTime() + (local ? 0 : (long) (waitSeconds * 1e9));
    int slots = SparkResources.totalSlots(jsc);
    while (slots < partitions && System.nanoTime() < deadline) {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      slots = SparkResources.totalSlots(jsc);
    }
    if (slots < partitions) {
      return String.format(Locale.ROOT, "spark.sync=allreduce runs all %d partitions at once"
              + " (Spark's barrier mode), but the cluster has %d task slots%s: set"
              + " spark.partitions to at most %d, add executors or cores, or use"
              + " spark.sync=tree", partitions, slots,
          local ? "" : String.format(Locale.ROOT, " after %.0f s", waitSeconds),
          Math.max(slots, 1));
    }
    return null;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
