package org.sparkconv.spark.data;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkconv.engine.data.ChannelStatistics;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.wire.DataBlock;
import org.sparkconv.spark.wire.LabelledPixels;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.wire.SparkActions;
import scala.Tuple2;

/**
 * A labelled image set as Spark holds it for training: one {@link Shard} of packed 8-bit blocks
 * per partition, cached on the executors, plus the shard sizes the round plan needs. Every way
 * of building one keeps its lineage, so a partition lost with its executor is rebuilt with the
 * same examples in the same order: read again from the source files ({@link SourceShards}),
 * decoded again from image folders or Parquet (rows placed by a hash of their id and sorted, not
 * by arrival order), or, for a set that exists only in the driver's memory, fetched again from
 * a broadcast (never shipped inside tasks).
 */
public final class ShardedData {

  private final JavaRDD<Shard> rdd;
  private final int[] sizes;
  private final Shape shape;
  private final int classes;
  private final String source;
  private final Broadcast<?> held; // what recomputing a shard reads, released with it; or null

  private ShardedData(JavaRDD<Shard> rdd, int[] sizes, Shape shape, int classes,
      String source, Broadcast<?> held) {
    this.rdd = rdd;
    this.sizes = sizes;
    this.shape = shape;
    this.classes = classes;
    this.source = source;
    this.held = held;
  }

  /** Training data in the driver's memory: a seeded shuffle dealt round-robin. */
  public static ShardedData dealt(JavaSparkContext jsc, ImageSet set, int partitions, long seed) {
    return held(jsc, Sharding.dealt(set, partitions, seed), set);
  }

  /** Evaluation data in the driver's memory: contiguous ranges in order. */
  public static ShardedData contiguous(JavaSparkContext jsc, ImageSet set, int partitions) {
    return held(jsc, Sharding.contiguous(set, partitions), set);
  }

  private static ShardedData held(JavaSparkContext jsc, List<Shard> shards, ImageSet set) {
    Broadcast<Shard[]> all = jsc.broadcast(shards.toArray(new Shard[0]));
    List<Integer> ids = IntStream.range(0, shards.size()).boxed().toList();
    JavaRDD<Shard> rdd = jsc.parallelize(ids, ids.size()).map(p -> all.value()[p]);
    ShardedData data = cached(rdd, set.shape(), set.classes(), set.source(), all);
    all.unpersist(false); // executors keep their cached shard; a lost one is fetched again
    return data;
  }

  /**
   * Shards computed by {@code shards} (one per partition), cached on the executors; {@code held}
   * (what computing a shard reads, or null) is kept until the data is released.
   */
  static ShardedData cached(JavaRDD<Shard> shards, Shape shape, int classes, String source,
      Broadcast<?> held) {
    JavaRDD<Shard> cached = shards.persist(StorageLevel.MEMORY_ONLY());
    List<int[]> counts = SparkActions.run(() -> cached.map(s -> new int[] {s.partition(),
        s.count()}).collect());
    int[] sizes = new int[counts.size()];
    for (int[] c : counts) {
      sizes[c[0]] = c[1];
    }
    return new ShardedData(cached, sizes, shape, classes, source, held);
  }

  /**
   * Data packed on the executors: {@code labelledPixels} yields (label, CHW pixels of
   * {@code shape}) per example; each goes to the partition its origin hashes to and is packed
   * in the order of origins, so the shards do not depend on the order files were listed in.
   */
  public static ShardedData packed(JavaRDD<LabelledPixels> labelledPixels, int partitions,
      Shape shape, int classes, String source) {
    int imageSize = shape.size();
    JavaRDD<Shard> shards = labelledPixels.mapToPair(e -> new Tuple2<>(e.origin(), e))
        .repartitionAndSortWithinPartitions(new HashPartitioner(partitions))
        .values().mapPartitionsWithIndex((p, rows) -> {
          List<LabelledPixels> examples = new ArrayList<>();
          rows.forEachRemaining(examples::add);
          return List.of(pack(p, examples, imageSize, classes)).iterator();
        }, true);
    return cached(shards, shape, classes, source, null);
  }

  private static Shard pack(int p, List<LabelledPixels> examples, int imageSize, int classes) {
    return Sharding.pack(p, examples.size(), imageSize, (i, dst, off) -> {
      LabelledPixels e = examples.get(i);
      if (e.pixels().length != imageSize) {
        throw new IllegalArgumentException(e.origin() + ": " + e.pixels().length
            + " pixel bytes, the model needs " + imageSize);
      }
      if (e.label() < 0 || e.label() >= classes) {
        throw new IllegalArgumentException(e.origin() + ": label " + e.label()
            + " is outside [0, " + classes + ")");
      }
      System.arraycopy(e.pixels(), 0, dst, off, imageSize);
      return e.label();
    });
  }

  public JavaRDD<Shard> rdd() {
    return rdd;
  }

  /** Examples per partition. */
  public int[] sizes() {
    return sizes.clone();
  }

  public Shape shape() {
    return shape;
  }

  public int classes() {
    return classes;
  }

  /** Where the examples came from, for messages and job fingerprints. */
  public String source() {
    return source;
  }

  public int partitions() {
    return sizes.length;
  }

  public long count() {
    long n = 0;
    for (int s : sizes) {
      n += s;
    }
    return n;
  }

  /** Per-channel mean and standard deviation over every pixel, computed on the executors. */
  public Normalization statistics() {
    Shape imageShape = shape;
    double[] sums = SparkActions.run(() -> rdd.map(s -> {
      ChannelStatistics stats = new ChannelStatistics(imageShape);
      for (DataBlock b : s.blocks()) {
        stats.add(b.pixels(), 0, b.count());
      }
      return stats.toArray();
    }).reduce((a, b) -> ChannelStatistics.fromArray(imageShape, a)
        .merge(ChannelStatistics.fromArray(imageShape, b)).toArray()));
    return ChannelStatistics.fromArray(shape, sums).normalization();
  }

  /** Drops the cached shards from the executors (and the driver's broadcast copy). */
  public void release() {
    rdd.unpersist(false);
    if (held != null) {
      held.destroy();
    }
  }
}
