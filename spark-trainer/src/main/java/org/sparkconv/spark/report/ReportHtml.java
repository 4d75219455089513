package org.sparkconv.spark.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkconv.engine.train.Evaluation;

/** The pieces every report page shares: head and style, the heat map, the settings table. */
final class ReportHtml {

  static final String END = "</body></html>\n";

  private ReportHtml() {}

  /** The page up to its title heading. */
  static String head(String title) {
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title)
        + "</title><style>body{font-family:sans-serif;margin:2em;max-width:1320px}"
        + "img{margin:4px;border:1px solid #ddd}"
        + "table{border-collapse:collapse}td,th{padding:3px 6px;text-align:right}"
        + "table.left td{text-align:left}pre{background:#f6f6f6;padding:1em}"
        + "</style></head><body>\n<h1>" + escape(title) + "</h1>\n";
  }

  /** A bar chart of each class's accuracy in {@code evaluation}, in percent. */
  static String perClassChart(String title, Evaluation evaluation, List<String> classNames) {
    Map<String, Map<String, Double>> perClass = new LinkedHashMap<>();
    for (int k = 0; k < evaluation.confusion().length; k++) {
      perClass.put(name(classNames, k), Map.of("accuracy", 100 * evaluation.classAccuracy(k)));
    }
    return Charts.bars(title, "", "accuracy (%)", perClass, false);
  }

  /** A "Settings" section listing {@code settings} in order. */
  static String settings(Map<String, String> settings) {
    StringBuilder t = new StringBuilder("<h2>Settings</h2>\n<table class=\"left\">\n");
    for (Map.Entry<String, String> s : settings.entrySet()) {
      t.append("<tr><td>").append(escape(s.getKey())).append("</td><td>")
          .append(escape(s.getValue())).append("</td></tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  /** The confusion matrix as a table whose cells darken with their share of the true class. */
  static String heatMap(Evaluation test, List<String> classNames) {
    long[][] m = test.confusion();
    StringBuilder t = new StringBuilder("<table><tr><th>true \\ predicted</th>");
    for (int k = 0; k < m.length; k++) {
      t.append("<th>").append(escape(name(classNames, k))).append("</th>");
    }
    t.append("</tr>\n");
    for (int i = 0; i < m.length; i++) {
      long total = 0;
      for (long v : m[i]) {
        total += v;
      }
      t.append("<tr><th>").append(escape(name(classNames, i))).append("</th>");
      for (int j = 0; j < m.length; j++) {
        double share = total == 0 ? 0 : m[i][j] / (double) total;
        int shade = (int) Math.round(255 * (1 - share));
        t.append(String.format(Locale.ROOT, "<td style=\"background:rgb(%d,%d,255);color:%s\">"
            + "%d</td>", shade, shade, share > 0.5 ? "white" : "black", m[i][j]));
      }
      t.append("</tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  static String name(List<String> classNames, int k) {
    return classNames != null && k < classNames.size() ? k + " " + classNames.get(k)
        : Integer.toString(k);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
