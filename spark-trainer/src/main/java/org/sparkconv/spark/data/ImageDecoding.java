package org.sparkconv.spark.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.sparkconv.engine.tensor.Shape;

/**
 * Decodes PNG, JPEG (and whatever else ImageIO reads) from file bytes and converts the result to
 * a model's input with {@link ImageConversion}. Failures carry a reason a person can act on.
 */
final class ImageDecoding {

  private ImageDecoding() {}

  /** The file's pixels in {@code target}'s CHW layout; throws with the reason on failure. */
  static byte[] decode(byte[] file, String origin, Shape target) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(file));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(origin + ": cannot be decoded as an image ("
          + e.getMessage() + ")");
    }
    if (image == null) {
      throw new IllegalArgumentException(origin + ": is not an image format ImageIO can read"
          + " (" + file.length + " bytes)");
    }
    int h = image.getHeight();
    int w = image.getWidth();
    boolean grey = image.getType() == BufferedImage.TYPE_BYTE_GRAY;
    int channels = grey ? 1 : 3;
    byte[] interleaved = new byte[h * w * channels];
    if (grey) {
      image.getRaster().getDataElements(0, 0, w, h, interleaved);
    } else {
      int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
      for (int i = 0; i < argb.length; i++) {
        interleaved[3 * i] = (byte) argb[i]; // B
        interleaved[3 * i + 1] = (byte) (argb[i] >> 8); // G
        interleaved[3 * i + 2] = (byte) (argb[i] >> 16); // R
      }
    }
    return ImageConversion.toChw(interleaved, h, w, channels, target, origin);
  }
}
