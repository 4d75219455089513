package org.sparkconv.spark.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;
import org.sparkconv.spark.wire.TrainedModel;

/**
 * The networks a JVM scores with: the tasks of one model borrow twins that read one copy of
 * its weights and infer what a network loaded with them alone infers; a twin given back is
 * lent again; another model object, even of the same spec, gets networks of its own.
 */
class ScoringNetworksTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void tasksOfOneModelShareItsWeightsAndInferAsANetworkLoadedAlone() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("vgg-small.json"));
    TrainedModel model = model(spec, 1);
    TrainedModel other = model(spec, 2);
    Network first = ScoringNetworks.borrow(model);
    Network second = ScoringNetworks.borrow(model);
    assertNotSame(first, second, "two running tasks get two networks");
    assertSame(first.params(), second.params(), "that read one copy of the weights");
    assertNotSame(model.params(), first.params(), "loaded once from the broadcast value");
    Network otherTask = ScoringNetworks.borrow(other);
    assertNotSame(first.params(), otherTask.params(), "another model has its own weights");

    Shape shape = spec.input();
    Tensor x = new Tensor(uniform(3 * shape.size(), 5), 0, 3, shape);
    assertArrayEquals(alone(model, x), second.infer(x).toArray(), "the model's outputs");
    assertArrayEquals(alone(other, x), otherTask.infer(x).toArray(), "the other's outputs");
    assertArrayEquals(alone(model, x), first.infer(x).toArray(), "the model's, again");

    ScoringNetworks.release(model, second);
    assertSame(second, ScoringNetworks.borrow(model), "a twin given back is lent again");
  }

  private static float[] alone(TrainedModel model, Tensor x) {
    Network net = Network.build(model.spec());
    net.load(model.params(), model.state());
    return net.infer(x).toArray();
  }

  /** A model of {@code spec} with weights and running statistics drawn from {@code seed}. */
  private static TrainedModel model(NetworkSpec spec, long seed) {
    Network net = Network.build(spec);
    net.initialize(seed);
    float[] state = net.state().clone();
    Random random = new Random(seed);
    for (int i = 0; i < state.length; i++) {
      state[i] += 0.5f * random.nextFloat(); // running statistics away from 0 and 1
    }
    return new TrainedModel(SpecJson.write(spec), net.params().clone(), state,
        Normalization.unit(spec.input().channels()), spec.outputNames(), "seed " + seed);
  }

  private static float[] uniform(int n, long seed) {
    Random random = new Random(seed);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = 2 * random.nextFloat() - 1;
    }
    return values;
  }
}
