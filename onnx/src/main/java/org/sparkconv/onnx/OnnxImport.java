package org.sparkconv.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.io.ModelMetadata;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.MergeSpec;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.Node;
import org.sparkconv.engine.net.ParamLayout;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.onnx.OnnxProtos.Constant;

/**
 * An ONNX model (opsets {@value #MIN_OPSET} to {@value #MAX_OPSET}, as {@code torch.onnx.export}
 * writes them, or as {@link OnnxExport} does) as a sparkconv model file: a graph spec plus
 * parameters and running statistics that training, fine-tuning on Spark and scoring use like any
 * other model. The operators {@link OnnxLayers} maps are supported; anything else (an op, an
 * attribute value, a shape computed at run time, external data) fails with one message naming
 * the node, the op and what is supported. A graph that starts with sparkconv's own
 * normalisation ({@code Sub}, {@code Div} by per-channel constants) gets it back as the model's
 * recorded normalisation.
 */
public final class OnnxImport {

  public static final int MIN_OPSET = 11;
  public static final int MAX_OPSET = 21;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where a tensor's value comes from: a node's output (or the network input), and its rank. */
  record Value(int node, int rank, Shape shape) {}

  private final String source;
  private final GraphProto graph;
  private final Map<String, Constant> constants = new HashMap<>();
  private final Map<String, Value> values = new HashMap<>();
  private final List<Node> nodes = new ArrayList<>();
  private final List<List<float[]>> nodeParams = new ArrayList<>();
  private final List<float[]> nodeState = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private final Map<String, float[]> normalization = new HashMap<>();
  private String inputName;
  private Shape inputShape;

  private OnnxImport(String source, GraphProto graph) {
    this.source = source;
    this.graph = graph;
  }

