package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.onnx.OnnxImport;
import org.sparkconv.spark.LocalSpark;

/**
 * A model PyTorch exported to ONNX ({@code scripts/gen_onnx_fixtures.py}), imported, fine-tunes
 * on Spark (local[2], Fashion-MNIST) like any sparkconv model: its loss goes down.
 */
class OnnxFineTuneTest {

  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void anImportedPyTorchModelFineTunesOnSpark() {
    ModelFile imported = OnnxImport.read(Path.of("..", "onnx", "src", "test", "resources",
        "onnx", "lenet_like.onnx"));
    Network net = imported.toNetwork();
    ImageSet train = IdxReader.read(FASHION.resolve("train-images-idx3-ubyte.gz"),
        FASHION.resolve("train-labels-idx1-ubyte.gz"), 10).head(4000);
    ImageSet test = IdxReader.read(FASHION.resolve("t10k-images-idx3-ubyte.gz"),
        FASHION.resolve("t10k-labels-idx1-ubyte.gz"), 10).head(500);
    TrainSettings settings = new TrainSettings(1, 64, 5, OptimizerSpec.sgd(0.05f, 0.9f),
        Schedule.constant(), 0f, Augmentation.NONE, 60);
    SparkSettings spark = new SparkSettings(new GradientAveraging(), 2, 2, 40, 0);
    SparkTrainer.Result result = new SparkTrainer(LocalSpark.get(),
        new PrintStream(new ByteArrayOutputStream())).fit(net, train, test,
        Normalization.of(train), settings, spark);
    List<TrainingHistory.Round> rounds = result.record().rounds();
    assertEquals(40, result.rounds());
    double first = rounds.subList(0, 5).stream().mapToDouble(TrainingHistory.Round::loss)
        .average().orElseThrow();
    double last = rounds.subList(rounds.size() - 5, rounds.size()).stream()
        .mapToDouble(TrainingHistory.Round::loss).average().orElseThrow();
    assertTrue(last < 0.6 * first, "loss of the first 5 rounds " + first + ", of the last 5 "
        + last);
  }
}
