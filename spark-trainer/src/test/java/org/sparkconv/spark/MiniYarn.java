package org.sparkconv.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real in-process YARN (one ResourceManager, one NodeManager) whose containers are real JVMs,
 * with its client configuration written to a folder as a cluster's {@code HADOOP_CONF_DIR}
 * would hold it. {@code base} is the HDFS (or other) configuration it runs on top of.
 */
public final class MiniYarn implements AutoCloseable {

  private final MiniYARNCluster cluster;
  private final Path confDir;

  private MiniYarn(MiniYARNCluster cluster, Path confDir) {
    this.cluster = cluster;
    this.confDir = confDir;
  }

  /** Starts one on top of {@code base} and writes its client configuration under {@code dir}. */
  public static MiniYarn start(Configuration base, Path dir) throws IOException,
      InterruptedException {
    YarnConfiguration conf = new YarnConfiguration(base);
    // hadoop-client-minicluster ships no capacity-scheduler.xml: one queue that takes all.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    // A nearly full disk must not mark the only node unhealthy.
    conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage",
        "100.0");
    conf.set("yarn.resourcemanager.hostname", "127.0.0.1");
    // MiniYARNCluster sizes its NodeManager from this key, not yarn.nodemanager.resource.*:
    // a driver and two executors of 1 GB (+384 MB overhead each) need more than its 4 GB.
    conf.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", 6144);
    conf.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
    conf.setInt("yarn.scheduler.minimum-allocation-mb", 256);
    conf.set("yarn.nodemanager.vmem-check-enabled", "false");
    System.setProperty("hadoop.log.dir", dir.resolve("logs").toString());
    MiniYARNCluster cluster = new MiniYARNCluster("sparkconv", 1, 1, 1);
    cluster.init(conf);
    cluster.start();
    // start() may return before the ResourceManager has put its real port in the config.
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (cluster.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
      if (System.nanoTime() > deadline) {
        cluster.stop();
        throw new IllegalStateException("MiniYARNCluster's ResourceManager has no port after"
            + " 20 s");
      }
      Thread.sleep(100);
    }
    Path confDir = Files.createDirectories(dir.resolve("hadoop-conf"));
    try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
      cluster.getConfig().writeXml(out);
    }
    try (OutputStream out = Files.newOutputStream(confDir.resolve("core-site.xml"))) {
      cluster.getConfig().writeXml(out);
    }
    return new MiniYarn(cluster, confDir);
  }

  /** The folder to give a client as {@code HADOOP_CONF_DIR} / {@code YARN_CONF_DIR}. */
  public Path confDir() {
    return confDir;
  }

  /** Where the NodeManager keeps container logs (each container's stdout and stderr). */
  public Path containerLogs() {
    return Path.of(cluster.getNodeManager(0).getConfig().get("yarn.nodemanager.log-dirs")
        .split(",")[0]);
  }

  @Override
  public void close() {
    cluster.stop();
  }
}
