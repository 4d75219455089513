package org.sparkconv.engine.net;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.MergeLayer;
import org.sparkconv.engine.layer.MergeSpec;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * A network built from a {@link NetworkSpec}: a chain of layers or a graph of them. It allocates
 * exactly three flat buffers from its {@link ParamLayout}: {@code params}, {@code grads} (same
 * layout) and {@code state} (batch-norm running statistics); layers hold offsets into them.
 * {@code grads} only once something asks for gradients ({@link #backward}, {@link #grads()},
 * {@link #zeroGrad}): a network that only infers (batch scoring) never holds them.
 * Activations (one per node) and the pooled gradient buffers that {@link GraphPlan} assigns are
 * allocated for the largest batch seen and reused, so a training step allocates nothing.
 * {@link #infer} on several threads adds a single-thread network per thread, built once,
 * bound to the same parameters and state.
 *
 * <p>Not thread-safe: layers keep per-batch caches and workspaces. Use one network per thread.
 */
public final class Network {

  /**
   * Images {@link #infer} runs through the whole network at a time: a larger batch goes in
   * chunks, so that each node's output (and the residual a sum reads back) is a chunk's, not
   * the batch's (ResNet-20's stage 1: 0.8 MB for 16 images, 12.8 MB for 256). Batch 256, one
   * thread, whole networks in one JVM against one pass of 256 (on the Zen 5, chunks of 64):
   * ResNet-20 1.06-1.12x (two threads 1.08x), VGG-small and LeNet-5 unchanged within the noise;
   * chunks of 16 or 32 then gained no more on ResNet-20 and lost on VGG-small. On the Zen 4
   * (2026-12-03), with VGG-small's third convolution handing its output to the fourth, chunks of
   * 16 against 64, one JVM, both orders: one thread VGG-small 1.037x, 1.066x, 1.077x,
   * ResNet-20 1.024x, 1.067x, LeNet-5 1.000x; for two threads see {@link #REPLICA_CHUNK}.
   */
  static final int INFERENCE_CHUNK = 16;
  /**
   * Images each single-thread replica takes at a time in {@link #inferOnReplicas}; its own
   * {@link #infer} runs them {@link #INFERENCE_CHUNK} at a time and its flat tail once over all
   * of them (each of VGG-small's dense products packs its 3.2 MB of weights once a tail run).
   * With replicas taking 16 images each, two threads ran VGG-small 0.974x and 0.993x of 64
   * (ResNet-20 1.024x, 1.043x).
   */
  static final int REPLICA_CHUNK = 64;

  /** The output of a node that none reads, in training: no array a node could write to. */
  private static final float[] NOT_HELD = new float[0];

  private final NetworkSpec spec;
  private final Layer[] layers;
  private final GraphPlan plan;
  private final ParamLayout layout;
  private float[] params; // another's array while paramsBorrowed: see readParamsOf
  private boolean paramsBorrowed;
  private float[] grads; // empty until gradients are asked for: see allocateGrads
  private final float[] state;
  private final Shape inputShape;
  private final Shape outputShape;
  private final int maxActivation;
  private final int maxInferenceActivation; // with outputs handed off in a padded layout
  private final int threads;
  private final ComputeContext context;
  // For infer on several threads: one single-thread network per worker, sharing this one's
  // parameters and state; built at the first batch large enough.
  private Network[] replicas = new Network[0];

  private int capacity; // batch size the training buffers below hold
  private float[][] activations = new float[0][]; // activations[i]: output of node i
  private int inferenceCapacity; // batch size the inference buffers hold
  private float[][] inferenceOutputs = new float[0][]; // node i's output in the plan's pool
  private float[][] outputs = activations; // what the last forward wrote: one of the two above
  private boolean keptForBackward; // whether the last forward kept what backward reads
  private float[] inputCopy = new float[0];
  private float[] inferenceResult = new float[0]; // infer's output, where it runs in chunks
  // The first node of the flat tail infer runs over a whole batch (see flatTail()), or
  // layers.length; node outputs for that run, from the node before the tail on.
  private final int flatTail;
  private final float[][] tailOutputs;
  // Per node: the run of convolutions inference computes from it with images in the vector
  // lanes (ImageLanesRun), or null
  private final ImageLanesRun[] lanesRunAt;
  private float[][] gradients = new float[0][]; // the plan's pooled gradient buffers
  private float[][] scratch = new float[0][]; // where a second consumer's gradient goes first
  private final float[][][] inputValues; // per node: its inputs' arrays, refilled each pass
  private final float[][][] inputGradients; // per node: where backward writes its inputs' grads
  private float[] lastInput;
  private final Parallel parallel; // splits the summing of a fanned-out node's gradients
  private long[] forwardNanos; // when set, each node's forward time is added here
  private long[] backwardNanos;
  private int lastBatch;

  private Network(NetworkSpec spec, ComputeContext context) {
    this(spec, context, null);
  }

  private Network(NetworkSpec spec, ComputeContext context, Network sharing) {
    this(spec, context, sharing, null);
  }

  /**
   * With {@code sharing} null, a network with buffers of its own, its state reset, reading
   * {@code borrowed} as its parameters where that is not null ({@link #readParamsOf}; its size
   * checked by the caller) and else an array of its own; otherwise one whose layers read and
   * write {@code sharing}'s parameters, gradients and state.
   */
  private Network(NetworkSpec spec, ComputeContext context, Network sharing, float[] borrowed) {
    this.spec = spec;
    this.context = context;
    List<Shape> shapes = spec.shapes();
    this.inputShape = spec.input();
    this.outputShape = shapes.get(shapes.size() - 1);
    this.layers = new Layer[spec.nodes().size()];
    int max = inputShape.size();
    for (int i = 0; i < layers.length; i++) {
      Node node = spec.nodes().get(i);
      if (node.layer() instanceof MergeSpec merge) {
        List<Shape> ins = node.inputs().stream().map(ref -> spec.shapeOf(ref, shapes)).toList();
        layers[i] = merge.build(ins, i, context);
      } else {
        layers[i] = node.layer().build(spec.shapeOf(node.inputs().get(0), shapes), i, context);
      }
      max = Math.max(max, shapes.get(i).size());
    }
    // The runs inference computes with images in lanes, from the plan without hand-offs (they
    // change nothing else), then the plan with hand-offs between convolutions outside them.
    IntPredicate pooled = i -> layers[i].infersPooled();
    List<ImageLanesRun.Chain> chains = List.of();
    if (context.imageLanes() && context.winograd() && context.directConvolution()) {
      GraphPlan unhanded = new GraphPlan(spec, pooled);
      chains = ImageLanesRun.find(spec, unhanded, flatTail(spec, shapes, unhanded));
    }
    boolean[] inRuns = ImageLanesRun.inRuns(chains, layers.length);
    // (a convolution with one output pixel may start the flat tail, whose input infer copies
    // out of the chunks as planes: none hands off to it)
    this.plan = new GraphPlan(spec, pooled,
        (conv, next) -> !inRuns[conv] && !inRuns[next]
            && layers[next].outputShape().planeSize() > 1
            && layers[conv].handsInferenceTo(layers[next]));
    int maxInference = max;
    for (int i = 0; i < layers.length; i++) {
      if (plan.handedTo[i] >= 0) {
        maxInference = Math.max(maxInference, layers[i].handInferenceTo(layers[plan.handedTo[i]]));
      }
    }
    this.maxInferenceActivation = maxInference;
    this.flatTail = flatTail(spec, shapes, plan);
    this.lanesRunAt = new ImageLanesRun[layers.length];
    for (ImageLanesRun.Chain chain : chains) {
      ImageLanesRun run = new ImageLanesRun(chain, layers);
      lanesRunAt[run.first] = run;
    }
    this.tailOutputs = new float[layers.length][];
    this.maxActivation = max;
    this.inputValues = new float[layers.length][][];
    this.inputGradients = new float[layers.length][][];
    for (int i = 0; i < layers.length; i++) {
      inputValues[i] = new float[plan.inputs[i].length][];
      inputGradients[i] = new float[plan.inputs[i].length][];
    }
    for (int i = 0; i + 1 < layers.length; i++) {
      if (plan.fusedIntoPrevious[i + 1]
          && !spec.nodes().get(i + 1).layer().passesInputThrough()
          && !layers[i].fuseNext(layers[i + 1])) {
        throw new IllegalStateException("layer " + i + " (" + spec.nodes().get(i).layer().type()
            + ") declares it fuses the next layer but did not take it");
      }
    }
    // A batch norm on a layer's output (no activation fused between) takes its training
    // statistics from the moments that layer records as it writes, where it records them.
    for (int i = 0; i < layers.length; i++) {
      int[] refs = plan.inputs[i];
      if (!plan.fusedIntoPrevious[i] && refs.length == 1 && refs[0] >= 0
          && plan.tail(refs[0]) == refs[0]) {
        layers[refs[0]].recordMomentsFor(layers[i]);
      }
    }
    this.threads = context.parallel().threads();
    this.parallel = context.parallel();
    this.layout = ParamLayout.of(spec);
    this.params = sharing != null ? sharing.params
        : borrowed != null ? borrowed : new float[layout.paramCount()];
    this.paramsBorrowed = sharing == null && borrowed != null;
    this.grads = new float[0];
    this.state = sharing == null ? new float[layout.stateCount()] : sharing.state;
    for (int i = 0; i < layers.length; i++) {
      layers[i].bind(params, grads, layout.layerParamOffsets()[i], state,
          layout.layerStateOffsets()[i]);
      if (sharing == null) {
        layers[i].resetState();
      }
    }
  }

  /**
   * A network of the same spec and compute settings that reads this one's parameters and state
   * (a {@link #load} into either shows in both) and shares what its layers derive from the
   * weights for inference (the convolutions' packed weights): networks that infer side by side
   * on one model, as a scoring executor's tasks do, then hold the model once instead of once
   * each. Each keeps its own activations and workspaces, and its own gradients if it trains;
   * none may train, or take a load, while another infers.
   */
  public Network twin() {
    Network twin = new Network(spec, context, this);
    twin.shareInferenceWeightsOf(this);
    return twin;
  }

  /** Each layer reads what it derives from the weights from {@code other}'s same layer. */
  private void shareInferenceWeightsOf(Network other) {
    for (int i = 0; i < layers.length; i++) {
      layers[i].shareInferenceWeightsOf(other.layers[i]);
    }
  }

  /**
   * Builds {@code spec} with the JVM's default compute settings; throws SpecException if it
   * does not fit.
   */
  public static Network build(NetworkSpec spec) {
    return new Network(spec, ComputeContext.defaults());
  }

  /** Builds {@code spec} computing with {@code context}. */
  public static Network build(NetworkSpec spec, ComputeContext context) {
    return new Network(spec, context);
  }

  /**
   * Builds {@code spec} reading its parameters from {@code params} itself, as after
   * {@link #readParamsOf}, with {@code state} copied: a task's first network on a broadcast
   * model then never allocates parameters of its own only to drop them (on a VGG-16 that
   * would be 553 MB a task). Fails, naming both sizes, when they are not this model's.
   */
  public static Network buildReading(NetworkSpec spec, ComputeContext context, float[] params,
      float[] state) {
    requireModelSizes(spec, ParamLayout.of(spec), params, state);
    Network net = new Network(spec, context, null, params);
    System.arraycopy(state, 0, net.state, 0, state.length);
    return net;
  }

  /** Builds {@code spec} with the default context but the given GEMM implementation. */
  public static Network build(NetworkSpec spec, Gemm gemm) {
    return new Network(spec, ComputeContext.defaults().withGemm(gemm));
  }

  /**
   * Copies {@code params} and {@code state} (as a model file or a broadcast carries them) into
   * this network's buffers (parameters of its own again where it read another's array); fails,
   * naming both sizes, when they are not this model's.
   */
  public void load(float[] params, float[] state) {
    requireModelSizes(params, state);
    ownParams();
    System.arraycopy(params, 0, this.params, 0, params.length);
    System.arraycopy(state, 0, this.state, 0, state.length);
  }

  /**
   * Reads its parameters from {@code params} itself, not a copy, and copies {@code state}: for
   * tasks that only compute gradients or predictions from a broadcast model, so that an
   * executor's N tasks hold its parameters once instead of N times more. Nothing here writes
   * them while borrowed: {@link #load} and {@link #initialize} first give this network an array
   * of its own again, and training takes no optimizer step on it (the caller's part). Not for a
   * network with twins, which would go on reading the array it had. Fails, naming both sizes,
   * when they are not this model's.
   */
  public void readParamsOf(float[] params, float[] state) {
    requireModelSizes(params, state);
    bindParams(params);
    paramsBorrowed = true;
    System.arraycopy(state, 0, this.state, 0, state.length);
  }

  /** An array of its own again where it read another's ({@link #readParamsOf}), zeroed. */
  private void ownParams() {
    if (paramsBorrowed) {
      bindParams(new float[layout.paramCount()]);
      paramsBorrowed = false;
    }
  }

  /**
   * Binds this network's layers to {@code params} and its gradients, and its inference
   * replicas' layers to {@code params}.
   */
  private void bindParams(float[] params) {
    this.params = params;
    for (int i = 0; i < layers.length; i++) {
      layers[i].bind(params, grads, layout.layerParamOffsets()[i], state,
          layout.layerStateOffsets()[i]);
    }
    for (Network replica : replicas) {
      replica.bindParams(params);
    }
  }

  private void requireModelSizes(float[] params, float[] state) {
    requireModelSizes(spec, layout, params, state);
  }

  private static void requireModelSizes(NetworkSpec spec, ParamLayout layout, float[] params,
      float[] state) {
    if (params.length != layout.paramCount() || state.length != layout.stateCount()) {
      throw new IllegalArgumentException("model '" + spec.name() + "' has "
          + layout.paramCount() + " parameters and " + layout.stateCount()
          + " state values; got " + params.length + " and " + state.length);
    }
  }

  /**
   * Seeded initialisation: every layer draws from its own split of one SplittableRandom, so the
   * same seed gives bit-identical parameters. Resets state (running mean 0, variance 1).
   */
  public void initialize(long seed) {
    ownParams();
    SplittableRandom root = new SplittableRandom(seed);
    for (Layer layer : layers) {
      layer.initParams(root.split());
      layer.resetState();
    }
  }

  public NetworkSpec spec() {
    return spec;
  }

  public ParamLayout layout() {
    return layout;
  }

  public float[] params() {
    return params;
  }

  /** The parameters' gradients (allocated at the first call, or the first backward). */
  public float[] grads() {
    allocateGrads();
    return grads;
  }

  /**
   * Allocates {@link #grads} and binds the layers to it, once: a network that only infers
   * holds no gradients (VGG16's 138 million parameters: 553 MB per network).
   */
  private void allocateGrads() {
    if (grads.length == layout.paramCount()) {
      return;
    }
    grads = new float[layout.paramCount()];
    bindParams(params);
  }

  public float[] state() {
    return state;
  }

  public int layerCount() {
    return layers.length;
  }

  /**
   * True when layer {@code index} (an activation) is applied inside the layer before it (see
   * {@link Layer#fuseNext}): it shares that layer's output buffer and is skipped in both passes.
   */
  public boolean isFusedIntoPrevious(int index) {
    return plan.fusedIntoPrevious[index];
  }

  /**
   * True when {@link #infer} skips layer {@code index} because the convolution before it
   * applies it: a batch norm ({@link Layer#inferFoldingNext}), the residual sum right after
   * such a norm ({@link Layer#inferFoldingNextAndSum}), or the 2x2 max pool after it
   * ({@link Layer#inferFoldingNextAndPool}).
   */
  public boolean isFoldedInInference(int index) {
    return plan.foldedInInference[index];
  }

  /**
   * The convolution to which layer {@code index} (a convolution) hands its inference output in
   * that one's padded input layout ({@link Layer#handInferenceTo}), or -1.
   */
  public int inferenceHandedTo(int index) {
    return plan.handedTo[index];
  }

  public Layer layer(int index) {
    return layers[index];
  }

  public Shape inputShape() {
    return inputShape;
  }

  public Shape outputShape() {
    return outputShape;
  }

  /**
   * Positions every dropout layer's mask stream at {@code position}, so that the masks of a
   * training step depend on where the step is (step, partition) rather than on how many
   * forwards this network object happened to run before. Trainers call it before each step.
   */
  public void positionDropout(long position) {
    for (Layer layer : layers) {
      if (layer instanceof org.sparkconv.engine.layer.Dropout dropout) {
        dropout.calls(position);
      }
    }
  }

  /**
   * Fails unless images of {@code shape} with labels in {@code [0, classes)} from
   * {@code source} fit this network, naming the source, the model and both sizes.
   */
  public void requireFits(Shape shape, int classes, String source) {
    if (!shape.equals(inputShape)) {
      throw new IllegalArgumentException(source + " holds images of shape " + shape
          + " but the model '" + spec.name() + "' takes " + inputShape);
    }
    if (classes > outputShape().size()) {
      throw new IllegalArgumentException(source + " has " + classes + " classes but the model '"
          + spec.name() + "' outputs " + outputShape().size());
    }
  }

  /** Clears all parameter gradients: one fill. */
  public void zeroGrad() {
    allocateGrads();
    Arrays.fill(grads, 0f);
  }

  /**
   * Runs the network on {@code input}, keeping every node's output for {@link #backward}. In
   * training mode batch norm uses (and updates the running values from) batch statistics and
   * dropout drops; otherwise they run as in inference (a backward after it gives the gradients
   * of the inference function). The returned tensor views a buffer the network reuses: it is
   * valid until the next forward.
   */
  public Tensor forward(Tensor input, boolean training) {
    return run(input, training, true);
  }

  /**
   * Inference only: evaluation mode, and node outputs in the plan's pooled buffers, each reused
   * once every consumer of its node has run (two maps for a chain instead of one per layer); a
   * batch norm right after a convolution, and a residual sum right after that norm, are applied
   * by the convolution as it writes each image
   * ({@link org.sparkconv.engine.layer.Layer#inferFoldingNext}), not in passes of their own;
   * a convolution whose output only the next convolution reads may write it in that one's
   * input layout ({@link #inferenceHandedTo}); a chain of small 3x3 convolutions runs with
   * images in the vector lanes, converted in and out once ({@link ImageLanesRun}: ResNet-20's
   * stem and stage 1, and stage 2 after its downsampling block; each image's outputs the same
   * whatever images share its group). A batch larger than {@link #INFERENCE_CHUNK} runs a
   * chunk at a time (each image's outputs are the same either way: bit for bit with the
   * engine's own GEMM, to rounding with a native BLAS), up to the flat tail
   * ({@link #flatTail(NetworkSpec, List, GraphPlan)}), which then runs once over the whole
   * batch. On several threads, a batch of at least one image a thread runs as whole chunks of up
   * to {@link #REPLICA_CHUNK} side by side ({@link #inferOnReplicas}), not as every node's
   * images split among the threads. No {@link #backward} may follow. The returned tensor is
   * valid until the next forward.
   */
  public Tensor infer(Tensor input) {
    int batch = input.batch();
    if (threads > 1 && batch >= threads && forwardNanos == null) {
      return inferOnReplicas(input);
    }
    if (batch <= INFERENCE_CHUNK) {
      return run(input, false, false);
    }
    int inSize = inputShape.size();
    int chunkedTo = flatTail; // nodes before it run a chunk at a time
    int chunkOutSize = layers[chunkedTo - 1].outputShape().size();
    float[] chunked = reserveChunkedOutput(batch, chunkOutSize);
    for (int first = 0; first < batch; first += INFERENCE_CHUNK) {
      int count = Math.min(INFERENCE_CHUNK, batch - first);
      Tensor out = run(new Tensor(input.data(), input.offset() + first * inSize, count,
          inputShape), false, false, chunkedTo);
      System.arraycopy(out.data(), out.offset(), chunked, first * chunkOutSize,
          count * chunkOutSize);
    }
    if (chunkedTo == layers.length) {
      return new Tensor(chunked, 0, batch, outputShape);
    }
    outputs = reserveTail(batch, chunked);
    runNodes(flatTail, layers.length, batch, false, false);
    lastBatch = batch;
    return new Tensor(outputs[layers.length - 1], 0, batch, outputShape);
  }

  /**
   * {@link #inferenceResult}, grown to hold {@code batch} outputs of {@code size} floats: where
   * {@link #infer} gathers its chunks' outputs (the network's, or its flat tail's input), as
   * {@link #inferOnReplicas} does.
   */
  private float[] reserveChunkedOutput(int batch, int size) {
    if (inferenceResult.length < batch * size) {
      inferenceResult = new float[batch * size]; // grows once, with the largest batch seen
    }
    return inferenceResult;
  }

  /**
   * Node outputs for the flat tail's run over a whole batch: node {@code flatTail - 1}'s output
   * is {@code tailInput}; each tail node's output its own array of {@code batch} outputs (one
   * value per channel: small), shared with the node before where that node computes it.
   */
  private float[][] reserveTail(int batch, float[] tailInput) {
    if (tailOutputs[layers.length - 1] == null
        || tailOutputs[layers.length - 1].length < batch * outputShape.size()) {
      for (int i = flatTail; i < layers.length; i++) {
        tailOutputs[i] = plan.fusedIntoPrevious[i] || plan.foldedInInference[i]
            ? tailOutputs[i - 1] : new float[batch * layers[i].outputShape().size()];
      }
    }
    tailOutputs[flatTail - 1] = tailInput;
    return tailOutputs;
  }

  /**
   * {@link #infer} on several threads: the batch in {@link #replicaChunks} chunks, whole chunks
   * run side by side, each worker through a single-thread network of its own that reads this
   * one's parameters and state (so a {@link #load} or a training step shows at once), and
   * what the layers derive from the weights (packed for their kernels) from one copy
   * ({@link Layer#shareInferenceWeightsOf}: VGG16 at 224x224 holds 294 MB of them). Against
   * splitting every node's images among the threads, that waits for the slower thread once a
   * batch instead of once a node, and each thread keeps its chunk's activations in its own
   * core's cache (two threads, in one JVM against that split, each order: ResNet-20 at batch
   * 256 1.095x, 64 1.085x, 16 1.158x; VGG-small 1.038x, 1.004x, 1.303x; LeNet-5 at 256 1.316x).
   * A chunk's outputs are those of a single-thread network inferring that chunk alone.
   */
  private Tensor inferOnReplicas(Tensor input) {
    requireInputShape(input);
    if (replicas.length == 0) {
      replicas = new Network[threads];
      for (int t = 0; t < threads; t++) {
        replicas[t] = new Network(spec, context.withThreads(1), this);
        if (t > 0) {
          replicas[t].shareInferenceWeightsOf(replicas[0]);
        }
      }
    }
    int batch = input.batch();
    int inSize = inputShape.size();
    int outSize = outputShape.size();
    float[] result = reserveChunkedOutput(batch, outSize);
    int chunks = replicaChunks(batch, threads);
    parallel.forRange(chunks, (t, from, to) -> {
      for (int c = from; c < to; c++) {
        int first = chunkStart(batch, chunks, c);
        int count = chunkStart(batch, chunks, c + 1) - first;
        Tensor out = replicas[t].infer(new Tensor(input.data(), input.offset() + first * inSize,
            count, inputShape));
        System.arraycopy(out.data(), out.offset(), result, first * outSize, count * outSize);
      }
    });
    keptForBackward = false;
    return new Tensor(result, 0, batch, outputShape);
  }

  /**
   * How many chunks {@link #inferOnReplicas} splits a batch of at least {@code threads} images
   * into: the fewest that is a multiple of the threads, so that each starts with as many, and
   * holds at most {@link #REPLICA_CHUNK} images. A thread that finishes first takes another's
   * last chunk left (as {@link Parallel} shares out pieces).
   */
  static int replicaChunks(int batch, int threads) {
    return threads * Math.max(1, -Math.floorDiv(-batch, threads * REPLICA_CHUNK));
  }

  /**
   * Where a network's flat tail starts: from that node on, each node's output holds one value a
   * channel (1x1: dense layers and what follows them), its one input is the node before, and it
   * is not computed inside the node before in inference (a fused ReLU or folded norm after the
   * tail's first node stays in the tail). {@link #infer} runs the nodes before in chunks, whose
   * activations are large, and the tail once over the whole batch, whose dense products then
   * pack their weights once, not once a chunk: VGG-small's 3136 -> 256 forward alone, one
   * thread, 1.16 ms for 64 images and 3.04 for 256 (four chunks 4.66). The node count
   * where the last node is not flat.
   */
  static int flatTail(NetworkSpec spec, List<Shape> shapes, GraphPlan plan) {
    int n = spec.nodes().size();
    int start = n;
    while (start > 1 && isFlatChainNode(spec, shapes, plan, start - 1)) {
      start--;
    }
    while (start < n && (plan.fusedIntoPrevious[start] || plan.foldedInInference[start])) {
      start++;
    }
    return start;
  }

  /** The runs of convolutions this network infers with images in lanes, first node first. */
  List<ImageLanesRun> imageLanesRuns() {
    return Arrays.stream(lanesRunAt).filter(Objects::nonNull).toList();
  }

  /** Where this network's flat tail starts ({@link #flatTail(NetworkSpec, List, GraphPlan)}). */
  int flatTail() {
    return flatTail;
  }

  private static boolean isFlatChainNode(NetworkSpec spec, List<Shape> shapes, GraphPlan plan,
      int i) {
    Shape out = shapes.get(i);
    return out.height() == 1 && out.width() == 1
        && !(spec.nodes().get(i).layer() instanceof MergeSpec)
        && plan.inputs[i].length == 1 && plan.inputs[i][0] == i - 1 && !plan.foldedPool[i];
  }

  private void requireInputShape(Tensor input) {
    if (!input.shape().equals(inputShape)) {
      throw new IllegalArgumentException("input examples have shape " + input.shape()
          + " but the network '" + spec.name() + "' expects " + inputShape);
    }
  }

  /** The first image of chunk {@code c} of {@code chunks} (sizes differ by at most one). */
  static int chunkStart(int batch, int chunks, int c) {
    return (int) ((long) c * batch / chunks);
  }

  private Tensor run(Tensor input, boolean training, boolean keep) {
    return run(input, training, keep, layers.length);
  }

  /** Nodes [0, through) forward; the output of node {@code through - 1}. */
  private Tensor run(Tensor input, boolean training, boolean keep, int through) {
    requireInputShape(input);
    int batch = input.batch();
    if (keep) {
      reserve(batch);
      outputs = activations;
    } else {
      reserveInference(batch);
      outputs = inferenceOutputs;
    }
    keptForBackward = keep;
    float[] x = input.data();
    if (input.offset() != 0) {
      if (inputCopy.length < input.length()) {
        inputCopy = new float[input.length()]; // grows once, with the largest batch seen
      }
      System.arraycopy(input.data(), input.offset(), inputCopy, 0, input.length());
      x = inputCopy;
    }
    lastInput = x;
    runNodes(0, through, batch, training, keep);
    lastBatch = batch;
    return new Tensor(outputs[through - 1], 0, batch, layers[through - 1].outputShape());
  }

  /** Nodes [from, to) forward over {@code batch} images, into {@link #outputs}. */
  private void runNodes(int from, int to, int batch, boolean training, boolean keep) {
    for (int i = from; i < to; i++) {
      if (plan.fusedIntoPrevious[i] || !keep && plan.foldedInInference[i]
          || keep && plan.sumInNorm[i] != GraphPlan.NO_RESIDUAL) {
        continue;
      }
      long start = forwardNanos == null ? 0 : System.nanoTime();
      ImageLanesRun lanes = keep ? null : lanesRunAt[i];
      if (lanes != null) {
        lanes.infer(value(lanes.input), outputs[lanes.output], batch);
        if (forwardNanos != null) {
          forwardNanos[i] += System.nanoTime() - start; // the whole run's time: at its first
        }
        i = lanes.end - 1;
        continue;
      }
      if (keep && plan.normWritesSum(i)) {
        ((BatchNorm) layers[i]).forwardAddingTo(value(plan.inputs[i][0]),
            value(plan.sumInNorm[i + 1]), outputs[i + 1], batch, training, hasReluFused(i + 1));
      } else if (layers[i] instanceof MergeLayer merge) {
        merge.forward(values(i), outputs[i], batch);
      } else if (!keep && plan.foldedPool[i]) {
        layers[i].inferFoldingNextAndPool(layers[i + 1], value(plan.inputs[i][0]), outputs[i],
            batch);
      } else if (!keep && i + 2 < layers.length
          && plan.foldedSumResidual[i + 2] != GraphPlan.NO_RESIDUAL) {
        layers[i].inferFoldingNextAndSum(layers[i + 1], value(plan.inputs[i][0]), outputs[i],
            batch, value(plan.foldedSumResidual[i + 2]), hasReluFused(i + 2));
      } else if (!keep && i + 1 < layers.length && plan.foldedInInference[i + 1]) {
        layers[i].inferFoldingNext(layers[i + 1], value(plan.inputs[i][0]), outputs[i], batch);
      } else if (!keep) {
        layers[i].infer(value(plan.inputs[i][0]), outputs[i], batch);
      } else {
        layers[i].forward(value(plan.inputs[i][0]), outputs[i], batch, training);
      }
      if (forwardNanos != null) {
        forwardNanos[i] += System.nanoTime() - start;
      }
    }
  }

  /**
   * Whether node {@code i} applies a ReLU that follows it in its own passes. A layer that
   * passes its input through (a flatten) is fused into the node before too, and applies nothing.
   */
  private boolean hasReluFused(int i) {
    return i + 1 < layers.length && plan.fusedIntoPrevious[i + 1] && layers[i + 1] instanceof Relu;
  }

  /**
   * Backpropagates {@code dOutput} (gradient of the loss with respect to the last forward's
   * output, same layout) through every node, accumulating parameter gradients into
   * {@link #grads()} and summing the gradients of a node that feeds several others. Returns the
   * gradient with respect to the input when {@code wantInputGradient} (a reused buffer, valid
   * until the next call), else null.
   */
  public float[] backward(float[] dOutput, boolean wantInputGradient) {
    if (lastInput == null || !keptForBackward) {
      throw new IllegalStateException("backward needs a forward first (infer keeps nothing for"
          + " backward)");
    }
    allocateGrads();
    int batch = lastBatch;
    for (int head = layers.length - 1; head >= 0; head--) {
      if (plan.fusedIntoPrevious[head]) {
        continue; // its gradient is applied by the layer before, which receives dOut as it is
      }
      long start = backwardNanos == null ? 0 : System.nanoTime();
      int own = plan.gradientBuffer[plan.tail(head)];
      float[] dOut = own == GraphPlan.EXTERNAL ? dOutput : gradients[own];
      int[] refs = plan.inputs[head];
      float[][] dIns = inputGradients[head];
      for (int k = 0; k < refs.length; k++) {
        int scratchIndex = plan.inputGradientScratch[head][k];
        dIns[k] = refs[k] == Node.INPUT && !wantInputGradient ? null
            : scratchIndex >= 0 ? scratch[scratchIndex]
            : gradients[plan.inputGradientTarget[head][k]];
      }
      if (layers[head] instanceof MergeLayer merge) {
        merge.backward(values(head), activations[plan.tail(head)], dOut, dIns, batch);
      } else {
        layers[head].backward(value(refs[0]), activations[head], dOut, dIns[0], batch);
      }
      for (int k = 0; k < refs.length; k++) {
        if (dIns[k] != null && plan.inputGradientScratch[head][k] >= 0) {
          float[] sum = gradients[plan.inputGradientTarget[head][k]];
          float[] part = dIns[k];
          int size = (refs[k] == Node.INPUT ? inputShape : layers[refs[k]].outputShape()).size();
          parallel.forRange(batch, (t, first, last) -> {
            for (int i = first * size; i < last * size; i++) {
              sum[i] += part[i];
            }
          });
        }
      }
      if (backwardNanos != null) {
        backwardNanos[head] += System.nanoTime() - start;
      }
    }
    return wantInputGradient ? gradients[plan.inputGradientBuffer] : null;
  }

  /**
   * Makes every later forward and backward add each node's time (nanoseconds) into
   * {@code forward[i]} and {@code backward[i]}; null arrays stop the timing. For profiling: a
   * fused activation's time is in the node before it, as is, in {@link #infer}, a folded batch
   * norm's, and in a kept forward, the forward time of a sum its batch norm writes
   * ({@link GraphPlan#normWritesSum}).
   */
  public void timeNodes(long[] forward, long[] backward) {
    this.forwardNanos = forward;
    this.backwardNanos = backward;
  }

  /** Backward without the input gradient (what training needs). */
  public void backward(float[] dOutput) {
    backward(dOutput, false);
  }

  /** The output of node reference {@code ref} in the current forward. */
  private float[] value(int ref) {
    return ref == Node.INPUT ? lastInput : outputs[ref];
  }

  private float[][] values(int node) {
    int[] refs = plan.inputs[node];
    float[][] ins = inputValues[node];
    for (int k = 0; k < refs.length; k++) {
      ins[k] = value(refs[k]);
    }
    return ins;
  }

  /**
   * Inference keeps no activation for backward: node outputs share the plan's pool, each buffer
   * free again once every consumer of its node has run (two buffers for a chain).
   */
  private void reserveInference(int batch) {
    if (batch <= inferenceCapacity) {
      return;
    }
    float[][] pool = new float[plan.forwardBufferCount][];
    for (int b = 0; b < pool.length; b++) {
      pool[b] = new float[batch * maxInferenceActivation];
    }
    inferenceOutputs = new float[layers.length][];
    for (int i = 0; i < layers.length; i++) {
      inferenceOutputs[i] = pool[plan.forwardBuffer[i]];
      layers[i].reserveInference(batch);
    }
    inferenceCapacity = batch;
  }

  private void reserve(int batch) {
    if (batch <= capacity) {
      return;
    }
    activations = new float[layers.length][];
    for (int i = 0; i < layers.length; i++) {
      activations[i] = plan.fusedIntoPrevious[i] ? activations[i - 1]
          : plan.normWritesSum(i) ? NOT_HELD : new float[batch * layers[i].outputShape().size()];
      layers[i].reserve(batch);
    }
    gradients = new float[plan.bufferCount][];
    for (int b = 0; b < gradients.length; b++) {
      gradients[b] = new float[batch * maxActivation];
    }
    scratch = new float[plan.scratchCount][];
    for (int b = 0; b < scratch.length; b++) {
      scratch[b] = new float[batch * maxActivation];
    }
    capacity = batch;
  }

  /** The Keras-like table of layers, shapes, parameters, receptive fields and memory. */
  public NetworkSummary summary(int batch) {
    return NetworkSummary.of(spec, batch, threads, maxInferenceActivation);
  }
}
