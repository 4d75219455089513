package org.sparkconv.spark.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkconv.engine.train.Evaluation;

/**
 * A scoring run as one HTML page: how many images, errors and images/s; with labels, the
 * accuracy, per-class accuracy (chart) and the confusion matrix (heat map); the first rows that
 * could not be scored, with their errors; the run's settings.
 */
public final class ScoringReport {

  /** An image that could not be scored: its id and why. */
  public record ErrorRow(String id, String error) {}

  private ScoringReport() {}

  /**
   * @param evaluation counts over the labelled images (count 0 when there were no labels)
   * @param errorRows the first rows that failed (the metrics file has the total)
   */
  public static String html(String title, long images, long errors, double seconds,
      Evaluation evaluation, List<String> classNames, List<ErrorRow> errorRows,
      Map<String, String> settings) {
    StringBuilder page = new StringBuilder(ReportHtml.head(title));
    page.append(String.format(Locale.ROOT, "<p>Scored %d images (%d could not be scored) in"
        + " %.1f s, %.0f images/s.</p>%n", images, errors, seconds, images / seconds));
    if (evaluation.count() > 0) {
      page.append(String.format(Locale.ROOT, "<p>Accuracy %.2f%% (%d / %d labelled"
              + " images).</p>%n", 100 * evaluation.accuracy(), evaluation.correct(),
          evaluation.count()));
      page.append("<img alt=\"chart\" src=\"")
          .append(ReportHtml.perClassChart("Per-class accuracy", evaluation, classNames))
          .append("\">\n");
      page.append("<h2>Confusion matrix</h2>\n")
          .append(ReportHtml.heatMap(evaluation, classNames));
    } else {
      page.append("<p>No labels: no accuracy.</p>\n");
    }
    if (!errorRows.isEmpty()) {
      page.append("<h2>Images that could not be scored")
          .append(errors > errorRows.size() ? " (the first " + errorRows.size() + ")" : "")
          .append("</h2>\n<table class=\"left\">\n<tr><th>id</th><th>error</th></tr>\n");
      for (ErrorRow r : errorRows) {
        page.append("<tr><td>").append(ReportHtml.escape(r.id())).append("</td><td>")
            .append(ReportHtml.escape(r.error())).append("</td></tr>\n");
      }
      page.append("</table>\n");
    }
    return page.append(ReportHtml.settings(settings)).append(ReportHtml.END).toString();
  }
}
