package org.sparkconv.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.train.DataSpec;
import org.sparkconv.engine.train.JobConfig;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.data.HadoopSource;
import org.sparkconv.spark.train.SparkTrainer;

/**
 * The shipped LeNet-5 job trained by Spark in local mode (local[2], 2 partitions) on the real
 * Fashion-MNIST, read through the Hadoop FileSystem API, summed by all-reduce (the default):
 * >= 85% after one epoch.
 */
class FashionMnistSparkTest {

  @Test
  void lenet5ReachesTheAccuracyTargetInLocalMode() {
    TrainJobFile file = TrainJobFile.read(Path.of("..", "conf", "jobs", "lenet5-fashion.json"),
        List.of("spark.partitions=2"));
    JobConfig job = file.job();
    DataSpec.Idx data = (DataSpec.Idx) job.data();
    var hadoop = LocalSpark.get().hadoopConfiguration();
    ImageSet train = data.readTrain(l -> new HadoopSource("file://" + l, hadoop));
    ImageSet test = data.readTest(l -> new HadoopSource(l, hadoop));
    assertEquals(60000, train.count());
    Network net = Network.build(SpecJson.read(Path.of(job.model())));
    net.initialize(job.train().seed());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    SparkTrainer.Result result = new SparkTrainer(LocalSpark.get(), new PrintStream(log))
        .fit(net, train, test, job.normalization(train), job.train(),
            file.spark());
    double accuracy = result.history().get(0).accuracy();
    System.out.printf("Spark local[2], LeNet-5, 1 epoch: test accuracy %.2f%%%n%s",
        100 * accuracy, log);
    assertTrue(accuracy >= 0.85, "accuracy " + accuracy + "\n" + log);
    assertTrue(log.toString().contains("all-reduce between executors"),
        "the job file's default sums by all-reduce\n" + log);
    assertEquals(10000, result.history().get(0).count(), "the whole test split was evaluated");
  }
}
