/**
 * Where images come from and how Spark holds them: readers on any Hadoop FileSystem (IDX and
 * CIFAR files read by the driver; image folders and Parquet tables read and decoded on the
 * executors, as {@link org.sparkconv.spark.wire.ImageRow}s for training and scoring alike),
 * conversion to a model's input, and the packed, cached shards training runs on.
 */
package org.sparkconv.spark.data;
