/**
 * The driver side of synchronous data-parallel training: the round loop
 * ({@link org.sparkconv.spark.train.SparkTrainer}) and one
 * {@link org.sparkconv.spark.train.SyncRule} per way of keeping replicas in step (gradient
 * averaging, parameter averaging), each with the named layout of the vector it aggregates.
 */
package org.sparkconv.spark.train;

