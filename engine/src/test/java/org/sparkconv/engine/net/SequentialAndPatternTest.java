package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.tensor.Shape;

class SequentialAndPatternTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void builderEqualsTheShippedLenet5FileAndRoundTripsThroughJson() {
    NetworkSpec built = NetworkBuilder.input("lenet5", 1, 28, 28)
        .conv2d(6, 5, 2).relu().maxPool(2)
        .conv2d(16, 5, 0).relu().maxPool(2)
        .flatten().dense(120).relu().dense(84).relu().dense(10)
        .classes(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot"))
        .build();
    assertEquals(built, SpecJson.read(MODELS.resolve("lenet5.json")));
    assertEquals(built, SpecJson.parse(SpecJson.write(built), "round trip"));
    assertEquals(61706, Network.build(built).params().length);
  }

  @Test
  void vggSmallHasTheDocumentedShape() {
    NetworkSpec vgg = SpecJson.read(MODELS.resolve("vgg-small.json"));
    List<Shape> shapes = vgg.shapes();
    assertEquals(new Shape(64, 7, 7), shapes.get(13));
    assertEquals(Shape.flat(256), shapes.get(15));
    assertEquals(Shape.flat(10), vgg.outputShape());
  }

  @Test
  void patternExpandsToTheClassicArchitecture() {
    NetworkSpec seed = SpecJson.read(MODELS.resolve("seed-cnn.json"));
    NetworkSpec vgg = SpecJson.read(MODELS.resolve("vgg-small.json"));
    List<String> seedTypes = seed.layers().stream().map(l -> l.type()).toList();
    List<String> vggTypes = vgg.layers().stream().map(l -> l.type()).toList();
    assertEquals(vggTypes, seedTypes, "[(conv-bn-relu) x 2 - pool] x 2 - fc-relu - fc");
    assertEquals(vgg.shapes(), seed.shapes());
    // Convs before batch norm drop their (redundant) bias: 4 * (32 + 32 + 64 + 64) / 4 fewer.
    assertEquals(Network.build(vgg).params().length - (32 + 32 + 64 + 64),
        Network.build(seed).params().length);
    NetworkSpec written = SpecJson.parse(SpecJson.write(seed), "expanded");
    assertEquals(seed, written);
  }

  @Test
  void badPatternsNameTheField() {
    SpecException e = assertThrows(SpecException.class, () -> SpecJson.parse(
        "{\"input\": {\"channels\": 1, \"height\": 28, \"width\": 28}, \"pattern\":"
            + " {\"channels\": [8], \"pool\": \"min\", \"outputs\": 10}}", "p.json"));
    assertEquals("pattern.pool", e.field());
    assertTrue(e.getMessage().startsWith("p.json: "), e.getMessage());
    e = assertThrows(SpecException.class, () -> SpecJson.parse(
        "{\"input\": {\"channels\": 1, \"height\": 28, \"width\": 28}, \"pattern\":"
            + " {\"channels\": [8, 8, 8, 8, 8], \"outputs\": 10}}", "p.json"));
    assertTrue(e.getMessage().contains("maxpool2d") && e.getMessage().contains("empty"),
        "five 2x2 pools cannot fit 28x28: " + e.getMessage());
    e = assertThrows(SpecException.class, () -> SpecJson.parse(
        "{\"input\": {\"channels\": 1, \"height\": 28, \"width\": 28}, \"pattern\":"
            + " {\"channels\": [8], \"outputs\": 10, \"kernal\": 3}}", "p.json"));
    assertEquals("pattern.kernal", e.field());
  }
}
