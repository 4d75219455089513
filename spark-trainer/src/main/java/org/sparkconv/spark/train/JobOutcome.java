package org.sparkconv.spark.train;

import java.util.List;
import org.sparkconv.engine.train.DivergenceGuard;
import org.sparkconv.spark.wire.Contribution;

/**
 * What one training job produced, before the driver takes it: the summed loss and counts of
 * each round it ran (one round up the tree, or several of all-reduce), the data rounds and
 * learning rate of each, and how to make its result the driver's model.
 *
 * @param firstRound the data round (within its epoch) the job started at
 * @param rounds each round's summed contribution (only loss and counts are read here)
 * @param steps data rounds each round covered
 * @param rates each round's learning rate
 * @param adopt makes the job's result the driver's model and optimizer state
 */
record JobOutcome(int firstRound, List<Contribution> rounds, int[] steps, float[] rates,
    Runnable adopt) {

  /** The first round whose mean loss {@code guard} calls diverged, or -1. */
  int firstDiverged(DivergenceGuard guard) {
    for (int j = 0; j < rounds.size(); j++) {
      Contribution c = rounds.get(j);
      if (guard.diverged(c.lossSum() / c.count())) {
        return j;
      }
    }
    return -1;
  }

  /** Data rounds from the job's start to the start of its round {@code j}. */
  int offset(int j) {
    int sum = 0;
    for (int k = 0; k < j; k++) {
      sum += steps[k];
    }
    return sum;
  }
}
