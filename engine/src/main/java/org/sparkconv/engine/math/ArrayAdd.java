package org.sparkconv.engine.math;

/**
 * {@code dst[dstOff + i] += src[srcOff + i]} for i in [0, length): the accumulation at the heart
 * of col2im. The JIT does not vectorize it (it cannot rule out that the two runs overlap), so
 * when the Vector API is resolved it runs in SIMD registers; otherwise as a plain loop.
 */
public final class ArrayAdd {

  private ArrayAdd() {}

  public static void add(float[] src, int srcOff, float[] dst, int dstOff, int length) {
    if (VectorApi.RESOLVED) {
      VectorArrayAdd.add(src, srcOff, dst, dstOff, length);
      return;
    }
    for (int i = 0; i < length; i++) {
      dst[dstOff + i] += src[srcOff + i];
    }
  }
}
