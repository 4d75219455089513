package org.sparkconv.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.tensor.Tensor;
import org.sparkconv.engine.train.Cli;

/**
 * Models exported by PyTorch ({@code scripts/gen_onnx_fixtures.py}) import and reproduce
 * PyTorch's logits; sparkconv's own exports survive export, import, export unchanged; bad files
 * fail with one message naming what is wrong.
 */
class OnnxImportTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static byte[] fixture(String name) throws IOException {
    try (InputStream in = OnnxImportTest.class.getResourceAsStream("/onnx/" + name)) {
      if (in == null) {
        throw new IOException("missing fixture " + name + "; run scripts/gen_onnx_fixtures.py");
      }
      return in.readAllBytes();
    }
  }

  static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).doubleValue();
    }
    return out;
  }

  static Stream<String> pytorchFixtures() {
    return Stream.of("lenet_like", "conv_bn_relu_fused", "conv_bn_relu_separate",
        "residual_block");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pytorchFixtures")
  void pytorchExportsImportAndReproduceTheirLogits(String name) throws IOException {
    ModelFile model = OnnxImport.fromBytes(fixture(name + ".onnx"), name + ".onnx");
    JsonNode expected = JSON.readTree(fixture(name + ".json"));
    Network net = model.toNetwork();
    int batch = expected.get("shape").get(0).intValue();
    float[] logits = net.infer(new Tensor(floats(expected.get("x")), 0, batch,
        net.inputShape())).data();
    OnnxExportTest.assertClose(name + " logits vs PyTorch", floats(expected.get("logits")),
        Arrays.copyOf(logits, expected.get("logits").size()));
  }

  /** Initialisers may hold their values in the typed float_data field instead of raw bytes. */
  @Test
  void typedFieldInitialisersReadLikeRawOnes() throws IOException {
    ModelProto model = ModelProto.parseFrom(fixture("residual_block.onnx"));
    var graph = model.getGraph().toBuilder();
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      TensorProto t = graph.getInitializer(i);
      if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
        float[] values = OnnxProtos.read(t).floats();
        TensorProto.Builder typed = t.toBuilder().clearRawData();
        for (float v : values) {
          typed.addFloatData(v);
        }
        graph.setInitializer(i, typed);
      }
    }
    ModelFile raw = OnnxImport.fromBytes(model.toByteArray(), "raw");
    ModelFile typed = OnnxImport.fromBytes(model.toBuilder().setGraph(graph).build()
        .toByteArray(), "typed");
    assertTrue(Arrays.equals(raw.params(), typed.params())
        && Arrays.equals(raw.state(), typed.state()));
  }

  @Test
  void theFixturesBringWhatTheyShould() throws IOException {
    ModelFile separate = OnnxImport.fromBytes(fixture("conv_bn_relu_separate.onnx"), "s");
    assertTrue(separate.spec().layers().stream().anyMatch(l -> l.type().equals("batchnorm2d")),
        "batch norm as its own node");
    ModelFile residual = OnnxImport.fromBytes(fixture("residual_block.onnx"), "r");
    assertTrue(residual.spec().layers().stream().anyMatch(l -> l.type().equals("add")),
        "the residual add");
    assertTrue(!residual.spec().isChain());
  }

  static Stream<String> exportedModels() {
    return Stream.of("lenet5", "vgg-small", "resnet20", "densenet-bc");
  }

  /** Export, import, export: the same graph, attributes and numbers. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("exportedModels")
  void exportImportExportIsStable(String name) {
    ModelFile model = OnnxExportTest.confModel(name).withMetadata(ModelMetadata.trained(
        new Normalization(new float[] {0.29f}, new float[] {0.35f}), 1, null));
    ModelProto first = OnnxExport.export(model);
    ModelFile imported = OnnxImport.fromBytes(first.toByteArray(), name + ".onnx");
    assertEquals(model.metadata().normalization(), imported.metadata().normalization());
    assertEquals(model.spec().outputNames(), imported.spec().outputNames());
    ModelProto second = OnnxExport.export(imported);
    assertEquals(first.getGraph(), second.getGraph(), name + ": the graph after a round trip");
    assertEquals(first.getMetadataPropsList(), second.getMetadataPropsList());
  }

  @Test
  void referenceLayerConfigurationsSurviveTheRoundTripToo() throws IOException {
    for (String name : OnnxExportTest.referenceCases().toList()) {
      ModelProto first = OnnxExport.export(OnnxExportTest.referenceModel(name));
      ModelProto second = OnnxExport.export(OnnxImport.fromBytes(first.toByteArray(), name));
      assertEquals(first.getGraph(), second.getGraph(), name);
    }
  }

  private static String rejected(byte[] bytes) {
    return assertThrows(IllegalArgumentException.class,
        () -> OnnxImport.fromBytes(bytes, "bad.onnx")).getMessage();
  }

  private static void assertSays(String message, String... words) {
    for (String word : words) {
      assertTrue(message.contains(word), "'" + word + "' missing from: " + message);
    }
  }

  @Test
  void corruptAndTruncatedFilesAreNamed() throws IOException {
    byte[] good = fixture("lenet_like.onnx");
    assertSays(rejected(Arrays.copyOf(good, good.length / 3)), "bad.onnx: not an ONNX model");
    assertSays(rejected("not a model at all".getBytes()), "bad.onnx: not an ONNX model");
  }

  @Test
  void aWrongOpsetIsRefusedWithTheSupportedRange() throws IOException {
    ModelProto model = ModelProto.parseFrom(fixture("lenet_like.onnx"));
    ModelProto old = model.toBuilder().clearOpsetImport().addOpsetImport(
        OperatorSetIdProto.newBuilder().setDomain("").setVersion(7)).build();
    assertSays(rejected(old.toByteArray()), "bad.onnx: opset 7 is not supported",
        "opsets 11 to 21");
  }

  @Test
  void anUnsupportedOpNamesTheNodeAndWhatIsSupported() throws IOException {
    ModelProto model = ModelProto.parseFrom(fixture("lenet_like.onnx"));
    var graph = model.getGraph().toBuilder();
    int relu = 0;
    while (!graph.getNode(relu).getOpType().equals("Relu")) {
      relu++;
    }
    String name = graph.getNode(relu).getName();
    graph.setNode(relu, graph.getNode(relu).toBuilder().setOpType("Elu"));
    assertSays(rejected(model.toBuilder().setGraph(graph).build().toByteArray()),
        "bad.onnx: node '" + name + "' (Elu): not supported", "Conv", "Gemm", "Concat");
  }

  @Test
  void externalDataAndDynamicShapesAreRefused() throws IOException {
    ModelProto model = ModelProto.parseFrom(fixture("lenet_like.onnx"));
    var graph = model.getGraph().toBuilder();
    TensorProto weight = graph.getInitializer(0);
    graph.setInitializer(0, weight.toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL));
    assertSays(rejected(model.toBuilder().setGraph(graph).build().toByteArray()),
        "tensor '" + weight.getName() + "' keeps its data in an external file",
        "save_as_external_data=False");

    var dynamic = model.getGraph().toBuilder();
    var input = dynamic.getInput(0).toBuilder();
    input.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().setDim(2,
        TensorShapeProto.Dimension.newBuilder().setDimParam("height"));
    dynamic.setInput(0, input);
    assertSays(rejected(model.toBuilder().setGraph(dynamic).build().toByteArray()),
        "input 'input' has a dynamic or unknown dimension 2", "only the batch may be dynamic");
  }

  @Test
  void theCommandLineExportsAndImportsAndKeepsExistingFiles(@TempDir Path dir)
      throws IOException {
    Path spcv = dir.resolve("lenet5.spcv");
    OnnxExportTest.confModel("lenet5").save(spcv);
    Path onnx = dir.resolve("lenet5.onnx");
    assertEquals(0, Cli.execute(new OnnxTool(), new String[] {"export", spcv.toString(),
        onnx.toString()}));
    Path back = dir.resolve("back.spcv");
    Path spec = dir.resolve("back.json");
    assertEquals(0, Cli.execute(new OnnxTool(), new String[] {"import", onnx.toString(),
        back.toString(), "--spec-out", spec.toString()}));
    assertTrue(Files.readString(spec).contains("\"conv2d\""));
    assertEquals(ModelFile.load(spcv).spec().nodes().size(),
        ModelFile.load(back).spec().nodes().size());
    StringWriter err = new StringWriter();
    byte[] before = Files.readAllBytes(onnx);
    assertEquals(2, Cli.execute(new OnnxTool(), new String[] {"export", spcv.toString(),
        onnx.toString()}, new PrintWriter(err, true)));
    assertTrue(err.toString().contains("exists; add --overwrite"), err.toString());
    assertTrue(Arrays.equals(before, Files.readAllBytes(onnx)), "the existing file is kept");
  }
}
