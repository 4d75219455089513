package org.sparkconv.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.assertClose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.ParamLayout;
import org.sparkconv.engine.tensor.Shape;

class OptimizerTest {

  /** A dense 2 -> 2 layer: 4 weights then 2 biases, as the PyTorch traces lay them out. */
  private static ParamLayout denseLayout() {
    return Network.build(NetworkSpec.sequential("d", Shape.flat(2), List.of(Dense.Spec.of(2))))
        .layout();
  }

  private static OptimizerSpec spec(JsonNode s) {
    return new OptimizerSpec(s.get("type").textValue(), s.get("lr").floatValue(),
        s.path("momentum").floatValue(), s.path("nesterov").booleanValue(), 0.9f, 0.999f, 1e-8f,
        s.path("weight_decay").floatValue(), 0f, s.path("decay_bias_and_norm").booleanValue(),
        0f);
  }

  private static float[] floats(JsonNode a) {
    float[] f = new float[a.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) a.get(i).doubleValue();
    }
    return f;
  }

  @Test
  void everyOptimizerFollowsPyTorchStepByStep() throws Exception {
    JsonNode ref;
    try (InputStream in = getClass().getResourceAsStream("/reference/optimizers.json")) {
      ref = new ObjectMapper().readTree(in);
    }
    int cases = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = ref.get("cases").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> c = it.next();
      Optimizer optimizer = Optimizer.create(spec(c.getValue().get("settings")), denseLayout());
      float[] params = floats(ref.get("initial"));
      JsonNode trace = c.getValue().get("params_after_each_step");
      for (int step = 0; step < trace.size(); step++) {
        float[] grads = floats(ref.get("grads").get(step));
        optimizer.step(params, grads, optimizer.spec().lr());
        assertClose(c.getKey() + " after step " + (step + 1), floats(trace.get(step)), params,
            1e-5, 1e-6);
      }
      assertEquals(trace.size(), optimizer.steps());
      cases++;
    }
    assertEquals(7, cases);
  }

  @Test
  void l1PenaltyAddsSignOfWeightsButNotBiases() {
    OptimizerSpec spec = new OptimizerSpec("sgd", 1f, 0f, false, 0.9f, 0.999f, 1e-8f, 0f, 0.5f,
        false, 0f);
    Optimizer sgd = Optimizer.create(spec, denseLayout());
    float[] params = {2f, -3f, 0f, 1f, 5f, -5f};
    sgd.step(params, new float[6], 1f);
    assertArrayEquals(new float[] {1.5f, -2.5f, 0f, 0.5f, 5f, -5f}, params);
  }

  @Test
  void clippingScalesTheGlobalNormDown() {
    OptimizerSpec spec = new OptimizerSpec("sgd", 1f, 0f, false, 0.9f, 0.999f, 1e-8f, 0f, 0f,
        false, 1f);
    Optimizer sgd = Optimizer.create(spec, denseLayout());
    float[] params = new float[6];
    float[] grads = {3f, 4f, 0f, 0f, 0f, 0f};
    double norm = sgd.step(params, grads, 1f);
    assertEquals(5.0, norm, 1e-6);
    assertClose("clipped update", new float[] {-0.6f, -0.8f, 0, 0, 0, 0}, params, 1e-5, 1e-6);
    float[] small = {0.3f, 0.4f, 0f, 0f, 0f, 0f};
    float[] p2 = new float[6];
    sgd.step(p2, small, 1f);
    assertClose("a norm under the limit is untouched", new float[] {-0.3f, -0.4f, 0, 0, 0, 0}, p2,
        1e-6, 0);
  }

  @Test
  void stateIsFlatAndParallelToParams() {
    Optimizer adam = Optimizer.create(OptimizerSpec.adam(0.01f), denseLayout());
    assertEquals(2, adam.slots().length);
    assertEquals(6, adam.slots()[0].length);
    Optimizer momentum = Optimizer.create(OptimizerSpec.sgd(0.1f, 0.9f), denseLayout());
    assertEquals(1, momentum.slots().length);
    assertEquals(0, Optimizer.create(OptimizerSpec.sgd(0.1f, 0f), denseLayout()).slots().length);
  }

  @Test
  void invalidSettingsNameTheSetting() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OptimizerSpec.sgd(-1f, 0.9f));
    assertTrue(e.getMessage().contains("optimizer.lr"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new OptimizerSpec("rmsprop", 0.1f, 0f,
        false, 0.9f, 0.999f, 1e-8f, 0f, 0f, false, 0f));
    assertTrue(e.getMessage().contains("optimizer.type") && e.getMessage().contains("rmsprop"));
  }
}
