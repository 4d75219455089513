package org.sparkconv.engine.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.sparkconv.engine.tensor.Shape;

/**
 * Reads the CIFAR-10 binary format (Krizhevsky 2009): records of one label byte followed by
 * 3072 pixel bytes, the red, green and blue 32x32 planes in turn (already CHW). Several files
 * (data_batch_1.bin ... data_batch_5.bin) are concatenated in the order given.
 */
public final class CifarReader {

  public static final Shape SHAPE = new Shape(3, 32, 32);
  private static final int RECORD = 1 + 3 * 32 * 32;

  private CifarReader() {}

  /** Reads all records of {@code files}; labels must be in {@code [0, classes)}. */
  public static ImageSet read(List<Path> files, int classes) {
    long total = 0;
    for (Path file : files) {
      long size;
      try {
        size = Files.size(file);
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("data file " + file + " does not exist");
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
      }
      if (size % RECORD != 0) {
        throw new DataFormatException(file.toString(), size - size % RECORD, "file is truncated"
            + " or not CIFAR-10 binary: its " + size + " bytes are not a whole number of "
            + RECORD + "-byte records");
      }
      total += size / RECORD;
    }
    if (total * SHAPE.size() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("too many CIFAR records for one array: " + total);
    }
    int count = (int) total;
    byte[] pixels = new byte[count * SHAPE.size()];
    int[] labels = new int[count];
    byte[] record = new byte[RECORD];
    int n = 0;
    for (Path file : files) {
      try (InputStream in = IdxReader.open(file)) {
        IdxReader.CountingInput input = new IdxReader.CountingInput(in, file.toString());
        long records = Files.size(file) / RECORD;
        for (long r = 0; r < records; r++, n++) {
          input.readFully(record, "record " + r);
          int label = record[0] & 0xFF;
          if (label >= classes) {
            throw new DataFormatException(file.toString(), r * RECORD, "label " + label
                + " of record " + r + " is outside [0, " + classes + ")");
          }
          labels[n] = label;
          System.arraycopy(record, 1, pixels, n * SHAPE.size(), SHAPE.size());
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + file + ": " + e, e);
      }
    }
    return new ImageSet(files.size() == 1 ? files.get(0).toString() : files.toString(), SHAPE,
        count, pixels, labels, classes);
  }
}
