package org.sparkconv.engine.layer;

import java.util.List;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * The immutable description of one layer, as a model file states it. {@link #outputShape} checks
 * the spec against the shape it will receive and throws {@link SpecException} naming the layer
 * index and the field; {@link #build} makes the live layer.
 */
public sealed interface LayerSpec permits Conv2d.Spec, ConvTranspose2d.Spec, MaxPool2d.Spec,
    AvgPool2d.Spec, LpPool2d.Spec, GlobalAvgPool2d.Spec, GlobalMaxPool2d.Spec, BatchNorm.Spec,
    Dense.Spec, Flatten.Spec, Relu.Spec, LeakyRelu.Spec, Sigmoid.Spec, Tanh.Spec, Dropout.Spec,
    MergeSpec {

  /** The type name model files use, e.g. {@code conv2d}. */
  String type();

  /** Validates this spec for {@code input} and returns the output shape. */
  Shape outputShape(Shape input, int index);

  /**
   * The learnable parameter blocks a layer of this spec has for {@code input}, in layout order:
   * known from the spec alone, so parameter layouts and model sizes need no live layer.
   */
  default List<ParamBlock> paramBlocks(Shape input) {
    return List.of();
  }

  /** Floats of non-learnable state (batch-norm running statistics) for {@code input}. */
  default int stateSize(Shape input) {
    return 0;
  }

  /** How one output unit's window on the network input grows through this layer. */
  default ReceptiveField receptiveField(Shape input, ReceptiveField in) {
    return in;
  }

  /** Floats per example that backward keeps besides the activations (switches ...). */
  default long cachedFloatsPerExample(Shape input) {
    return 0;
  }

  /**
   * What of {@link #cachedFloatsPerExample} a layer keeps in inference, where no backward
   * follows ({@link Layer#reserveInference}): the same unless it keeps none there.
   */
  default long inferenceCachedFloatsPerExample(Shape input) {
    return cachedFloatsPerExample(input);
  }

  /**
   * Floats per example of the input layout this layer may take in inference instead of its
   * input's planes ({@link Layer#handInferenceTo}: a padded copy written by the layer before), or
   * 0 where it takes none.
   */
  default long inferenceInputFloats(Shape input) {
    return 0;
  }

  /**
   * Floats of scratch space that do not grow with the batch (im2col buffers, per-thread
   * gradient partials) when the layer runs with {@code threads} intra-op threads.
   */
  default long workspaceFloats(Shape input, int threads) {
    return 0;
  }

  /**
   * What of {@link #workspaceFloats} a layer that only infers holds (one whose backward never
   * ran): the same unless the layer allocates its backward's buffers at its first backward.
   */
  default long inferenceWorkspaceFloats(Shape input, int threads) {
    return workspaceFloats(input, threads);
  }

  /**
   * What of {@link #inferenceWorkspaceFloats} at one thread a layer takes from a twin that
   * shares it ({@link Layer#shareInferenceWeightsOf}), so that the replicas of one network
   * hold it once between them: none by default.
   */
  default long sharedInferenceFloats(Shape input) {
    return 0;
  }

  /**
   * What of {@link #inferenceWorkspaceFloats} a built layer holds before its first pass: the
   * same unless the layer allocates its forward's buffers at its first forward.
   */
  default long builtWorkspaceFloats(Shape input, int threads) {
    return inferenceWorkspaceFloats(input, threads);
  }

  /**
   * Whether a layer of this spec applies {@code next} inside its own passes (a fused
   * activation; see {@link Layer#fuseNext}), so that {@code next} needs no buffer of its own.
   */
  default boolean fusesNext(LayerSpec next) {
    return false;
  }

  /**
   * Whether a layer of this spec may write its input gradient over its output gradient (the
   * same array as {@code dOut} and {@code dIn}): each entry of {@code dOut} it reads before it
   * writes that entry of {@code dIn}, and nothing of {@code dOut} after.
   */
  default boolean backwardInPlace() {
    return false;
  }

  /**
   * Whether a layer of this spec outputs its input's memory as it is (a flatten: NCHW is already
   * flat per example), so that a network fuses it into any layer before it, as it fuses an
   * activation ({@link #fusesNext}), with nothing for that layer to apply.
   */
  default boolean passesInputThrough() {
    return false;
  }

  /**
   * Whether a layer of this spec can compute, in inference, what {@code next} would output
   * after it ({@link Layer#inferFoldingNext}): the network then skips {@code next} when it
   * infers, and both share one buffer.
   */
  default boolean foldsNextInInference(LayerSpec next) {
    return false;
  }

  /** The live layer for {@code input}; call only after {@link #outputShape} accepted it. */
  Layer build(Shape input, int index, ComputeContext context);

  /**
   * A weight block and, with {@code bias}, a bias block of {@code outputs} values; fails, naming
   * the layer, when the weights would not fit one Java array.
   */
  static List<ParamBlock> weightAndBias(long weights, int outputs, boolean bias, String type) {
    if (weights > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a " + type + " layer with " + weights + " weights does"
          + " not fit one float array (at most 2^31)");
    }
    ParamBlock weight = new ParamBlock("weight", (int) weights, ParamBlock.Kind.WEIGHT);
    return bias ? List.of(weight, new ParamBlock("bias", outputs, ParamBlock.Kind.BIAS))
        : List.of(weight);
  }

  /** Fails unless {@code value > 0}. */
  static void requirePositive(int value, int index, String type, String field) {
    if (value <= 0) {
      throw SpecException.at(index, type, field, "must be a positive integer, got " + value);
    }
  }

  /** Fails unless {@code value >= 0}. */
  static void requireNonNegative(int value, int index, String type, String field) {
    if (value < 0) {
      throw SpecException.at(index, type, field, "must be zero or positive, got " + value);
    }
  }
}
