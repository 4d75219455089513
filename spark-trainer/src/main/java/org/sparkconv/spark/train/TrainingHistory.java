package org.sparkconv.spark.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkconv.engine.train.Evaluation;

/**
 * What a training run did, round by round and epoch by epoch, kept on the driver for the
 * metrics file and the report: per round the mean loss and accuracy of its examples, the
 * learning rate and the images/s so far in its epoch; per epoch the training and test figures,
 * the throughput and where a round's time went.
 */
public final class TrainingHistory {

  /**
   * One round: {@code roundsDone} counts rounds of the whole run; {@code split} is where its
   * time went in milliseconds by part (for an all-reduce job, the job's mean per round).
   */
  public record Round(int epoch, long roundsDone, double loss, double accuracy, double lr,
      double imagesPerSecond, Map<String, Double> split) {}

  /**
   * One epoch: {@code split} is the mean time of a round in milliseconds by part (broadcast,
   * compute, ...), in the order the parts were reported.
   */
  public record Epoch(int epoch, double trainLoss, double trainAccuracy, Evaluation test,
      double seconds, double imagesPerSecond, Map<String, Double> split) {}

  private final List<Round> rounds = new ArrayList<>();
  private final List<Epoch> epochs = new ArrayList<>();

  void addRound(Round r) {
    rounds.add(r);
  }

  void addEpoch(Epoch e) {
    epochs.add(e);
  }

  public List<Round> rounds() {
    return Collections.unmodifiableList(rounds);
  }

  public List<Epoch> epochs() {
    return Collections.unmodifiableList(epochs);
  }

  /** An empty split, to fill in report order. */
  static Map<String, Double> split() {
    return new LinkedHashMap<>();
  }
}
