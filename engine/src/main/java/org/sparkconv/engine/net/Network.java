package org.sparkconv.engine.net;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * A sequential network built from a {@link NetworkSpec}. It allocates exactly three flat buffers
 * from its {@link ParamLayout}: {@code params}, {@code grads} (same layout) and {@code state}
 * (batch-norm running statistics); layers hold offsets into them. Activations and the two
 * ping-pong gradient buffers are allocated for the largest batch seen and reused, so a training
 * step allocates nothing.
 *
 * <p>Not thread-safe: layers keep per-batch caches and workspaces. Use one network per thread.
 */
public final class Network {

  private final NetworkSpec spec;
  private final Layer[] layers;
  private final boolean[] fusedIntoPrevious; // applied inside the layer before; skipped here
  private final ParamLayout layout;
  private final float[] params;
  private final float[] grads;
  private final float[] state;
  private final Shape inputShape;
  private final int maxActivation;
  private final int threads;

  private int capacity; // batch size the buffers below hold
  private float[][] activations = new float[0][]; // activations[i]: output of layer i
  private float[] inputCopy = new float[0];
  private float[] gradientA = new float[0];
  private float[] gradientB = new float[0];
  private float[] lastInput;
  private int lastBatch;

  private Network(NetworkSpec spec, ComputeContext context) {
    this.spec = spec;
    List<Shape> shapes = spec.shapes();
    this.inputShape = spec.input();
    this.layers = new Layer[spec.layers().size()];
    Shape in = inputShape;
    int max = in.size();
    for (int i = 0; i < layers.length; i++) {
      LayerSpec layerSpec = spec.layers().get(i);
      layers[i] = layerSpec.build(in, i, context);
      in = shapes.get(i);
      max = Math.max(max, in.size());
    }
    this.maxActivation = max;
    this.fusedIntoPrevious = NetworkSummary.fusedIntoPrevious(spec);
    for (int i = 0; i + 1 < layers.length; i++) {
      if (fusedIntoPrevious[i + 1] && !layers[i].fuseNext(layers[i + 1])) {
        throw new IllegalStateException("layer " + i + " (" + spec.layers().get(i).type()
            + ") declares it fuses the next layer but did not take it");
      }
    }
    this.threads = context.parallel().threads();
    this.layout = ParamLayout.of(spec);
    this.params = new float[layout.paramCount()];
    this.grads = new float[layout.paramCount()];
    this.state = new float[layout.stateCount()];
    for (int i = 0; i < layers.length; i++) {
      layers[i].bind(params, grads, layout.layerParamOffsets()[i], state,
          layout.layerStateOffsets()[i]);
      layers[i].resetState();
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

  /** Builds {@code spec} with the default context but the given GEMM implementation. */
  public static Network build(NetworkSpec spec, Gemm gemm) {
    return new Network(spec, ComputeContext.defaults().withGemm(gemm));
  }

  /**
   * Copies {@code params} and {@code state} (as a model file or a broadcast carries them) into
   * this network's buffers; fails, naming both sizes, when they are not this model's.
   */
  public void load(float[] params, float[] state) {
    if (params.length != this.params.length || state.length != this.state.length) {
      throw new IllegalArgumentException("model '" + spec.name() + "' has " + this.params.length
          + " parameters and " + this.state.length + " state values; got " + params.length
          + " and " + state.length);
    }
    System.arraycopy(params, 0, this.params, 0, params.length);
    System.arraycopy(state, 0, this.state, 0, state.length);
  }

  /**
   * Seeded initialisation: every layer draws from its own split of one SplittableRandom, so the
   * same seed gives bit-identical parameters. Resets state (running mean 0, variance 1).
   */
  public void initialize(long seed) {
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

  public float[] grads() {
    return grads;
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
    return fusedIntoPrevious[index];
  }

  public Layer layer(int index) {
    return layers[index];
  }

  public Shape inputShape() {
    return inputShape;
  }

  public Shape outputShape() {
    return layers[layers.length - 1].outputShape();
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
    Arrays.fill(grads, 0f);
  }

  /**
   * Runs the network on {@code input}. In training mode layers keep what backward needs and
   * batch norm uses (and updates the running values from) batch statistics. The returned tensor
   * views a buffer the network reuses: it is valid until the next forward.
   */
  public Tensor forward(Tensor input, boolean training) {
    if (!input.shape().equals(inputShape)) {
      throw new IllegalArgumentException("input examples have shape " + input.shape()
          + " but the network '" + spec.name() + "' expects " + inputShape);
    }
    int batch = input.batch();
    reserve(batch);
    float[] x = input.data();
    if (input.offset() != 0) {
      System.arraycopy(input.data(), input.offset(), inputCopy, 0, input.length());
      x = inputCopy;
    }
    float[] in = x;
    for (int i = 0; i < layers.length; i++) {
      if (!fusedIntoPrevious[i]) {
        layers[i].forward(in, activations[i], batch, training);
      }
      in = activations[i];
    }
    lastInput = x;
    lastBatch = batch;
    return new Tensor(in, 0, batch, outputShape());
  }

  /**
   * Backpropagates {@code dOutput} (gradient of the loss with respect to the last forward's
   * output, same layout) through every layer, accumulating parameter gradients into
   * {@link #grads()}. Returns the gradient with respect to the input when
   * {@code wantInputGradient} (a reused buffer, valid until the next call), else null.
   */
  public float[] backward(float[] dOutput, boolean wantInputGradient) {
    if (lastInput == null) {
      throw new IllegalStateException("backward called before forward");
    }
    int batch = lastBatch;
    float[] dOut = dOutput;
    for (int i = layers.length - 1; i >= 0; i--) {
      if (fusedIntoPrevious[i]) {
        continue; // its gradient is applied by layer i - 1, which receives dOut as it is
      }
      float[] in = i == 0 ? lastInput : activations[i - 1];
      float[] dIn = i == 0 && !wantInputGradient ? null
          : dOut == gradientA ? gradientB : gradientA;
      layers[i].backward(in, activations[i], dOut, dIn, batch);
      dOut = dIn;
    }
    return dOut;
  }

  /** Backward without the input gradient (what training needs). */
  public void backward(float[] dOutput) {
    backward(dOutput, false);
  }

  private void reserve(int batch) {
    if (batch <= capacity) {
      return;
    }
    activations = new float[layers.length][];
    for (int i = 0; i < layers.length; i++) {
      activations[i] = fusedIntoPrevious[i] ? activations[i - 1]
          : new float[batch * layers[i].outputShape().size()];
      layers[i].reserve(batch);
    }
    inputCopy = new float[batch * inputShape.size()];
    gradientA = new float[batch * maxActivation];
    gradientB = new float[batch * maxActivation];
    capacity = batch;
  }

  /** The Keras-like table of layers, shapes, parameters, receptive fields and memory. */
  public NetworkSummary summary(int batch) {
    return NetworkSummary.of(spec, batch, threads);
  }
}
