package org.sparkconv.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.tensor.Shape;

class TrainerTest {

  /** Four classes of 8x8 images: a bright square in one of the four quadrants, plus noise. */
  static ImageSet quadrants(int count, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Shape shape = new Shape(1, 8, 8);
    byte[] pixels = new byte[count * 64];
    int[] labels = new int[count];
    for (int n = 0; n < count; n++) {
      int label = rng.nextInt(4);
      labels[n] = label;
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          boolean lit = (y < 4) == (label < 2) && (x < 4) == (label % 2 == 0);
          pixels[n * 64 + y * 8 + x] = (byte) ((lit ? 150 : 30) + rng.nextInt(80));
        }
      }
    }
    return new ImageSet("quadrants", shape, count, pixels, labels, 4);
  }

  static NetworkSpec smallNet(float dropout) {
    NetworkBuilder s = NetworkBuilder.input("q", 1, 8, 8).conv2d(4, 3, 1).batchNorm2d().relu()
        .maxPool(2).flatten();
    if (dropout > 0) {
      s.dropout(dropout, 5);
    }
    return s.dense(4).build();
  }

  private static float[] train(NetworkSpec spec, TrainSettings settings, ImageSet set,
      List<Evaluation> history) {
    Network net = Network.build(spec);
    net.initialize(settings.seed());
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    history.addAll(new Trainer(net, settings, quiet).fit(set, set, Normalization.of(set)));
    float[] both = Arrays.copyOf(net.params(), net.params().length + net.state().length);
    System.arraycopy(net.state(), 0, both, net.params().length, net.state().length);
    return both;
  }

  private static TrainSettings settings(long seed, Augmentation aug) {
    return new TrainSettings(2, 16, seed, OptimizerSpec.adam(0.01f),
        new Schedule("cosine", 0.5f, 0f, 1f, 0f), 0.1f, aug, 60);
  }

  @Test
  void sameSeedSameDataGivesBitIdenticalParametersAndLearns() {
    ImageSet set = quadrants(200, 1);
    List<Evaluation> h1 = new java.util.ArrayList<>();
    List<Evaluation> h2 = new java.util.ArrayList<>();
    // Crop only: a horizontal flip would move the square to the other quadrant's label.
    Augmentation aug = new Augmentation(1, false);
    float[] a = train(smallNet(0.2f), settings(3, aug), set, h1);
    float[] b = train(smallNet(0.2f), settings(3, aug), set, h2);
    assertArrayEquals(a, b, "parameters and BN state after two epochs");
    float[] c = train(smallNet(0.2f), settings(4, aug), set, new java.util.ArrayList<>());
    assertFalse(Arrays.equals(a, c), "another seed gives another run");
    assertTrue(h1.get(1).accuracy() > 0.9, "learns the quadrant task: " + h1.get(1).accuracy());
  }

  @Test
  void divergenceStopsWithAClearMessage() {
    ImageSet set = quadrants(64, 2);
    TrainSettings wild = new TrainSettings(1, 16, 1, OptimizerSpec.sgd(1e30f, 0.9f),
        Schedule.constant(), 0f, Augmentation.NONE, 60);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> train(smallNet(0f), wild, set, new java.util.ArrayList<>()));
    assertTrue(e.getMessage().contains("loss became") && e.getMessage().contains("optimizer.lr")
        && e.getMessage().contains("no model was written"), e.getMessage());
  }

  @Test
  void wrongImageShapeIsRejectedBeforeTraining() {
    ImageSet set = quadrants(16, 3);
    NetworkSpec other = NetworkBuilder.input("other", 1, 28, 28).flatten().dense(4).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> train(other, settings(1, Augmentation.NONE), set, new java.util.ArrayList<>()));
    assertTrue(e.getMessage().contains("(1, 8, 8)") && e.getMessage().contains("(1, 28, 28)"),
        e.getMessage());
  }
}
