package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparkconv.engine.TestArrays.assertClose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Outputs and gradients against PyTorch 1.13, from the vectors that
 * {@code scripts/gen_reference_vectors.py} wrote into {@code src/test/resources/reference/}.
 */
class ReferenceVectorTest {

  private static final double REL = 1e-4;
  private static final double ABS = 1e-5;
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<String> layerCases() {
    return Stream.of("conv2d_basic", "conv2d_stride2_nonsquare", "conv2d_same_even_kernel",
        "conv2d_valid_dilation2", "conv2d_1x1_nobias", "conv_transpose2d_stride2_outpad",
        "conv_transpose2d_dilation_nonsquare", "maxpool2d_overlapping_padded", "avgpool2d_padded",
        "lppool2d_l2", "lppool2d_l1_overlapping", "batchnorm2d_train", "batchnorm2d_eval",
        "dense_batchnorm1d", "activations", "leaky_relu_negative", "global_pools",
        "global_maxpool", "grouped_conv",
        // graphs: residual blocks, a dense block with its transition, a small ResNet
        "residual_identity", "residual_projection_stride2", "dense_block_transition",
        "small_resnet");
  }

  static JsonNode load(String name) throws IOException {
    try (InputStream in = ReferenceVectorTest.class.getResourceAsStream(
        "/reference/" + name + ".json")) {
      if (in == null) {
        throw new IOException("missing reference vector " + name
            + ".json; run scripts/gen_reference_vectors.py");
      }
      return JSON.readTree(in);
    }
  }

  static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).doubleValue();
    }
    return out;
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).intValue();
    }
    return out;
  }

  private static Network networkWithReferenceParams(JsonNode ref) {
    NetworkSpec spec = SpecJson.parse(ref.get("model").toString(), "reference");
    Network net = Network.build(spec);
    float[] params = floats(ref.get("params"));
    float[] state = floats(ref.get("state"));
    assertEquals(params.length, net.params().length, "parameter count vs PyTorch");
    assertEquals(state.length, net.state().length, "state size vs PyTorch");
    System.arraycopy(params, 0, net.params(), 0, params.length);
    System.arraycopy(state, 0, net.state(), 0, state.length);
    return net;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layerCases")
  void layerMatchesPyTorch(String name) throws IOException {
    JsonNode ref = load(name);
    Network net = networkWithReferenceParams(ref);
    int batch = ref.get("batch").intValue();
    Tensor out = net.forward(new Tensor(floats(ref.get("x")), 0, batch, net.inputShape()),
        ref.get("training").booleanValue());
    assertEquals(ref.get("out").size(), out.length(), name + ": output size");
    assertClose(name + " output", floats(ref.get("out")), out.toArray(), REL, ABS);
    assertClose(name + " running state", floats(ref.get("state_after")), net.state(), REL, ABS);
    net.zeroGrad();
    float[] dx = net.backward(floats(ref.get("dout")), true);
    assertClose(name + " input gradient", floats(ref.get("dx")), dx, ref.get("dx").size(), REL,
        ABS);
    assertClose(name + " parameter gradients", floats(ref.get("dparams")), net.grads(), REL, ABS);
  }

  @Test
  void softmaxCrossEntropyMatchesPyTorch() throws IOException {
    for (String name : new String[] {"softmax_ce", "softmax_ce_smoothing"}) {
      JsonNode ref = load(name);
      int batch = ref.get("batch").intValue();
      int classes = ref.get("classes").intValue();
      float[] logits = floats(ref.get("logits"));
      float[] dLogits = new float[logits.length];
      SoftmaxCrossEntropy loss =
          new SoftmaxCrossEntropy((float) ref.get("label_smoothing").doubleValue());
      double value = loss.lossAndGradient(logits, ints(ref.get("labels")), batch, classes,
          dLogits);
      assertEquals(ref.get("loss").doubleValue(), value, 1e-5 * Math.abs(value), name + " loss");
      assertClose(name + " gradient", floats(ref.get("dlogits")), dLogits, REL, ABS);
      // In place: the gradient may overwrite the logits.
      loss.lossAndGradient(logits, ints(ref.get("labels")), batch, classes, logits);
      assertClose(name + " gradient written in place", dLogits, logits, 0, 0);
    }
  }

  @Test
  void smallNetworkMatchesPyTorchEndToEnd() throws IOException {
    JsonNode ref = load("network_conv_bn_relu_pool_dense");
    Network net = networkWithReferenceParams(ref);
    int batch = ref.get("batch").intValue();
    Tensor logits = net.forward(new Tensor(floats(ref.get("x")), 0, batch, net.inputShape()),
        true);
    assertClose("logits", floats(ref.get("logits")), logits.toArray(), REL, ABS);
    float[] dLogits = new float[logits.length()];
    int classes = net.outputShape().size();
    double loss = new SoftmaxCrossEntropy().lossAndGradient(logits.data(),
        ints(ref.get("labels")), batch, classes, dLogits);
    assertEquals(ref.get("loss").doubleValue(), loss, 1e-5 * Math.abs(loss), "loss");
    net.zeroGrad();
    float[] dx = net.backward(dLogits, true);
    assertClose("input gradient", floats(ref.get("dx")), dx, ref.get("dx").size(), REL, ABS);
    assertClose("parameter gradients", floats(ref.get("dparams")), net.grads(), REL, ABS);
    assertClose("running statistics", floats(ref.get("state_after")), net.state(), REL, ABS);
  }
}
