package org.sparkconv.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.sparkconv.spark.wire.KryoRegistration;

/** One real local[2] Spark context shared by the tests of this JVM (a context costs seconds). */
public final class LocalSpark {

  private static JavaSparkContext context;

  private LocalSpark() {}

  public static synchronized JavaSparkContext get() {
    if (context == null) {
      SparkConf conf = KryoRegistration.configure(new SparkConf()
          .setMaster("local[2]").setAppName("sparkconv-tests")
          .set("spark.ui.enabled", "false")
          .set("spark.driver.host", "127.0.0.1"));
      context = new JavaSparkContext(conf);
      context.setLogLevel("WARN");
      Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
    }
    return context;
  }
}
