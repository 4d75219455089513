package org.sparkconv.spark.data;

import org.sparkconv.engine.tensor.Shape;

/**
 * Turns a decoded image as Spark's image data source gives it (8-bit, height x width x
 * nChannels interleaved, channels in B, G, R(, A) order) into the 8-bit CHW layout a model
 * takes.
 * <ul>
 *   <li>Colour: a 1-channel model gets luma {@code 0.299 R + 0.587 G + 0.114 B}; a 3-channel
 *       model gets R, G, B (a grey source is replicated); alpha is dropped.</li>
 *   <li>Size: bilinear resampling to the model's height and width (pixel centres aligned, as
 *       OpenCV's INTER_LINEAR) when the sizes differ; none otherwise.</li>
 * </ul>
 * Anything else (other channel counts in the model, empty images) is an error that names the
 * image.
 */
final class ImageConversion {

  private ImageConversion() {}

  /** The image's pixels in {@code target}'s CHW layout; throws with a reason on failure. */
  static byte[] toChw(byte[] data, int height, int width, int channels, Shape target,
      String origin) {
    if (height <= 0 || width <= 0 || data == null || data.length == 0) {
      throw new IllegalArgumentException(origin + ": could not be decoded as an image");
    }
    if (channels != 1 && channels != 3 && channels != 4) {
      throw new IllegalArgumentException(origin + ": has " + channels + " channels; expected"
          + " 1 (grey), 3 (BGR) or 4 (BGRA)");
    }
    if ((long) height * width * channels != data.length) {
      throw new IllegalArgumentException(origin + ": " + data.length + " bytes do not hold "
          + height + "x" + width + "x" + channels);
    }
    int outChannels = target.channels();
    if (outChannels != 1 && outChannels != 3) {
      throw new IllegalArgumentException(origin + ": the model takes " + outChannels
          + " channels; images convert only to 1 (grey) or 3 (RGB)");
    }
    // Planar float copy in the model's channel order, at the source size.
    int plane = height * width;
    float[] planar = new float[outChannels * plane];
    for (int i = 0; i < plane; i++) {
      int at = i * channels;
      float b = data[at] & 0xFF;
      float g = channels == 1 ? b : data[at + 1] & 0xFF;
      float r = channels == 1 ? b : data[at + 2] & 0xFF;
      if (outChannels == 1) {
        planar[i] = 0.299f * r + 0.587f * g + 0.114f * b;
      } else {
        planar[i] = r;
        planar[plane + i] = g;
        planar[2 * plane + i] = b;
      }
    }
    int outH = target.height();
    int outW = target.width();
    byte[] out = new byte[outChannels * outH * outW];
    float scaleY = (float) height / outH;
    float scaleX = (float) width / outW;
    for (int c = 0; c < outChannels; c++) {
      int src = c * plane;
      int dst = c * outH * outW;
      for (int y = 0; y < outH; y++) {
        float sy = height == outH ? y : Math.max((y + 0.5f) * scaleY - 0.5f, 0f);
        int y0 = Math.min((int) sy, height - 1);
        int y1 = Math.min(y0 + 1, height - 1);
        float fy = sy - y0;
        for (int x = 0; x < outW; x++) {
          float sx = width == outW ? x : Math.max((x + 0.5f) * scaleX - 0.5f, 0f);
          int x0 = Math.min((int) sx, width - 1);
          int x1 = Math.min(x0 + 1, width - 1);
          float fx = sx - x0;
          float top = planar[src + y0 * width + x0] * (1 - fx) + planar[src + y0 * width + x1] * fx;
          float bottom = planar[src + y1 * width + x0] * (1 - fx)
              + planar[src + y1 * width + x1] * fx;
          float v = top * (1 - fy) + bottom * fy;
          out[dst + y * outW + x] = (byte) Math.min(255, Math.max(0, Math.round(v)));
        }
      }
    }
    return out;
  }
}
