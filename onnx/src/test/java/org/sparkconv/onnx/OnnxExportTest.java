package org.sparkconv.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Every layer configuration of the engine's reference vectors, and the models in
 * {@code conf/models/}, exported and run in ONNX Runtime: its logits equal the engine's inference
 * to 1e-4.
 */
class OnnxExportTest {

  static final Path REFERENCE = Path.of("..", "engine", "src", "test", "resources", "reference");
  static final Path MODELS = Path.of("..", "conf", "models");
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<String> referenceCases() {
    return Stream.of("conv2d_basic", "conv2d_stride2_nonsquare", "conv2d_same_even_kernel",
        "conv2d_valid_dilation2", "conv2d_1x1_nobias", "conv_transpose2d_stride2_outpad",
        "conv_transpose2d_dilation_nonsquare", "maxpool2d_overlapping_padded", "avgpool2d_padded",
        "lppool2d_l2", "lppool2d_l1_overlapping", "batchnorm2d_train", "batchnorm2d_eval",
        "dense_batchnorm1d", "activations", "leaky_relu_negative", "global_pools",
        "global_maxpool", "grouped_conv", "residual_identity", "residual_projection_stride2",
        "dense_block_transition", "small_resnet", "network_conv_bn_relu_pool_dense");
  }

  static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).doubleValue();
    }
    return out;
  }

  /** The reference case's model with its (PyTorch-random) parameters and running statistics. */
  static ModelFile referenceModel(String name) throws IOException {
    JsonNode ref = JSON.readTree(REFERENCE.resolve(name + ".json").toFile());
    NetworkSpec spec = SpecJson.parse(ref.get("model").toString(), name);
    Network net = Network.build(spec);
    net.load(floats(ref.get("params")), floats(ref.get("state")));
    return ModelFile.of(net);
  }

  /** A model of a conf/models file with seeded parameters and non-trivial running statistics. */
  static ModelFile confModel(String name) {
    Network net = Network.build(SpecJson.read(MODELS.resolve(name + ".json")));
    net.initialize(3);
    SplittableRandom rng = new SplittableRandom(4);
    float[] state = net.state();
    for (int i = 0; i < state.length; i++) {
      state[i] = (float) (0.5 + rng.nextDouble()); // means and variances in [0.5, 1.5)
    }
    return ModelFile.of(net);
  }

  static float[] input(Shape shape, int batch, long seed, float scale) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[batch * shape.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 1) * scale;
    }
    return x;
  }

  /** Engine inference and ONNX Runtime agree on {@code model} to 1e-4 (relative to the scale). */
  static void assertRuntimeAgrees(String what, ModelFile model, float[] onnxInput,
      float[] engineInput, int batch) throws Exception {
    Network net = model.toNetwork();
    Shape in = net.inputShape();
    float[] expected = Arrays.copyOf(net.infer(new Tensor(engineInput, 0, batch, in)).data(),
        batch * net.outputShape().size());
    byte[] bytes = OnnxExport.export(model).toByteArray();
    float[] actual = OnnxRuntimeCheck.run(bytes, onnxInput, batch, in.channels(), in.height(),
        in.width());
    assertClose(what, expected, actual);
  }

  static void assertClose(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + ": output size");
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= 1e-4 * Math.max(1, scale))) {
        fail(what + "[" + i + "]: engine " + expected[i] + ", ONNX Runtime " + actual[i]);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("referenceCases")
  void referenceLayerConfigurationsRunInOnnxRuntime(String name) throws Exception {
    ModelFile model = referenceModel(name);
    float[] x = input(model.spec().input(), 3, name.hashCode(), 1f);
    assertRuntimeAgrees(name, model, x, x, 3);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("confModels")
  void theModelsOfConfRunInOnnxRuntime(String name) throws Exception {
    ModelFile model = confModel(name);
    float[] x = input(model.spec().input(), 4, 11, 1f);
    assertRuntimeAgrees(name, model, x, x, 4);
  }

  static Stream<String> confModels() {
    return Stream.of("lenet5", "vgg-small", "resnet20", "densenet-bc");
  }

  /**
   * With its normalisation recorded, the exported model takes raw pixels 0-255 and normalises
   * them itself; class names and the normalisation travel as metadata.
   */
  @Test
  void theNormalisationAndClassNamesTravelWithTheModel() throws Exception {
    Normalization norm = new Normalization(new float[] {0.286f}, new float[] {0.353f});
    ModelFile model = confModel("lenet5").withMetadata(ModelMetadata.trained(norm, 1, 0.9));
    Shape in = model.spec().input();
    int batch = 2;
    float[] pixels = new float[batch * in.size()];
    byte[] raw = new byte[pixels.length];
    SplittableRandom rng = new SplittableRandom(5);
    for (int i = 0; i < pixels.length; i++) {
      raw[i] = (byte) rng.nextInt(256);
      pixels[i] = raw[i] & 0xFF;
    }
    float[] normalized = new float[pixels.length];
    for (int n = 0; n < batch; n++) {
      norm.apply(raw, n * in.size(), in, normalized, n * in.size());
    }
    assertRuntimeAgrees("lenet5 on raw pixels", model, pixels, normalized, batch);
    ModelProto proto = OnnxExport.export(model);
    assertEquals(13, proto.getOpsetImport(0).getVersion());
    assertEquals("batch", proto.getGraph().getInput(0).getType().getTensorType().getShape()
        .getDim(0).getDimParam(), "a dynamic batch dimension");
    List<String> keys = proto.getMetadataPropsList().stream().map(p -> p.getKey()).toList();
    assertTrue(keys.containsAll(List.of("sparkconv.version", "sparkconv.classes",
        "sparkconv.normalization", "sparkconv.input")), keys.toString());
    String classes = proto.getMetadataPropsList().stream()
        .filter(p -> p.getKey().equals("sparkconv.classes")).findFirst().orElseThrow()
        .getValue();
    assertTrue(classes.contains("Ankle boot"), classes);
    assertTrue(proto.getGraph().getDocString().contains("raw pixel values 0-255"));
  }
}
