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
import org.sparkconv.engine.io.ModelOutput;

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
  public static void writeAtomically(Path target, byte[] bytes, Configuration conf)
      throws IOException {
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

  /**
   * Fails unless a model may be written to {@code location} on its file system (see
   * {@link ModelOutput}): a writable folder, and an existing file replaced only if it is a model
   * and {@code overwrite} is set.
   */
  public static void requireModelOutput(String location, boolean overwrite, Configuration conf) {
    Path target = path(location);
    try {
      FileSystem fs = target.getFileSystem(conf);
      boolean exists = fs.exists(target);
      boolean isDirectory = exists && fs.getFileStatus(target).isDirectory();
      byte[] head = new byte[0];
      if (exists && !isDirectory) {
        try (InputStream in = fs.open(target)) {
          head = in.readNBytes(4);
        }
      }
      ModelOutput.requireReplaceable(location, exists, isDirectory, head, overwrite);
      Path probe = new Path(target.getParent(), ".sparkconv-probe-" + UUID.randomUUID()
          + ".tmp");
      fs.mkdirs(target.getParent());
      fs.create(probe, false).close();
      fs.delete(probe, false);
    } catch (IOException e) {
      throw new IllegalArgumentException("output folder " + target.getParent() + " is not"
          + " writable (" + e.getMessage() + "); choose another --output before training, not"
          + " after");
    }
  }

  /**
   * The text of {@code what} at {@code location} (any Hadoop URI, or a path on the default file
   * system), with one clear line when it is missing or its scheme has no file system here.
   */
  public static String readText(String location, String what, Configuration conf) {
    return new String(readBytes(location, what, conf), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The bytes of {@code what} at {@code location}, failing as {@link #readText} does. */
  public static byte[] readBytes(String location, String what, Configuration conf) {
    Path file = path(location);
    try {
      return readAll(file, conf);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException(what + " " + location + " does not exist");
    } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
      throw new IllegalArgumentException(noConnector(location));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + what + " " + location + ": "
          + e.getMessage(), e);
    } catch (RuntimeException e) {
      // A scheme Hadoop knows by name (s3a) whose implementation is not on the classpath.
      if (String.valueOf(e.getMessage()).contains("ClassNotFoundException")
          || e.getCause() instanceof ClassNotFoundException) {
        throw new IllegalArgumentException(noConnector(location));
      }
      throw e;
    }
  }

  /** What to do about a URI whose scheme no file system on the classpath serves. */
  static String noConnector(String location) {
    String scheme = path(location).toUri().getScheme();
    String jar = switch (String.valueOf(scheme)) {
      case "s3a", "s3" -> "hadoop-aws (and the AWS SDK bundle it names)";
      case "gs" -> "gcs-connector";
      case "abfs", "abfss", "wasb", "wasbs" -> "hadoop-azure";
      case "oss" -> "hadoop-aliyun";
      default -> "the Hadoop FileSystem connector for '" + scheme + "'";
    };
    return "no file system for scheme '" + scheme + "' in " + location + ": put " + jar
        + " on the classpath (spark-submit --packages or --jars), matching Hadoop "
        + org.apache.hadoop.util.VersionInfo.getVersion();
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
