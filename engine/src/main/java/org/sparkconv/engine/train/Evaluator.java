package org.sparkconv.engine.train;

import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Minibatches;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.tensor.Tensor;

/** Runs a network in evaluation mode over a labelled set, in minibatches. */
public final class Evaluator {

  private Evaluator() {}

  public static Evaluation evaluate(Network net, ImageSet set, Normalization normalization,
      int batchSize) {
    net.requireFits(set.shape(), set.classes(), set.source());
    int classes = net.outputShape().size();
    Minibatches batches = new Minibatches(set, normalization, Augmentation.NONE, 0);
    float[] images = new float[batchSize * set.shape().size()];
    int[] labels = new int[batchSize];
    float[] scratch = new float[batchSize * classes];
    SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    Evaluation total = Evaluation.empty(classes);
    long[][] confusion = total.confusion();
    double lossSum = 0;
    for (int from = 0; from < set.count(); from += batchSize) {
      int n = Math.min(batchSize, set.count() - from);
      batches.assembleInOrder(from, n, images, labels);
      Tensor logits = net.infer(new Tensor(images, 0, n, net.inputShape()));
      accumulate(logits.data(), labels, n, classes, confusion);
      lossSum += loss.lossAndGradient(logits.data(), labels, n, classes, scratch, 1.0);
    }
    return new Evaluation(lossSum, set.count(), confusion);
  }

  /** Adds the arg-max predictions of {@code n} rows of logits to the confusion matrix. */
  static void accumulate(float[] logits, int[] labels, int n, int classes, long[][] confusion) {
    for (int i = 0; i < n; i++) {
      confusion[labels[i]][argMax(logits, i * classes, classes)]++;
    }
  }

  /** Index of the largest of {@code values[off, off + len)}; the first on ties. */
  public static int argMax(float[] values, int off, int len) {
    int best = 0;
    for (int k = 1; k < len; k++) {
      if (values[off + k] > values[off + best]) {
        best = k;
      }
    }
    return best;
  }
}
