package org.sparkconv.engine.layer;

/**
 * {@code y = x * scale[c] + shift[c]} per channel, then plus a residual (the other input of a
 * sum right after), then ReLU if asked, in place on images a convolution has just written
 * (while they are still in cache): an inference batch norm, and the sum and ReLU after it,
 * folded into the convolution before it ({@link Conv2d#inferFoldingNext}), which saves their own
 * passes over memory.
 */
final class ChannelAffine {

  private final int channels;
  private final int plane;
  private final float[] scale;
  private final float[] shift;
  private boolean relu;
  private float[] residual; // added at the same index as the output, or null
  private boolean pool; // the 2x2 max pool of the result is written instead of the result

  ChannelAffine(int channels, int plane) {
    this.channels = channels;
    this.plane = plane;
    this.scale = new float[channels];
    this.shift = new float[channels];
  }

  /** Takes {@code norm}'s inference affine map now (its running statistics change in training). */
  ChannelAffine of(BatchNorm norm) {
    norm.inferenceAffine(scale, shift);
    relu = norm.reluFused();
    residual = null;
    pool = false;
    return this;
  }

  /**
   * The identity map then ReLU: a ReLU folded into the convolution before it ({@code x * 1 + 0}
   * is {@code x}, so the output is bit for bit the ReLU's).
   */
  ChannelAffine ofRelu() {
    java.util.Arrays.fill(scale, 1f);
    java.util.Arrays.fill(shift, 0f);
    relu = true;
    residual = null;
    pool = false;
    return this;
  }

  /**
   * Adds {@code residual} (the sum's other input, laid out as the output) after the map, then
   * ReLU if {@code reluAfter} (the sum's fused ReLU); after {@link #of} a norm with none.
   */
  ChannelAffine plus(float[] residual, boolean reluAfter) {
    if (pool) {
      throw new IllegalStateException("a pooled output takes no residual");
    }
    this.residual = residual;
    this.relu = reluAfter;
    return this;
  }

  /**
   * Then the 2x2 max pool (stride 2) of each plane, written instead of the plane: a pool after
   * the norm folded in too. Only a convolution whose passes write pooled planes
   * ({@link DirectConvPasses#writesPooled}) takes it; never with a residual.
   */
  ChannelAffine pooled() {
    if (residual != null) {
      throw new IllegalStateException("a pooled output takes no residual");
    }
    this.pool = true;
    return this;
  }

  /** Whether the pooled planes are written instead of the output's. */
  boolean pool() {
    return pool;
  }

  /** The residual added after the map, or null (live). */
  float[] residual() {
    return residual;
  }

  /** The scale per channel (live: read it after {@link #of}). */
  float[] scale() {
    return scale;
  }

  /** The shift per channel (live). */
  float[] shift() {
    return shift;
  }

  /** Whether a ReLU follows the map. */
  boolean relu() {
    return relu;
  }

  /** Applies the map to {@code images} images of {@code channels x plane} from {@code out[at]}. */
  void apply(float[] out, int at, int images) {
    for (int i = 0; i < images; i++) {
      for (int c = 0; c < channels; c++) {
        float s = scale[c];
        float t = shift[c];
        int from = at + (i * channels + c) * plane;
        for (int p = from; p < from + plane; p++) {
          float v = out[p] * s + t;
          if (residual != null) {
            v += residual[p];
          }
          out[p] = relu ? Math.max(v, 0f) : v;
        }
      }
    }
  }
}
