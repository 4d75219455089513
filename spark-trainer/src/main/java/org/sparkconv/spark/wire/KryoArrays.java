package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/** Length-prefixed arrays and nullable strings: the building blocks of our Kryo serializers. */
final class KryoArrays {

  private KryoArrays() {}

  static void writeFloats(Output out, float[] values) {
    out.writeInt(values.length, true);
    out.writeFloats(values);
  }

  static float[] readFloats(Input in) {
    return in.readFloats(in.readInt(true));
  }

  /** A byte array that may be null (length -1). */
  static void writeBytes(Output out, byte[] values) {
    out.writeInt(values == null ? -1 : values.length, false);
    if (values != null) {
      out.writeBytes(values);
    }
  }

  static byte[] readBytes(Input in) {
    int n = in.readInt(false);
    return n < 0 ? null : in.readBytes(n);
  }
}
