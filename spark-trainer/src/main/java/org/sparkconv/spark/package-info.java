/**
 * Synchronous data-parallel training of sparkconv models on Spark: each executor runs the engine
 * on its partition's share of every round and the sums are tree-aggregated to the driver, which
 * updates the model (gradient averaging) or averages what the partitions trained for k local
 * steps (parameter averaging). Also the Hadoop FileSystem data sources and the TrainJob entry
 * point.
 */
package org.sparkconv.spark;
