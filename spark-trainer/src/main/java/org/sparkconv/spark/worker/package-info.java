/**
 * What runs inside a Spark task: the per-JVM pool of built networks
 * ({@link org.sparkconv.spark.worker.NetworkPool}), one thread's engine for a model
 * ({@link org.sparkconv.spark.worker.Worker}: read or copy the broadcast weights, prepare a
 * partition's share of a round, forward and backward), what every task of a run is told
 * ({@link org.sparkconv.spark.worker.TrainingRun}), and a partition's test evaluation.
 */
package org.sparkconv.spark.worker;
