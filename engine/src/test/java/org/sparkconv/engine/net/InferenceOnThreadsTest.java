package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * {@link Network#infer} on several threads runs whole chunks of the batch side by side, each
 * thread through a single-thread network of its own bound to the same parameters and state:
 * the chunks are a multiple of the threads, even, at most a chunk each; every image's outputs
 * are, bit for bit, a single-thread network's for its chunk inferred alone, before and after
 * new parameters and running statistics are loaded; no backward follows.
 */
class InferenceOnThreadsTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void chunksAreTheFewestMultipleOfTheThreadsAndEven() {
    int most = Network.REPLICA_CHUNK;
    for (int threads = 2; threads <= 4; threads++) {
      for (int batch = threads; batch <= 700; batch++) {
        int chunks = Network.replicaChunks(batch, threads);
        String at = batch + " images on " + threads + " threads";
        assertEquals(0, chunks % threads, "a multiple of the threads: " + at);
        assertTrue(chunks == threads || batch > (chunks - threads) * most,
            "no fewer chunks would do: " + at);
        assertEquals(0, Network.chunkStart(batch, chunks, 0), at);
        assertEquals(batch, Network.chunkStart(batch, chunks, chunks), at);
        int smallest = Integer.MAX_VALUE;
        int largest = 0;
        for (int c = 0; c < chunks; c++) {
          int size = Network.chunkStart(batch, chunks, c + 1) - Network.chunkStart(batch, chunks,
              c);
          smallest = Math.min(smallest, size);
          largest = Math.max(largest, size);
        }
        assertTrue(smallest >= 1 && largest <= most && largest - smallest <= 1,
            "chunks of " + smallest + " to " + largest + " images: " + at);
      }
    }
  }

  @Test
  void resnet20InfersEachChunkAsOneThreadWould() {
    assertChunksInferAsOneThread("resnet20.json", 2 * Network.REPLICA_CHUNK * 2 + 22, 2);
  }

  /** Winograd's tiles and the pools folded into them; three threads, chunks of 5 and 6. */
  @Test
  void vggSmallInfersEachChunkAsOneThreadWould() {
    assertChunksInferAsOneThread("vgg-small.json", 17, 3);
  }

  @Test
  void lenet5InfersEachChunkAsOneThreadWould() {
    assertChunksInferAsOneThread("lenet5.json", 2, 2);
  }

  @Test
  void noBackwardFollowsInferenceOnThreads() {
    Network net = Network.build(SpecJson.read(MODELS.resolve("lenet5.json")),
        ComputeContext.defaults().withThreads(2));
    net.initialize(3);
    Shape shape = net.inputShape();
    Tensor images = new Tensor(uniform(8 * shape.size(), 5), 0, 8, shape);
    net.forward(images, true);
    net.infer(images);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> net.backward(new float[8 * net.outputShape().size()]));
    assertTrue(e.getMessage().contains("infer keeps nothing"), e.getMessage());
    Tensor wrong = new Tensor(new float[8 * 3 * 32 * 32], 0, 8, new Shape(3, 32, 32));
    IllegalArgumentException shape3 = assertThrows(IllegalArgumentException.class,
        () -> net.infer(wrong));
    assertTrue(shape3.getMessage().contains("(3, 32, 32)")
        && shape3.getMessage().contains(shape.toString()), shape3.getMessage());
  }

  /**
   * {@code model} at {@code threads} threads on {@code batch} images (from image 1 of an
   * array), after a training forward: each chunk's outputs, bit for bit, a single-thread
   * network's with the same parameters and state on that chunk alone; then again after
   * loading other parameters and the running statistics of a training forward, which must
   * change the outputs.
   */
  private static void assertChunksInferAsOneThread(String model, int batch, int threads) {
    NetworkSpec spec = SpecJson.read(MODELS.resolve(model));
    Network net = Network.build(spec, ComputeContext.defaults().withThreads(threads));
    net.initialize(9);
    Network alone = Network.build(spec, ComputeContext.defaults().withThreads(1));
    Shape shape = net.inputShape();
    int inSize = shape.size();
    int outSize = net.outputShape().size();
    float[] x = uniform((batch + 1) * inSize, 31);
    Tensor images = new Tensor(x, inSize, batch, shape);
    net.forward(images, true); // running statistics away from their initial values
    alone.load(net.params(), net.state());
    float[] before = net.infer(images).toArray();
    assertEquals(batch * outSize, before.length, "one output per image");
    assertChunksMatch(before, alone, x, batch, threads, model + " after a training forward");

    Network other = Network.build(spec, ComputeContext.defaults().withThreads(1));
    other.initialize(10);
    other.forward(images, true); // its running statistics
    net.load(other.params(), other.state());
    alone.load(other.params(), other.state());
    float[] after = net.infer(images).toArray();
    assertNotEquals(Arrays.toString(before), Arrays.toString(after), "new parameters count");
    assertChunksMatch(after, alone, x, batch, threads, model + " after a load");
  }

  private static void assertChunksMatch(float[] got, Network alone, float[] x, int batch,
      int threads, String what) {
    Shape shape = alone.inputShape();
    int inSize = shape.size();
    int outSize = alone.outputShape().size();
    int chunks = Network.replicaChunks(batch, threads);
    for (int c = 0; c < chunks; c++) {
      int first = Network.chunkStart(batch, chunks, c);
      int count = Network.chunkStart(batch, chunks, c + 1) - first;
      float[] expected = alone.infer(new Tensor(x, (1 + first) * inSize, count, shape))
          .toArray();
      for (int i = 0; i < count * outSize; i++) {
        assertEquals(Float.floatToRawIntBits(expected[i]),
            Float.floatToRawIntBits(got[first * outSize + i]),
            what + ": image " + (first + i / outSize) + ", output " + i % outSize + ", "
                + threads + " threads");
      }
    }
  }
}
