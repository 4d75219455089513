/**
 * Everything that crosses the network between the driver and the executors: broadcasts
 * ({@link org.sparkconv.spark.wire.ModelVector}, {@link org.sparkconv.spark.wire.TrainedModel}),
 * cached data ({@link org.sparkconv.spark.wire.Shard}), task results
 * ({@link org.sparkconv.spark.wire.Contribution},
 * {@link org.sparkconv.spark.wire.ConfusionCounts}) and rows, each with its explicit Kryo
 * serializer, registered in one place ({@link org.sparkconv.spark.wire.KryoRegistration}).
 * They are also {@code java.io.Serializable}, so that a SparkSession a user made with Spark's
 * default (Java) serializer trains and scores too; sparkconv's own jobs use Kryo.
 */
package org.sparkconv.spark.wire;
