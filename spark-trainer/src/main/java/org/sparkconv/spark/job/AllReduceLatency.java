package org.sparkconv.spark.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.sparkconv.spark.allreduce.ExchangeSecurity;
import org.sparkconv.spark.allreduce.PeerExchange;
import org.sparkconv.spark.allreduce.Rendezvous;
import org.sparkconv.spark.allreduce.RingAllReduce;
import scala.Function1;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * What the all-reduce costs on this set-up, as the training job uses it: one barrier job whose
 * tasks meet at a rendezvous on the driver, then per vector size 10 warm-up and 40 timed ring
 * all-reduces; partition 0's median per all-reduce is printed, with the median of 20 barrier
 * jobs that meet and sum one float, the least an all-reduce job costs. A benchmark, not a test.
 *
 * <pre>AllReduceLatency MASTER PARTITIONS [floats,floats,... 62000,1000000] [--conf k=v ...]</pre>
 */
public final class AllReduceLatency {

  private AllReduceLatency() {}

  public static void main(String[] args) {
    int partitions = Integer.parseInt(args[1]);
    int[] sizes = Arrays.stream((args.length > 2 && !args[2].startsWith("--") ? args[2]
        : "62000,1000000").split(",")).mapToInt(Integer::parseInt).toArray();
    List<String> confs = new ArrayList<>();
    for (int i = 2; i < args.length - 1; i++) {
      if (args[i].equals("--conf")) {
        confs.add(args[i + 1]);
      }
    }
    try (JavaSparkContext jsc = new JavaSparkContext(SparkJobs.conf("sparkconv all-reduce"
        + " latency", args[0], confs));
        Rendezvous rendezvous = Rendezvous.open(jsc.getConf().get("spark.driver.host"),
            ExchangeSecurity.ofSpark())) {
      jsc.setLogLevel("ERROR");
      List<Integer> ranks = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        ranks.add(p);
      }
      JavaRDD<Integer> rdd = jsc.parallelize(ranks, partitions).cache();
      rdd.count();
      double[] perSize = barrierJob(rdd, rendezvous, sizes, 40);
      long[] jobs = new long[25];
      for (int j = 0; j < jobs.length; j++) {
        long t0 = System.nanoTime();
        barrierJob(rdd, rendezvous, new int[] {1}, 1);
        jobs[j] = System.nanoTime() - t0;
      }
      long[] measured = Arrays.copyOfRange(jobs, 5, jobs.length);
      Arrays.sort(measured);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "all-reduce, %s, %d"
          + " peers: a barrier job that meets and sums one float %.1f ms", args[0], partitions,
          measured[measured.length / 2] / 1e6));
      for (int s = 0; s < sizes.length; s++) {
        line.append(String.format(Locale.ROOT, ", %d floats %.2f ms", sizes[s], perSize[s]));
      }
      System.out.println(line);
    }
  }

  /** Runs one barrier job of {@code timed} all-reduces per size; partition 0's medians. */
  private static double[] barrierJob(JavaRDD<Integer> rdd, Rendezvous rendezvous, int[] sizes,
      int timed) {
    String meetAt = rendezvous.contact();
    long job = rendezvous.nextJob();
    Function1<Iterator<Integer>, Iterator<double[]>> task =
        (Function1<Iterator<Integer>, Iterator<double[]>> & Serializable) it ->
            CollectionConverters.asScala(List.of(peer(meetAt, job, sizes, timed)).iterator());
    ClassTag<double[]> tag = ClassTag$.MODULE$.apply(double[].class);
    RDD<double[]> out = rdd.rdd().barrier().mapPartitions(task, false, tag);
    return new JavaRDD<>(out, tag).collect().stream().filter(r -> r.length > 0).findFirst()
        .orElse(new double[0]);
  }

  private static double[] peer(String meetAt, long job, int[] sizes, int timed) {
    BarrierTaskContext context = BarrierTaskContext.get();
    int rank = context.partitionId();
    int peers = context.getTaskInfos().length;
    String address = context.getTaskInfos()[rank].address();
    try (PeerExchange ring = PeerExchange.open(address.substring(0, address.lastIndexOf(':')),
        ExchangeSecurity.ofSpark(), 60_000)) {
      String[] contacts = ring.meet(meetAt, job + context.stageAttemptNumber(), rank, peers);
      ring.connectTo(contacts[(rank + 1) % peers]);
      double[] medians = new double[sizes.length];
      long round = 0;
      for (int s = 0; s < sizes.length; s++) {
        float[] v = new float[sizes[s]];
        long[] t = new long[timed];
        for (int r = -Math.min(10, timed); r < timed; r++) {
          long t0 = System.nanoTime();
          RingAllReduce.sum(v, rank, peers, ring, round++);
          if (r >= 0) {
            t[r] = System.nanoTime() - t0;
          }
        }
        Arrays.sort(t);
        medians[s] = t[timed / 2] / 1e6;
      }
      return rank == 0 ? medians : new double[0];
    }
  }
}
