package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Channel-major planes {@code (channels, pixels)} to pixel-major rows {@code (pixels, width)},
 * the reverse of {@link ChannelLanesOutput}'s write, where {@link LaneTranspose} has a block
 * for the vectors (16 lanes, or AVX2's 8): blocks of a vector's pixels by its channels
 * transposed in registers, the pixels past the last whole block and the channels past the
 * last whole vector one float at a time. The blocks
 * ran 1.5x faster than 16-lane gathers of a pixel's channels on Zen 5 (see
 * {@link LaneTranspose}) and took whole VGG-small training steps (one thread, its Winograd
 * weight gradients read these rows) 1.05x faster, 0.99-1.06 in 11 alternated pairs. The gathers
 * stayed for the last pixels at first, but inlined into {@link VectorGemm}'s packing C2 at times
 * compiled them with the index vector's class not constant, on the Java fallback (LeNet-5's
 * 120- and 84-long rows of B end in 8 and 4 such pixels). A scalar transpose of the whole
 * writes each row once per channel, a float at a time, 2.6-22x slower (see
 * {@link DirectConv#transposeGradient}). Touched only where {@link LaneTranspose#APPLIES}.
 */
final class ChannelRows {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  private ChannelRows() {}

  /**
   * {@code rows[rowsOff + q * width + o] = planes[off + o * pixels + q]} for channels
   * o < channels and pixels q < pixels.
   */
  static void transpose(float[] planes, int off, int channels, int pixels, float[] rows,
      int rowsOff, int width) {
    transpose(planes, off, channels, pixels, pixels, rows, rowsOff, width);
  }

  /**
   * As above with channels {@code stride} apart in {@code planes}, of which the first
   * {@code pixels} are taken: {@link VectorGemm} packs a transposed B panel this way, B's rows
   * the channels.
   */
  static void transpose(float[] planes, int off, int channels, int stride, int pixels,
      float[] rows, int rowsOff, int width) {
    int vectorChannels = channels / LANES * LANES;
    int blockPixels = pixels / LaneTranspose.SIZE * LaneTranspose.SIZE;
    for (int o = 0; o < vectorChannels; o += LANES) {
      int from = off + o * stride;
      int to = rowsOff + o;
      for (int q = 0; q < blockPixels; q += LaneTranspose.SIZE) {
        LaneTranspose.block(planes, from + q, stride, rows, to + q * width, width);
      }
    }
    for (int o = 0; o < channels; o++) {
      int from = off + o * stride;
      for (int q = o < vectorChannels ? blockPixels : 0; q < pixels; q++) {
        rows[rowsOff + q * width + o] = planes[from + q];
      }
    }
  }
}
