package org.sparkconv.onnx;

import static org.sparkconv.onnx.OnnxProtos.integer;
import static org.sparkconv.onnx.OnnxProtos.ints;
import static org.sparkconv.onnx.OnnxProtos.node;
import static org.sparkconv.onnx.OnnxProtos.real;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.AtomicFiles;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.layer.Add;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Concat;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Dropout;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.GlobalAvgPool2d;
import org.sparkconv.engine.layer.GlobalMaxPool2d;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.LeakyRelu;
import org.sparkconv.engine.layer.LpPool2d;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.layer.Sigmoid;
import org.sparkconv.engine.layer.Tanh;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.Node;
import org.sparkconv.engine.net.ParamLayout;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.train.Cli;

/**
 * A sparkconv model as a standard ONNX model (opset {@value #OPSET}, IR 7), for ONNX Runtime,
 * TensorRT or a browser. Every layer maps to standard operators: conv2d to {@code Conv} (explicit
 * pads, asymmetric where "same" needs them, dilation, group), conv_transpose2d to
 * {@code ConvTranspose}, the pools to {@code MaxPool}, {@code AveragePool}
 * ({@code count_include_pad=1}, as sparkconv averages), {@code LpPool} (p = 2; p = 1 is sparkconv's
 * sum pooling, exported as {@code AveragePool} times the window), global pools, batch norm to
 * {@code BatchNormalization} (inference), dense to {@code Gemm} (B transposed), activations,
 * {@code Flatten}, {@code Add}/{@code Sum} and {@code Concat}; dropout is left out. The batch
 * dimension is dynamic.
 *
 * <p>The model's preprocessing travels with it: when the model file records its normalisation,
 * the graph input {@code input} takes raw pixel values 0-255 (float32, NCHW) and the graph
 * normalises them itself ({@code Sub}, {@code Div} by per-channel constants); otherwise the input
 * is already normalised. The output {@code logits} is {@code (batch, classes)}. Metadata
 * properties carry the class names, the normalisation, what the input is, and the sparkconv
 * version. Nodes and initialisers the exporter adds around sparkconv's own layers are named
 * {@code sparkconv/...}, so that {@link OnnxImport} folds them back.
 */
public final class OnnxExport {

  public static final int OPSET = 13;
  /** Prefix of the nodes the exporter adds around sparkconv's layers. */
  static final String HELPER = "sparkconv/";
  static final String INPUT = "input";
  static final String OUTPUT = "logits";
  static final String PROP_CLASSES = "sparkconv.classes";
  static final String PROP_NORMALIZATION = "sparkconv.normalization";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final NetworkSpec spec;
  private final List<Shape> shapes;
  private final ParamLayout layout;
  private final float[] params;
  private final float[] state;
  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final String[] tensorOf; // per node: the ONNX tensor holding its output
  private final int[] rankOf; // per node: that tensor's rank, 4 (N, C, H, W) or 2 (N, F)

  private OnnxExport(ModelFile model) {
    this.spec = model.spec();
    this.shapes = spec.shapes();
    this.layout = ParamLayout.of(spec);
    this.params = model.params();
    this.state = model.state();
    this.tensorOf = new String[spec.nodes().size()];
    this.rankOf = new int[spec.nodes().size()];
  }

  /** The ONNX model of {@code model}. */
  public static ModelProto export(ModelFile model) {
    return new OnnxExport(model).build(model.metadata().normalization());
  }

  /** Writes the ONNX model of {@code model} to {@code out} atomically. */
  public static void write(ModelFile model, Path out) throws IOException {
    AtomicFiles.write(out, export(model).toByteArray());
  }

