package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * What one replica of an all-reduce job sends back once, at its end: the summed loss, example
 * and correct counts of each round (the same on every replica, since they were all-reduced),
 * its time in compute and in the all-reduce, a checksum of its final model and optimizer
 * state, and, from partition 0 only, that model (null from the others).
 */
public record ReplicaReport(int partition, double[] lossSums, long[] counts, long[] correct,
    long computeNanos, long reduceNanos, long checksum, ModelVector model)
    implements java.io.Serializable {

  /** Rounds the job ran. */
  public int rounds() {
    return lossSums.length;
  }

  static final class KryoSerializer extends Serializer<ReplicaReport> {
    @Override
    public void write(Kryo kryo, Output out, ReplicaReport r) {
      out.writeInt(r.partition, true);
      out.writeInt(r.lossSums.length, true);
      out.writeDoubles(r.lossSums);
      out.writeLongs(r.counts);
      out.writeLongs(r.correct);
      out.writeLong(r.computeNanos);
      out.writeLong(r.reduceNanos);
      out.writeLong(r.checksum);
      kryo.writeObjectOrNull(out, r.model, ModelVector.class);
    }

    @Override
    public ReplicaReport read(Kryo kryo, Input in, Class<ReplicaReport> type) {
      int partition = in.readInt(true);
      int rounds = in.readInt(true);
      return new ReplicaReport(partition, in.readDoubles(rounds), in.readLongs(rounds),
          in.readLongs(rounds), in.readLong(), in.readLong(), in.readLong(),
          kryo.readObjectOrNull(in, ModelVector.class));
    }
  }
}
