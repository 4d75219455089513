package org.sparkconv.spark.score;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.LongConsumer;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.Minibatches;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.tensor.Tensor;
import org.sparkconv.spark.wire.ImageRow;
import org.sparkconv.spark.wire.ScoredImage;
import org.sparkconv.spark.wire.TrainedModel;

/**
 * Scores images inside a Spark task, lazily, a minibatch at a time as the returned iterator is
 * consumed, so a partition of any size streams through in bounded memory. The network is a
 * twin of the one holding the model's weights in this JVM ({@link ScoringNetworks}), borrowed
 * at the first minibatch and given back when the inputs are exhausted; it runs the inference
 * path (no switches, no backward caches). Inputs that carry an error pass through as error
 * rows.
 */
public final class Scorer {

  private Scorer() {}

  /**
   * {@code inputs} scored with {@code model}, {@code batchSize} at a time, with the
   * {@code topK} most probable classes per row; {@code progress} is told how many images each
   * minibatch scored.
   */
  public static Iterator<ScoredImage> score(TrainedModel model, Iterator<ImageRow> inputs,
      int batchSize, int topK, LongConsumer progress) {
    return new Iterator<>() {
      private final ArrayDeque<ScoredImage> ready = new ArrayDeque<>();
      private final List<ImageRow> batch = new ArrayList<>(batchSize);
      private Network net; // borrowed at the first minibatch
      private float[] images; // (batchSize, C, H, W)
      private float[] scratch;

      @Override
      public boolean hasNext() {
        while (ready.isEmpty() && inputs.hasNext()) {
          scoreNextBatch();
        }
        if (ready.isEmpty() && net != null) {
          ScoringNetworks.release(model, net);
          net = null;
        }
        return !ready.isEmpty();
      }

      @Override
      public ScoredImage next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }

      private void scoreNextBatch() {
        if (net == null) {
          net = ScoringNetworks.borrow(model);
          images = new float[batchSize * net.inputShape().size()];
          scratch = new float[net.inputShape().size()];
        }
        int size = net.inputShape().size();
        while (inputs.hasNext() && batch.size() < batchSize) {
          ImageRow in = inputs.next();
          if (in.error() != null) {
            ready.add(ScoredImage.failed(in.id(), in.label(), in.error()));
          } else if (in.pixels().length != size) {
            ready.add(ScoredImage.failed(in.id(), in.label(), in.id() + ": "
                + in.pixels().length + " pixel values, the model takes " + net.inputShape()));
          } else {
            batch.add(in);
          }
        }
        if (batch.isEmpty()) {
          return;
        }
        int n = batch.size();
        int classes = net.outputShape().size();
        for (int i = 0; i < n; i++) {
          Minibatches.prepare(batch.get(i).pixels(), 0, net.inputShape(), model.normalization(),
              Augmentation.NONE, 0, -1, i, images, i * size, scratch);
        }
        Tensor logits = net.infer(new Tensor(images, 0, n, net.inputShape()));
        int k = Math.min(topK, classes);
        for (int i = 0; i < n; i++) {
          ready.add(top(batch.get(i), logits.data(), i * classes, classes, k,
              model.classNames()));
        }
        progress.accept(n);
        batch.clear();
      }
    };
  }

  /** Softmax of one row of logits and its k most probable classes. */
  private static ScoredImage top(ImageRow in, float[] logits, int off, int classes, int k,
      List<String> classNames) {
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, logits[off + c]);
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      sum += Math.exp(logits[off + c] - max);
    }
    int[] best = new int[k];
    float[] probs = new float[k];
    boolean[] taken = new boolean[classes];
    for (int j = 0; j < k; j++) {
      int arg = -1;
      for (int c = 0; c < classes; c++) {
        if (!taken[c] && (arg < 0 || logits[off + c] > logits[off + arg])) {
          arg = c;
        }
      }
      taken[arg] = true;
      best[j] = arg;
      probs[j] = (float) (Math.exp(logits[off + arg] - max) / sum);
    }
    return new ScoredImage(in.id(), in.label(), best[0], classNames.get(best[0]), best, probs,
        java.util.Arrays.copyOfRange(logits, off, off + classes), null);
  }
}
