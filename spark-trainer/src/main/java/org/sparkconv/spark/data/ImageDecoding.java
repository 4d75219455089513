package org.sparkconv.spark.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.sparkconv.engine.tensor.Shape;

/**
 * Decodes PNG, JPEG (and whatever else ImageIO reads) from file bytes and converts the result to
 * a model's input with {@link ImageConversion}. Failures carry a reason a person can act on.
 */
final class ImageDecoding {

  private ImageDecoding() {}

  /**
   * Images declaring more pixels than this are refused from their header, before decoding: a
   * small compressed file can declare 40000x40000 and would take gigabytes to decode.
   */
  static final long MAX_PIXELS = 50_000_000L;

  /** The file's pixels in {@code target}'s CHW layout; throws with the reason on failure. */
  static byte[] decode(byte[] file, String origin, Shape target) {
    BufferedImage image;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(file))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IllegalArgumentException(origin + ": is not an image format ImageIO can read"
            + " (" + file.length + " bytes)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > MAX_PIXELS) {
          throw new IllegalArgumentException(origin + ": declares " + reader.getWidth(0) + "x"
              + reader.getHeight(0) + " pixels, more than the " + MAX_PIXELS + " this decoder"
              + " accepts; not decoded");
        }
        image = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage().startsWith(origin)) {
        throw iae;
      }
      throw new IllegalArgumentException(origin + ": cannot be decoded as an image ("
          + e.getMessage() + ")");
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
