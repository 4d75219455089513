package org.sparkconv.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobConfigTest {

  private static final Path LENET_JOB = Path.of("..", "conf", "jobs", "lenet5-fashion.json");

  @Test
  void shippedJobParsesAndOverridesApply() {
    JobConfig job = JobConfig.read(LENET_JOB, List.of("epochs=3", "optimizer.lr=0.02",
        "augment.flip=true", "data.dir=/elsewhere"), TrainMain.SPARK_SECTIONS);
    assertEquals(3, job.train().epochs());
    assertEquals(0.02f, job.train().optimizer().lr());
    assertTrue(job.train().optimizer().nesterov());
    assertTrue(job.train().augmentation().horizontalFlip());
    assertEquals("/elsewhere/train-images-idx3-ubyte.gz",
        ((DataSpec.Idx) job.data()).trainImages());
    JobConfig onHdfs = JobConfig.read(LENET_JOB, List.of("data.dir=hdfs://nn:8020/fashion"),
        TrainMain.SPARK_SECTIONS);
    assertEquals("hdfs://nn:8020/fashion/t10k-labels-idx1-ubyte.gz",
        ((DataSpec.Idx) onHdfs.data()).testLabels());
    assertTrue(Path.of(job.model()).endsWith(Path.of("conf", "models", "lenet5.json")),
        job.model());
  }

  @Test
  void dataDirAndOutputOptionsBecomeOverridesWithLocalPathsMadeAbsolute() {
    List<String> all = JobFile.overrides(List.of("epochs=2"), "data/here", "hdfs://nn/out.spcv");
    assertEquals(List.of("epochs=2", "data.dir=" + Path.of("data/here").toAbsolutePath(),
        "output=hdfs://nn/out.spcv"), all);
  }

  private static String rejected(String... overrides) {
    return assertThrows(IllegalArgumentException.class,
        () -> JobConfig.read(LENET_JOB, List.of(overrides), TrainMain.SPARK_SECTIONS))
        .getMessage();
  }

  @Test
  void unknownAndInvalidSettingsFailWithTheirNames() {
    String m = rejected("optimiser.lr=0.1");
    assertTrue(m.contains("setting 'optimiser'") && m.contains("unknown"), m);
    m = rejected("optimizer.learning_rate=0.1");
    assertTrue(m.contains("setting 'optimizer.learning_rate'") && m.contains("unknown"), m);
    m = rejected("epochs=two");
    assertTrue(m.contains("setting 'epochs'") && m.contains("expected an integer"), m);
    m = rejected("batch_size=0");
    assertTrue(m.contains("setting 'batch_size'") && m.contains("positive"), m);
    m = rejected("optimizer.momentum=1.5");
    assertTrue(m.contains("optimizer.momentum") && m.contains("[0, 1)"), m);
    m = rejected("schedule.type=triangle");
    assertTrue(m.contains("schedule.type") && m.contains("triangle"), m);
    m = rejected("normalize=zscore");
    assertTrue(m.contains("setting 'normalize'"), m);
    m = rejected("data.format=png");
    assertTrue(m.contains("setting 'data.format'"), m);
    m = rejected("noequals");
    assertTrue(m.contains("setting=value"), m);
    assertTrue(m.length() > 0);
    String missing = assertThrows(IllegalArgumentException.class,
        () -> JobConfig.read(Path.of("no-such-job.json"), List.of(), Set.of())).getMessage();
    assertTrue(missing.contains("no-such-job.json") && missing.contains("does not exist"),
        missing);
    for (String message : List.of(rejected("epochs=two"), rejected("optimizer.momentum=1.5"))) {
      assertTrue(message.startsWith(LENET_JOB.toString()), "names the file: " + message);
      assertTrue(message.contains("--set "), "names the command-line setting: " + message);
    }
  }
}
