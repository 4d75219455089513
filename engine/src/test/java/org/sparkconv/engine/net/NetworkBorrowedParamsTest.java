package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * A network reading another array's parameters ({@link Network#readParamsOf}) trains and infers
 * as one that copied them, on two threads (its inference replicas follow it to a new array),
 * and never writes the array it reads: not in a training pass, not in a load or an
 * initialisation, which give it an array of its own first.
 */
class NetworkBorrowedParamsTest {

  private static final Path MODELS = Path.of("..", "conf", "models");
  private static final int BATCH = 4;

  @Test
  void aNetworkReadingABroadcastArrayComputesAsOneThatCopiedIt() throws Exception {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    ComputeContext two = ComputeContext.defaults().withThreads(2);
    Shape shape = spec.input();
    Tensor x = new Tensor(uniform(BATCH * shape.size(), 5), 0, BATCH, shape);
    float[] dOut = uniform(BATCH * spec.shapes().get(spec.shapes().size() - 1).size(), 6);
    Network reader = Network.build(spec, two);
    for (int seed = 1; seed <= 2; seed++) {
      Network source = trained(spec, seed, x);
      float[] shared = source.params();
      float[] before = shared.clone();
      reader.readParamsOf(shared, source.state());
      assertSame(shared, reader.params(), "reads the array itself");
      Network copier = Network.build(spec, two);
      copier.load(shared, source.state());
      String what = "parameters of seed " + seed;
      assertArrayEquals(copier.infer(x).toArray(), reader.infer(x).toArray(),
          what + ": inference on two threads");
      assertArrayEquals(trainingGradients(copier, x, dOut), trainingGradients(reader, x, dOut),
          what + ": a training pass's gradients");
      assertArrayEquals(before, shared, what + ": the array read is left as it was");
    }
  }

  @Test
  void aLoadOrAnInitialisationNeverWritesTheArrayItRead() throws Exception {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("vgg-small.json"));
    Tensor x = new Tensor(uniform(BATCH * spec.input().size(), 7), 0, BATCH, spec.input());
    Network broadcast = trained(spec, 1, x);
    float[] shared = broadcast.params();
    float[] before = shared.clone();
    Network reader = Network.build(spec);
    reader.readParamsOf(shared, broadcast.state());
    Network other = trained(spec, 2, x);
    reader.load(other.params(), other.state());
    assertArrayEquals(before, shared, "a load copies into an array of the network's own");
    assertNotSame(shared, reader.params());
    Network copier = Network.build(spec);
    copier.load(other.params(), other.state());
    assertArrayEquals(copier.infer(x).toArray(), reader.infer(x).toArray(),
        "after the load it computes with what it loaded");
    reader.readParamsOf(shared, broadcast.state());
    reader.initialize(9);
    assertArrayEquals(before, shared, "initialising draws into an array of its own");
    assertThrows(IllegalArgumentException.class,
        () -> reader.readParamsOf(new float[3], broadcast.state()), "sizes are checked");
  }

  /**
   * A network built reading an array ({@link Network#buildReading}: no array of its own first)
   * computes as one that copied it, on two threads, takes the state given, leaves the array as
   * it was, and gets an array of its own at a load; a wrong size is refused before anything is
   * built.
   */
  @Test
  void aNetworkBuiltReadingAnArrayComputesAsOneThatCopiedIt() throws Exception {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    ComputeContext two = ComputeContext.defaults().withThreads(2);
    Tensor x = new Tensor(uniform(BATCH * spec.input().size(), 8), 0, BATCH, spec.input());
    float[] dOut = uniform(BATCH * spec.shapes().get(spec.shapes().size() - 1).size(), 9);
    Network source = trained(spec, 3, x);
    float[] shared = source.params();
    float[] before = shared.clone();
    Network reader = Network.buildReading(spec, two, shared, source.state());
    assertSame(shared, reader.params(), "reads the array itself");
    assertArrayEquals(source.state(), reader.state(), "the state given (running statistics)");
    Network copier = Network.build(spec, two);
    copier.load(shared, source.state());
    assertArrayEquals(copier.infer(x).toArray(), reader.infer(x).toArray(),
        "inference on two threads");
    assertArrayEquals(trainingGradients(copier, x, dOut), trainingGradients(reader, x, dOut),
        "a training pass's gradients");
    assertArrayEquals(before, shared, "the array read is left as it was");
    reader.load(trained(spec, 4, x).params(), source.state());
    assertArrayEquals(before, shared, "a load copies into an array of the network's own");
    // building reading allocates no parameter array: a parameter array less than building
    // (the thread's allocation counter; JIT and class loading settled by the builds above)
    com.sun.management.ThreadMXBean bean =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long start = bean.getCurrentThreadAllocatedBytes();
    Network.build(spec, two);
    long built = bean.getCurrentThreadAllocatedBytes() - start;
    start = bean.getCurrentThreadAllocatedBytes();
    Network.buildReading(spec, two, shared, source.state());
    long builtReading = bean.getCurrentThreadAllocatedBytes() - start;
    assertTrue(built - builtReading >= 0.9 * Float.BYTES * shared.length, "built " + built
        + " bytes, built reading " + builtReading + ", parameters " + Float.BYTES * shared.length);
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> Network.buildReading(spec, two, new float[3], source.state()));
    assertTrue(wrong.getMessage().contains("got 3"), wrong.getMessage());
  }

  /** A network of {@code seed} whose running statistics moved off their initial values. */
  private static Network trained(NetworkSpec spec, int seed, Tensor x) {
    Network net = Network.build(spec, ComputeContext.defaults().withThreads(1));
    net.initialize(seed);
    net.forward(x, true);
    return net;
  }

  private static float[] trainingGradients(Network net, Tensor x, float[] dOut) {
    net.zeroGrad();
    net.forward(x, true);
    net.backward(dOut);
    return net.grads().clone();
  }
}
