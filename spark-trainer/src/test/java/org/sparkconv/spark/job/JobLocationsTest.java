package org.sparkconv.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.train.DataSpec;
import org.sparkconv.spark.MiniHdfs;
import org.sparkconv.spark.data.HadoopFiles;

/**
 * A driver that sees only URIs (cluster deploy mode): the job file and the spec it names are
 * read through Hadoop, relative references resolve against the job file's own URI, and a
 * missing file or a scheme without a connector is one clear line.
 */
class JobLocationsTest {

  static final String SPEC = "{\"name\": \"tiny\", \"input\": {\"channels\": 1, \"height\": 4,"
      + " \"width\": 4}, \"layers\": [{\"type\": \"flatten\"}, {\"type\": \"dense\","
      + " \"units\": 3}]}";
  static final String JOB = "{\"model\": \"../models/tiny.json\", \"data\": {\"format\":"
      + " \"idx\", \"dir\": \"../data\", \"classes\": 3, \"train_images\": \"ti.gz\","
      + " \"train_labels\": \"tl.gz\", \"test_images\": \"vi.gz\", \"test_labels\":"
      + " \"vl.gz\"}, \"output\": \"../out/tiny.spcv\", \"spark\": {\"partitions\": 2}}";

  static void write(String location, String text, Configuration conf) throws IOException {
    org.apache.hadoop.fs.Path p = HadoopFiles.path(location);
    try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  static void assertResolvedAgainst(String root, Configuration conf) {
    TrainJobFile file = TrainJobFile.read(root + "/jobs/tiny.json",
        List.of("epochs=2"), conf);
    assertEquals(root + "/models/tiny.json", file.job().model());
    assertEquals(root + "/data/ti.gz", ((DataSpec.Idx) file.job().data()).trainImages());
    assertEquals(root + "/out/tiny.spcv", file.job().output());
    assertEquals(2, file.job().train().epochs());
    assertEquals(2, file.spark().partitions());
    NetworkSpec spec = TrainJob.readSpec(file.job().model(), conf);
    assertEquals("tiny", spec.name());
  }

  @Test
  void relativeReferencesResolveAgainstAnHdfsJobUri(@TempDir Path dir) throws IOException {
    try (MiniHdfs hdfs = MiniHdfs.start(dir)) {
      write(hdfs.root() + "/jobs/tiny.json", JOB, hdfs.conf());
      write(hdfs.root() + "/models/tiny.json", SPEC, hdfs.conf());
      assertResolvedAgainst(hdfs.root(), hdfs.conf());
      TrainJobFile file = TrainJobFile.read(hdfs.root() + "/jobs/tiny.json", List.of(),
          hdfs.conf());
      IllegalArgumentException noData = assertThrows(IllegalArgumentException.class,
          () -> TrainJob.requireData(file.job(), hdfs.conf()));
      assertTrue(noData.getMessage().startsWith("data " + hdfs.root() + "/data/ti.gz does not"
          + " exist") && noData.getMessage().contains("--data-dir"), noData.getMessage());
      for (String name : List.of("ti.gz", "tl.gz", "vi.gz", "vl.gz")) {
        write(hdfs.root() + "/data/" + name, "x", hdfs.conf());
      }
      TrainJob.requireData(file.job(), hdfs.conf());
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
          () -> TrainJobFile.read(hdfs.root() + "/jobs/none.json", List.of(), hdfs.conf()));
      assertEquals("job file " + hdfs.root() + "/jobs/none.json does not exist",
          missing.getMessage());
    }
  }

  @Test
  void relativeReferencesResolveAgainstAFileJobUri(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("jobs"));
    Files.createDirectories(dir.resolve("models"));
    Files.writeString(dir.resolve("jobs/tiny.json"), JOB);
    Files.writeString(dir.resolve("models/tiny.json"), SPEC);
    assertResolvedAgainst("file://" + dir, new Configuration());
  }

  @Test
  void aSchemeWithoutAConnectorNamesTheJarToAdd() {
    IllegalArgumentException s3 = assertThrows(IllegalArgumentException.class,
        () -> TrainJobFile.read("s3a://bucket/jobs/tiny.json", List.of(), new Configuration()));
    assertTrue(s3.getMessage().startsWith("no file system for scheme 's3a'")
        && s3.getMessage().contains("hadoop-aws"), s3.getMessage());
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
        () -> TrainJobFile.read("nosuch://x/job.json", List.of(), new Configuration()));
    assertTrue(other.getMessage().contains("connector for 'nosuch'")
        && !other.getMessage().contains("\n"), other.getMessage());
  }

  @Test
  void inClusterModeAPathWithoutASchemeIsOnTheDefaultFileSystem() {
    Configuration hdfsDefault = new Configuration();
    hdfsDefault.set("fs.defaultFS", "hdfs://nn:8020");
    DriverPaths cluster = new DriverPaths(true, hdfsDefault, "/container/work");
    assertEquals("hdfs://nn:8020/models/x.spcv", cluster.resolve("/models/x.spcv", "output"));
    assertEquals("s3a://b/x.spcv", cluster.resolve("s3a://b/x.spcv", "output"));
    DriverPaths client = new DriverPaths(false, hdfsDefault, "/home/me");
    assertEquals("/models/x.spcv", client.resolve("/models/x.spcv", "output"),
        "in client mode a plain path is the submitting machine's disk");

    // A relative path on the command line arrives made absolute against the driver's working
    // directory: in a container that is nobody's folder.
    for (String relative : List.of("models/x.spcv", "/container/work/models/x.spcv")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> cluster.resolve(relative, "--output"));
      assertTrue(e.getMessage().startsWith("--output " + relative + " is relative to the"
          + " driver's working directory") && !e.getMessage().contains("\n"), e.getMessage());
    }
    DriverPaths localDefault = new DriverPaths(true, new Configuration(), "/container/work");
    IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
        () -> localDefault.resolve("/models/x.spcv", "output"));
    assertTrue(local.getMessage().contains("fs.defaultFS")
        && local.getMessage().contains("file:///models/x.spcv"), local.getMessage());
  }

  @Test
  void everyListedSettingIsTakenWithItsDefault() {
    Path job = Path.of("..", "conf", "jobs", "lenet5-fashion.json");
    List<String> defaults = TrainJobFile.SETTINGS.stream()
        .filter(s -> !s.defaultValue().equals("-"))
        .map(s -> s.key() + "=" + s.defaultValue()).toList();
    // All at once: single defaults can clash with the job's own values (momentum 0 with
    // nesterov true), the defaults together cannot.
    TrainJobFile withDefaults = TrainJobFile.read(job, defaults);
    assertTrue(defaults.size() > 40, defaults.size() + " settings");
    assertEquals(1, withDefaults.job().train().epochs());
    assertTrue(withDefaults.spark().reduction().enabled(), "allreduce is the default");
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> TrainJobFile.read(job, List.of("spark.no_such_setting=1")));
    assertTrue(unknown.getMessage().contains("no_such_setting"), unknown.getMessage());
  }
}
