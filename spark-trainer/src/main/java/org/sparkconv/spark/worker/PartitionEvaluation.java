package org.sparkconv.spark.worker;

import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkSummary;
import org.sparkconv.engine.train.Evaluator;
import org.sparkconv.spark.wire.ConfusionCounts;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;

/** The test-set evaluation of one partition, run inside a Spark task. */
public final class PartitionEvaluation {

  /** Images per forward pass of the evaluation, for models of ordinary size. */
  public static final int BATCH = 256;

  /** The activations one evaluation pass may hold, so that a large model's does not OOM. */
  static final long ACTIVATION_BUDGET_BYTES = 256L << 20;

  /**
   * Images per evaluation pass of {@code spec}: {@link #BATCH}, fewer when that many examples'
   * activations would pass {@link #ACTIVATION_BUDGET_BYTES} (VGG16 at 224x224 holds 61 MB per
   * image), but never fewer than the training share, whose buffers the network has anyway.
   */
  public static int batchFor(NetworkSpec spec, int trainingShare) {
    long perExample = Math.max(1, NetworkSummary.of(spec, 1, 1).activationBytes());
    long fits = Math.max(1, ACTIVATION_BUDGET_BYTES / perExample);
    return (int) Math.max(trainingShare, Math.min(BATCH, fits));
  }

  private PartitionEvaluation() {}

  /** The broadcast model evaluated on every example of {@code shard}. */
  public static ConfusionCounts evaluate(Shard shard, TrainingRun run, ModelVector model) {
    return Worker.withModel(run.specJson(), model, false, w -> {
      int size = run.inputShape().size();
      byte[] pixels = new byte[shard.count() * size];
      int[] labels = new int[shard.count()];
      for (int i = 0; i < shard.count(); i++) {
        shard.pixels(i, pixels, i * size);
        labels[i] = shard.label(i);
      }
      ImageSet set = new ImageSet("partition " + shard.partition(), run.inputShape(),
          shard.count(), pixels, labels, run.classes());
      return ConfusionCounts.of(Evaluator.evaluate(w.network(), set, run.normalization(),
          batchFor(w.network().spec(), 1)));
    });
  }
}
