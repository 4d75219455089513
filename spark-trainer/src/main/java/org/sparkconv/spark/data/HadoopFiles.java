package org.sparkconv.spark.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/** Whole-file reads and atomic writes through the Hadoop FileSystem API (any URI scheme). */
public final class HadoopFiles {

  private HadoopFiles() {}

  public static Path path(String location) {
    return new Path(URI.create(location.replace(" ", "%20")));
  }

  /**
   * Writes {@code bytes} to {@code target} so that a reader sees the old file or the whole new
   * one, never a part: a temporary file beside it, {@code hsync}ed, then renamed over it with
   * {@code FileContext.rename(..., OVERWRITE)} ({@code FileSystem.rename} onto an existing path
   * fails on HDFS). If anything fails, the temporary file is removed and {@code target} is left
   * as it was.
   */
  public static void writeAtomically(Path target, byte[] bytes, Configuration conf) throws IOException {
    FileSystem fs = target.getFileSystem(conf);
    Path parent = target.getParent();
    fs.mkdirs(parent);
    Path tmp = new Path(parent, "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
    try {
      try (FSDataOutputStream out = fs.create(tmp, false)) {
        out.write(bytes);
        out.hsync();
      }
      FileContext.getFileContext(target.toUri(), conf).rename(tmp, target,
          Options.Rename.OVERWRITE);
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, false);
      }
    }
  }

  public static byte[] readAll(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    long length = fs.getFileStatus(file).getLen();
    if (length > Integer.MAX_VALUE - 16) {
      throw new IOException(file + " is too large to read whole (" + length + " bytes)");
    }
    byte[] bytes = new byte[(int) length];
    try (InputStream in = fs.open(file)) {
      int done = 0;
      while (done < bytes.length) {
        int n = in.read(bytes, done, bytes.length - done);
        if (n < 0) {
          throw new IOException(file + " ended after " + done + " of " + length + " bytes");
        }
        done += n;
      }
    }
    return bytes;
  }
}
