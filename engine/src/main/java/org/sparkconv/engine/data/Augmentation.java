package org.sparkconv.engine.data;

/**
 * Random crop with zero padding and random horizontal flip (the standard CIFAR recipe, He et al.
 * 2016), applied to a normalised image in place of a plain copy. Padding pixels are zero in
 * normalised space (the channel mean).
 */
public record Augmentation(int cropPadding, boolean horizontalFlip)
    implements java.io.Serializable {

  public static final Augmentation NONE = new Augmentation(0, false);

  public Augmentation {
    if (cropPadding < 0) {
      throw new IllegalArgumentException("setting 'augment.crop_padding' must be >= 0, got "
          + cropPadding);
    }
  }

  public boolean isNone() {
    return cropPadding == 0 && !horizontalFlip;
  }

  /**
   * Writes {@code src} (C, H, W) shifted by (dy, dx) and optionally mirrored into {@code dst}:
   * {@code dst[c][y][x] = src[c][y + dy][flip ? W-1-(x + dx) : x + dx]}, zero outside.
   */
  static void shiftAndFlip(float[] src, int srcOff, float[] dst, int dstOff, int channels,
      int height, int width, int dy, int dx, boolean flip) {
    for (int c = 0; c < channels; c++) {
      int plane = c * height * width;
      for (int y = 0; y < height; y++) {
        int sy = y + dy;
        int row = dstOff + plane + y * width;
        if (sy < 0 || sy >= height) {
          java.util.Arrays.fill(dst, row, row + width, 0f);
          continue;
        }
        int srcRow = srcOff + plane + sy * width;
        for (int x = 0; x < width; x++) {
          int sx = x + dx;
          dst[row + x] = sx < 0 || sx >= width ? 0f : src[srcRow + (flip ? width - 1 - sx : sx)];
        }
      }
    }
  }
}
