package org.sparkconv.engine.train;

import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;

/** How to train: what a job file says beyond the model and the data. */
public record TrainSettings(int epochs, int batchSize, long seed, OptimizerSpec optimizer,
    Schedule schedule, float labelSmoothing, Augmentation augmentation,
    double progressSeconds) {

  public TrainSettings {
    if (epochs <= 0) {
      throw new IllegalArgumentException("setting 'epochs' must be positive, got " + epochs);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("setting 'batch_size' must be positive, got "
          + batchSize);
    }
    if (!(labelSmoothing >= 0f && labelSmoothing < 1f)) {
      throw new IllegalArgumentException("setting 'label_smoothing' must be in [0, 1), got "
          + labelSmoothing);
    }
  }
}
