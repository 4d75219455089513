package org.sparkconv.engine.layer;

/**
 * A live merge: reads several inputs, writes one output. Backward writes the gradient of every
 * input (never accumulates; the network sums the gradients of a node used more than once).
 */
public interface MergeLayer extends Layer {

  /** {@code out} from {@code ins} (one array per input, in input order) for {@code batch}. */
  void forward(float[][] ins, float[] out, int batch);

  /**
   * Writes {@code dIns[k]} (skipping null entries) from {@code dOut}; {@code out} is what the
   * forward pass wrote (an activation fused into the merge is applied there).
   */
  void backward(float[][] ins, float[] out, float[] dOut, float[][] dIns, int batch);

  @Override
  default void forward(float[] in, float[] out, int batch, boolean training) {
    throw new IllegalStateException("a merge takes all its inputs at once");
  }

  @Override
  default void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    throw new IllegalStateException("a merge takes all its inputs at once");
  }
}
