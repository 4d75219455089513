/**
 * Summing a vector across the tasks of a barrier stage without the driver: a ring all-reduce
 * ({@link org.sparkconv.spark.allreduce.RingAllReduce}) over Spark's own network layer
 * ({@link org.sparkconv.spark.allreduce.PeerExchange}), authenticated as Spark's block transfers
 * are and, always, by a per-task random token. Knows nothing of models or training.
 */
package org.sparkconv.spark.allreduce;
