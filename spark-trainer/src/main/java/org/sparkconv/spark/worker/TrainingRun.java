package org.sparkconv.spark.worker;

import java.io.Serializable;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.data.RoundPlan;

/**
 * The fixed description of one distributed training run that executors need in every task:
 * the model spec (as JSON, also the key of the executors' network pool), the data plan, and how
 * to train. Small; travels inside task closures. The changing model travels in the per-round
 * broadcast, as the synchronisation rule lays it out.
 */
public record TrainingRun(String specJson, Shape inputShape, int classes, RoundPlan plan,
    Normalization normalization, Augmentation augmentation, OptimizerSpec optimizer,
    Schedule schedule, int epochs, float labelSmoothing, long seed) implements Serializable {

  /** Global optimizer step of data round {@code round} of epoch {@code epoch}. */
  public long step(int epoch, int round) {
    return (long) epoch * plan.roundsPerEpoch() + round;
  }

  /** The same run with its base learning rate times {@code factor}. */
  public TrainingRun withLearningRateScaled(double factor) {
    return new TrainingRun(specJson, inputShape, classes, plan, normalization, augmentation,
        optimizer.withLr((float) (optimizer.lr() * factor)), schedule, epochs, labelSmoothing,
        seed);
  }

  /** The scheduled learning rate at global step {@code step}. */
  public float rate(long step) {
    return schedule.rate(optimizer.lr(), step, plan.roundsPerEpoch(), epochs);
  }
}
