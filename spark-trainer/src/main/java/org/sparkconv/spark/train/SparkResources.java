package org.sparkconv.spark.train;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.network.util.JavaUtils;

/** What one executor JVM gets: concurrent tasks and heap, from the master URL and settings. */
public final class SparkResources {

  private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(?:,\\d+)?]");
  private static final Pattern LOCAL_CLUSTER =
      Pattern.compile("local-cluster\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");

  private SparkResources() {}

  public static int concurrentTasks(JavaSparkContext jsc) {
    String master = jsc.master();
    SparkConf conf = jsc.getConf();
    if (master.equals("local")) {
      return 1;
    }
    Matcher m = LOCAL.matcher(master);
    if (m.matches()) {
      return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
          : Integer.parseInt(m.group(1));
    }
    Matcher c = LOCAL_CLUSTER.matcher(master);
    if (c.matches()) {
      return Integer.parseInt(c.group(2));
    }
    int cores = conf.getInt("spark.executor.cores", 1);
    return Math.max(1, cores / conf.getInt("spark.task.cpus", 1));
  }

  /**
   * Tasks the whole application can run at once now: the local slots, or the registered
   * executors times the tasks each may run.
   */
  public static int totalSlots(JavaSparkContext jsc) {
    String master = jsc.master();
    if (master.equals("local") || LOCAL.matcher(master).matches()) {
      return concurrentTasks(jsc);
    }
    // The driver is listed among the executors' infos too.
    int executors = Math.max(0, jsc.sc().statusTracker().getExecutorInfos().length - 1);
    return executors * concurrentTasks(jsc);
  }

  public static long executorMemory(JavaSparkContext jsc) {
    String master = jsc.master();
    if (master.startsWith("local[") || master.equals("local")) {
      return Runtime.getRuntime().maxMemory();
    }
    Matcher c = LOCAL_CLUSTER.matcher(master);
    if (c.matches()) {
      return Long.parseLong(c.group(3)) * 1024 * 1024;
    }
    return JavaUtils.byteStringAsBytes(jsc.getConf().get("spark.executor.memory", "1g"));
  }
}
