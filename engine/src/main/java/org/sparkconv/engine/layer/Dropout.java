package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * Inverted dropout (Srivastava et al. 2014): in training each value is kept with probability
 * {@code 1 - rate} and scaled by {@code 1 / (1 - rate)}; evaluation is the identity.
 *
 * <p>The mask is a pure function of (seed, call number, element index) through a SplitMix64
 * hash, so backward recomputes it instead of storing it, and a run resumed with the same call
 * number draws the same masks ({@link #calls()} is part of what a checkpoint saves).
 */
public final class Dropout extends ElementwiseLayer {

  /** Drop probability in [0, 1) and the seed of the mask stream. */
  public record Spec(float rate, long seed) implements LayerSpec {
    @Override
    public String type() {
      return "dropout";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      if (!(rate >= 0f && rate < 1f)) {
        throw SpecException.at(index, type(), "rate", "must be in [0, 1), got " + rate);
      }
      return input;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      outputShape(input, index);
      return new Dropout(input, rate, seed);
    }
  }

  private final float rate;
  private final float keepScale;
  private final long seed;
  private long calls;
  private long lastCall;

  private Dropout(Shape shape, float rate, long seed) {
    super(shape);
    this.rate = rate;
    this.keepScale = 1f / (1f - rate);
    this.seed = seed;
  }

  /** How many training forwards have drawn a mask. */
  public long calls() {
    return calls;
  }

  /** Sets the mask stream position (for resuming from a checkpoint). */
  public void calls(long value) {
    this.calls = value;
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int len = length(batch);
    if (!training || rate == 0f) {
      System.arraycopy(in, 0, out, 0, len);
      return;
    }
    lastCall = calls++;
    long stream = mix(seed ^ (lastCall * 0x9E3779B97F4A7C15L));
    for (int i = 0; i < len; i++) {
      out[i] = keep(stream, i) ? in[i] * keepScale : 0f;
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    int len = length(batch);
    if (rate == 0f) {
      System.arraycopy(dOut, 0, dIn, 0, len);
      return;
    }
    long stream = mix(seed ^ (lastCall * 0x9E3779B97F4A7C15L));
    for (int i = 0; i < len; i++) {
      dIn[i] = keep(stream, i) ? dOut[i] * keepScale : 0f;
    }
  }

  private boolean keep(long stream, int index) {
    long bits = mix(stream + index * 0xBF58476D1CE4E5B9L);
    return (bits >>> 40) * 0x1.0p-24f >= rate;
  }

  /** SplitMix64's finaliser: a bijective 64-bit mix. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
