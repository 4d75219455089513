package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.ReceptiveField;
import org.sparkconv.engine.tensor.Shape;

/**
 * What a network costs for one batch size: per node the output shape, parameters, receptive
 * field on the input (the largest over all paths that reach the node) and activation memory
 * (output plus what backward keeps); totals for code that plans memory (the Spark trainer's
 * pre-flight check) and a printable table. Sizes print in decimal units (1 MB = 10^6 bytes), as
 * hand arithmetic does: a 224x224x64 float32 map is 3,211,264 values, 12.8 MB.
 */
public record NetworkSummary(String name, Shape input, int batch, List<Row> rows,
    long paramCount, long stateCount, long workspaceBytes, long gradientBufferBytes,
    long inferenceActivationBytes, long inferenceBytes) {

  /**
   * One node: its index, name, type, the names of its inputs ({@code input} for the network
   * input), output shape, parameters, receptive field and activation bytes for the batch.
   */
  public record Row(int index, String name, String type, List<String> inputs, Shape outputShape,
      long params, ReceptiveField receptiveField, long activationBytes) {

    /** Values of this node's output for one example. */
    public long valuesPerExample() {
      return outputShape.size();
    }
  }

  /**
   * The summary of {@code spec} for {@code batch} examples and {@code threads} intra-op threads,
   * computed from the spec alone: nothing is allocated, so a model too large to build can be
   * sized (and refused) first.
   */
  public static NetworkSummary of(NetworkSpec spec, int batch, int threads) {
    return of(spec, batch, threads, 0);
  }

  /**
   * As above, an inference buffer holding at least {@code inferenceFloats} a example: what a
   * built network's largest output takes where a convolution writes it in the next one's padded
   * layout ({@link Network#inferenceHandedTo}), which the spec alone does not say.
   */
  static NetworkSummary of(NetworkSpec spec, int batch, int threads, long inferenceFloats) {
    List<Shape> shapes = spec.shapes();
    ParamLayout layout = ParamLayout.of(spec);
    GraphPlan plan = new GraphPlan(spec);
    List<Row> rows = new ArrayList<>();
    ReceptiveField[] fields = new ReceptiveField[shapes.size()];
    long workspace = 0;
    long maxActivation = spec.input().size();
    for (int i = 0; i < shapes.size(); i++) {
      Node node = spec.nodes().get(i);
      LayerSpec layer = node.layer();
      Shape input = spec.shapeOf(node.inputs().get(0), shapes);
      Shape output = shapes.get(i);
      ReceptiveField in = null;
      List<String> inputNames = new ArrayList<>();
      for (int ref : node.inputs()) {
        in = widest(in, ref == Node.INPUT ? ReceptiveField.PIXEL : fields[ref]);
        inputNames.add(spec.nameOf(ref));
      }
      fields[i] = layer.receptiveField(input, in);
      long activationFloats = plan.fusedIntoPrevious[i] ? 0 // shares the previous node's buffer
          : (long) batch * ((plan.normWritesSum(i) ? 0 : output.size()) // (the sum holds it)
              + layer.cachedFloatsPerExample(input));
      rows.add(new Row(i, node.name(), layer.type(), List.copyOf(inputNames), output,
          layout.paramCount(i), fields[i], activationFloats * Float.BYTES));
      workspace += layer.workspaceFloats(input, threads);
      maxActivation = Math.max(maxActivation, output.size());
    }
    long gradientBuffers = (long) (plan.bufferCount + plan.scratchCount) * batch * maxActivation
        + (long) batch * spec.input().size();
    long inference = (long) plan.forwardBufferCount * batch
        * Math.max(maxActivation, inferenceFloats);
    return new NetworkSummary(spec.name(), spec.input(), batch, List.copyOf(rows),
        layout.paramCount(), layout.stateCount(), workspace * Float.BYTES,
        gradientBuffers * Float.BYTES, inference * Float.BYTES,
        InferenceFootprint.bytes(spec, Math.max(1, batch), threads));
  }

  /** The larger of two fields along each axis: what a merge of two paths sees. */
  private static ReceptiveField widest(ReceptiveField a, ReceptiveField b) {
    if (a == null) {
      return b;
    }
    return new ReceptiveField(Math.max(a.sizeH(), b.sizeH()), Math.max(a.sizeW(), b.sizeW()),
        Math.max(a.jumpH(), b.jumpH()), Math.max(a.jumpW(), b.jumpW()));
  }

  /** Activation memory over all nodes for the batch. */
  public long activationBytes() {
    return rows.stream().mapToLong(Row::activationBytes).sum();
  }

  /** Bytes of params, grads and state. */
  public long parameterBytes() {
    return (2 * paramCount + stateCount) * Float.BYTES;
  }

  /** Everything one training network holds for this batch size. */
  public long trainingBytes() {
    return parameterBytes() + activationBytes() + workspaceBytes + gradientBufferBytes;
  }

  @Override
  public String toString() {
    boolean graph = rows.stream().anyMatch(r -> r.inputs().size() != 1
        || !r.inputs().get(0).equals(r.index() == 0 ? Node.INPUT_NAME
            : rows.get(r.index() - 1).name()));
    StringBuilder sb = new StringBuilder();
    String format = "%-4s %-" + nameWidth() + "s %-16s %14s %13s %10s %10s %10s%n";
    sb.append(String.format(Locale.ROOT, "Model '%s', input %s, batch %d%n", name, input, batch));
    sb.append(String.format(Locale.ROOT, format, "#", "layer", "output", "values/image",
        "params", "receptive", "per image", "batch"));
    int width = 4 + nameWidth() + 16 + 14 + 13 + 10 + 10 + 10 + 7;
    sb.append("-".repeat(width)).append('\n');
    for (Row row : rows) {
      ReceptiveField rf = row.receptiveField();
      String label = graph ? row.name() + " (" + row.type() + ")" : row.type();
      boolean fused = row.activationBytes() == 0;
      sb.append(String.format(Locale.ROOT, format, row.index(), label, row.outputShape(),
          String.format(Locale.ROOT, "%,d", row.valuesPerExample()),
          String.format(Locale.ROOT, "%,d", row.params()),
          fieldSize(rf.sizeH()) + "x" + fieldSize(rf.sizeW()),
          fused ? "(fused)" : bytes(row.valuesPerExample() * Float.BYTES),
          fused ? "" : bytes(row.activationBytes())));
      if (graph && !row.inputs().equals(List.of(row.index() == 0 ? Node.INPUT_NAME
          : rows.get(row.index() - 1).name()))) {
        sb.append("       <- ").append(String.join(" + ", row.inputs())).append('\n');
      }
    }
    sb.append("-".repeat(width)).append('\n');
    sb.append(String.format(Locale.ROOT, "parameters: %,d (%s for params + grads), state: %,d%n",
        paramCount, bytes(2 * paramCount * Float.BYTES), stateCount));
    sb.append(String.format(Locale.ROOT,
        "activations: %s, gradient buffers: %s, workspace: %s, total for training: %s%n",
        bytes(activationBytes()), bytes(gradientBufferBytes), bytes(workspaceBytes),
        bytes(trainingBytes())));
    sb.append(String.format(Locale.ROOT, "inference: activations %s in one pass over the batch"
        + " (buffers reused once every consumer has run); infer, which runs chunks of %d images,"
        + " holds about %s in all%n", bytes(inferenceActivationBytes), Network.INFERENCE_CHUNK,
        bytes(inferenceBytes)));
    return sb.toString();
  }

  private int nameWidth() {
    int width = 18;
    for (Row row : rows) {
      width = Math.max(width, row.name().length() + row.type().length() + 3);
    }
    return Math.min(width, 40);
  }

  private static String fieldSize(double size) {
    return size == Math.rint(size) ? Long.toString((long) size)
        : String.format(Locale.ROOT, "%.1f", size);
  }

  /** Decimal units, as hand arithmetic uses them: 12,845,056 bytes is 12.8 MB. */
  static String bytes(long bytes) {
    if (bytes < 1000) {
      return bytes + " B";
    }
    if (bytes < 1000_000) {
      return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
    }
    if (bytes < 1000_000_000) {
      return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
    return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
  }
}
