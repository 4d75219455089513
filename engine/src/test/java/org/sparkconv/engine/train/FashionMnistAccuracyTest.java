package org.sparkconv.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;

/**
 * The shipped LeNet-5 job (conf/jobs/lenet5-fashion.json, the default recipe) on the real
 * Fashion-MNIST from Debian's dataset-fashion-mnist: at least 85% test accuracy after 1 epoch.
 */
class FashionMnistAccuracyTest {

  @Test
  void lenet5ReachesEightyFivePercentAfterOneEpoch() {
    JobConfig job = JobConfig.read(Path.of("..", "conf", "jobs", "lenet5-fashion.json"),
        List.of(), TrainMain.SPARK_SECTIONS);
    DataSpec.Idx data = (DataSpec.Idx) job.data();
    assertTrue(Files.exists(Path.of(data.trainImages())), "Fashion-MNIST is missing at "
        + data.trainImages() + ": apt-get install dataset-fashion-mnist");
    assertEquals(1, job.train().epochs());
    ImageSet train = data.readTrain();
    ImageSet test = data.readTest();
    assertEquals(60000, train.count());
    assertEquals(10000, test.count());
    Network net = Network.build(SpecJson.read(Path.of(job.model())));
    net.initialize(job.train().seed());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Normalization normalization = job.normalization(train);
    List<Evaluation> history = new Trainer(net, job.train(), new PrintStream(log))
        .fit(train, test, normalization);
    double accuracy = history.get(0).accuracy();
    System.out.printf("LeNet-5, 1 epoch, default recipe: test accuracy %.2f%%%n", 100 * accuracy);
    assertTrue(accuracy >= 0.85, "test accuracy " + accuracy + " below 0.85; log:\n" + log);
  }
}
