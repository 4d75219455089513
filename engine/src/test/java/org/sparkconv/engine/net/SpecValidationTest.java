package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.SpecException;

/** Bad model specs fail when the network is built, naming the file, layer index and field. */
class SpecValidationTest {

  private static SpecException rejected(String layersJson) {
    String json = "{\"name\": \"bad\", \"input\": {\"channels\": 1, \"height\": 8, \"width\": 8},"
        + " \"layers\": " + layersJson + "}";
    return assertThrows(SpecException.class, () -> SpecJson.parse(json, "models/bad.json"));
  }

  private static void assertNames(SpecException e, int layer, String field, String... words) {
    assertEquals("models/bad.json", e.source());
    assertEquals(layer, e.layerIndex(), e.getMessage());
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith("models/bad.json: "), e.getMessage());
    for (String word : words) {
      assertTrue(e.getMessage().contains(word), "'" + word + "' missing from: " + e.getMessage());
    }
  }

  @Test
  void zeroOrNegativeSizes() {
    assertNames(rejected("[{\"type\": \"conv2d\", \"out_channels\": 0, \"kernel\": 3}]"),
        0, "out_channels", "layer 0 (conv2d)", "positive", "got 0");
    assertNames(rejected("[{\"type\": \"relu\"}, {\"type\": \"conv2d\", \"out_channels\": 4,"
        + " \"kernel\": [3, -1]}]"), 1, "kernel", "layer 1 (conv2d)", "got -1");
    assertNames(rejected("[{\"type\": \"conv2d\", \"out_channels\": 4, \"kernel\": 3,"
        + " \"stride\": 0}]"), 0, "stride", "got 0");
    assertNames(rejected("[{\"type\": \"dense\", \"units\": -5}]"), 0, "units", "got -5");
    assertNames(rejected("[{\"type\": \"maxpool2d\", \"kernel\": 2, \"padding\": -1}]"), 0,
        "padding", "got -1");
  }

  @Test
  void channelMismatchBetweenLayers() {
    SpecException e = rejected("[{\"type\": \"conv2d\", \"out_channels\": 6, \"kernel\": 5,"
        + " \"padding\": 2}, {\"type\": \"relu\"}, {\"type\": \"conv2d\", \"in_channels\": 3,"
        + " \"out_channels\": 16, \"kernel\": 5}]");
    assertNames(e, 2, "in_channels", "layer 2 (conv2d)", "is 3", "has 6 channels");
    e = rejected("[{\"type\": \"flatten\"}, {\"type\": \"dense\", \"in_features\": 100,"
        + " \"units\": 10}]");
    assertNames(e, 1, "in_features", "is 100", "64 features");
  }

  @Test
  void kernelLargerThanPaddedInput() {
    SpecException e = rejected("[{\"type\": \"maxpool2d\", \"kernel\": 2},"
        + " {\"type\": \"conv2d\", \"out_channels\": 4, \"kernel\": 7, \"padding\": 1}]");
    assertNames(e, 1, "kernel", "layer 1 (conv2d)", "7x7", "padded input 6x6", "input 4x4",
        "empty");
    e = rejected("[{\"type\": \"conv2d\", \"out_channels\": 4, \"kernel\": 3, \"dilation\": 4}]");
    assertNames(e, 0, "kernel", "window 9x9", "dilation 4x4", "8x8");
  }

  @Test
  void unknownTypeAndUnknownOrWrongFields() {
    assertNames(rejected("[{\"type\": \"relu\"}, {\"type\": \"convolution\"}]"), 1, "type",
        "unknown layer type 'convolution'", "conv2d");
    assertNames(rejected("[{\"type\": \"conv2d\", \"out_channels\": 4, \"kernal\": 3}]"), 0,
        "kernal", "unknown field", "kernel");
    assertNames(rejected("[{\"type\": \"conv2d\", \"out_channels\": 4}]"), 0, "kernel",
        "missing");
    assertNames(rejected("[{\"type\": \"conv2d\", \"out_channels\": \"four\", \"kernel\": 3}]"),
        0, "out_channels", "expected an integer", "\"four\"");
    assertNames(rejected("[{\"type\": \"conv2d\", \"out_channels\": 4, \"kernel\": 3,"
        + " \"padding\": \"half\"}]"), 0, "padding", "\"valid\"", "\"half\"");
    assertNames(rejected("[{\"type\": \"dense\", \"units\": 4, \"init\": \"lecun\"}]"), 0, "init",
        "he_normal");
    assertNames(rejected("[{\"type\": \"dropout\", \"rate\": 1.5}]"), 0, "rate", "[0, 1)");
    assertNames(rejected("[{\"type\": \"conv_transpose2d\", \"out_channels\": 2, \"kernel\": 3,"
        + " \"stride\": 2, \"output_padding\": 2}]"), 0, "output_padding", "smaller than");
    assertNames(rejected("[{\"type\": \"dense\", \"units\": 4}, {\"type\": \"batchnorm1d\","
        + " \"features\": 5}]"), 1, "features", "is 5");
  }

  @Test
  void badTopLevel() {
    SpecException e = assertThrows(SpecException.class, () -> SpecJson.parse(
        "{\"input\": {\"channels\": 1, \"height\": 0, \"width\": 8}, \"layers\": []}", "m.json"));
    assertTrue(e.getMessage().contains("'input'"), e.getMessage());
    e = assertThrows(SpecException.class, () -> SpecJson.parse("{\"layers\": [", "m.json"));
    assertTrue(e.getMessage().startsWith("m.json: not valid JSON"), e.getMessage());
    e = assertThrows(SpecException.class, () -> SpecJson.parse(
        "{\"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}, \"layers\": [],"
            + " \"optimiser\": 1}", "m.json"));
    assertEquals("optimiser", e.field());
    e = assertThrows(SpecException.class, () -> SpecJson.parse(
        "{\"input\": {\"channels\": 1, \"height\": 8, \"width\": 8}, \"classes\": [\"a\", \"b\"],"
            + " \"layers\": [{\"type\": \"dense\", \"units\": 3}]}", "m.json"));
    assertEquals("classes", e.field());
    assertTrue(e.getMessage().contains("names 2 classes but the last layer gives 3"),
        e.getMessage());
  }
}
