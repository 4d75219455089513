package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.SpecException;

/**
 * Graph model specs: names and inputs, blocks, what the checked-in graph models are, and bad
 * graphs failing with the layer's name and what was expected.
 */
class GraphSpecTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  private static String model(String layers) {
    return model("", layers);
  }

  private static String model(String blocks, String layers) {
    return "{\"name\": \"g\", \"input\": {\"channels\": 2, \"height\": 8, \"width\": 8},"
        + blocks + " \"layers\": " + layers + "}";
  }

  private static SpecException rejected(String json) {
    return assertThrows(SpecException.class, () -> SpecJson.parse(json, "models/g.json"));
  }

  private static void assertSays(SpecException e, String... words) {
    assertTrue(e.getMessage().startsWith("models/g.json: "), e.getMessage());
    for (String word : words) {
      assertTrue(e.getMessage().contains(word), "'" + word + "' missing from: " + e.getMessage());
    }
  }

  private static final String CONV = "\"type\": \"conv2d\", \"out_channels\": 4, \"kernel\": 3,"
      + " \"padding\": 1";

  @Test
  void aResidualGraphReadsAndWritesBack() {
    NetworkSpec spec = SpecJson.parse(model("[{" + CONV + ", \"name\": \"a\"},"
        + " {\"type\": \"relu\"}, {" + CONV + ", \"name\": \"b\"},"
        + " {\"type\": \"add\", \"inputs\": [\"b\", \"a\"]}, {\"type\": \"flatten\"},"
        + " {\"type\": \"dense\", \"units\": 3}]"), "g");
    assertFalse(spec.isChain());
    assertEquals(List.of(2, 0), spec.nodes().get(3).inputs());
    assertEquals(spec, SpecJson.parse(SpecJson.write(spec), "written"));
    NetworkSpec built = NetworkBuilder.input("g", 2, 8, 8).conv2d(4, 3, 1).named("a").relu()
        .conv2d(4, 3, 1).named("b").add("b", "a").flatten().dense(3).build();
    assertEquals(SpecJson.write(built), SpecJson.write(spec), "builder and file agree");
  }

  @Test
  void theCheckedInGraphModelsRoundTripThroughJson() {
    for (String name : List.of("resnet20", "densenet-bc", "vgg16", "lenet5", "vgg-small")) {
      NetworkSpec spec = SpecJson.read(MODELS.resolve(name + ".json"));
      assertEquals(spec, SpecJson.parse(SpecJson.write(spec), name), name);
    }
  }

  @Test
  void aChainStillWritesAsAPlainLayerList() {
    NetworkSpec lenet = SpecJson.read(MODELS.resolve("lenet5.json"));
    assertTrue(lenet.isChain());
    String written = SpecJson.write(lenet);
    assertFalse(written.contains("\"inputs\"") || written.contains("\"name\" : \"conv"),
        written);
  }

  @Test
  void resnet20IsTheNetworkOfThePaper() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("resnet20.json"));
    NetworkSummary summary = NetworkSummary.of(spec, 1, 1);
    long convs = spec.layers().stream().filter(l -> l.type().equals("conv2d")).count();
    // 19 3x3 convolutions + 1 dense = 20 weighted layers; 2 projection shortcuts (1x1 convs).
    assertEquals(21, convs);
    assertEquals(9, spec.layers().stream().filter(l -> l.type().equals("add")).count());
    assertEquals(272_186, summary.paramCount());
    assertEquals(new org.sparkconv.engine.tensor.Shape(10, 1, 1), spec.outputShape());
  }

  @Test
  void densenetConcatenatesEveryEarlierMap() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("densenet-bc.json"));
    NetworkSummary summary = NetworkSummary.of(spec, 1, 1);
    // Stem 24 channels + 4 x growth 12 = 72 after the first dense block; compression 0.5 -> 36.
    NetworkSummary.Row dense1 = summary.rows().stream()
        .filter(r -> r.name().equals("dense1.4/features")).findFirst().orElseThrow();
    assertEquals(72, dense1.outputShape().channels());
    NetworkSummary.Row transition = summary.rows().stream()
        .filter(r -> r.name().startsWith("transition1/conv2d")).findFirst().orElseThrow();
    assertEquals(36, transition.outputShape().channels());
    NetworkSummary.Row last = summary.rows().stream()
        .filter(r -> r.name().equals("dense3.4/features")).findFirst().orElseThrow();
    assertEquals(42 + 48, last.outputShape().channels());
    assertEquals(7, last.outputShape().height());
  }

  @Test
  void vgg16SummaryReproducesTheHandArithmetic() {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("vgg16.json"));
    NetworkSummary summary = NetworkSummary.of(spec, 32, 1);
    NetworkSummary.Row first = summary.rows().get(0);
    assertEquals(3 * 3 * 3 * 64 + 64, first.params(), "first conv: 1,792 parameters");
    assertEquals(224L * 224 * 64, first.valuesPerExample(), "3,211,264 values per image");
    assertEquals(3_211_264L * 4 * 32, first.activationBytes(), "x 32 images per batch");
    assertEquals(138_357_544L, summary.paramCount());
    assertEquals(13, spec.layers().stream().filter(l -> l.type().equals("conv2d")).count());
    assertEquals(3, spec.layers().stream().filter(l -> l.type().equals("dense")).count());
    String table = summary.toString();
    assertTrue(table.contains("3,211,264") && table.contains("12.8 MB")
        && table.contains("411.0 MB") && table.contains("138,357,544"), table);
  }

  @Test
  void unknownLaterAndSelfInputs() {
    assertSays(rejected(model("[{" + CONV + "}, {\"type\": \"add\", \"name\": \"sum\","
        + " \"inputs\": [\"conv2d_0\", \"nope\"]}]")), "layer 1 'sum' (add)", "'inputs'",
        "no layer is named \"nope\"");
    assertSays(rejected(model("[{" + CONV + ", \"inputs\": [\"later\"]}, {" + CONV
        + ", \"name\": \"later\"}]")), "layer 0 (conv2d)", "\"later\" is layer 1, after this",
        "no cycles");
    assertSays(rejected(model("[{" + CONV + ", \"name\": \"me\", \"inputs\": [\"me\"]}]")),
        "layer 0 'me' (conv2d)", "this layer itself", "cycle");
  }

  @Test
  void unusedLayersAndDuplicateNames() {
    assertSays(rejected(model("[{" + CONV + ", \"name\": \"dead\"}, {" + CONV
        + ", \"inputs\": [\"input\"]}]")), "layer 0 'dead' (conv2d)", "not used by any later",
        "only the last layer");
    assertSays(rejected(model("[{" + CONV + ", \"name\": \"x\"}, {" + CONV
        + ", \"name\": \"x\"}]")), "layer 1 'x' (conv2d)", "already the name of layer 0");
    assertSays(rejected(model("[{" + CONV + ", \"name\": \"input\"}]")), "\"input\"");
  }

  @Test
  void mergesNameTheirInputsAndShapes() {
    SpecException add = rejected(model("[{" + CONV + ", \"name\": \"a\"}, {\"type\":"
        + " \"conv2d\", \"out_channels\": 8, \"kernel\": 3, \"stride\": 2, \"padding\": 1,"
        + " \"name\": \"b\"}, {\"type\": \"add\", \"name\": \"sum\", \"inputs\": [\"a\","
        + " \"b\"]}]"));
    assertSays(add, "layer 2 'sum' (add)", "'a' (4, 8, 8)", "'b' (8, 4, 4)", "one shape");
    assertEquals(2, add.layerIndex());
    assertSays(rejected(model("[{" + CONV + ", \"name\": \"a\"}, {\"type\": \"maxpool2d\","
        + " \"kernel\": 2, \"name\": \"p\"}, {\"type\": \"concat\", \"inputs\": [\"a\","
        + " \"p\"]}]")), "layer 2 (concat)", "'a' (4, 8, 8)", "'p' (4, 4, 4)",
        "one height and width");
    assertSays(rejected(model("[{" + CONV + "}, {\"type\": \"add\"}]")), "layer 1 (add)",
        "two or more inputs, got 1");
    assertSays(rejected(model("[{" + CONV + ", \"name\": \"a\"}, {" + CONV
        + ", \"inputs\": [\"a\", \"input\"]}]")), "layer 1 (conv2d)", "exactly one input",
        "\"add\" or \"concat\"");
  }

  @Test
  void groupsMustDivideTheChannels() {
    assertSays(rejected(model("[{\"type\": \"conv2d\", \"out_channels\": 6, \"kernel\": 3,"
        + " \"groups\": 4}]")), "layer 0 (conv2d)", "'groups'", "4 groups must divide",
        "2 channels");
  }

  private static final String BLOCK = " \"blocks\": {\"unit\": {\"params\": {\"channels\":"
      + " null, \"stride\": 1}, \"layers\": [{\"type\": \"conv2d\", \"out_channels\":"
      + " \"$channels\", \"kernel\": 3, \"stride\": \"$stride\", \"padding\": 1},"
      + " {\"type\": \"relu\", \"name\": \"out\"}]}},";

  @Test
  void blocksExpandWithTheirArgumentsAndPrefixedNames() {
    NetworkSpec spec = SpecJson.parse(model(BLOCK, "[{\"block\": \"unit\", \"name\": \"s\","
        + " \"repeat\": 2, \"with\": {\"channels\": 3}}, {\"block\": \"unit\", \"with\":"
        + " {\"channels\": 5}, \"inputs\": [\"s.1/out\"]}, {\"type\": \"concat\","
        + " \"inputs\": [\"s.2/out\", \"unit_1/out\"]}]"), "g");
    assertEquals(List.of("s.1/conv2d_0", "s.1/out", "s.2/conv2d_2", "s.2/out",
            "unit_1/conv2d_4", "unit_1/out", "concat_6"),
        spec.nodes().stream().map(Node::name).toList());
    assertEquals(List.of(1), spec.nodes().get(4).inputs());
    assertEquals(List.of(3, 5), spec.nodes().get(6).inputs());
    assertEquals(new org.sparkconv.engine.tensor.Shape(8, 8, 8), spec.outputShape());
  }

  @Test
  void badBlockUsesSayWhatIsWrong() {
    assertSays(rejected(model(BLOCK, "[{\"block\": \"unit\"}]")), "needs a value for"
        + " \"channels\"");
    assertSays(rejected(model(BLOCK, "[{\"block\": \"unit\", \"with\": {\"channels\": 3,"
        + " \"width\": 2}}]")), "\"width\" is not a parameter of block \"unit\"");
    assertSays(rejected(model(BLOCK, "[{\"block\": \"other\"}]")), "no block is named"
        + " \"other\"", "[unit]");
    assertSays(rejected(model(" \"blocks\": {\"b\": {\"layers\": [{\"type\": \"conv2d\","
        + " \"out_channels\": \"$c\", \"kernel\": 1}]}},", "[{\"block\": \"b\"}]")),
        "\"$c\" is not a parameter of the block");
  }
}
