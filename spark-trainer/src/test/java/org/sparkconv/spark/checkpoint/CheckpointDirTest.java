package org.sparkconv.spark.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.MiniHdfs;
import org.sparkconv.spark.data.ShardedData;
import org.sparkconv.spark.train.GradientAveraging;
import org.sparkconv.spark.train.SparkSettings;
import org.sparkconv.spark.train.SparkTrainer;

/**
 * A checkpoint directory shared, damaged or left behind, on a real in-process HDFS: one live job
 * at a time, retention that never lets a corrupt file push out a good checkpoint, and the
 * leftovers of killed writes cleaned up.
 */
class CheckpointDirTest {

  static MiniHdfs hdfs;
  static String root;
  static Configuration conf;

  @BeforeAll
  static void startHdfs(@TempDir Path base) throws IOException {
    hdfs = MiniHdfs.start(base);
    conf = hdfs.conf();
    root = hdfs.root();
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  static JobFingerprint job() {
    return JobFingerprint.of(CheckpointTest.net(), CheckpointTest.SETTINGS,
        new GradientAveraging().fingerprint(), 2, CheckpointTest.NORM, "data");
  }

  static Checkpointing open(String dir, CheckpointSettings settings, String holder,
      PrintStream log) throws IOException {
    return Checkpointing.open(new CheckpointStore(root + dir, settings.keep(), conf, log),
        settings, job(), ModelMetadata.NONE, holder, log);
  }

  static void write(String path, String text) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root + path);
    try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aSecondLiveJobIsRefusedNamingTheFirstAndAStaleLeaseIsTakenOver() throws IOException {
    CheckpointSettings settings = new CheckpointSettings(root + "/shared", 4, false, 3, true,
        false, 60);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    try (Checkpointing first = open("/shared", settings, "job A on host-a, pid 1", quiet)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> open("/shared", settings, "job B on host-b, pid 2", quiet));
      assertTrue(e.getMessage().contains("in use by another job: job A on host-a, pid 1")
          && e.getMessage().contains("checkpoint.force"), e.getMessage());
    }
    open("/shared", settings, "job B on host-b, pid 2", quiet).close();

    // A job that died: its lease was last renewed two minutes ago.
    write("/stale/_lease", "job C, killed");
    FileSystem fs = FileSystem.get(java.net.URI.create(root), conf);
    fs.setTimes(new org.apache.hadoop.fs.Path(root + "/stale/_lease"),
        System.currentTimeMillis() - 120_000, -1);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    open("/stale", settings, "job D", new PrintStream(log, true)).close();
    assertTrue(log.toString().contains("taking over the lease") && log.toString().contains(
        "job C, killed"), log.toString());
  }

  @Test
  void orphanedTemporaryFilesAreRemovedWhenTheDirectoryIsOpened() throws IOException {
    write("/orphans/.ckpt-000000000004.spcv.5f1e.tmp", "half a checkpoint");
    write("/orphans/..ckpt-000000000004.spcv.5f1e.tmp.crc", "its checksum");
    write("/orphans/notes.txt", "not ours");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    CheckpointSettings settings = new CheckpointSettings(root + "/orphans", 4, false, 3, true,
        false);
    open("/orphans", settings, "job E", new PrintStream(log, true)).close();
    FileSystem fs = FileSystem.get(java.net.URI.create(root), conf);
    List<String> left = java.util.Arrays.stream(fs.listStatus(
        new org.apache.hadoop.fs.Path(root + "/orphans"))).map(s -> s.getPath().getName())
        .toList();
    assertEquals(List.of("notes.txt"), left.stream().filter(n -> !n.equals("_lease")).toList(),
        "only the unrelated file is left");
    assertTrue(log.toString().contains("removed .ckpt-000000000004.spcv.5f1e.tmp")
        && log.toString().contains("no usable checkpoint in " + root + "/orphans, starting from"
        + " round 1"), log.toString());
  }

  @Test
  void aCorruptNewestFileNeverPushesOutTheGoodCheckpointsWithKeepOne() throws IOException {
    write("/corrupt-newest/ckpt-000000099999.spcv", "garbage that sorts last");
    CheckpointSettings settings = new CheckpointSettings(root + "/corrupt-newest", 4, false, 1,
        true, false);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(bytes, true);
    Network net = Network.build(CheckpointTest.net());
    net.initialize(CheckpointTest.SETTINGS.seed());
    var jsc = LocalSpark.get();
    ShardedData train = ShardedData.dealt(jsc, CheckpointTest.DATA, 2, 7);
    ShardedData test = ShardedData.contiguous(jsc, CheckpointTest.DATA.head(64), 2);
    SparkSettings spark = new SparkSettings(new GradientAveraging(), 2, 2, 12, 60);
    try (Checkpointing checkpoints = Checkpointing.open(new CheckpointStore(root
            + "/corrupt-newest", 1, jsc.hadoopConfiguration(), log), settings,
        JobFingerprint.of(net.spec(), CheckpointTest.SETTINGS, spark.sync().fingerprint(), 2,
            CheckpointTest.NORM, CheckpointTest.DATA.source()), ModelMetadata.NONE, "job F",
        log)) {
      new SparkTrainer(jsc, log).fit(net, train, test, CheckpointTest.NORM,
          CheckpointTest.SETTINGS, spark, checkpoints);
    } finally {
      train.release();
      test.release();
    }
    CheckpointStore store = new CheckpointStore(root + "/corrupt-newest", 1, conf, log);
    List<String> files = store.list().stream().map(org.apache.hadoop.fs.Path::getName).toList();
    assertEquals(List.of("ckpt-000000000012.spcv", "ckpt-000000099999.spcv"), files,
        "the newest good checkpoint is kept, the corrupt file is left alone");
    assertTrue(bytes.toString().contains("ckpt-000000099999.spcv is unusable")
        && bytes.toString().contains("no usable checkpoint"), bytes.toString());
    assertEquals(12, store.newestValid().orElseThrow().position().roundsDone());
    assertFalse(bytes.toString().contains("WARNING"), bytes.toString());
  }
}
