package org.sparkconv.spark.job;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Spark's own per-job latency on this set-up, the floor under any per-round cost of
 * synchronous training: an empty job, a treeAggregate returning {@code floats} floats per
 * partition, and the same with a broadcast created and destroyed each time. Medians of 30 jobs
 * after 10 of warm-up. A benchmark, not a test.
 *
 * <pre>JobLatency MASTER PARTITIONS [floats 62000] [--conf key=value ...]</pre>
 */
public final class JobLatency {

  private JobLatency() {}

  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[1]);
    int floats = args.length > 2 && !args[2].startsWith("--") ? Integer.parseInt(args[2]) : 62000;
    List<String> confs = new ArrayList<>();
    for (int i = 2; i < args.length - 1; i++) {
      if (args[i].equals("--conf")) {
        confs.add(args[i + 1]);
      }
    }
    try (JavaSparkContext jsc = new JavaSparkContext(SparkJobs.conf("sparkconv job latency",
        args[0], confs))) {
      jsc.setLogLevel("ERROR");
      List<float[]> seeds = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        seeds.add(new float[1]);
      }
      JavaRDD<float[]> rdd = jsc.parallelize(seeds, partitions).cache();
      rdd.count();
      System.out.printf(Locale.ROOT, "spark job latency, %s, %d partitions: empty job %.1f ms,"
              + " treeAggregate of %d floats %.1f ms, with a broadcast %.1f ms%n", args[0],
          partitions, median(() -> rdd.map(x -> x).count()), floats,
          median(() -> aggregate(rdd, floats, null)),
          median(() -> {
            Broadcast<float[]> b = jsc.broadcast(new float[floats]);
            aggregate(rdd, floats, b);
            b.destroy();
          }));
    }
  }

  private static Object aggregate(JavaRDD<float[]> rdd, int floats, Broadcast<float[]> b) {
    return rdd.treeAggregate((float[]) null, (acc, x) -> {
      float[] v = new float[floats];
      v[0] = b == null ? x[0] : b.value()[0];
      return v;
    }, (x, y) -> x == null ? y : x, 2);
  }

  private static double median(Runnable job) {
    long[] t = new long[40];
    for (int r = 0; r < t.length; r++) {
      long t0 = System.nanoTime();
      job.run();
      t[r] = System.nanoTime() - t0;
    }
    long[] measured = Arrays.copyOfRange(t, 10, t.length);
    Arrays.sort(measured);
    return measured[measured.length / 2] / 1e6;
  }
}
