package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.wire.KryoRegistration;

/**
 * Two executor JVMs ({@code local-cluster[2,1,1024]}): models, data blocks and sums really cross
 * process boundaries through Kryo, and the result still equals single-JVM training.
 */
class LocalClusterTest {

  @Test
  void twoExecutorProcessesGiveTheSingleJvmResult() throws Exception {
    String sparkHome = System.getenv("SPARK_HOME");
    Files.createDirectories(Path.of(sparkHome, "jars"));
    String jvmFlags = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dio.netty")
            || a.startsWith("-Djdk.reflect") || a.equals("-XX:+IgnoreUnrecognizedVMOptions"))
        .collect(Collectors.joining(" "));
    SparkConf conf = KryoRegistration.configure(new SparkConf()
        .setMaster("local-cluster[2,1,1024]").setAppName("sparkconv-local-cluster")
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .set("spark.executor.extraJavaOptions", jvmFlags + " -Djava.io.tmpdir="
            + System.getProperty("java.io.tmpdir"))
        .set("spark.executorEnv.OPENBLAS_NUM_THREADS", "1"));
    try (JavaSparkContext jsc = new JavaSparkContext(conf)) {
      jsc.setLogLevel("WARN");
      ImageSet data = TestImages.quadrants(400, 8, 5);
      TrainSettings adam = EquivalenceTest.settings(OptimizerSpec.adam(0.01f));
      Network net = Network.build(EquivalenceTest.withBatchNorm());
      net.initialize(EquivalenceTest.SEED);
      SparkTrainer.Result result = new SparkTrainer(jsc,
          new PrintStream(new ByteArrayOutputStream())).fit(net, data, data.head(64),
          Normalization.of(data), adam, new SparkSettings(new GradientAveraging(),
              EquivalenceTest.PARTITIONS, 2, EquivalenceTest.ROUNDS, 60));
      assertEquals(EquivalenceTest.ROUNDS, result.rounds());
      assertEquals(2, jsc.sc().getExecutorIds().size(), "two executor processes");
      EquivalenceTest.assertRelativelyClose("local-cluster vs single JVM",
          EquivalenceTest.singleJvm(EquivalenceTest.withBatchNorm(), data, adam),
          EquivalenceTest.concat(net.params(), net.state()));
    }
  }
}
