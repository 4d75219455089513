package org.sparkconv.spark.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.train.DataSpec;
import org.sparkconv.spark.wire.ImageRow;
import org.sparkconv.spark.wire.Shard;

/**
 * Shards that the executors read themselves from IDX or CIFAR files on any Hadoop URI: each
 * partition's task reads the split and keeps its own members (dealt by the same seeded shuffle
 * as {@link Sharding}, or a contiguous range for evaluation). Only the file locations and a
 * broadcast handle of the driver's Hadoop settings travel in the tasks (the settings themselves,
 * tens of kilobytes, would otherwise ride in every round's task binary, since the cached RDD
 * keeps this step as its lineage), and a partition lost with its executor is read again by
 * whichever executor Spark gives the retried task, with the same members in the same order.
 */
public final class SourceShards {

  private SourceShards() {}

  /**
   * The training split of {@code data} (its first {@code limit} images when {@code limit > 0}),
   * dealt to {@code partitions} partitions with {@code seed}.
   */
  public static ShardedData training(JavaSparkContext jsc, DataSpec.DriverRead data, int limit,
      int partitions, long seed, Shape shape) {
    Broadcast<HashMap<String, String>> hadoop = jsc.broadcast(settings(
        jsc.hadoopConfiguration()));
    String source = data.trainLocation() + (limit > 0 ? " (first " + limit + ")" : "");
    JavaRDD<Shard> shards = partitionIds(jsc, partitions).map(p -> {
      ImageSet set = data.readTrain(location -> new HadoopSource(location, conf(hadoop)));
      return Sharding.dealt(checked(limit > 0 ? set.head(limit) : set, shape), partitions, seed,
          p);
    });
    return ShardedData.cached(shards, shape, data.classes(), source, hadoop);
  }

  /** The test split of {@code data} in contiguous ranges. */
  public static ShardedData test(JavaSparkContext jsc, DataSpec.DriverRead data, int partitions,
      Shape shape) {
    return test(jsc, data, 0, partitions, shape);
  }

  /** The same, the first {@code limit} test images only (0: all). */
  public static ShardedData test(JavaSparkContext jsc, DataSpec.DriverRead data, int limit,
      int partitions, Shape shape) {
    Broadcast<HashMap<String, String>> hadoop = jsc.broadcast(settings(
        jsc.hadoopConfiguration()));
    JavaRDD<Shard> shards = partitionIds(jsc, partitions).map(p -> {
      ImageSet all = checked(data.readTest(location -> new HadoopSource(location, conf(hadoop))),
          shape);
      return Sharding.contiguous(limit > 0 && limit < all.count() ? all.head(limit) : all,
          partitions, p);
    });
    return ShardedData.cached(shards, shape, data.classes(), "the test split of "
        + data.trainLocation(), hadoop);
  }

  /**
   * The test split of {@code data} as labelled rows with ids "index N", each partition reading
   * its contiguous range (for scoring IDX and CIFAR files without passing them through the
   * driver).
   */
  public static JavaRDD<ImageRow> testRows(JavaSparkContext jsc, DataSpec.DriverRead data,
      int partitions) {
    Broadcast<HashMap<String, String>> hadoop = jsc.broadcast(settings(
        jsc.hadoopConfiguration()));
    return partitionIds(jsc, partitions).flatMap(p -> {
      ImageSet set = data.readTest(location -> new HadoopSource(location, conf(hadoop)));
      int size = set.shape().size();
      int from = Sharding.rangeStart(set.count(), partitions, p);
      int to = Sharding.rangeStart(set.count(), partitions, p + 1);
      List<ImageRow> rows = new ArrayList<>(to - from);
      for (int n = from; n < to; n++) {
        rows.add(new ImageRow("index " + n, set.labels()[n],
            Arrays.copyOfRange(set.pixels(), n * size, (n + 1) * size), null));
      }
      return rows.iterator();
    });
  }

  private static JavaRDD<Integer> partitionIds(JavaSparkContext jsc, int partitions) {
    List<Integer> ids = IntStream.range(0, partitions).boxed().toList();
    return jsc.parallelize(ids, partitions);
  }

  private static ImageSet checked(ImageSet set, Shape shape) {
    if (!set.shape().equals(shape)) {
      throw new IllegalArgumentException(set.source() + " holds images of shape " + set.shape()
          + " but the model takes " + shape);
    }
    return set;
  }

  /** The driver's Hadoop settings, for executors to open the same file systems with. */
  private static HashMap<String, String> settings(Configuration conf) {
    HashMap<String, String> out = new HashMap<>();
    conf.forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  private static Configuration conf(Broadcast<HashMap<String, String>> settings) {
    Configuration conf = new Configuration(false);
    settings.value().forEach(conf::set);
    return conf;
  }
}
