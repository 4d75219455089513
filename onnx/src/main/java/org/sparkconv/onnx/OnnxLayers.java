package org.sparkconv.onnx;

import static org.sparkconv.onnx.OnnxProtos.integer;
import static org.sparkconv.onnx.OnnxProtos.ints;
import static org.sparkconv.onnx.OnnxProtos.real;
import static org.sparkconv.onnx.OnnxProtos.text;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.Add;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Concat;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Dense;
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
import org.sparkconv.onnx.OnnxImport.Value;
import org.sparkconv.onnx.OnnxProtos.Constant;

/**
 * One ONNX node at a time to sparkconv layers: the supported operators ({@link #SUPPORTED}),
 * their attributes checked against what the engine computes, and the exporter's own helper nodes
 * ({@code sparkconv/...}) folded back.
 */
final class OnnxLayers {

  static final List<String> SUPPORTED = List.of("Conv", "ConvTranspose", "MaxPool",
      "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
      "Gemm", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Flatten", "Reshape (to (batch, -1))",
      "Add", "Sum", "Concat (channels)", "Dropout", "Identity", "Constant",
      "Shape/Gather/Unsqueeze/Concat computing a flatten's target shape",
      "Sub/Div by per-channel constants on the input (normalisation)");

  private final OnnxImport graph;
  private Value pendingSumPool; // the AveragePool half of an exported p = 1 LpPool
  private int[] pendingSumPoolWindow;

  OnnxLayers(OnnxImport graph) {
    this.graph = graph;
  }

  static IllegalArgumentException error(NodeProto node, String detail) {
    return new IllegalArgumentException("node '" + (node.getName().isEmpty()
        ? node.getOutput(0) : node.getName()) + "' (" + node.getOpType() + "): " + detail);
  }

