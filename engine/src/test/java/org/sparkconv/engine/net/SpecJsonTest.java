package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Dropout;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.GlobalAvgPool2d;
import org.sparkconv.engine.layer.GlobalMaxPool2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.LeakyRelu;
import org.sparkconv.engine.layer.LpPool2d;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.layer.Sigmoid;
import org.sparkconv.engine.layer.Tanh;
import org.sparkconv.engine.tensor.Shape;

class SpecJsonTest {

  @Test
  void everyLayerTypeSurvivesWriteThenRead() {
    NetworkSpec spec = NetworkSpec.sequential("all", new Shape(3, 16, 12), List.of(
        new Conv2d.Spec(3, 8, 3, 2, 1, 2, Padding.SAME, 1, 1, false, Init.XAVIER_UNIFORM),
        new BatchNorm.Spec(true, 8, 0.05f, 1e-3f),
        new LeakyRelu.Spec(0.2f),
        new ConvTranspose2d.Spec(0, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, Init.HE_UNIFORM),
        new MaxPool2d.Spec(3, 3, 2, 2, 1, 1),
        new AvgPool2d.Spec(2, 2, 1, 1, 1, 1),
        new LpPool2d.Spec(1, 2, 2, 2, 2),
        new Conv2d.Spec(0, 6, 3, 3, 1, 1, Padding.of(1, 0), 2, 1, true, Init.HE_NORMAL),
        new Sigmoid.Spec(), new Tanh.Spec(), new Relu.Spec(),
        new Conv2d.Spec(0, 6, 1, 1, 1, 1, Padding.FULL, 1, 1, true, Init.XAVIER_NORMAL),
        new GlobalMaxPool2d.Spec(),
        new Flatten.Spec(),
        new Dropout.Spec(0.25f, 42L),
        new Dense.Spec(6, 5, true, Init.HE_NORMAL),
        new BatchNorm.Spec(false, 0, 0.1f, 1e-5f),
        new Dense.Spec(0, 3, true, Init.XAVIER_UNIFORM)),
        List.of("cat", "dog", "bird"));
    String json = SpecJson.write(spec);
    NetworkSpec back = SpecJson.parse(json, "round-trip");
    assertEquals(spec, back);
    assertEquals(json, SpecJson.write(back));
    NetworkSpec global = NetworkSpec.sequential("g", new Shape(2, 4, 4),
        List.of(new GlobalAvgPool2d.Spec()));
    assertEquals(global, SpecJson.parse(SpecJson.write(global), "g"));
  }

  @Test
  void defaultsAreFilledIn() {
    NetworkSpec spec = SpecJson.parse("{\"input\": {\"channels\": 1, \"height\": 28,"
        + " \"width\": 28}, \"layers\": [{\"type\": \"conv2d\", \"out_channels\": 6,"
        + " \"kernel\": 5, \"padding\": 2}, {\"type\": \"maxpool2d\", \"kernel\": 2}]}", "t");
    assertEquals(new Conv2d.Spec(0, 6, 5, 5, 1, 1, Padding.of(2), 1, 1, true, Init.HE_NORMAL),
        spec.layers().get(0));
    assertEquals(MaxPool2d.Spec.of(2), spec.layers().get(1));
    assertEquals(new Shape(6, 14, 14), spec.outputShape());
  }
}
