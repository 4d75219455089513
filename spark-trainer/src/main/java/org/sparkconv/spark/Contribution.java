package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * What one partition sends back for a round, and what tree aggregation adds up: one flat vector
 * of sums (gradient sums and count-weighted state in gradient averaging; count-weighted
 * parameters, state and optimizer slots in parameter averaging), the loss sum, the example and
 * correct-prediction counts, and the longest compute time of any partition.
 */
public final class Contribution {

  final float[] sums;
  double lossSum;
  long count;
  long correct;
  long computeNanos;

  Contribution(float[] sums, double lossSum, long count, long correct, long computeNanos) {
    this.sums = sums;
    this.lossSum = lossSum;
    this.count = count;
    this.correct = correct;
    this.computeNanos = computeNanos;
  }

  /** {@code a + b}, reusing {@code a}'s array; either may be null (the lazy zero). */
  static Contribution merge(Contribution a, Contribution b) {
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
      ModelVector.writeFloats(out, c.sums);
      out.writeDouble(c.lossSum);
      out.writeLong(c.count);
      out.writeLong(c.correct);
      out.writeLong(c.computeNanos);
    }

    @Override
    public Contribution read(Kryo kryo, Input in, Class<Contribution> type) {
      return new Contribution(ModelVector.readFloats(in), in.readDouble(), in.readLong(),
          in.readLong(), in.readLong());
    }
  }
}
