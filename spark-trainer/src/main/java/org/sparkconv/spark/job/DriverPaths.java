package org.sparkconv.spark.job;

import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.sparkconv.engine.io.Locations;

/**
 * Where a location the driver itself reads or writes (job file, model spec, output model)
 * lives. In client and local mode a path without a scheme is the submitting machine's disk, as
 * a user at that machine expects. In cluster deploy mode the driver runs in a container whose
 * disk nobody sees and which vanishes with the job, so a path without a scheme means the
 * cluster's default file system ({@code fs.defaultFS}, Hadoop's and Spark's own rule), and
 * one that cannot mean anything there stops the job before it starts.
 */
final class DriverPaths {

  private final boolean clusterMode;
  private final Configuration hadoop;
  private final String workingDirectory;

  DriverPaths(boolean clusterMode, Configuration hadoop, String workingDirectory) {
    this.clusterMode = clusterMode;
    this.hadoop = hadoop;
    this.workingDirectory = workingDirectory;
  }

  /** For the driver of a job submitted with {@code conf}. */
  static DriverPaths of(SparkConf conf, Configuration hadoop) {
    return new DriverPaths(conf.get("spark.submit.deployMode", "client").equals("cluster"),
        hadoop, System.getProperty("user.dir"));
  }

  /**
   * {@code location} as the driver must use it: unchanged in client mode or when it is a URI;
   * in cluster mode an absolute path becomes a URI on the default file system. {@code what}
   * names it in errors ("--output", "job file").
   */
  String resolve(String location, String what) {
    if (!clusterMode || Locations.isUri(location)) {
      return location;
    }
    if (!location.startsWith("/") || location.startsWith(workingDirectory + "/")) {
      throw new IllegalArgumentException(what + " " + location + " is relative to the"
          + " driver's working directory, which in cluster deploy mode is a container that"
          + " vanishes with the job: give a URI (hdfs:///user/.../x, s3a://bucket/x)");
    }
    URI defaultFs = FileSystem.getDefaultUri(hadoop);
    if (defaultFs.getScheme() == null || defaultFs.getScheme().equals("file")) {
      throw new IllegalArgumentException(what + " " + location + " is on the driver's local"
          + " disk, which in cluster deploy mode is a container's and vanishes with the job,"
          + " and the default file system (fs.defaultFS) is local too: give a URI"
          + " (hdfs://..., s3a://..., or file://" + location + " if every node mounts it)");
    }
    String authority = defaultFs.getRawAuthority() == null ? "" : defaultFs.getRawAuthority();
    return defaultFs.getScheme() + "://" + authority + location;
  }
}
