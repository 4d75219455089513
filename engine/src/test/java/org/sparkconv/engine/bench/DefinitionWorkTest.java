package org.sparkconv.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.net.SpecJson;

/** The multiply-adds per image that the benchmarks' ceiling divides by, against hand counts. */
class DefinitionWorkTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  @Test
  void leNet5CountsItsConvsAndDenseLayersAndNoInputGradientForTheFirstConv() {
    DefinitionWork work = DefinitionWork.of(SpecJson.read(MODELS.resolve("lenet5.json")));
    long conv1 = 6L * 28 * 28 * (1 * 5 * 5); // "same" 5x5 on 28x28
    long conv2 = 16L * 10 * 10 * (6 * 5 * 5); // "valid" 5x5 on the pooled 14x14
    long dense = 400L * 120 + 120 * 84 + 84 * 10;
    assertEquals(conv1 + conv2 + dense, work.inference());
    assertEquals(2 * conv1 + 3 * (conv2 + dense), work.training());
  }

  @Test
  void resNet20CountsEveryBlocksConvsAndProjections() {
    DefinitionWork work = DefinitionWork.of(SpecJson.read(MODELS.resolve("resnet20.json")));
    long stem = 16L * 28 * 28 * 9;
    long stage1 = 6 * (16L * 28 * 28 * 16 * 9);
    long stage2 = 32L * 14 * 14 * 16 * 9 + 5 * (32L * 14 * 14 * 32 * 9) + 32L * 14 * 14 * 16;
    long stage3 = 64L * 7 * 7 * 32 * 9 + 5 * (64L * 7 * 7 * 64 * 9) + 64L * 7 * 7 * 32;
    long dense = 64L * 10;
    long forward = stem + stage1 + stage2 + stage3 + dense;
    assertEquals(31_021_952L, forward); // the figure the speed log's ceiling uses
    assertEquals(forward, work.inference());
    assertEquals(3 * forward - stem, work.training());
  }

  @Test
  void groupedConvolutionsMultiplyOnlyWithinTheirGroup() {
    String json = """
        {"name": "grouped", "input": {"channels": 8, "height": 6, "width": 6},
         "layers": [
           {"type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "groups": 8},
           {"type": "conv2d", "out_channels": 4, "kernel": 1, "groups": 2}
         ]}""";
    DefinitionWork work = DefinitionWork.of(SpecJson.parse(json, "test"));
    long depthwise = 8L * 36 * 1 * 9;
    long pointwise = 4L * 36 * 4;
    assertEquals(depthwise + pointwise, work.inference());
    assertEquals(2 * depthwise + 3 * pointwise, work.training());
  }
}
