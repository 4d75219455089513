/**
 * What a training run leaves for people to look at beside its model: the metrics as JSON lines
 * ({@link org.sparkconv.spark.report.MetricsLines}) and a self-contained HTML report with
 * charts drawn by JFreeChart ({@link org.sparkconv.spark.report.TrainingReport}).
 */
package org.sparkconv.spark.report;
