package org.sparkconv.spark.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkconv.engine.data.DataSource;

/**
 * A data file on any Hadoop FileSystem ({@code hdfs://}, {@code s3a://}, {@code file://}, or a
 * plain path, which Hadoop reads from the default file system).
 */
public final class HadoopSource implements DataSource {

  private final String location;
  private final Configuration conf;

  public HadoopSource(String location, Configuration conf) {
    this.location = location;
    this.conf = conf;
  }

  private Path path() {
    return new Path(URI.create(location.replace(" ", "%20")));
  }

  @Override
  public String name() {
    return location;
  }

  @Override
  public long size() throws IOException {
    Path p = path();
    try {
      return p.getFileSystem(conf).getFileStatus(p).getLen();
    } catch (FileNotFoundException e) {
      throw new java.nio.file.NoSuchFileException(location);
    }
  }

  @Override
  public InputStream open() throws IOException {
    Path p = path();
    FileSystem fs = p.getFileSystem(conf);
    try {
      return fs.open(p);
    } catch (FileNotFoundException e) {
      throw new java.nio.file.NoSuchFileException(location);
    }
  }
}