  void map(NodeProto node) {
    String op = node.getOpType();
    if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
      throw error(node, "operators of domain '" + node.getDomain() + "' are not supported");
    }
    switch (op) {
      case "Constant" -> constant(node);
      case "Identity", "Dropout" -> graph.alias(node.getOutput(0), input(node, 0));
      case "Sub", "Div" -> normalization(node);
      case "Conv" -> conv(node);
      case "ConvTranspose" -> convTranspose(node);
      case "MaxPool", "AveragePool", "LpPool" -> pool(node);
      case "GlobalAveragePool" -> layer(node, new GlobalAvgPool2d.Spec(), 4);
      case "GlobalMaxPool" -> layer(node, new GlobalMaxPool2d.Spec(), 4);
      case "BatchNormalization" -> batchNorm(node);
      case "Gemm" -> gemm(node);
      case "Relu" -> layer(node, new Relu.Spec(), input(node, 0).rank());
      case "LeakyRelu" -> layer(node, new LeakyRelu.Spec(real(node, "alpha", 0.01f)),
          input(node, 0).rank());
      case "Sigmoid" -> layer(node, new Sigmoid.Spec(), input(node, 0).rank());
      case "Tanh" -> layer(node, new Tanh.Spec(), input(node, 0).rank());
      case "Flatten" -> flatten(node, integer(node, "axis", 1));
      case "Reshape" -> reshape(node);
      case "Add", "Sum" -> merge(node, new Add.Spec());
      case "Concat" -> concat(node);
      case "Mul" -> sumPool(node);
      case "Shape", "Gather", "Unsqueeze" -> shapeArithmetic(node);
      default -> throw error(node, "not supported; sparkconv imports " + SUPPORTED);
    }
  }

  private Value input(NodeProto node, int k) {
    return graph.value(node, node.getInput(k));
  }

  private void layer(NodeProto node, org.sparkconv.engine.layer.LayerSpec layer, int rank) {
    graph.add(node, layer, List.of(input(node, 0)), rank, List.of(), null);
  }

  private void constant(NodeProto node) {
    var value = OnnxProtos.attribute(node, "value").orElseThrow(() -> error(node,
        "only the 'value' form of Constant is supported"));
    Constant c = OnnxProtos.read(value.getT());
    graph.addConstant(new Constant(node.getOutput(0), c.dims(), c.floats(), c.longs()));
  }

  /** {@code (p - 255 mean) / (255 std)} on the network input, as sparkconv exports it. */
  private void normalization(NodeProto node) {
    boolean sub = node.getOpType().equals("Sub");
    Value x = graph.value(node, node.getInput(0));
    boolean onInput = x.node() == org.sparkconv.engine.net.Node.INPUT
        && (sub ? !graph.hasNormalization("mean") : graph.hasNormalization("mean")
            && !graph.hasNormalization("std"));
    if (!onInput || !graph.isConstant(node.getInput(1))) {
      throw error(node, "arithmetic inside the network is not supported (only a per-channel"
          + " normalisation of the input: Sub then Div by constants)");
    }
    Constant c = graph.constant(node, node.getInput(1), "operand");
    int channels = x.shape().channels();
    if (c.floats() == null || c.count() != channels && c.count() != 1) {
      throw error(node, "normalises by " + c.count() + " values; expected one per channel ("
          + channels + ")");
    }
    float[] perChannel = new float[channels];
    for (int k = 0; k < channels; k++) {
      perChannel[k] = c.floats()[c.count() == 1 ? 0 : k];
    }
    graph.normalization(sub ? "mean" : "std", perChannel);
    graph.alias(node.getOutput(0), x);
  }

  private void conv(NodeProto node) {
    Value x = input(node, 0);
    Constant w = graph.constant(node, node.getInput(1), "weight");
    int groups = (int) integer(node, "group", 1);
    int[] k = kernel(node, w);
    int[] s = ints(node, "strides", 1, 1);
    int[] d = ints(node, "dilations", 1, 1);
    Padding padding = padding(node, x.shape(), k, s, d);
    boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
    List<float[]> params = new ArrayList<>(List.of(w.floats()));
    if (bias) {
      params.add(graph.constant(node, node.getInput(2), "bias").floats());
    }
    graph.add(node, new Conv2d.Spec(0, (int) w.dims()[0], k[0], k[1], s[0], s[1], padding,
        d[0], d[1], groups, bias, Init.HE_NORMAL), List.of(x), 4, params, null);
  }

  private void convTranspose(NodeProto node) {
    Value x = input(node, 0);
    Constant w = graph.constant(node, node.getInput(1), "weight");
    if (integer(node, "group", 1) != 1 || OnnxProtos.attribute(node, "output_shape").isPresent()
        || !text(node, "auto_pad", "NOTSET").equals("NOTSET")) {
      throw error(node, "supported with group 1, explicit pads and no output_shape");
    }
    int[] k = kernel(node, w);
    int[] s = ints(node, "strides", 1, 1);
    int[] d = ints(node, "dilations", 1, 1);
    int[] p = symmetricPads(node);
    int[] op = ints(node, "output_padding", 0, 0);
    boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
    List<float[]> params = new ArrayList<>(List.of(w.floats()));
    if (bias) {
      params.add(graph.constant(node, node.getInput(2), "bias").floats());
    }
    graph.add(node, new ConvTranspose2d.Spec(0, (int) w.dims()[1], k[0], k[1], s[0], s[1], p[0],
        p[1], op[0], op[1], d[0], d[1], bias, Init.HE_NORMAL), List.of(x), 4, params, null);
  }

  private int[] kernel(NodeProto node, Constant w) {
    if (w.dims().length != 4) {
      throw error(node, "its weight has " + w.dims().length + " dimensions; expected 4 (2-D)");
    }
    return ints(node, "kernel_shape", (int) w.dims()[2], (int) w.dims()[3]);
  }

  /** Explicit symmetric pads, VALID, or pads equal to what sparkconv's "same" gives. */
  private Padding padding(NodeProto node, Shape in, int[] k, int[] s, int[] d) {
    String auto = text(node, "auto_pad", "NOTSET");
    if (auto.equals("VALID")) {
      return Padding.VALID;
    }
    if (auto.equals("SAME_UPPER")) {
      return Padding.SAME;
    }
    if (!auto.equals("NOTSET")) {
      throw error(node, "auto_pad " + auto + " is not supported (NOTSET, VALID, SAME_UPPER)");
    }
    int[] pads = ints(node, "pads", 0, 0, 0, 0);
    if (pads[0] == pads[2] && pads[1] == pads[3]) {
      return Padding.of(pads[0], pads[1]);
    }
    Padding same = Padding.SAME;
    if (pads[0] == same.before(in.height(), k[0], s[0], d[0], true)
        && pads[2] == same.after(in.height(), k[0], s[0], d[0], true)
        && pads[1] == same.before(in.width(), k[1], s[1], d[1], false)
        && pads[3] == same.after(in.width(), k[1], s[1], d[1], false)) {
      return Padding.SAME;
    }
    throw error(node, "asymmetric pads " + java.util.Arrays.toString(pads) + " are supported"
        + " only as \"same\" padding (the extra row/column at the end)");
  }

  private int[] symmetricPads(NodeProto node) {
    int[] pads = ints(node, "pads", 0, 0, 0, 0);
    if (pads[0] != pads[2] || pads[1] != pads[3]) {
      throw error(node, "asymmetric pads " + java.util.Arrays.toString(pads)
          + " are not supported here");
    }
    return new int[] {pads[0], pads[1]};
  }

  private void pool(NodeProto node) {
    Value x = input(node, 0);
    int[] k = ints(node, "kernel_shape");
    int[] s = ints(node, "strides", 1, 1);
    if (k == null || k.length != 2 || integer(node, "ceil_mode", 0) != 0
        || !text(node, "auto_pad", "NOTSET").equals("NOTSET")
        || java.util.Arrays.stream(ints(node, "dilations", 1, 1)).anyMatch(v -> v != 1)) {
      throw error(node, "supported for 2-D windows with explicit pads, ceil_mode 0 and no"
          + " dilation");
    }
    int[] p = symmetricPads(node);
    switch (node.getOpType()) {
      case "MaxPool" -> graph.add(node, new MaxPool2d.Spec(k[0], k[1], s[0], s[1], p[0], p[1]),
          List.of(x), 4, List.of(), null);
      case "AveragePool" -> {
        if ((p[0] > 0 || p[1] > 0) && integer(node, "count_include_pad", 0) != 1) {
          throw error(node, "count_include_pad=0 with padding is not supported: sparkconv"
              + " averages padding as zeros (count_include_pad=1)");
        }
        if (node.getName().startsWith(OnnxExport.HELPER + "lp1/")) {
          pendingSumPool = x;
          pendingSumPoolWindow = new int[] {k[0], k[1], s[0], s[1]};
          graph.alias(node.getOutput(0), x);
          return;
        }
        graph.add(node, new AvgPool2d.Spec(k[0], k[1], s[0], s[1], p[0], p[1]), List.of(x), 4,
            List.of(), null);
      }
      default -> {
        if (integer(node, "p", 2) != 2 || p[0] != 0 || p[1] != 0) {
          throw error(node, "supported for p = 2 without padding");
        }
        graph.add(node, new LpPool2d.Spec(2, k[0], k[1], s[0], s[1]), List.of(x), 4, List.of(),
            null);
      }
    }
  }

  /** The Mul of an exported p = 1 LpPool: AveragePool times the window is sum pooling. */
  private void sumPool(NodeProto node) {
    if (pendingSumPool == null || !graph.isConstant(node.getInput(1))) {
      throw error(node, "not supported; sparkconv imports " + SUPPORTED);
    }
    int[] w = pendingSumPoolWindow;
    graph.add(node, new LpPool2d.Spec(1, w[0], w[1], w[2], w[3]), List.of(pendingSumPool), 4,
        List.of(), null);
    pendingSumPool = null;
  }

  private void batchNorm(NodeProto node) {
    Value x = input(node, 0);
    if (integer(node, "training_mode", 0) != 0) {
      throw error(node, "training_mode=1 is not supported; export the model in eval mode");
    }
    List<float[]> params = List.of(graph.constant(node, node.getInput(1), "scale").floats(),
        graph.constant(node, node.getInput(2), "bias").floats());
    float[] mean = graph.constant(node, node.getInput(3), "running mean").floats();
    float[] var = graph.constant(node, node.getInput(4), "running variance").floats();
    float[] state = new float[mean.length + var.length];
    System.arraycopy(mean, 0, state, 0, mean.length);
    System.arraycopy(var, 0, state, mean.length, var.length);
    float momentum = 1f - real(node, "momentum", 0.9f);
    graph.add(node, new BatchNorm.Spec(x.rank() == 4, 0, momentum, real(node, "epsilon", 1e-5f)),
        List.of(x), x.rank(), params, state);
  }

  /** y = x W^T + b with B = W (transB = 1, as PyTorch's Linear exports) or B = W^T. */
  private void gemm(NodeProto node) {
    Value x = input(node, 0);
    if (integer(node, "transA", 0) != 0 || real(node, "alpha", 1f) != 1f
        || real(node, "beta", 1f) != 1f) {
      throw error(node, "supported with transA 0, alpha 1 and beta 1");
    }
    Constant b = graph.constant(node, node.getInput(1), "weight");
    boolean transB = integer(node, "transB", 0) == 1;
    int units = (int) b.dims()[transB ? 0 : 1];
    int in = (int) b.dims()[transB ? 1 : 0];
    float[] w = b.floats();
    if (!transB) {
      w = new float[w.length];
      for (int i = 0; i < in; i++) {
        for (int u = 0; u < units; u++) {
          w[u * in + i] = b.floats()[i * units + u];
        }
      }
    }
    boolean bias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
    List<float[]> params = new ArrayList<>(List.of(w));
    if (bias) {
      Constant c = graph.constant(node, node.getInput(2), "bias");
      if (c.count() != units) {
        throw error(node, "its bias has " + c.count() + " values; expected " + units
            + " (no broadcasting)");
      }
      params.add(c.floats());
    }
    graph.add(node, new Dense.Spec(0, units, bias, Init.HE_NORMAL), List.of(x), 2, params, null);
  }

  private void flatten(NodeProto node, long axis) {
    Value x = input(node, 0);
    if (axis != 1) {
      throw error(node, "axis " + axis + " is not supported; sparkconv flattens after the batch"
          + " axis (axis 1)");
    }
    if (node.getName().startsWith(OnnxExport.HELPER) || x.rank() == 2) {
      // The exporter's own flatten (before a dense layer, or the output), or a no-op.
      graph.alias(node.getOutput(0), new Value(x.node(), 2, x.shape()));
      return;
    }
    graph.add(node, new Flatten.Spec(), List.of(x), 2, List.of(), null);
  }

  /** A Reshape to (batch, -1) or (batch, C*H*W) is a flatten; anything else is not supported. */
  private void reshape(NodeProto node) {
    Value x = input(node, 0);
    Constant shape = graph.constant(node, node.getInput(1), "target shape");
    long[] dims = shape.longs();
    boolean flatten = dims != null && dims.length == 2
        && (dims[0] == 0 || dims[0] == -1 || dims[0] == BATCH)
        && (dims[1] == -1 || dims[1] == x.shape().size());
    if (!flatten) {
      throw error(node, "reshapes to " + (dims == null ? "a float tensor"
          : java.util.Arrays.toString(dims).replace(Long.toString(BATCH), "batch"))
          + "; only a flatten to"
          + " (batch, -1) or (batch, " + x.shape().size() + ") is supported");
    }
    flatten(node, 1);
  }

  private void merge(NodeProto node, org.sparkconv.engine.layer.LayerSpec layer) {
    List<Value> ins = new ArrayList<>();
    for (int k = 0; k < node.getInputCount(); k++) {
      if (graph.isConstant(node.getInput(k))) {
        throw error(node, "adds the constant '" + node.getInput(k) + "'; only sums of computed"
            + " tensors (residual connections) are supported");
      }
      ins.add(input(node, k));
    }
    graph.add(node, layer, ins, ins.get(0).rank(), List.of(), null);
  }

  /** The dynamic batch size in shape arithmetic (x.view(x.size(0), -1) exports as such). */
  static final long BATCH = Long.MIN_VALUE;

  /**
   * The int64 arithmetic PyTorch exports for {@code x.view(x.size(0), -1)}: Shape, Gather,
   * Unsqueeze and Concat on shapes, evaluated here with the batch size kept symbolic, so the
   * Reshape after it sees a constant target shape.
   */
  private void shapeArithmetic(NodeProto node) {
    String out = node.getOutput(0);
    switch (node.getOpType()) {
      case "Shape" -> {
        Value x = input(node, 0);
        long[] dims = x.rank() == 4 ? new long[] {BATCH, x.shape().channels(),
            x.shape().height(), x.shape().width()} : new long[] {BATCH, x.shape().size()};
        graph.addConstant(new Constant(out, new long[] {dims.length}, null, dims));
      }
      case "Gather" -> {
        long[] data = graph.constant(node, node.getInput(0), "data").longs();
        Constant index = graph.constant(node, node.getInput(1), "indices");
        if (data == null || index.longs() == null || integer(node, "axis", 0) != 0) {
          throw error(node, "only gathers from a shape (axis 0) are supported");
        }
        long[] picked = new long[index.longs().length];
        for (int i = 0; i < picked.length; i++) {
          long at = index.longs()[i];
          picked[i] = data[(int) (at < 0 ? data.length + at : at)];
        }
        graph.addConstant(new Constant(out, index.dims(), null, picked));
      }
      default -> { // Unsqueeze of a scalar or vector of a shape: the same values, 1-D
        long[] data = graph.constant(node, node.getInput(0), "data").longs();
        if (data == null) {
          throw error(node, "only unsqueezes of shape values are supported");
        }
        graph.addConstant(new Constant(out, new long[] {data.length}, null, data));
      }
    }
  }

  private void concat(NodeProto node) {
    if (node.getInputList().stream().allMatch(graph::isConstant)) {
      java.util.stream.LongStream.Builder joined = java.util.stream.LongStream.builder();
      for (String in : node.getInputList()) {
        long[] part = graph.constant(node, in, "input").longs();
        if (part == null) {
          throw error(node, "joins float constants; only shape values may be joined here");
        }
        java.util.Arrays.stream(part).forEach(joined::add);
      }
      long[] all = joined.build().toArray();
      graph.addConstant(new Constant(node.getOutput(0), new long[] {all.length}, null, all));
      return;
    }
    Value first = input(node, 0);
    long axis = integer(node, "axis", 1);
    if (axis != 1 && axis != 1 - first.rank()) {
      throw error(node, "joins along axis " + axis + "; only the channel axis (1) is supported");
    }
    merge(node, new Concat.Spec());
  }
}
