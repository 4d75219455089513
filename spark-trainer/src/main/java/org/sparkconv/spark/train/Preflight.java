package org.sparkconv.spark.train;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;
import org.sparkconv.engine.net.NetworkSummary;

/**
 * Checks, before the first round, that the job fits what Spark was given, and fails with the
 * numbers and the setting to change instead of an out-of-memory error halfway through.
 */
public final class Preflight {

  private Preflight() {}

  /**
   * @param summary the model's costs for one partition's share of a round, from its spec
   * @param resultBytes bytes one partition returns per round
   * @param concurrentTasks tasks that may run at once in one executor JVM
   * @param executorMemoryBytes heap of one executor (the driver's in local mode)
   * @param shardBytes cached training and test data per partition
   */
  public static void check(NetworkSummary summary, long resultBytes, int partitions, int depth,
      SparkConf conf, int concurrentTasks, long executorMemoryBytes, long shardBytes) {
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
    long perTask = summary.trainingBytes() + 2 * resultBytes;
    long needed = concurrentTasks * perTask + shardBytes * concurrentTasks;
    long usable = (long) (executorMemoryBytes * 0.6);
    if (needed > usable) {
      throw new IllegalStateException(String.format(Locale.ROOT, "an executor would need about"
              + " %s (%d concurrent tasks x (%s for the model, activations and workspaces at"
              + " %d examples per partition + %s of cached data)) but has %s usable of %s heap:"
              + " raise spark.executor.memory, lower spark.executor.cores, or lower batch_size",
          mib(needed), concurrentTasks, mib(summary.trainingBytes()), summary.batch(),
          mib(shardBytes), mib(usable), mib(executorMemoryBytes)));
    }
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
