package org.sparkconv.engine.layer;

import java.util.random.RandomGenerator;
import org.sparkconv.engine.tensor.Shape;

/**
 * A live layer for one input shape. Activations are flat NCHW arrays starting at index 0 that the
 * network owns and reuses; a layer reads {@code in}, writes {@code out}, and in backward writes
 * {@code dIn} (never accumulates into it) while accumulating parameter gradients into the
 * network's {@code grads} buffer (beta = 1), so that {@code zeroGrad} is the only reset.
 */
public interface Layer {

  Shape inputShape();

  Shape outputShape();

  /**
   * Gives the layer its views (sized by its spec's {@link LayerSpec#paramBlocks} and
   * {@link LayerSpec#stateSize}): its parameters start at {@code params[paramOffset]} (gradients at
   * the same offset of {@code grads}), its state at {@code state[stateOffset]}.
   */
  default void bind(float[] params, float[] grads, int paramOffset, float[] state,
      int stateOffset) {}

  /** Fills this layer's parameters from {@code rng}. */
  default void initParams(RandomGenerator rng) {}

  /** Resets state to its initial value (running mean 0, running variance 1). */
  default void resetState() {}

  /**
   * From now on reads whatever this layer derives from its weights for inference (weights
   * packed for a kernel) from {@code twin}, the same layer of a network of the same spec on the
   * same parameters, instead of deriving its own: for networks that infer side by side on one
   * model (a network's single-thread replicas, twins: {@link LayerSpec#sharedInferenceFloats}).
   * Nothing by default.
   */
  default void shareInferenceWeightsOf(Layer twin) {}

  /** Allocates per-batch caches for up to {@code batch} examples; called before forward. */
  default void reserve(int batch) {}

  /**
   * Allocates what {@link #infer} needs for up to {@code batch} examples, called before it: by
   * default what {@link #reserve} allocates.
   */
  default void reserveInference(int batch) {
    reserve(batch);
  }

  /**
   * Computes {@code out} from {@code in} for {@code batch} examples, keeping what
   * {@link #backward} needs: in training mode, or in evaluation mode (a backward after it gives
   * the gradients of the inference function).
   */
  void forward(float[] in, float[] out, int batch, boolean training);

  /**
   * The evaluation-mode forward when no backward follows ({@code Network.infer}): a layer may
   * skip what only backward reads.
   */
  default void infer(float[] in, float[] out, int batch) {
    forward(in, out, batch, false);
  }

  /**
   * Given {@code dOut}, accumulates parameter gradients and, unless {@code dIn} is null, writes
   * the input gradient. {@code in}, {@code out} are what the last forward saw and produced.
   */
  void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch);

  /**
   * Offers this layer the layer after it to apply within its own passes (a fused activation).
   * Returning true means it has taken that role: its forward now writes {@code next}'s output
   * and its backward receives the gradient with respect to that output. The network then skips
   * {@code next} and lets both share one activation buffer, saving a pass over memory each way.
   */
  default boolean fuseNext(Layer next) {
    return false;
  }

  /**
   * Offers this layer {@code norm}, a batch norm whose input is this layer's output (no
   * activation fused between): true if it takes the role of recording, as it writes each image
   * of a training forward, the moments of its output's planes for that norm's batch statistics,
   * which then needs no pass of its own over the output for them ({@link Conv2d}).
   */
  default boolean recordMomentsFor(Layer norm) {
    return false;
  }

  /**
   * Inference only, where this layer's spec {@link LayerSpec#foldsNextInInference folds}
   * {@code next} in: writes to {@code out} what {@code next} would output after this layer's
   * inference forward on {@code in}.
   */
  default void inferFoldingNext(Layer next, float[] in, float[] out, int batch) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " does not fold the layer after it");
  }

  /**
   * Inference only, where the network folds {@code next} (as in {@link #inferFoldingNext}) and
   * the two-input sum after it: writes to {@code out} the sum of {@code next}'s output and
   * {@code residual} (the sum's other input, laid out as {@code out}), then its ReLU if
   * {@code relu}.
   */
  default void inferFoldingNextAndSum(Layer next, float[] in, float[] out, int batch,
      float[] residual, boolean relu) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " does not fold the layers after it");
  }

  /**
   * Whether {@link #inferFoldingNextAndPool} can run: this layer writes the 2x2 max pool
   * (stride 2) of its output as it computes it, the full output never written.
   */
  default boolean infersPooled() {
    return false;
  }

  /**
   * Inference only, where the network folds {@code next} (as in {@link #inferFoldingNext}) and
   * the 2x2 max pool at stride 2 after it (only where {@link #infersPooled}): writes to
   * {@code out} that pool's output.
   */
  default void inferFoldingNextAndPool(Layer next, float[] in, float[] out, int batch) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " does not fold a pool after it");
  }

  /**
   * Whether this layer's inference output can be written straight in the layout {@code next}
   * reads its inference input in ({@link #handInferenceTo}): a convolution by Winograd with its
   * GEMMs by channels writing the next one's padded pixel-major input.
   */
  default boolean handsInferenceTo(Layer next) {
    return false;
  }

  /**
   * From now on (where {@link #handsInferenceTo}), every inference forward of this layer writes
   * its output in {@code next}'s input layout, and {@code next}'s inference forwards read their
   * input in it; training forwards keep the usual layout. Returns the floats of one image of
   * that output, which the buffer between them must hold. The network does this only where
   * {@code next} is the output's sole consumer.
   */
  default int handInferenceTo(Layer next) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " writes no other layer's input layout");
  }
}
