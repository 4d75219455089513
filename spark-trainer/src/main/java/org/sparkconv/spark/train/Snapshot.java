package org.sparkconv.spark.train;

import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;

/**
 * A copy of the driver's model and optimizer at a known good point of training (where the next
 * round starts, and how many epoch evaluations had been made), to go back to when rounds keep
 * failing or the loss diverges.
 */
record Snapshot(float[] params, float[] state, float[][] slots, long steps,
    ModelMetadata.Position position, int evaluations) {

  static Snapshot take(Network net, Optimizer optimizer, ModelMetadata.Position position,
      int evaluations) {
    float[][] slots = new float[optimizer.slots().length][];
    for (int k = 0; k < slots.length; k++) {
      slots[k] = optimizer.slots()[k].clone();
    }
    return new Snapshot(net.params().clone(), net.state().clone(), slots, optimizer.steps(),
        position, evaluations);
  }

  /** Puts the model and optimizer back as they were. */
  void restore(Network net, Optimizer optimizer) {
    net.load(params, state);
    for (int k = 0; k < slots.length; k++) {
      System.arraycopy(slots[k], 0, optimizer.slots()[k], 0, slots[k].length);
    }
    optimizer.steps(steps);
  }
}
