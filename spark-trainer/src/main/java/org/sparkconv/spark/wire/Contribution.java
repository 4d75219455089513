package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * What one partition sends back for a round, and what tree aggregation adds up: one flat vector
 * of sums laid out by the round's synchronisation rule, the loss sum, the example and
 * correct-prediction counts, and the longest compute time of any partition.
 */
public final class Contribution implements java.io.Serializable {

  private final float[] sums;
  private double lossSum;
  private long count;
  private long correct;
  private long computeNanos;

  public Contribution(float[] sums, double lossSum, long count, long correct,
      long computeNanos) {
    this.sums = sums;
    this.lossSum = lossSum;
    this.count = count;
    this.correct = correct;
    this.computeNanos = computeNanos;
  }

  /** The summed vector, laid out as the synchronisation rule says. */
  public float[] sums() {
    return sums;
  }

  public double lossSum() {
    return lossSum;
  }

  public long count() {
    return count;
  }

  public long correct() {
    return correct;
  }

  /** The longest compute time of the partitions merged in. */
  public long computeNanos() {
    return computeNanos;
  }

  /** {@code a + b}, reusing {@code a}'s array; either may be null (the lazy zero). */
  public static Contribution merge(Contribution a, Contribution b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    if (a.sums.length != b.sums.length) {
      throw new IllegalStateException("partitions returned vectors of " + a.sums.length
          + " and " + b.sums.length + " floats: executors built different models");
    }
    float[] x = a.sums;
    float[] y = b.sums;
    for (int i = 0; i < x.length; i++) {
      x[i] += y[i];
    }
    a.lossSum += b.lossSum;
    a.count += b.count;
    a.correct += b.correct;
    a.computeNanos = Math.max(a.computeNanos, b.computeNanos);
    return a;
  }

  static final class KryoSerializer extends Serializer<Contribution> {
    @Override
    public void write(Kryo kryo, Output out, Contribution c) {
      KryoArrays.writeFloats(out, c.sums);
      out.writeDouble(c.lossSum);
      out.writeLong(c.count);
      out.writeLong(c.correct);
      out.writeLong(c.computeNanos);
    }

    @Override
    public Contribution read(Kryo kryo, Input in, Class<Contribution> type) {
      return new Contribution(KryoArrays.readFloats(in), in.readDouble(), in.readLong(),
          in.readLong(), in.readLong());
    }
  }
}
