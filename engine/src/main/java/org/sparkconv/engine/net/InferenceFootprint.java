package org.sparkconv.engine.net;

import java.util.List;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.tensor.Shape;

/**
 * About the memory a network built from a spec holds once {@link Network#infer} has run a
 * batch, from the spec alone (nothing is allocated), so that a scoring job can refuse a batch
 * size its executors cannot hold before it starts: the parameters and state (no gradients: a
 * network that only infers allocates none), each layer's workspace for its threads, the
 * inference pool for one chunk of {@link Network#INFERENCE_CHUNK} images, the flat tail's
 * outputs over the whole batch, the result, and on several threads one single-thread replica
 * per thread ({@link Network#REPLICA_CHUNK} images at a time), which hold the weights their
 * layers pack once between them, the network itself then holding only what its layers
 * allocate when built, and the runs of convolutions inferred with images in the vector lanes
 * ({@link ImageLanesRun}: their groups' activations, packed weights and scratch). It counts
 * the padded layout of every convolution that could take a handed-off input, and the pool as
 * if none were folded; against the arrays built networks held (LeNet-5, VGG-small, ResNet-20;
 * batches 1 to 256, one and two threads) it read 0.95-1.03 of them on one thread and 0.92-1.02
 * on two (2026-12-04, ResNet-20 with two runs in lanes; VGG16 at 224x224, two images on two
 * threads, before: 1.09). Not counted: the kernels' index arrays, and the per-thread buffers
 * of the GEMMs, shared by every network on a thread. Networks that are twins
 * ({@link Network#twin}) hold {@link #sharedByTwinsBytes} of it once between them.
 */
public final class InferenceFootprint {

  private InferenceFootprint() {}

  /**
   * Bytes a network of {@code spec} on {@code threads} threads holds after inferring
   * {@code batch} images.
   */
  public static long bytes(NetworkSpec spec, int batch, int threads) {
    if (batch < 1 || threads < 1) {
      throw new IllegalArgumentException("an inference footprint needs a batch and threads of"
          + " at least 1, got batch " + batch + " and " + threads + " threads");
    }
    ParamLayout layout = ParamLayout.of(spec);
    List<Shape> shapes = spec.shapes();
    List<ImageLanesRun.Chain> lanes = lanesChains(spec, shapes);
    boolean[] inLanes = ImageLanesRun.inRuns(lanes, spec.nodes().size());
    long floats = (long) layout.paramCount() + layout.stateCount()
        + (long) batch * shapes.get(shapes.size() - 1).size();
    if (threads > 1 && batch >= threads) {
      // the network itself runs no pass: its layers hold what they hold when built
      int chunks = Network.replicaChunks(batch, threads);
      int perChunk = -Math.floorDiv(-batch, chunks);
      floats += workspace(spec, shapes, threads, null)
          + threads * (workspace(spec, shapes, 1, inLanes)
              + chunkFloats(spec, shapes, lanes, perChunk, true))
          - (threads - 1) * shared(spec, shapes, inLanes);
    } else {
      floats += workspace(spec, shapes, threads, inLanes)
          + chunkFloats(spec, shapes, lanes, batch, false);
    }
    return floats * Float.BYTES;
  }

  /**
   * What of {@link #bytes} for {@code threads} threads a network's twins ({@link Network#twin})
   * hold once between them: the parameters and state, and on one thread the convolutions'
   * packed weights (on several, each twin's replicas share their own).
   */
  public static long sharedByTwinsBytes(NetworkSpec spec, int threads) {
    ParamLayout layout = ParamLayout.of(spec);
    List<Shape> shapes = spec.shapes();
    boolean[] inLanes = ImageLanesRun.inRuns(lanesChains(spec, shapes), spec.nodes().size());
    long floats = (long) layout.paramCount() + layout.stateCount()
        + (threads == 1 ? shared(spec, shapes, inLanes) : 0);
    return floats * Float.BYTES;
  }

  /**
   * The runs in lanes as a built network finds them ({@link ImageLanesRun#find}), taking no
   * convolution whose pool could fold into it (VGG-small's second), whether or not its kernel
   * writes pools.
   */
  private static List<ImageLanesRun.Chain> lanesChains(NetworkSpec spec, List<Shape> shapes) {
    GraphPlan pooling = new GraphPlan(spec, conv -> true);
    return ImageLanesRun.find(spec, pooling, Network.flatTail(spec, shapes, pooling));
  }

  /**
   * What one network's own {@code infer} of {@code batch} images adds to its workspace, its
   * runs in lanes ({@code lanes}) included.
   */
  private static long chunkFloats(NetworkSpec spec, List<Shape> shapes,
      List<ImageLanesRun.Chain> lanes, int batch, boolean replica) {
    List<Node> nodes = spec.nodes();
    GraphPlan plan = new GraphPlan(spec);
    int chunk = Math.min(batch, Network.INFERENCE_CHUNK);
    long largest = spec.input().size();
    long cached = 0;
    for (int i = 0; i < nodes.size(); i++) {
      Shape input = spec.shapeOf(nodes.get(i).inputs().get(0), shapes);
      LayerSpec layer = nodes.get(i).layer();
      largest = Math.max(largest,
          Math.max(shapes.get(i).size(), layer.inferenceInputFloats(input)));
      cached += layer.inferenceCachedFloatsPerExample(input);
    }
    // a chunk's input copied out of the batch (always on a replica: its images start past 0)
    boolean copies = replica || batch > Network.INFERENCE_CHUNK;
    long floats = (long) chunk * (plan.forwardBufferCount * largest + cached)
        + (copies ? (long) chunk * spec.input().size() : 0);
    int tail = Network.flatTail(spec, shapes, plan);
    floats += ImageLanesRun.floats(lanes, spec, shapes, chunk);
    if (batch > Network.INFERENCE_CHUNK) {
      for (int i = tail - 1; i < nodes.size(); i++) {
        floats += (long) batch * shapes.get(i).size(); // the chunks' gathered output, the tail's
      }
    }
    return floats;
  }

  /**
   * What of the replicas' workspaces they hold once between them (their packed weights): not
   * the convolutions that run in lanes ({@code inLanes}), which never pack their own.
   */
  private static long shared(NetworkSpec spec, List<Shape> shapes, boolean[] inLanes) {
    long floats = 0;
    for (int i = 0; i < inLanes.length; i++) {
      Node node = spec.nodes().get(i);
      floats += inLanes[i] ? 0
          : node.layer().sharedInferenceFloats(spec.shapeOf(node.inputs().get(0), shapes));
    }
    return floats;
  }

  /**
   * The layers' workspaces once they have run a forward pass, but as built for the
   * convolutions that run in lanes ({@code inLanes}, which never run their own), or all as
   * built where {@code inLanes} is null.
   */
  private static long workspace(NetworkSpec spec, List<Shape> shapes, int threads,
      boolean[] inLanes) {
    long floats = 0;
    for (int i = 0; i < spec.nodes().size(); i++) {
      Node node = spec.nodes().get(i);
      Shape input = spec.shapeOf(node.inputs().get(0), shapes);
      floats += inLanes == null || inLanes[i]
          ? node.layer().builtWorkspaceFloats(input, threads)
          : node.layer().inferenceWorkspaceFloats(input, threads);
    }
    return floats;
  }
}
