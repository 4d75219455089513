/**
 * Batch scoring with a trained model: loading it (model file or newest checkpoint), scoring
 * rows in minibatches inside Spark tasks, writing predictions and metrics, and the DataFrame
 * entry point for users' own pipelines.
 */
package org.sparkconv.spark.score;
