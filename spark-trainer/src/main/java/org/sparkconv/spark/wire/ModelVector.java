package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * What the driver broadcasts for a round: parameters, batch-norm state and, when the
 * synchronisation rule needs them on the executors, the optimizer slots and step count.
 */
public record ModelVector(float[] params, float[] state, float[][] slots, long optimizerSteps)
    implements java.io.Serializable {

  /** Parameters and state only (gradient averaging, evaluation). */
  public static ModelVector weights(float[] params, float[] state) {
    return new ModelVector(params, state, new float[0][], 0);
  }

  static final class KryoSerializer extends Serializer<ModelVector> {
    @Override
    public void write(Kryo kryo, Output out, ModelVector v) {
      KryoArrays.writeFloats(out, v.params);
      KryoArrays.writeFloats(out, v.state);
      out.writeInt(v.slots.length, true);
      for (float[] s : v.slots) {
        KryoArrays.writeFloats(out, s);
      }
      out.writeLong(v.optimizerSteps);
    }

    @Override
    public ModelVector read(Kryo kryo, Input in, Class<ModelVector> type) {
      float[] params = KryoArrays.readFloats(in);
      float[] state = KryoArrays.readFloats(in);
      float[][] slots = new float[in.readInt(true)][];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = KryoArrays.readFloats(in);
      }
      return new ModelVector(params, state, slots, in.readLong());
    }
  }
}
