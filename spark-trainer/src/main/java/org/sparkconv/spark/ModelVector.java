package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * What the driver broadcasts every round: parameters, batch-norm state and (for parameter
 * averaging) the optimizer slots and step count.
 */
public final class ModelVector {

  final float[] params;
  final float[] state;
  final float[][] slots;
  final long optimizerSteps;

  ModelVector(float[] params, float[] state, float[][] slots, long optimizerSteps) {
    this.params = params;
    this.state = state;
    this.slots = slots;
    this.optimizerSteps = optimizerSteps;
  }

  long bytes() {
    long floats = params.length + state.length;
    for (float[] s : slots) {
      floats += s.length;
    }
    return 4 * floats;
  }

  static final class KryoSerializer extends Serializer<ModelVector> {
    @Override
    public void write(Kryo kryo, Output out, ModelVector v) {
      writeFloats(out, v.params);
      writeFloats(out, v.state);
      out.writeInt(v.slots.length, true);
      for (float[] s : v.slots) {
        writeFloats(out, s);
      }
      out.writeLong(v.optimizerSteps);
    }

    @Override
    public ModelVector read(Kryo kryo, Input in, Class<ModelVector> type) {
      float[] params = readFloats(in);
      float[] state = readFloats(in);
      float[][] slots = new float[in.readInt(true)][];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = readFloats(in);
      }
      return new ModelVector(params, state, slots, in.readLong());
    }
  }

  static void writeFloats(Output out, float[] values) {
    out.writeInt(values.length, true);
    out.writeFloats(values);
  }

  static float[] readFloats(Input in) {
    return in.readFloats(in.readInt(true));
  }
}
