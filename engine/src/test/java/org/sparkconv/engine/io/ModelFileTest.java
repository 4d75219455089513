package org.sparkconv.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkconv.engine.TestArrays;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.tensor.Tensor;

class ModelFileTest {

  @TempDir
  Path dir;

  private static Network trainedLikeNetwork() {
    NetworkSpec spec = NetworkBuilder.input("small", 1, 8, 8).conv2d(4, 3, 1).batchNorm2d().relu()
        .maxPool(2).flatten().dense(3).classes(List.of("a", "b", "c")).build();
    Network net = Network.build(spec);
    net.initialize(11);
    // Move BN running statistics away from their initial values.
    net.forward(new Tensor(TestArrays.uniform(5 * 64, 12), 0, 5, net.inputShape()), true);
    return net;
  }

  @Test
  void saveThenLoadGivesIdenticalPredictions() throws IOException {
    Network net = trainedLikeNetwork();
    float[][] slots = {TestArrays.uniform(net.params().length, 1),
        TestArrays.uniform(net.params().length, 2)};
    ModelMetadata metadata = ModelMetadata.trained(new Normalization(new float[] {0.25f},
        new float[] {0.5f}), 3, 0.75).atCheckpoint(new ModelMetadata.Position(2, 17, 45),
        java.util.Map.of("seed", "7", "optimizer", "adam"));
    ModelFile file = new ModelFile(net.spec(), net.params(), net.state(), "adam", 42, slots,
        metadata);
    Path path = dir.resolve("m.spcv");
    file.save(path);
    ModelFile back = ModelFile.load(path);
    assertEquals(net.spec(), back.spec());
    assertArrayEquals(net.params(), back.params());
    assertArrayEquals(net.state(), back.state());
    assertEquals("adam", back.optimizerType());
    assertEquals(42, back.optimizerSteps());
    assertArrayEquals(slots[1], back.optimizerSlots()[1]);
    assertEquals(metadata, back.metadata());
    float[] x = TestArrays.uniform(4 * 64, 13);
    float[] expected = net.forward(new Tensor(x, 0, 4, net.inputShape()), false).toArray();
    Network loaded = back.toNetwork();
    assertArrayEquals(expected, loaded.forward(new Tensor(x, 0, 4, net.inputShape()), false)
        .toArray());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(path), files.toList(), "no temporary file left behind");
    }
  }

  @Test
  void truncatedCorruptAndForeignFilesAreRejectedByName() throws IOException {
    byte[] good = ModelFile.of(trainedLikeNetwork()).encode();
    Path truncated = dir.resolve("truncated.spcv");
    Files.write(truncated, Arrays.copyOf(good, good.length - 100));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelFile.load(truncated));
    assertTrue(e.getMessage().startsWith(truncated.toString()) && e.getMessage().contains(
        "truncated"), e.getMessage());

    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    Path corrupt = dir.resolve("corrupt.spcv");
    Files.write(corrupt, flipped);
    e = assertThrows(IllegalArgumentException.class, () -> ModelFile.load(corrupt));
    assertTrue(e.getMessage().contains("CRC32 mismatch") && e.getMessage().contains("corrupt"),
        e.getMessage());

    byte[] foreign = good.clone();
    foreign[0] = 'X';
    e = assertThrows(IllegalArgumentException.class, () -> ModelFile.decode(foreign, "f"));
    assertTrue(e.getMessage().contains("not a sparkconv model file"), e.getMessage());

    byte[] future = good.clone();
    future[4] = 9;
    e = assertThrows(IllegalArgumentException.class, () -> ModelFile.decode(future, "f"));
    assertTrue(e.getMessage().contains("format version 9 is not supported"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> ModelFile.load(dir.resolve("missing.spcv")));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void aFailedSaveLeavesThePreviousFileIntact() throws IOException {
    Network net = trainedLikeNetwork();
    Path path = dir.resolve("model.spcv");
    ModelFile.of(net).save(path);
    byte[] before = Files.readAllBytes(path);
    // Make the final rename fail: the destination is a non-empty directory.
    Path blocked = dir.resolve("blocked.spcv");
    Files.createDirectories(blocked.resolve("inside"));
    assertThrows(IOException.class, () -> ModelFile.of(net).save(blocked));
    assertTrue(Files.isDirectory(blocked.resolve("inside")));
    assertArrayEquals(before, Files.readAllBytes(path));
    try (var files = Files.list(dir)) {
      assertEquals(2, files.count(), "only model.spcv and blocked.spcv: no temporary left");
    }
  }

  @Test
  void aGraphModelSavesAsVersion2AndLoadsWithIdenticalPredictions() throws IOException {
    NetworkSpec spec = NetworkBuilder.input("res", 1, 8, 8).conv2d(4, 3, 1).batchNorm2d().relu()
        .named("stem").conv2d(4, 3, 1).batchNorm2d().named("branch").add("branch", "stem")
        .named("sum").from("stem").conv2d(2, 1, 0).named("side").concat("sum", "side")
        .flatten().dense(3).build();
    Network net = Network.build(spec);
    net.initialize(5);
    net.forward(new Tensor(TestArrays.uniform(4 * 64, 6), 0, 4, net.inputShape()), true);
    Path file = dir.resolve("res.spcv");
    ModelFile.of(net).save(file);
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(2, bytes[4], "format version");
    Network loaded = ModelFile.load(file).toNetwork();
    assertEquals(spec, loaded.spec());
    Tensor x = new Tensor(TestArrays.uniform(3 * 64, 7), 0, 3, net.inputShape());
    float[] expected = net.forward(x, false).data().clone();
    assertArrayEquals(Arrays.copyOf(expected, 9),
        Arrays.copyOf(loaded.forward(x, false).data(), 9));
  }

  /**
   * A version-1 file written before graphs existed (checked in, with the logits it gave then)
   * still loads and predicts the same.
   */
  @Test
  void aVersion1FileStillLoads() throws IOException {
    ModelFile file;
    try (var in = ModelFileTest.class.getResourceAsStream("/modelfile/v1-small.spcv")) {
      byte[] bytes = in.readAllBytes();
      assertEquals(1, bytes[4], "the fixture is a version-1 file");
      file = ModelFile.decode(bytes, "v1-small.spcv");
    }
    assertTrue(file.spec().isChain());
    Network net = file.toNetwork();
    float[] x = new float[2 * 64];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    float[] logits = Arrays.copyOf(net.forward(new Tensor(x, 0, 2, net.inputShape()), false)
        .data(), 8);
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        ModelFileTest.class.getResourceAsStream("/modelfile/v1-small-logits.json"));
    float[] expected = new float[8];
    for (int i = 0; i < 8; i++) {
      expected[i] = (float) json.get("logits").get(i).doubleValue();
    }
    TestArrays.assertClose("logits of the version-1 file", expected, logits, 1e-6, 1e-6);
  }

  @Test
  void aFutureVersionIsRefusedByNumber() {
    byte[] bytes = ModelFile.of(trainedLikeNetwork()).encode();
    bytes[4] = 3;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelFile.decode(bytes, "future.spcv"));
    assertTrue(e.getMessage().contains("future.spcv at byte 4: format version 3 is not"
        + " supported (this build reads versions 1 to 2)"), e.getMessage());
  }
}
