package org.sparkconv.engine.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.sparkconv.engine.tensor.Shape;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.), plain or gzipped (detected by
 * the gzip magic, not the name): a big-endian header {@code 0x00000803, count, rows, cols} and
 * unsigned bytes for images; {@code 0x00000801, count} and one byte per label for labels. The
 * file is streamed straight into the final array; it is never held twice.
 */
public final class IdxReader {

  private static final int IMAGES_MAGIC = 0x00000803;
  private static final int LABELS_MAGIC = 0x00000801;

  private IdxReader() {}

  /** Reads an image file and its label file; labels must be in {@code [0, classes)}. */
  public static ImageSet read(Path images, Path labels, int classes) {
    return read(DataSource.local(images), DataSource.local(labels), classes);
  }

  /** Reads an image source and its label source, plain or gzipped. */
  public static ImageSet read(DataSource images, DataSource labels, int classes) {
    try (InputStream imageStream = openDecompressed(images);
        InputStream labelStream = openDecompressed(labels)) {
      return read(imageStream, images.name(), labelStream, labels.name(), classes);
    } catch (IOException e) {
      throw DataSource.unreadable(images.name() + " / " + labels.name(), e);
    }
  }

  private static InputStream openDecompressed(DataSource source) {
    try {
      return decompressIfGzip(source.open());
    } catch (IOException e) {
      throw DataSource.unreadable(source.name(), e);
    }
  }

  /** Reads from streams; the names are used in errors. */
  public static ImageSet read(InputStream imageStream, String imageName, InputStream labelStream,
      String labelName, int classes) throws IOException {
    CountingInput img = new CountingInput(imageStream, imageName);
    int magic = img.readInt();
    if (magic != IMAGES_MAGIC) {
      throw new DataFormatException(imageName, 0, String.format(
          "magic number 0x%08X is not an IDX image file (expected 0x%08X)", magic, IMAGES_MAGIC));
    }
    int count = img.readInt();
    int rows = img.readInt();
    int cols = img.readInt();
    if (count < 0 || rows <= 0 || cols <= 0 || (long) count * rows * cols > Integer.MAX_VALUE) {
      throw new DataFormatException(imageName, 4, "implausible header: " + count + " images of "
          + rows + "x" + cols);
    }
    CountingInput lab = new CountingInput(labelStream, labelName);
    int labelMagic = lab.readInt();
    if (labelMagic != LABELS_MAGIC) {
      throw new DataFormatException(labelName, 0, String.format(
          "magic number 0x%08X is not an IDX label file (expected 0x%08X)", labelMagic,
          LABELS_MAGIC));
    }
    int labelCount = lab.readInt();
    if (labelCount != count) {
      throw new DataFormatException(labelName, 4, "holds " + labelCount + " labels but "
          + imageName + " holds " + count + " images");
    }
    byte[] pixels = new byte[count * rows * cols];
    img.readFully(pixels, "pixels of " + count + " images of " + rows + "x" + cols);
    byte[] rawLabels = new byte[count];
    lab.readFully(rawLabels, count + " labels");
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = rawLabels[i] & 0xFF;
      if (labels[i] >= classes) {
        throw new DataFormatException(labelName, 8 + i, "label " + labels[i] + " of image " + i
            + " is outside [0, " + classes + ")");
      }
    }
    return new ImageSet(imageName, new Shape(1, rows, cols), count, pixels, labels, classes);
  }

  /** Buffers {@code raw} and gunzips it when it starts with the gzip magic. */
  public static InputStream decompressIfGzip(InputStream raw) throws IOException {
    InputStream in = new BufferedInputStream(raw, 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    return b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16),
        1 << 16) : in;
  }

  /** A stream that knows its position, so errors can say where the data ended. */
  static final class CountingInput {
    private final DataInputStream in;
    private final String name;
    private long offset;

    CountingInput(InputStream in, String name) {
      this.in = new DataInputStream(in);
      this.name = name;
    }

    int readInt() throws IOException {
      try {
        int v = in.readInt();
        offset += 4;
        return v;
      } catch (EOFException e) {
        throw new DataFormatException(name, offset, "file is truncated inside its header");
      }
    }

    void readFully(byte[] into, String what) throws IOException {
      int done = 0;
      while (done < into.length) {
        int n = in.read(into, done, into.length - done);
        if (n < 0) {
          throw new DataFormatException(name, offset + done, "file is truncated: expected "
              + into.length + " bytes of " + what + " from byte " + offset + ", found only "
              + done);
        }
        done += n;
      }
      offset += done;
    }
  }
}
