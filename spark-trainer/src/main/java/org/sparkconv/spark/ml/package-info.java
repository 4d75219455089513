/**
 * The Spark ML API: {@link org.sparkconv.spark.ml.ConvNetClassifier} (an Estimator) trains a
 * sparkconv model from a DataFrame inside any Pipeline, and
 * {@link org.sparkconv.spark.ml.ConvNetClassificationModel} (a Model) scores DataFrames in
 * streamed minibatches; both save and load with Spark ML's persistence.
 */
package org.sparkconv.spark.ml;
