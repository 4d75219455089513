package org.sparkconv.spark.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.spark.train.TrainingHistory;

/**
 * A training run as one self-contained HTML page: loss and accuracy per epoch (train and
 * test), the per-round loss (raw and smoothed), the learning rate, images/s, where a round's
 * time went per epoch (stacked), per-class test accuracy, the test confusion matrix as a heat
 * map, the model summary and the job's settings.
 */
public final class TrainingReport {

  private TrainingReport() {}

  /**
   * @param test the last test evaluation (the model as written)
   * @param modelSummary the network's summary table
   * @param settings the job's settings, as shown
   */
  public static String html(String title, TrainingHistory history, Evaluation test,
      List<String> classNames, String modelSummary, Map<String, String> settings) {
    StringBuilder page = new StringBuilder(ReportHtml.head(title));
    page.append(String.format(Locale.ROOT, "<p>Test accuracy %.2f%% (%d / %d), test loss %.4f;"
            + " %d epochs, %d rounds.</p>%n", 100 * test.accuracy(), test.correct(),
        test.count(), test.loss(), history.epochs().size(), history.rounds().size()));

    page.append("<h2>Curves</h2>\n");
    for (String chart : charts(history, test, classNames)) {
      page.append("<img alt=\"chart\" src=\"").append(chart).append("\">\n");
    }
    page.append("<h2>Test confusion matrix</h2>\n").append(ReportHtml.heatMap(test, classNames));
    page.append("<h2>Model</h2>\n<pre>").append(ReportHtml.escape(modelSummary))
        .append("</pre>\n");
    return page.append(ReportHtml.settings(settings)).append(ReportHtml.END).toString();
  }

  private static List<String> charts(TrainingHistory history, Evaluation test,
      List<String> classNames) {
    List<String> charts = new ArrayList<>();
    List<TrainingHistory.Epoch> epochs = history.epochs();
    if (!epochs.isEmpty()) {
      double[] x = new double[epochs.size()];
      double[][] y = new double[4][epochs.size()];
      for (int i = 0; i < x.length; i++) {
        TrainingHistory.Epoch e = epochs.get(i);
        x[i] = e.epoch() + 1;
        y[0][i] = e.trainLoss();
        y[1][i] = e.test().loss();
        y[2][i] = 100 * e.trainAccuracy();
        y[3][i] = 100 * e.test().accuracy();
      }
      charts.add(Charts.lines("Loss per epoch", "epoch", "loss", List.of(
          new Charts.Series("train", x, y[0]), new Charts.Series("test", x, y[1]))));
      charts.add(Charts.lines("Accuracy per epoch", "epoch", "accuracy (%)", List.of(
          new Charts.Series("train", x, y[2]), new Charts.Series("test", x, y[3]))));
    }
    List<TrainingHistory.Round> rounds = history.rounds();
    if (!rounds.isEmpty()) {
      double[] x = new double[rounds.size()];
      double[] loss = new double[x.length];
      double[] smooth = new double[x.length];
      double[] lr = new double[x.length];
      double[] rate = new double[x.length];
      double ema = rounds.get(0).loss();
      for (int i = 0; i < x.length; i++) {
        TrainingHistory.Round r = rounds.get(i);
        x[i] = r.roundsDone();
        loss[i] = r.loss();
        ema = 0.9 * ema + 0.1 * r.loss();
        smooth[i] = ema;
        lr[i] = r.lr();
        rate[i] = r.imagesPerSecond();
      }
      charts.add(Charts.lines("Training loss per round", "round", "loss", List.of(
          new Charts.Series("round", x, loss), new Charts.Series("smoothed", x, smooth))));
      charts.add(Charts.lines("Learning rate", "round", "learning rate",
          List.of(new Charts.Series("lr", x, lr))));
      charts.add(Charts.lines("Training images/s (within each epoch)", "round", "images/s",
          List.of(new Charts.Series("images/s", x, rate))));
    }
    if (!epochs.isEmpty()) {
      Map<String, Map<String, Double>> split = new LinkedHashMap<>();
      for (TrainingHistory.Epoch e : epochs) {
        split.put("epoch " + (e.epoch() + 1), e.split());
      }
      charts.add(Charts.bars("Where a round's time goes", "", "ms per round", split, true));
    }
    charts.add(ReportHtml.perClassChart("Per-class test accuracy", test, classNames));
    return charts;
  }
}
