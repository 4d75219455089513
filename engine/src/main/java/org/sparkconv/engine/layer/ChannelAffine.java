package org.sparkconv.engine.layer;

/**
 * {@code y = x * scale[c] + shift[c]} per channel, then ReLU if asked, in place on images a
 * convolution has just written (while they are still in cache): an inference batch norm, and
 * the ReLU fused into it, folded into the convolution before it ({@link Conv2d#inferFoldingNext}),
 * which saves the batch norm's own pass over memory.
 */
final class ChannelAffine {

  private final int channels;
  private final int plane;
  private final float[] scale;
  private final float[] shift;
  private boolean relu;

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
    return this;
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
        if (relu) {
          for (int p = from; p < from + plane; p++) {
            out[p] = Math.max(out[p] * s + t, 0f);
          }
        } else {
          for (int p = from; p < from + plane; p++) {
            out[p] = out[p] * s + t;
          }
        }
      }
    }
  }
}
