package org.sparkconv.spark.worker;

import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.train.Evaluator;
import org.sparkconv.spark.wire.ConfusionCounts;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;

/** The test-set evaluation of one partition, run inside a Spark task. */
public final class PartitionEvaluation {

  /** Images per forward pass of the evaluation. */
  public static final int BATCH = 256;

  private PartitionEvaluation() {}

  /** The broadcast model evaluated on every example of {@code shard}. */
  public static ConfusionCounts evaluate(Shard shard, TrainingRun run, ModelVector model) {
    return Worker.withModel(run.specJson(), model, w -> {
      int size = run.inputShape().size();
      byte[] pixels = new byte[shard.count() * size];
      int[] labels = new int[shard.count()];
      for (int i = 0; i < shard.count(); i++) {
        shard.pixels(i, pixels, i * size);
        labels[i] = shard.label(i);
      }
      ImageSet set = new ImageSet("partition " + shard.partition(), run.inputShape(),
          shard.count(), pixels, labels, run.classes());
      return ConfusionCounts.of(Evaluator.evaluate(w.network(), set, run.normalization(), BATCH));
    });
  }
}
