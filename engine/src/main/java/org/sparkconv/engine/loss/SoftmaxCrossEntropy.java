package org.sparkconv.engine.loss;

/**
 * Softmax followed by cross-entropy, fused: for logits z of one example, target distribution t
 * ({@code 1 - s} on the label plus {@code s / K} everywhere, s the label smoothing) and
 * {@code p = softmax(z)} computed with the log-sum-exp shift {@code z - max(z)},
 * <pre>
 * loss = -sum_k t_k log p_k = logsumexp(z) - sum_k t_k z_k
 * dL/dz_k = p_k - t_k
 * </pre>
 * Both are divided by a caller-given normaliser: the batch size for a mean, or the global example
 * count when partitions of one minibatch are summed elsewhere.
 */
public final class SoftmaxCrossEntropy {

  private final float labelSmoothing;

  public SoftmaxCrossEntropy() {
    this(0f);
  }

  public SoftmaxCrossEntropy(float labelSmoothing) {
    if (!(labelSmoothing >= 0f && labelSmoothing < 1f)) {
      throw new IllegalArgumentException("label smoothing must be in [0, 1), got "
          + labelSmoothing);
    }
    this.labelSmoothing = labelSmoothing;
  }

  /** Mean loss over the batch; writes the gradient of the mean into {@code dLogits}. */
  public double lossAndGradient(float[] logits, int[] labels, int batch, int classes,
      float[] dLogits) {
    return lossAndGradient(logits, labels, batch, classes, dLogits, batch);
  }

  /**
   * Sum of per-example losses divided by {@code normalizer}; writes the gradient of that into
   * {@code dLogits} (which may be {@code logits} itself: the gradient then replaces the logits).
   */
  public double lossAndGradient(float[] logits, int[] labels, int batch, int classes,
      float[] dLogits, double normalizer) {
    double total = 0;
    float offTarget = labelSmoothing / classes;
    float onTarget = 1f - labelSmoothing + offTarget;
    float scale = (float) (1.0 / normalizer);
    for (int n = 0; n < batch; n++) {
      int label = labels[n];
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException("label " + label + " of example " + n
            + " is outside [0, " + classes + ")");
      }
      int row = n * classes;
      float max = logits[row];
      for (int k = 1; k < classes; k++) {
        max = Math.max(max, logits[row + k]);
      }
      double sumExp = 0;
      double targetDotZ = 0;
      for (int k = 0; k < classes; k++) {
        float z = logits[row + k] - max;
        sumExp += Math.exp(z);
        targetDotZ += (k == label ? onTarget : offTarget) * z;
      }
      double logSumExp = Math.log(sumExp);
      total += logSumExp - targetDotZ;
      for (int k = 0; k < classes; k++) {
        float p = (float) Math.exp(logits[row + k] - max - logSumExp);
        dLogits[row + k] = (p - (k == label ? onTarget : offTarget)) * scale;
      }
    }
    return total / normalizer;
  }
}
