package org.sparkconv.spark.data;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.sparkconv.engine.data.ChannelStatistics;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.wire.DataBlock;
import org.sparkconv.spark.wire.LabelledPixels;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.wire.SparkActions;

/**
 * A labelled image set as Spark holds it for training: one {@link Shard} of packed 8-bit blocks
 * per partition, cached on the executors with its lineage cut (a parallelized collection would
 * otherwise ship its data inside every task), plus the shard sizes the round plan needs.
 * Built on the driver from an {@link ImageSet} (IDX, CIFAR), or on the executors from rows of
 * (label, pixels) so that large sets never pass through the driver.
 */
public final class ShardedData {

  private final JavaRDD<Shard> rdd;
  private final int[] sizes;
  private final Shape shape;
  private final int classes;
  private final String source;

  private ShardedData(JavaRDD<Shard> rdd, int[] sizes, Shape shape, int classes,
      String source) {
    this.rdd = rdd;
    this.sizes = sizes;
    this.shape = shape;
    this.classes = classes;
    this.source = source;
  }

  /** Training data from the driver: a seeded shuffle dealt round-robin to the partitions. */
  public static ShardedData dealt(JavaSparkContext jsc, ImageSet set, int partitions, long seed) {
    return fromShards(jsc, Sharding.dealt(set, partitions, seed), set);
  }

  /** Evaluation data from the driver: contiguous ranges in order. */
  public static ShardedData contiguous(JavaSparkContext jsc, ImageSet set, int partitions) {
    return fromShards(jsc, Sharding.contiguous(set, partitions), set);
  }

  private static ShardedData fromShards(JavaSparkContext jsc, List<Shard> shards, ImageSet set) {
    JavaRDD<Shard> rdd = cutLineage(jsc.parallelize(shards, shards.size()));
    return new ShardedData(rdd, shards.stream().mapToInt(Shard::count).toArray(), set.shape(),
        set.classes(), set.source());
  }

  /**
   * Data packed on the executors: {@code labelledPixels} yields (label, CHW pixels of
   * {@code shape}) per example, one partition per shard.
   */
  public static ShardedData packed(JavaRDD<LabelledPixels> labelledPixels, Shape shape,
      int classes, String source) {
    int imageSize = shape.size();
    JavaRDD<Shard> shards = labelledPixels.mapPartitionsWithIndex((p, rows) -> {
      List<LabelledPixels> examples = new ArrayList<>();
      rows.forEachRemaining(examples::add);
      return List.of(pack(p, examples, imageSize, classes)).iterator();
    }, true);
    JavaRDD<Shard> cached = cutLineage(shards);
    List<int[]> counts = cached.map(s -> new int[] {s.partition(), s.count()}).collect();
    int[] sizes = new int[counts.size()];
    for (int[] c : counts) {
      sizes[c[0]] = c[1];
    }
    return new ShardedData(cached, sizes, shape, classes, source);
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

  private static JavaRDD<Shard> cutLineage(JavaRDD<Shard> rdd) {
    JavaRDD<Shard> cached = rdd.persist(StorageLevel.MEMORY_ONLY());
    cached.rdd().localCheckpoint();
    SparkActions.run(cached::count);
    return cached;
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

  /** Drops the cached shards from the executors. */
  public void release() {
    rdd.unpersist(false);
  }
}
