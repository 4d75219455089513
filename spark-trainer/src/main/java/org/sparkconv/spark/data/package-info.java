/**
 * Where images come from and how Spark holds them: readers on any Hadoop FileSystem (IDX and
 * CIFAR files read by the driver; image folders and Parquet tables read and decoded on the
 * executors, as {@link org.sparkconv.spark.wire.ImageRow}s for training and scoring alike),
 * conversion to a model's input, the packed, cached shards training runs on, and which examples
 * each partition uses in each round ({@link org.sparkconv.spark.data.RoundPlan}).
 */
package org.sparkconv.spark.data;
