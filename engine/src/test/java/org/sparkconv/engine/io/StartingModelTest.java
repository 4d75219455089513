package org.sparkconv.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;

/** A job's model is a spec (fresh weights) or a model file (fine-tuning from its weights). */
class StartingModelTest {

  @Test
  void aModelFileStartsFromItsWeightsAndASpecFromTheSeed(@TempDir Path dir) throws IOException {
    NetworkSpec spec = NetworkBuilder.input("s", 1, 6, 6).conv2d(2, 3, 1).batchNorm2d().relu()
        .flatten().dense(3).build();
    Network trained = Network.build(spec);
    trained.initialize(42);
    trained.state()[0] = 0.25f;
    Path file = dir.resolve("trained.spcv");
    ModelFile.of(trained).save(file);
    StartingModel fromFile = StartingModel.read(file);
    assertEquals(spec, fromFile.spec());
    Network tuned = fromFile.network(7);
    assertArrayEquals(trained.params(), tuned.params(), "the file's parameters, not seed 7's");
    assertArrayEquals(trained.state(), tuned.state());

    Path json = dir.resolve("spec.json");
    Files.writeString(json, SpecJson.write(spec));
    StartingModel fromSpec = StartingModel.read(json);
    assertNull(fromSpec.weights());
    Network fresh = Network.build(spec);
    fresh.initialize(7);
    assertArrayEquals(fresh.params(), fromSpec.network(7).params());

    byte[] cut = java.util.Arrays.copyOf(Files.readAllBytes(file), 40);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StartingModel.of(cut, "cut.spcv"));
    assertTrue(e.getMessage().startsWith("cut.spcv"), e.getMessage());
    String tiny = "{\"input\": {\"channels\": 1, \"height\": 2, \"width\": 2},"
        + " \"layers\": [{\"type\": \"flatten\"}]}";
    assertTrue(StartingModel.of(tiny.getBytes(StandardCharsets.UTF_8), "x").describe()
        .contains("seed"));
  }
}
