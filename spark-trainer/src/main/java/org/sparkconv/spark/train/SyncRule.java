package org.sparkconv.spark.train;

import java.io.Serializable;
import java.util.Map;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.worker.TrainingRun;
import org.sparkconv.spark.worker.Worker;

/**
 * One way of keeping the partitions' replicas of the model in step: what the driver
 * broadcasts, what a partition computes and sends back (laid out by {@link #layout}), and how
 * the driver turns the sum into the next model. {@link SparkTrainer}'s loop calls these and
 * nothing else, so a new way of synchronising is one more implementation. Instances are small
 * values that travel in task closures.
 */
public interface SyncRule extends Serializable {

  /** The {@code spark.mode} that selects this rule. */
  String mode();

  /** Data rounds (minibatches) one synchronisation covers. */
  int stepsPerRound();

  /** The layout of the vector a partition returns, for a model of this many floats. */
  VectorLayout layout(int params, int state, int slots);

  /**
   * Whether {@link #compute} takes optimizer steps on the task's replica (local steps): then a
   * task needs the optimizer's state and parameters of its own to step; otherwise it only reads
   * the broadcast parameters, and a tree round's tasks get no optimizer.
   */
  boolean stepsInTasks();

  /** What the executors need of the driver's model for a round. */
  ModelVector broadcast(Network net, Optimizer optimizer);

  /**
   * Runs in a Spark task: computes {@code shard}'s part of data rounds
   * {@code [firstRound, firstRound + steps)} of {@code epoch}, starting from the model and
   * optimizer state that {@code worker} and {@code optimizer} hold ({@code optimizer} null in a
   * tree round of a rule that takes no {@link #stepsInTasks steps in tasks}).
   */
  Contribution compute(Worker worker, Optimizer optimizer, Shard shard, TrainingRun run,
      int epoch, int firstRound, int steps);

  /**
   * The next model from {@code sum}, the total of every partition's contribution to a round
   * of {@code steps} data rounds at rate {@code lr}: on the driver (tree aggregation), or on
   * every replica alike (all-reduce).
   */
  void apply(Contribution sum, Network net, Optimizer optimizer, int steps, float lr);

  /** The settings that make runs of this rule comparable, for job fingerprints. */
  Map<String, String> fingerprint();

  /** The rule as a person reads it in logs. */
  String describe();

  /**
   * The rule {@code spark.mode} names: {@code gradient} or {@code parameter} (with
   * {@code localSteps} local steps per round); anything else fails naming the modes.
   */
  static SyncRule named(String mode, int localSteps) {
    return switch (mode) {
      case GradientAveraging.MODE -> new GradientAveraging();
      case ParameterAveraging.MODE -> new ParameterAveraging(localSteps);
      default -> throw new IllegalArgumentException("must be \"" + GradientAveraging.MODE
          + "\" or \"" + ParameterAveraging.MODE + "\", got \"" + mode + "\"");
    };
  }
}