  private ModelProto build(Normalization normalization) {
    Shape in = spec.input();
    String x = INPUT;
    if (normalization != null) {
      x = normalize(normalization, in);
    }
    for (int i = 0; i < spec.nodes().size(); i++) {
      emit(i, x);
    }
    int last = spec.nodes().size() - 1;
    graph.addNode(node(rankOf[last] == 4 ? "Flatten" : "Identity", HELPER + "output",
        List.of(tensorOf[last]), OUTPUT).build());
    graph.setName(spec.name()).addInput(OnnxProtos.batchOf(INPUT, in.channels(), in.height(),
        in.width())).addOutput(OnnxProtos.batchOf(OUTPUT, spec.outputShape().size()));
    graph.setDocString(normalization != null
        ? "input: raw pixel values 0-255, float32 NCHW; the graph normalises them"
        : "input: normalised pixel values, float32 NCHW");
    ModelProto.Builder model = ModelProto.newBuilder().setIrVersion(7)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName("sparkconv").setProducerVersion(Cli.version()).setGraph(graph);
    Map<String, String> props = new LinkedHashMap<>();
    props.put("sparkconv.version", Cli.version());
    props.put("sparkconv.input", graph.getDocString());
    try {
      props.put(PROP_CLASSES, JSON.writeValueAsString(spec.outputNames()));
      if (normalization != null) {
        props.put(PROP_NORMALIZATION, JSON.writeValueAsString(Map.of("mean",
            normalization.mean(), "std", normalization.std())));
      }
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON built in memory", e);
    }
    props.forEach((k, v) -> model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k)
        .setValue(v)));
    return model.build();
  }

  /** (p - 255 mean) / (255 std) = p / (255 std) - mean / std, sparkconv's normalisation. */
  private String normalize(Normalization norm, Shape in) {
    float[] mean = new float[in.channels()];
    float[] std = new float[in.channels()];
    for (int c = 0; c < mean.length; c++) {
      mean[c] = 255f * norm.mean()[c];
      std[c] = 255f * norm.std()[c];
    }
    long[] dims = {1, in.channels(), 1, 1};
    graph.addInitializer(OnnxProtos.tensor(HELPER + "normalize/mean", dims, mean, 0));
    graph.addInitializer(OnnxProtos.tensor(HELPER + "normalize/std", dims, std, 0));
    graph.addNode(node("Sub", HELPER + "normalize/sub", List.of(INPUT, HELPER + "normalize/mean"),
        HELPER + "centred").build());
    graph.addNode(node("Div", HELPER + "normalize/div", List.of(HELPER + "centred",
        HELPER + "normalize/std"), HELPER + "normalized").build());
    return HELPER + "normalized";
  }

  private void emit(int i, String networkInput) {
    Node n = spec.nodes().get(i);
    LayerSpec layer = n.layer();
    List<String> ins = new ArrayList<>();
    List<Integer> ranks = new ArrayList<>();
    for (int ref : n.inputs()) {
      ins.add(ref == Node.INPUT ? networkInput : tensorOf[ref]);
      ranks.add(ref == Node.INPUT ? 4 : rankOf[ref]);
    }
    Shape input = spec.shapeOf(n.inputs().get(0), shapes);
    String name = n.name();
    String x = ins.get(0);
    int rank = ranks.get(0);
    tensorOf[i] = name;
    rankOf[i] = rank;
    if (layer instanceof Conv2d.Spec s) {
      int top = s.padding().before(input.height(), s.kernelH(), s.strideH(), s.dilationH(), true);
      int bottom = s.padding().after(input.height(), s.kernelH(), s.strideH(), s.dilationH(),
          true);
      int left = s.padding().before(input.width(), s.kernelW(), s.strideW(), s.dilationW(),
          false);
      int right = s.padding().after(input.width(), s.kernelW(), s.strideW(), s.dilationW(),
          false);
      List<String> inputs = weightAndBias(i, name, x, new long[] {s.outChannels(),
          input.channels() / s.groups(), s.kernelH(), s.kernelW()});
      add(node("Conv", name, inputs, name).addAttribute(ints("kernel_shape", s.kernelH(),
          s.kernelW())).addAttribute(ints("strides", s.strideH(), s.strideW()))
          .addAttribute(ints("pads", top, left, bottom, right))
          .addAttribute(ints("dilations", s.dilationH(), s.dilationW()))
          .addAttribute(integer("group", s.groups())));
    } else if (layer instanceof ConvTranspose2d.Spec s) {
      List<String> inputs = weightAndBias(i, name, x, new long[] {input.channels(),
          s.outChannels(), s.kernelH(), s.kernelW()});
      add(node("ConvTranspose", name, inputs, name).addAttribute(ints("kernel_shape",
          s.kernelH(), s.kernelW())).addAttribute(ints("strides", s.strideH(), s.strideW()))
          .addAttribute(ints("pads", s.padH(), s.padW(), s.padH(), s.padW()))
          .addAttribute(ints("output_padding", s.outputPadH(), s.outputPadW()))
          .addAttribute(ints("dilations", s.dilationH(), s.dilationW())));
    } else if (layer instanceof MaxPool2d.Spec s) {
      add(pool("MaxPool", name, x, s.kernelH(), s.kernelW(),
        s.strideH(), s.strideW(), s.padH(), s.padW()));
    } else if (layer instanceof AvgPool2d.Spec s) {
      add(pool("AveragePool", name, x, s.kernelH(), s.kernelW(),
        s.strideH(), s.strideW(), s.padH(), s.padW())
        .addAttribute(integer("count_include_pad", 1)));
    } else if (layer instanceof LpPool2d.Spec s && s.norm() == 2) {
      add(pool("LpPool", name, x, s.kernelH(),
        s.kernelW(), s.strideH(), s.strideW(), 0, 0).addAttribute(integer("p", 2)));
    } else if (layer instanceof LpPool2d.Spec s) {
      // p = 1 is sparkconv's (and PyTorch's) sum pooling; ONNX's LpPool would sum |x|.
      String average = HELPER + "lp1/" + name;
      add(pool("AveragePool", average, x, s.kernelH(), s.kernelW(), s.strideH(), s.strideW(),
          0, 0).setOutput(0, average));
      graph.addInitializer(OnnxProtos.tensor(average + "/window", new long[0],
          new float[] {s.kernelH() * s.kernelW()}, 0));
      add(node("Mul", name, List.of(average, average + "/window"), name));
    } else if (layer instanceof GlobalAvgPool2d.Spec s) {
      add(node("GlobalAveragePool", name, List.of(x), name));
    } else if (layer instanceof GlobalMaxPool2d.Spec s) {
      add(node("GlobalMaxPool", name, List.of(x), name));
    } else if (layer instanceof BatchNorm.Spec s) {
      if (rank == 4 && !s.spatial() && !input.isFlat()) {
        x = flatten(name, x);
        rankOf[i] = 2;
      }
      int features = s.spatial() ? input.channels() : input.size();
      List<String> inputs = new ArrayList<>(List.of(x));
      for (ParamLayout.Entry e : entries(i)) {
        inputs.add(initializer(name + "/" + e.name(), new long[] {features}, params,
            e.offset()));
      }
      int stateOffset = layout.layerStateOffsets()[i];
      inputs.add(initializer(name + "/running_mean", new long[] {features}, state,
          stateOffset));
      inputs.add(initializer(name + "/running_var", new long[] {features}, state,
          stateOffset + features));
      add(node("BatchNormalization", name, inputs, name).addAttribute(real("epsilon", s.eps()))
          .addAttribute(real("momentum", 1f - s.momentum())));
    } else if (layer instanceof Dense.Spec s) {
      if (rank == 4) {
        x = flatten(name, x);
      }
      rankOf[i] = 2;
      List<String> inputs = weightAndBias(i, name, x, new long[] {s.units(), input.size()});
      add(node("Gemm", name, inputs, name).addAttribute(integer("transB", 1)));
    } else if (layer instanceof Flatten.Spec s) {
      if (rank == 4) {
        add(node("Flatten", name, List.of(x), name).addAttribute(integer("axis", 1)));
        rankOf[i] = 2;
      } else {
        tensorOf[i] = x; // already flat
      }
    } else if (layer instanceof Relu.Spec s) {
      add(node("Relu", name, List.of(x), name));
    } else if (layer instanceof LeakyRelu.Spec s) {
      add(node("LeakyRelu", name, List.of(x), name)
        .addAttribute(real("alpha", s.slope())));
    } else if (layer instanceof Sigmoid.Spec s) {
      add(node("Sigmoid", name, List.of(x), name));
    } else if (layer instanceof Tanh.Spec s) {
      add(node("Tanh", name, List.of(x), name));
    } else if (layer instanceof Dropout.Spec s) {
      tensorOf[i] = x; // inference: the identity
    } else if (layer instanceof Add.Spec s) {
      add(node(ins.size() == 2 ? "Add" : "Sum", name,
        sameRank(name, ins, ranks, i), name));
    } else if (layer instanceof Concat.Spec s) {
      add(node("Concat", name, sameRank(name, ins, ranks, i), name)
        .addAttribute(integer("axis", 1)));
    } else {
      throw new IllegalArgumentException("layer " + i + " '" + name + "' ("
          + layer.type() + ") has no ONNX export");
    }
  }

  /** The inputs of a merge at one rank: 1x1 maps are flattened when another input is flat. */
  private List<String> sameRank(String name, List<String> ins, List<Integer> ranks, int i) {
    if (ranks.stream().allMatch(r -> r == 4) || ranks.stream().allMatch(r -> r == 2)) {
      rankOf[i] = ranks.get(0);
      return ins;
    }
    List<String> flat = new ArrayList<>();
    for (int k = 0; k < ins.size(); k++) {
      flat.add(ranks.get(k) == 2 ? ins.get(k) : flatten(name + "/" + k, ins.get(k)));
    }
    rankOf[i] = 2;
    return flat;
  }

  private String flatten(String name, String x) {
    String out = HELPER + "flatten/" + name;
    add(node("Flatten", out, List.of(x), out).addAttribute(integer("axis", 1)));
    return out;
  }

  private NodeProto.Builder pool(String op, String name, String x, int kh, int kw, int sh,
      int sw, int ph, int pw) {
    return node(op, name, List.of(x), name).addAttribute(ints("kernel_shape", kh, kw))
        .addAttribute(ints("strides", sh, sw)).addAttribute(ints("pads", ph, pw, ph, pw));
  }

  /** {@code x}, the weight initialiser of {@code dims} and the bias one, if the layer has it. */
  private List<String> weightAndBias(int i, String name, String x, long[] dims) {
    List<String> inputs = new ArrayList<>(List.of(x));
    for (ParamLayout.Entry e : entries(i)) {
      inputs.add(initializer(name + "/" + e.name(), e.name().equals("weight") ? dims
          : new long[] {e.length()}, params, e.offset()));
    }
    return inputs;
  }

  private List<ParamLayout.Entry> entries(int i) {
    return layout.params().stream().filter(e -> e.layer() == i).toList();
  }

  private String initializer(String name, long[] dims, float[] values, int offset) {
    graph.addInitializer(OnnxProtos.tensor(name, dims, values, offset));
    return name;
  }

  private void add(NodeProto.Builder node) {
    graph.addNode(node.build());
  }
}
