package org.sparkconv.spark.train;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.wire.SparkActions;
import org.sparkconv.spark.worker.TrainingRun;
import org.sparkconv.spark.worker.Worker;

/**
 * One synchronous round up the tree ({@code spark.sync=tree}): broadcast what the rule needs,
 * every partition's contribution to data rounds [round, round + steps), summed on the way to
 * the driver ({@code treeAggregate}, zero value null so no dense zero vector rides in every
 * task closure), the broadcast destroyed. Adopting it lets the rule apply the sum on the driver.
 */
final class TreeRound {

  private TreeRound() {}

  /** {@code beforeJob} runs just before the Spark job (a test hook may fail it there). */
  static JobOutcome run(JavaSparkContext jsc, JavaRDD<Shard> trainRdd, TrainingRun run,
      SyncRule sync, Network net, Optimizer optimizer, ModelMetadata.Position at, int depth,
      RoundTimes times, Runnable beforeJob) {
    int epoch = at.epoch();
    int round = at.round();
    int steps = Math.min(sync.stepsPerRound(), run.plan().roundsPerEpoch() - round);
    float lr = run.rate(run.step(epoch, round));
    long b0 = System.nanoTime();
    Broadcast<ModelVector> model = jsc.broadcast(sync.broadcast(net, optimizer));
    long b1 = System.nanoTime();
    try {
      Contribution sum = SparkActions.run(() -> {
        beforeJob.run();
        boolean stepping = sync.stepsInTasks();
        return trainRdd.treeAggregate(null,
            (acc, shard) -> Contribution.merge(acc, Worker.withModel(run.specJson(),
                model.value(), stepping, w -> sync.compute(w,
                    stepping ? w.optimizer(run.optimizer(), model.value()) : null, shard, run,
                    epoch, round, steps))),
            Contribution::merge, depth);
      });
      long b2 = System.nanoTime();
      times.add(b1 - b0, sum.computeNanos(), b2 - b1 - sum.computeNanos());
      return new JobOutcome(round, List.of(sum), new int[] {steps}, new float[] {lr},
          () -> sync.apply(sum, net, optimizer, steps, lr));
    } finally {
      model.destroy();
    }
  }

}
