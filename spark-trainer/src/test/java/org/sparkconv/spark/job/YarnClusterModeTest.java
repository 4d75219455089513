package org.sparkconv.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.spark.MiniHdfs;
import org.sparkconv.spark.MiniYarn;
import org.sparkconv.spark.data.HadoopFiles;

/**
 * Cluster deploy mode on a real YARN (MiniYARNCluster) over a real HDFS (MiniDFSCluster): the
 * application jar is submitted with {@code SparkSubmit --master yarn --deploy-mode cluster}
 * from a separate JVM, as a user's spark-submit would; the driver runs in a YARN container and
 * sees only HDFS, where the job file, the spec it names by a relative path, and the data are.
 * The trained model, its checkpoints and, from a second cluster-mode application, the
 * predictions must appear on HDFS, and the scored accuracy must equal the trained model's.
 */
class YarnClusterModeTest {

  static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");
  static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();
  static final long APPLICATION_MINUTES = 6;

  static Path work;
  static MiniHdfs hdfs;
  static MiniYarn yarn;
  static FileSystem fs;

  @BeforeAll
  static void startClusters() throws Exception {
    work = Path.of("target/yarn-cluster-mode").toAbsolutePath();
    deleteRecursively(work);
    Files.createDirectories(work);
    hdfs = MiniHdfs.start(work);
    hdfs.conf().set("fs.defaultFS", hdfs.root());
    yarn = MiniYarn.start(hdfs.conf(), work);
    fs = FileSystem.get(hdfs.conf());
    put(PROJECT.resolve("conf/jobs/lenet5-fashion.json"), "/sparkconv/jobs/lenet5-fashion.json");
    put(PROJECT.resolve("conf/models/lenet5.json"), "/sparkconv/models/lenet5.json");
    for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
      put(FASHION.resolve(name), "/datasets/fashion-mnist/" + name);
    }
  }

  @AfterAll
  static void stopClusters() {
    if (yarn != null) {
      yarn.close();
    }
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Test
  void trainsAndScoresWithTheDriverInAYarnContainer() throws Exception {
    // The job file by URI; the output as an absolute path without a scheme, which in cluster
    // mode means the default file system (HDFS), not the driver container's disk.
    submit("train", "org.sparkconv.spark.job.TrainJob",
        "--job", hdfs.root() + "/sparkconv/jobs/lenet5-fashion.json",
        "--data-dir", "hdfs:///datasets/fashion-mnist",
        "--set", "train_limit=4000", "--set", "spark.partitions=2",
        "--set", "checkpoint.dir=/checkpoints/lenet5",
        "--output", "/models/lenet5.spcv");
    org.apache.hadoop.fs.Path modelPath = new org.apache.hadoop.fs.Path("/models/lenet5.spcv");
    assertTrue(fs.exists(modelPath), "the model is on HDFS at " + modelPath);
    ModelFile model = ModelFile.decode(HadoopFiles.readAll(modelPath, hdfs.conf()),
        modelPath.toString());
    assertEquals("lenet5", model.spec().name());
    double trainedAccuracy = model.metadata().testAccuracy();
    assertTrue(trainedAccuracy > 0.65, "test accuracy after training " + trainedAccuracy);
    for (String side : List.of(".metrics.jsonl", ".report.html")) {
      assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/models/lenet5.spcv" + side)),
          "the run's " + side + " is on HDFS beside the model");
    }
    assertTrue(fs.listStatus(new org.apache.hadoop.fs.Path("/checkpoints/lenet5")).length > 0,
        "checkpoints were written to HDFS");
    assertEquals(3, containersOfNewestApplication(), "a driver and two executors ran");

    submit("score", "org.sparkconv.spark.job.ScoreJob",
        "--model", "/models/lenet5.spcv", "--format", "idx",
        "--input", "/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
        "--labels", "/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
        "--partitions", "2", "--output", "/predictions/lenet5");
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/predictions/lenet5/_SUCCESS")),
        "the predictions are on HDFS, complete");
    JsonNode metrics = new ObjectMapper().readTree(HadoopFiles.readAll(
        new org.apache.hadoop.fs.Path("/predictions/lenet5.metrics.json"), hdfs.conf()));
    assertEquals(10_000, metrics.get("images").asLong());
    assertEquals(trainedAccuracy, metrics.get("accuracy").asDouble(), 1e-4,
        "scoring the test set gives the accuracy training measured on it");
  }

  /**
   * Runs {@code SparkSubmit --master yarn --deploy-mode cluster} in its own JVM and fails with
   * the client's and the driver container's log tails unless the application succeeded.
   */
  static void submit(String name, String mainClass, String... args) throws Exception {
    Path appJar = applicationJar();
    Path noSparkJars = work.resolve("no-spark-jars.jar");
    if (!Files.exists(noSparkJars)) {
      new JarOutputStream(Files.newOutputStream(noSparkJars)).close();
    }
    String jvmFlags = System.getProperty("sparkconv.jvm.flags", "");
    String javaHome = System.getProperty("java.home");
    List<String> command = new ArrayList<>(List.of(javaHome + "/bin/java", "-Xmx512m"));
    command.addAll(Arrays.asList(jvmFlags.split(" ")));
    command.addAll(List.of("-cp", yarn.confDir() + File.pathSeparator + libraryClasspath(),
        "org.apache.spark.deploy.SparkSubmit", "--master", "yarn", "--deploy-mode", "cluster",
        "--class", mainClass, "--name", "sparkconv-" + name,
        "--num-executors", "2", "--executor-cores", "1",
        "--executor-memory", "1g", "--driver-memory", "1g",
        // Spark's own jars are already on every node of this one-machine cluster.
        "--conf", "spark.yarn.jars=local:" + noSparkJars,
        "--conf", "spark.driver.extraClassPath=" + libraryClasspath(),
        "--conf", "spark.executor.extraClassPath=" + libraryClasspath(),
        "--conf", "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
        "--conf", "spark.executorEnv.JAVA_HOME=" + javaHome,
        "--conf", "spark.executorEnv.OPENBLAS_NUM_THREADS=1",
        "--conf", "spark.driver.extraJavaOptions=" + jvmFlags,
        "--conf", "spark.executor.extraJavaOptions=" + jvmFlags,
        appJar.toString()));
    command.addAll(List.of(args));
    Path log = work.resolve(name + "-submit.log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("HADOOP_CONF_DIR", yarn.confDir().toString());
    builder.environment().put("YARN_CONF_DIR", yarn.confDir().toString());
    Process process = builder.start();
    boolean done = process.waitFor(APPLICATION_MINUTES, TimeUnit.MINUTES);
    if (!done) {
      process.destroyForcibly().waitFor();
    }
    if (!done || process.exitValue() != 0) {
      throw new AssertionError("the " + name + " application " + (done ? "failed (exit "
          + process.exitValue() + ")" : "did not finish in " + APPLICATION_MINUTES
          + " minutes") + "\n--- spark-submit:\n" + tail(log, 40) + "\n--- driver:\n"
          + driverLog());
    }
  }

  /**
   * The application jar: sparkconv's own classes (engine and trainer), as the shaded jar holds
   * them, so the driver and executors load them from what YARN shipped.
   */
  static Path applicationJar() throws IOException {
    Path jar = work.resolve("sparkconv-app.jar");
    if (Files.exists(jar)) {
      return jar;
    }
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Path classes : ownClassFolders()) {
        try (Stream<Path> files = Files.walk(classes)) {
          for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
            out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
            Files.copy(f, out);
            out.closeEntry();
          }
        }
      }
    }
    return jar;
  }

  static List<String> classpath() {
    return Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
  }

  static List<Path> ownClassFolders() {
    return classpath().stream().map(Path::of)
        .filter(p -> Files.isDirectory(p) && p.endsWith("target/classes")).toList();
  }

  /** Everything on the test classpath except sparkconv's classes: Spark, Hadoop, libraries. */
  static String libraryClasspath() {
    return classpath().stream()
        .filter(e -> !Files.isDirectory(Path.of(e)))
        .collect(Collectors.joining(File.pathSeparator));
  }

  static void put(Path local, String target) throws IOException {
    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(target), true)) {
      Files.copy(local, out);
    }
  }

  static String tail(Path file, int lines) throws IOException {
    if (!Files.exists(file)) {
      return "(no " + file + ")";
    }
    List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** How many containers YARN ran for the newest application. */
  static long containersOfNewestApplication() throws IOException {
    try (Stream<Path> apps = Files.list(yarn.containerLogs())) {
      Path newest = apps.filter(p -> p.getFileName().toString().startsWith("application_"))
          .max(java.util.Comparator.naturalOrder()).orElseThrow();
      try (Stream<Path> containers = Files.list(newest)) {
        return containers.count();
      }
    }
  }

  /** The newest application's first container (the driver): the tail of its stdout and stderr. */
  static String driverLog() throws IOException {
    try (Stream<Path> files = Files.walk(yarn.containerLogs())) {
      List<Path> driver = files.filter(p -> p.toString().contains("_000001/")
              && (p.endsWith("stdout") || p.endsWith("stderr")))
          .sorted().toList();
      StringBuilder out = new StringBuilder();
      for (Path p : driver.subList(Math.max(0, driver.size() - 2), driver.size())) {
        out.append(p).append(":\n").append(tail(p, 30)).append('\n');
      }
      return out.toString();
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
