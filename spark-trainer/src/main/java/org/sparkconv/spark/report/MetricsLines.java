package org.sparkconv.spark.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.sparkconv.spark.train.TrainingHistory;

/**
 * A training run's metrics as JSON lines, one object per line, for tools and notebooks:
 * {@code {"type": "round", "epoch": 1, "round": 17, "loss": ..., "accuracy": ..., "lr": ...,
 * "images_per_second": ..., "round_ms": {"broadcast": ..., "compute": ..., ...}}} for every
 * round (an all-reduce job's rounds share its mean), and for every epoch
 * {@code {"type": "epoch", "epoch": 1, "train_loss", "train_accuracy", "test_loss",
 * "test_accuracy", "seconds", "images_per_second", "round_ms": {"compute": ..., ...}}}.
 * Epochs count from 1, as the log prints them.
 */
public final class MetricsLines {

  private static final ObjectMapper JSON = new ObjectMapper();

  private MetricsLines() {}

  public static String of(TrainingHistory history) {
    StringBuilder out = new StringBuilder();
    for (TrainingHistory.Round r : history.rounds()) {
      ObjectNode o = JSON.createObjectNode().put("type", "round").put("epoch", r.epoch() + 1)
          .put("round", r.roundsDone()).put("loss", r.loss()).put("accuracy", r.accuracy())
          .put("lr", r.lr()).put("images_per_second", r.imagesPerSecond());
      ObjectNode split = o.putObject("round_ms");
      for (Map.Entry<String, Double> part : r.split().entrySet()) {
        split.put(part.getKey(), part.getValue());
      }
      out.append(o).append('\n');
    }
    for (TrainingHistory.Epoch e : history.epochs()) {
      ObjectNode o = JSON.createObjectNode().put("type", "epoch").put("epoch", e.epoch() + 1)
          .put("train_loss", e.trainLoss()).put("train_accuracy", e.trainAccuracy())
          .put("test_loss", e.test().loss()).put("test_accuracy", e.test().accuracy())
          .put("seconds", e.seconds()).put("images_per_second", e.imagesPerSecond());
      ObjectNode split = o.putObject("round_ms");
      for (Map.Entry<String, Double> part : e.split().entrySet()) {
        split.put(part.getKey(), part.getValue());
      }
      out.append(o).append('\n');
    }
    return out.toString();
  }
}
