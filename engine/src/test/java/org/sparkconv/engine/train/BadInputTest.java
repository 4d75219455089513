package org.sparkconv.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.OptimizerSpec;

/**
 * Inputs a hostile user tries: absurd model sizes refused from the spec with the numbers, bad
 * outputs refused before training, and every failure one line with nothing overwritten.
 */
class BadInputTest {

  static final long HEAP = 3L << 30;

  @Test
  void absurdSizesAreRefusedFromTheSpecBeforeAnyAllocation() {
    NetworkSpec wide = NetworkBuilder.input("wide", 1, 28, 28).flatten().dense(3_000_000).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MemoryBudget.requireTrainingFits(wide, 64, 256, OptimizerSpec.sgd(0.1f, 0.9f), 1,
            HEAP));
    assertTrue(e.getMessage().contains("dense") && e.getMessage().contains("2^31"),
        e.getMessage());

    SpecException c = assertThrows(SpecException.class, () -> NetworkBuilder.input("channels", 3,
        224, 224).conv2d(100_000, 3, 1).build());
    assertTrue(c.getMessage().contains("layer 0") && c.getMessage().contains("2^31"),
        c.getMessage());

    SpecException input = assertThrows(SpecException.class, () -> SpecJson.parse("{\"name\": "
        + "\"huge\", \"input\": {\"channels\": 1, \"height\": 100000, \"width\": 100000},"
        + " \"layers\": [{\"type\": \"flatten\"}]}", "huge.json"));
    assertTrue(input.getMessage().contains("input") && input.getMessage().contains("2^31"),
        input.getMessage());

    NetworkSpec big = NetworkBuilder.input("big", 3, 64, 64).conv2d(256, 3, 1).relu()
        .conv2d(256, 3, 1).relu().flatten().dense(10).build();
    IllegalArgumentException budget = assertThrows(IllegalArgumentException.class,
        () -> MemoryBudget.requireTrainingFits(big, 512, 512, OptimizerSpec.adam(0.01f), 1,
            HEAP));
    assertTrue(budget.getMessage().contains("needs about") && budget.getMessage().contains(
        "batch 512") && budget.getMessage().contains("lower batch_size"), budget.getMessage());
    MemoryBudget.requireTrainingFits(big, 8, 8, OptimizerSpec.adam(0.01f), 1, HEAP);
  }

  @Test
  void evaluationsBatchIsPartOfTheBudget() {
    NetworkSpec big = NetworkBuilder.input("big", 3, 64, 64).conv2d(256, 3, 1).relu()
        .flatten().dense(10).build();
    MemoryBudget.requireTrainingFits(big, 8, 8, OptimizerSpec.adam(0.01f), 1, HEAP);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MemoryBudget.requireTrainingFits(big, 8, 1024, OptimizerSpec.adam(0.01f), 1,
            HEAP));
    assertTrue(e.getMessage().contains("evaluate at batch 1024"), e.getMessage());
  }

  static int train(Path output, boolean overwrite, StringWriter err) {
    String[] args = overwrite
        ? new String[] {"--job", "../conf/jobs/lenet5-fashion.json", "--output",
            output.toString(), "--overwrite", "--data-dir", "/nonexistent-sparkconv-data"}
        : new String[] {"--job", "../conf/jobs/lenet5-fashion.json", "--output",
            output.toString(), "--data-dir", "/nonexistent-sparkconv-data"};
    return Cli.execute(new TrainMain(), args, new PrintWriter(err, true));
  }

  @Test
  void anOutputThatIsNotAModelIsNeverReplacedAndAModelOnlyWithOverwrite(@TempDir Path dir)
      throws IOException {
    Path spec = dir.resolve("lenet5.json");
    Files.writeString(spec, "{\"name\": \"precious\"}");
    StringWriter err = new StringWriter();
    assertEquals(2, train(spec, true, err));
    assertTrue(err.toString().startsWith("error: output " + spec + " exists and is not a"
        + " sparkconv model file"), err.toString());
    assertEquals("{\"name\": \"precious\"}", Files.readString(spec), "left as it was");

    Path model = dir.resolve("old.spcv");
    byte[] bytes = ModelFile.of(Network.build(NetworkBuilder.input("m", 1, 4, 4).flatten()
        .dense(2).build())).encode();
    Files.write(model, bytes);
    err = new StringWriter();
    assertEquals(2, train(model, false, err));
    assertTrue(err.toString().contains("holds a model already; pass --overwrite"),
        err.toString());
    assertArrayEquals(bytes, Files.readAllBytes(model));
    assertFalse(err.toString().contains("\tat "), "no stack trace without --verbose");
  }

  @Test
  void anUnwritableOutputFolderIsFoundBeforeTraining() {
    StringWriter err = new StringWriter();
    assertEquals(2, train(Path.of("/proc/sparkconv/model.spcv"), false, err));
    assertTrue(err.toString().contains("is not writable") && err.toString().contains(
        "before training"), err.toString());
  }

  @Test
  void aRunThatExplodesStopsWithANonZeroExitAndWritesNoModel(@TempDir Path dir) {
    Path output = dir.resolve("exploded.spcv");
    StringWriter err = new StringWriter();
    int code = Cli.execute(new TrainMain(), new String[] {"--job",
        "../conf/jobs/lenet5-fashion.json", "--output", output.toString(), "--set",
        "optimizer.lr=100", "--set", "train_limit=3200", "--set", "progress_seconds=1000"},
        new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("loss became") && err.toString().contains(
        "no model was written"), err.toString());
    assertFalse(Files.exists(output), "no model file for a diverged run");
  }

  @Test
  void sparkStyleMessagesLoseTheirEmbeddedTraces() {
    String m = Cli.message(new IllegalStateException("Job aborted: x.png: bad\n\tat a.b.C(C.java:1)"
        + "\n\tat d.e.F(F.java:2)\nCaused by: y"));
    assertEquals("Job aborted: x.png: bad", m);
    assertEquals("first\n  second", Cli.message(new IllegalArgumentException("first\n  second")),
        "our own multi-line messages stay whole");
  }
}
