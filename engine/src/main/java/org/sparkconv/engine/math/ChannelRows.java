package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Channel-major planes {@code (channels, pixels)} to pixel-major rows {@code (pixels, width)},
 * the reverse of {@link ChannelLanesOutput}'s write, for 512-bit vectors only: blocks of 16
 * pixels by 16 channels transposed in registers ({@link LaneTranspose}), the pixels past the
 * last whole block by gathering a pixel's 16 channels from 16 planes into one vector of its row
 * (one instruction on AVX-512; on narrower vectors the Vector API would gather lane by lane),
 * and the channels past the last whole vector one float at a time. The blocks run 1.5x faster
 * than gathers alone on Zen 5 (see {@link LaneTranspose}), and took whole VGG-small training
 * steps (one thread, its Winograd weight gradients read these rows) 1.05x faster, 0.99-1.06 in
 * 11 alternated pairs. A scalar transpose writes each row once per channel, a float at a time,
 * 2.6-22x slower (see {@link DirectConv#transposeGradient}). Touched only with 512-bit vectors.
 */
final class ChannelRows {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private ChannelRows() {}

  /**
   * {@code rows[rowsOff + q * width + o] = planes[off + o * pixels + q]} for channels
   * o < channels and pixels q < pixels; {@code index} from
   * {@link ChannelLanesOutput#scatterIndex(int)} for the same {@code pixels}.
   */
  static void gather(float[] planes, int off, int channels, int pixels, float[] rows,
      int rowsOff, int width, int[] index) {
    gather(planes, off, channels, pixels, pixels, rows, rowsOff, width, index);
  }

  /**
   * As above with channels {@code stride} apart in {@code planes}, of which the first
   * {@code pixels} are gathered ({@code index} from {@link ChannelLanesOutput#scatterIndex(int)}
   * for {@code stride}): {@link VectorGemm} packs a transposed B panel this way, B's rows the
   * channels.
   */
  static void gather(float[] planes, int off, int channels, int stride, int pixels,
      float[] rows, int rowsOff, int width, int[] index) {
    int vectorChannels = channels / LANES * LANES;
    int blockPixels = pixels / LaneTranspose.SIZE * LaneTranspose.SIZE;
    for (int o = 0; o < vectorChannels; o += LANES) {
      int from = off + o * stride;
      int to = rowsOff + o;
      for (int q = 0; q < blockPixels; q += LaneTranspose.SIZE) {
        LaneTranspose.block(planes, from + q, stride, rows, to + q * width, width);
      }
      for (int q = blockPixels; q < pixels; q++) {
        FloatVector.fromArray(SPECIES, planes, from + q, index, 0).intoArray(rows, to + q * width);
      }
    }
    for (int o = vectorChannels; o < channels; o++) {
      int from = off + o * stride;
      for (int q = 0; q < pixels; q++) {
        rows[rowsOff + q * width + o] = planes[from + q];
      }
    }
  }
}
