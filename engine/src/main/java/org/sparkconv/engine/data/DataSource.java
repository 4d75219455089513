package org.sparkconv.engine.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A readable data file: where it is (for messages), its size, and a way to open it. Local files
 * come from {@link #local}; the Spark trainer supplies sources on any Hadoop FileSystem.
 */
public interface DataSource {

  /** The location as the user wrote it. */
  String name();

  /** Size in bytes. */
  long size() throws IOException;

  /** A fresh stream over the raw bytes (not decompressed). */
  InputStream open() throws IOException;

  /** A file on the local file system. */
  static DataSource local(Path path) {
    return new DataSource() {
      @Override
      public String name() {
        return path.toString();
      }

      @Override
      public long size() throws IOException {
        return Files.size(path);
      }

      @Override
      public InputStream open() throws IOException {
        return Files.newInputStream(path);
      }
    };
  }

  /**
   * The local file at {@code location}; a URI with a scheme other than {@code file:} needs a
   * Hadoop FileSystem, which only the Spark trainer has.
   */
  static DataSource local(String location) {
    int scheme = location.indexOf("://");
    if (scheme > 0 && !location.startsWith("file://")) {
      throw new IllegalArgumentException("data location " + location + " is not a local file;"
          + " read it with the Spark trainer, which opens any Hadoop FileSystem URI");
    }
    return local(Path.of(location.startsWith("file://") ? location.substring(7) : location));
  }

  /** Wraps "file does not exist" into a message that names the file. */
  static IllegalArgumentException unreadable(String name, IOException e) {
    if (e instanceof NoSuchFileException || e instanceof java.io.FileNotFoundException) {
      return new IllegalArgumentException("data file " + name + " does not exist");
    }
    return new IllegalArgumentException("cannot read " + name + ": " + e, e);
  }
}
