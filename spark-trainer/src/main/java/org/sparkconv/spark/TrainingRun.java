package org.sparkconv.spark;

import java.io.Serializable;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;
import org.sparkconv.engine.tensor.Shape;

/**
 * The fixed description of one distributed training run that executors need in every task:
 * the model spec (as JSON, also the key of the executor's network cache), the data plan, and
 * how to train. Small; travels inside task closures. The changing model travels in the
 * per-round broadcast ({@link ModelVector}).
 */
record TrainingRun(String specJson, Shape inputShape, int classes, RoundPlan plan,
    Normalization normalization, Augmentation augmentation, OptimizerSpec optimizer,
    Schedule schedule, int epochs, float labelSmoothing, long seed, String mode,
    int localSteps) implements Serializable {

  static final String GRADIENT = "gradient";
  static final String PARAMETER = "parameter";

  /** Global optimizer step of data round {@code round} of epoch {@code epoch}. */
  long step(int epoch, int round) {
    return (long) epoch * plan.roundsPerEpoch() + round;
  }

  float rate(long step) {
    return schedule.rate(optimizer.lr(), step, plan.roundsPerEpoch(), epochs);
  }

  /** Key of the executor-side cache of workers for this run's model and optimizer. */
  String workerKey() {
    return specJson + "|" + optimizer;
  }
}
