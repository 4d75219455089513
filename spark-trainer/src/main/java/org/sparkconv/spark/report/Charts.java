package org.sparkconv.spark.report;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Charts of a report, drawn by JFreeChart in a headless JVM and returned as PNG data URIs, so
 * the report is one file that opens anywhere.
 */
final class Charts {

  static final int WIDTH = 640;
  static final int HEIGHT = 320;

  private Charts() {}

  /** One named series of (x, y) points. */
  record Series(String name, double[] x, double[] y) {}

  static String lines(String title, String xLabel, String yLabel, List<Series> series) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Series s : series) {
      XYSeries xy = new XYSeries(s.name(), false, true);
      for (int i = 0; i < s.x().length; i++) {
        xy.add(s.x()[i], s.y()[i]);
      }
      data.addSeries(xy);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data,
        PlotOrientation.VERTICAL, series.size() > 1, false, false);
    // Points drawn too: an epoch curve of a one-epoch run is a single point.
    ((XYLineAndShapeRenderer) chart.getXYPlot().getRenderer()).setDefaultShapesVisible(
        data.getItemCount(0) <= 50);
    return png(chart);
  }

  /** Bars by category; with several series per category, stacked. */
  static String bars(String title, String categoryLabel, String valueLabel,
      Map<String, Map<String, Double>> valuesByCategory, boolean stacked) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (Map.Entry<String, Map<String, Double>> c : valuesByCategory.entrySet()) {
      for (Map.Entry<String, Double> v : c.getValue().entrySet()) {
        data.addValue(v.getValue(), v.getKey(), c.getKey());
      }
    }
    JFreeChart chart = stacked
        ? ChartFactory.createStackedBarChart(title, categoryLabel, valueLabel, data,
            PlotOrientation.VERTICAL, true, false, false)
        : ChartFactory.createBarChart(title, categoryLabel, valueLabel, data,
            PlotOrientation.VERTICAL, false, false, false);
    return png(chart);
  }

  private static String png(JFreeChart chart) {
    System.setProperty("java.awt.headless", "true");
    chart.setBackgroundPaint(Color.WHITE);
    chart.getPlot().setBackgroundPaint(Color.WHITE);
    if (chart.getPlot() instanceof org.jfree.chart.plot.XYPlot xy) {
      xy.setDomainGridlinePaint(Color.LIGHT_GRAY);
      xy.setRangeGridlinePaint(Color.LIGHT_GRAY);
      // Epochs and rounds are whole numbers (one epoch would otherwise read "1E0" at each tick).
      ((org.jfree.chart.axis.NumberAxis) xy.getDomainAxis()).setStandardTickUnits(
          org.jfree.chart.axis.NumberAxis.createIntegerTickUnits());
    } else if (chart.getPlot() instanceof org.jfree.chart.plot.CategoryPlot category) {
      category.setRangeGridlinePaint(Color.LIGHT_GRAY);
      category.getDomainAxis().setCategoryLabelPositions(
          org.jfree.chart.axis.CategoryLabelPositions.UP_45);
      category.getDomainAxis().setMaximumCategoryLabelWidthRatio(2f);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
  }
}
