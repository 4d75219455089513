/**
 * Everything that crosses the network between the driver and the executors: broadcasts
 * ({@link org.sparkconv.spark.wire.ModelVector}, {@link org.sparkconv.spark.wire.TrainedModel}),
 * cached data ({@link org.sparkconv.spark.wire.Shard}), task results
 * ({@link org.sparkconv.spark.wire.Contribution},
 * {@link org.sparkconv.spark.wire.ConfusionCounts}) and rows, each with its explicit Kryo
 * serializer, registered in one place ({@link org.sparkconv.spark.wire.KryoRegistration}).
 */
package org.sparkconv.spark.wire;
