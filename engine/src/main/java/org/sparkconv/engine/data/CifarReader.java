package org.sparkconv.engine.data;

import java.io.IOException;
import java.io.InputStream;
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

  /** Reads all records of local {@code files}; labels must be in {@code [0, classes)}. */
  public static ImageSet read(List<Path> files, int classes) {
    return readSources(files.stream().map(DataSource::local).toList(), classes);
  }

  /** Reads all records of {@code sources}, in order. */
  public static ImageSet readSources(List<DataSource> sources, int classes) {
    long total = 0;
    long[] sizes = new long[sources.size()];
    for (int f = 0; f < sources.size(); f++) {
      DataSource source = sources.get(f);
      try {
        sizes[f] = source.size();
      } catch (IOException e) {
        throw DataSource.unreadable(source.name(), e);
      }
      if (sizes[f] % RECORD != 0) {
        throw new DataFormatException(source.name(), sizes[f] - sizes[f] % RECORD,
            "file is truncated or not CIFAR-10 binary: its " + sizes[f] + " bytes are not a"
                + " whole number of " + RECORD + "-byte records");
      }
      total += sizes[f] / RECORD;
    }
    if (total * SHAPE.size() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("too many CIFAR records for one array: " + total);
    }
    int count = (int) total;
    byte[] pixels = new byte[count * SHAPE.size()];
    int[] labels = new int[count];
    byte[] record = new byte[RECORD];
    int n = 0;
    for (int f = 0; f < sources.size(); f++) {
      DataSource source = sources.get(f);
      try (InputStream in = IdxReader.decompressIfGzip(source.open())) {
        IdxReader.CountingInput input = new IdxReader.CountingInput(in, source.name());
        long records = sizes[f] / RECORD;
        for (long r = 0; r < records; r++, n++) {
          input.readFully(record, "record " + r);
          int label = record[0] & 0xFF;
          if (label >= classes) {
            throw new DataFormatException(source.name(), r * RECORD, "label " + label
                + " of record " + r + " is outside [0, " + classes + ")");
          }
          labels[n] = label;
          System.arraycopy(record, 1, pixels, n * SHAPE.size(), SHAPE.size());
        }
      } catch (IOException e) {
        throw DataSource.unreadable(source.name(), e);
      }
    }
    return new ImageSet(sources.size() == 1 ? sources.get(0).name()
        : sources.stream().map(DataSource::name).toList().toString(), SHAPE, count, pixels,
        labels, classes);
  }
}