  /** Reads the ONNX model at {@code path}. */
  public static ModelFile read(Path path) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("ONNX model " + path + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read ONNX model " + path + ": " + e, e);
    }
    return fromBytes(bytes, path.toString());
  }

  /** The model in {@code bytes}; {@code source} names them in errors. */
  public static ModelFile fromBytes(byte[] bytes, String source) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(source + ": not an ONNX model (the protobuf does not"
          + " parse: " + e.getMessage() + ")");
    }
    if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
      throw new IllegalArgumentException(source + ": not an ONNX model (it has no graph)");
    }
    long opset = -1;
    for (OperatorSetIdProto id : model.getOpsetImportList()) {
      if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
        opset = id.getVersion();
      }
    }
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new IllegalArgumentException(source + ": opset " + (opset < 0 ? "(none)" : opset)
          + " is not supported; this build reads opsets " + MIN_OPSET + " to " + MAX_OPSET
          + " (torch.onnx.export(..., opset_version=13))");
    }
    try {
      return new OnnxImport(source, model.getGraph()).build(model);
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(source) ? e
          : new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private ModelFile build(ModelProto model) {
    for (TensorProto t : graph.getInitializerList()) {
      constants.put(t.getName(), OnnxProtos.read(t));
    }
    readInput();
    OnnxLayers layers = new OnnxLayers(this);
    for (NodeProto node : graph.getNodeList()) {
      layers.map(node);
    }
    String output = graph.getOutput(0).getName();
    Value out = values.get(output);
    if (out == null || out.node() != nodes.size() - 1) {
      throw new IllegalArgumentException("the graph output '" + output + "' is not computed by"
          + " the last supported node");
    }
    NetworkSpec spec = new NetworkSpec(graph.getName().isEmpty() ? "onnx" : graph.getName(),
        inputShape, nodes, classNames(model, out.shape().size()));
    spec.shapes();
    ParamLayout layout = ParamLayout.of(spec);
    float[] params = new float[layout.paramCount()];
    float[] state = new float[layout.stateCount()];
    for (int i = 0; i < nodes.size(); i++) {
      final int node = i;
      List<ParamLayout.Entry> entries = layout.params().stream().filter(e -> e.layer() == node)
          .toList();
      List<float[]> blocks = nodeParams.get(i);
      for (int b = 0; b < entries.size(); b++) {
        ParamLayout.Entry e = entries.get(b);
        float[] block = blocks.get(b);
        if (block.length != e.length()) {
          throw new IllegalArgumentException("node '" + nodes.get(i).name() + "': its "
              + e.name() + " holds " + block.length + " values where the layer needs "
              + e.length());
        }
        System.arraycopy(block, 0, params, e.offset(), block.length);
      }
      float[] s = nodeState.get(i);
      if (s != null) {
        System.arraycopy(s, 0, state, layout.layerStateOffsets()[i], s.length);
      }
    }
    Normalization norm = normalization.containsKey("std")
        ? new Normalization(scaled(normalization.get("mean")), scaled(normalization.get("std")))
        : null;
    return new ModelFile(spec, params, state, "", 0, new float[0][],
        norm == null ? ModelMetadata.NONE : ModelMetadata.trained(norm, 0, null));
  }

  private static float[] scaled(float[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i] / 255f;
    }
    return out;
  }

  private List<String> classNames(ModelProto model, int outputs) {
    for (var p : model.getMetadataPropsList()) {
      if (p.getKey().equals(OnnxExport.PROP_CLASSES)) {
        try {
          JsonNode list = JSON.readTree(p.getValue());
          List<String> classes = new ArrayList<>();
          list.forEach(n -> classes.add(n.asText()));
          if (classes.size() == outputs) {
            return classes;
          }
        } catch (IOException e) {
          return List.of(); // names are a convenience; a bad list is not worth a failure
        }
      }
    }
    return List.of();
  }

  /** The one graph input that is not an initialiser: fixed channels, height and width. */
  private void readInput() {
    for (ValueInfoProto in : graph.getInputList()) {
      if (constants.containsKey(in.getName())) {
        continue;
      }
      if (inputName != null) {
        throw new IllegalArgumentException("the graph has more than one input ('" + inputName
            + "', '" + in.getName() + "'); sparkconv models take one image batch");
      }
      inputName = in.getName();
      List<TensorShapeProto.Dimension> dims = in.getType().getTensorType().getShape()
          .getDimList();
      if (dims.size() != 4) {
        throw new IllegalArgumentException("input '" + inputName + "' has " + dims.size()
            + " dimensions; expected (batch, channels, height, width)");
      }
      int[] chw = new int[3];
      for (int d = 1; d < 4; d++) {
        if (!dims.get(d).hasDimValue() || dims.get(d).getDimValue() <= 0) {
          throw new IllegalArgumentException("input '" + inputName + "' has a dynamic or"
              + " unknown dimension " + d + " (" + dims.get(d) .toString().trim() + "); sparkconv"
              + " needs fixed channels, height and width (only the batch may be dynamic)");
        }
        chw[d - 1] = (int) dims.get(d).getDimValue();
      }
      inputShape = new Shape(chw[0], chw[1], chw[2]);
      values.put(inputName, new Value(Node.INPUT, 4, inputShape));
    }
    if (inputName == null) {
      throw new IllegalArgumentException("the graph has no input besides its initialisers");
    }
  }

  // ---- what OnnxLayers uses ----

  String source() {
    return source;
  }

  String inputName() {
    return inputName;
  }

  /** The value of tensor {@code name}, read by {@code node}. */
  Value value(NodeProto node, String name) {
    Value v = values.get(name);
    if (v == null) {
      throw OnnxLayers.error(node, constants.containsKey(name)
          ? "takes the constant '" + name + "' where sparkconv needs a computed tensor"
          : "reads '" + name + "', which no supported node computed");
    }
    return v;
  }

  /** The constant {@code name} as {@code node}'s {@code what}, or an error naming both. */
  Constant constant(NodeProto node, String name, String what) {
    Constant c = constants.get(name);
    if (c == null) {
      throw OnnxLayers.error(node, "its " + what + " '" + name + "' is computed at run time;"
          + " sparkconv needs it as a constant (an initialiser)");
    }
    return c;
  }

  boolean isConstant(String name) {
    return constants.containsKey(name);
  }

  void addConstant(Constant c) {
    constants.put(c.name(), c);
  }

  /** Makes {@code output} another name for {@code value} (identity, folded helper). */
  void alias(String output, Value value) {
    values.put(output, value);
  }

  void normalization(String key, float[] perChannel) {
    normalization.put(key, perChannel);
  }

  boolean hasNormalization(String key) {
    return normalization.containsKey(key);
  }

  /**
   * Adds a sparkconv node for {@code onnx} applying {@code layer} to {@code inputs}, with its
   * parameter blocks (layout order) and state; returns its output value.
   */
  Value add(NodeProto onnx, LayerSpec layer, List<Value> inputs, int rank, List<float[]> params,
      float[] state) {
    String name = uniqueName(onnx);
    int index = nodes.size();
    List<Integer> refs = inputs.stream().map(Value::node).toList();
    nodes.add(new Node(name, layer, refs));
    nodeParams.add(params);
    nodeState.add(state);
    Shape shape;
    try {
      shape = layer instanceof MergeSpec merge
          ? merge.outputShape(inputs.stream().map(Value::shape).toList(),
              inputs.stream().map(v -> v.node() == Node.INPUT ? "input"
                  : nodes.get(v.node()).name()).toList(), index)
          : layer.outputShape(inputs.get(0).shape(), index);
    } catch (IllegalArgumentException e) {
      throw OnnxLayers.error(onnx, e.getMessage());
    }
    Value out = new Value(index, rank, shape);
    values.put(onnx.getOutput(0), out);
    return out;
  }

  private String uniqueName(NodeProto onnx) {
    String base = !onnx.getName().isEmpty() ? onnx.getName() : onnx.getOutput(0);
    if (base.isEmpty() || base.equals(Node.INPUT_NAME)) {
      base = onnx.getOpType().toLowerCase(java.util.Locale.ROOT) + "_" + nodes.size();
    }
    String name = base;
    for (int k = 2; !names.add(name); k++) {
      name = base + "_" + k;
    }
    return name;
  }
}
