package org.sparkconv.engine.train;

import java.util.Locale;

/**
 * Loss, accuracy and the confusion matrix ({@code confusion[actual][predicted]}) of a model on
 * a labelled set.
 */
public record Evaluation(double lossSum, long count, long[][] confusion) {

  public static Evaluation empty(int classes) {
    return new Evaluation(0, 0, new long[classes][classes]);
  }

  public double loss() {
    return count == 0 ? Double.NaN : lossSum / count;
  }

  public long correct() {
    long c = 0;
    for (int k = 0; k < confusion.length; k++) {
      c += confusion[k][k];
    }
    return c;
  }

  public double accuracy() {
    return count == 0 ? Double.NaN : (double) correct() / count;
  }

  /** Accuracy on examples whose true class is {@code k} (recall of k). */
  public double classAccuracy(int k) {
    long total = 0;
    for (long v : confusion[k]) {
      total += v;
    }
    return total == 0 ? Double.NaN : (double) confusion[k][k] / total;
  }

  /** A report: overall figures, per-class accuracy and the confusion matrix. */
  public String report(java.util.List<String> classNames) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "test loss %.4f, accuracy %.2f%% (%d / %d)%n", loss(),
        100 * accuracy(), correct(), count));
    sb.append("per-class accuracy:\n");
    for (int k = 0; k < confusion.length; k++) {
      String name = k < classNames.size() ? classNames.get(k) : Integer.toString(k);
      sb.append(String.format(Locale.ROOT, "  %2d %-14s %6.2f%%%n", k, name,
          100 * classAccuracy(k)));
    }
    sb.append("confusion matrix (rows: true class, columns: predicted):\n");
    for (long[] row : confusion) {
      for (long v : row) {
        sb.append(String.format(Locale.ROOT, "%6d", v));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
