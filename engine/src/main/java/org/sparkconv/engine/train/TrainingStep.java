package org.sparkconv.engine.train;

import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Forward, fused softmax cross-entropy and backward over one minibatch, leaving the parameter
 * gradient in {@code net.grads()}: the step that single-JVM training and every Spark partition
 * run. What happens to the gradient (an optimizer step here, a sum across partitions there) is
 * the caller's business.
 */
public final class TrainingStep {

  /** Loss summed over the batch (scaled as the gradient was) and correct predictions. */
  public record Result(double lossSum, int correct) {}

  private final Network net;
  private final SoftmaxCrossEntropy loss;
  private final int classes;
  private float[] dLogits = new float[0]; // (N, classes)

  public TrainingStep(Network net, float labelSmoothing) {
    this.net = net;
    this.loss = new SoftmaxCrossEntropy(labelSmoothing);
    this.classes = net.outputShape().size();
  }

  /**
   * Zeroes the gradients, runs {@code n} normalised images forward in training mode and
   * backpropagates the loss divided by {@code normalizer} (the batch the gradient is averaged
   * over: n on one JVM, the global batch across partitions). Backward is skipped when the loss
   * is not finite; the caller stops on it.
   */
  public Result run(float[] images, int[] labels, int n, double normalizer) {
    if (dLogits.length < n * classes) {
      dLogits = new float[n * classes];
    }
    net.zeroGrad();
    Tensor logits = net.forward(new Tensor(images, 0, n, net.inputShape()), true);
    int correct = 0;
    for (int i = 0; i < n; i++) {
      if (Evaluator.argMax(logits.data(), i * classes, classes) == labels[i]) {
        correct++;
      }
    }
    double mean = loss.lossAndGradient(logits.data(), labels, n, classes, dLogits, normalizer);
    if (Double.isFinite(mean)) {
      net.backward(dLogits);
    }
    return new Result(mean * normalizer, correct);
  }
}
