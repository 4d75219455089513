package org.sparkconv.spark;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real in-process HDFS (one NameNode, one DataNode) for tests, stored under a folder. */
public final class MiniHdfs implements AutoCloseable {

  private final MiniDFSCluster cluster;
  private final Configuration conf;

  private MiniHdfs(MiniDFSCluster cluster, Configuration conf) {
    this.cluster = cluster;
    this.conf = conf;
  }

  /** Starts one, keeping its blocks under {@code base}. */
  public static MiniHdfs start(Path base) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("hdfs").toString());
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return new MiniHdfs(cluster, conf);
  }

  /** {@code hdfs://localhost:<port>}. */
  public String root() {
    return "hdfs://localhost:" + cluster.getNameNodePort();
  }

  public Configuration conf() {
    return conf;
  }

  @Override
  public void close() {
    cluster.shutdown();
  }
}
