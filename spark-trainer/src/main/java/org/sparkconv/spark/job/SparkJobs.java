package org.sparkconv.spark.job;

import java.util.List;
import org.apache.spark.SparkConf;
import org.sparkconv.spark.wire.KryoRegistration;

/** The Spark configuration every sparkconv job starts from. */
public final class SparkJobs {

  private SparkJobs() {}

  /**
   * Kryo with required registration, the given {@code key=value} settings, direct task results
   * up to 64 MB unless set otherwise, and the master from {@code master}, else from spark-submit,
   * else {@code local[*]}.
   */
  public static SparkConf conf(String appName, String master, List<String> settings) {
    SparkConf conf = KryoRegistration.configure(new SparkConf().setAppName(appName));
    for (String kv : settings) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--conf " + kv + " is not of the form key=value");
      }
      conf.set(kv.substring(0, eq), kv.substring(eq + 1));
    }
    // A round's summed gradient (3.5 MB for VGG-small) is above Spark's 1 MB default for task
    // results sent with the status update; bigger ones take a detour through the block manager,
    // ~10 ms a round here. Capped by spark.rpc.message.maxSize (128 MB) in any case.
    conf.setIfMissing("spark.task.maxDirectResultSize", "64m");
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    return conf;
  }
}
