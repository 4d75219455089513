package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.ReceptiveField;
import org.sparkconv.engine.tensor.Shape;

/**
 * What a network costs for one batch size: per layer the output shape, parameters, receptive
 * field on the input and activation memory (output plus what backward keeps); totals for code
 * that plans memory (the Spark trainer's pre-flight check) and a printable table.
 */
public record NetworkSummary(String name, Shape input, int batch, List<Row> rows,
    long paramCount, long stateCount, long workspaceBytes, long gradientBufferBytes) {

  /** One layer. */
  public record Row(int index, String type, Shape outputShape, long params,
      ReceptiveField receptiveField, long activationBytes) {}

  /**
   * The summary of {@code spec} for {@code batch} examples and {@code threads} intra-op threads,
   * computed from the spec alone: nothing is allocated, so a model too large to build can be
   * sized (and refused) first.
   */
  public static NetworkSummary of(NetworkSpec spec, int batch, int threads) {
    List<Shape> shapes = spec.shapes();
    ParamLayout layout = ParamLayout.of(spec);
    boolean[] fused = fusedIntoPrevious(spec);
    List<Row> rows = new ArrayList<>();
    ReceptiveField field = ReceptiveField.PIXEL;
    long workspace = 0;
    long maxActivation = spec.input().size();
    Shape input = spec.input();
    for (int i = 0; i < shapes.size(); i++) {
      LayerSpec layer = spec.layers().get(i);
      Shape output = shapes.get(i);
      field = layer.receptiveField(input, field);
      long activationFloats = fused[i] ? 0 // shares the previous layer's buffer
          : (long) batch * (output.size() + layer.cachedFloatsPerExample(input));
      rows.add(new Row(i, layer.type(), output, layout.paramCount(i), field,
          activationFloats * Float.BYTES));
      workspace += layer.workspaceFloats(input, threads);
      maxActivation = Math.max(maxActivation, output.size());
      input = output;
    }
    long gradientBuffers = 2L * batch * maxActivation + (long) batch * spec.input().size();
    return new NetworkSummary(spec.name(), spec.input(), batch, List.copyOf(rows),
        layout.paramCount(), layout.stateCount(), workspace * Float.BYTES,
        gradientBuffers * Float.BYTES);
  }

  /** Which layers of {@code spec} run inside the layer before them (fused activations). */
  static boolean[] fusedIntoPrevious(NetworkSpec spec) {
    List<LayerSpec> layers = spec.layers();
    boolean[] fused = new boolean[layers.size()];
    for (int i = 0; i + 1 < layers.size(); i++) {
      fused[i + 1] = !fused[i] && layers.get(i).fusesNext(layers.get(i + 1));
    }
    return fused;
  }

  /** Activation memory over all layers for the batch. */
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
    StringBuilder sb = new StringBuilder();
    String format = "%-4s %-18s %-16s %12s %12s %14s%n";
    sb.append(String.format(Locale.ROOT, "Model '%s', input %s, batch %d%n", name, input, batch));
    sb.append(String.format(Locale.ROOT, format, "#", "layer", "output", "params",
        "receptive", "activations"));
    sb.append("-".repeat(81)).append('\n');
    for (Row row : rows) {
      ReceptiveField rf = row.receptiveField();
      sb.append(String.format(Locale.ROOT, format, row.index(), row.type(), row.outputShape(),
          String.format(Locale.ROOT, "%,d", row.params()),
          fieldSize(rf.sizeH()) + "x" + fieldSize(rf.sizeW()), bytes(row.activationBytes())));
    }
    sb.append("-".repeat(81)).append('\n');
    sb.append(String.format(Locale.ROOT, "parameters: %,d (%s for params + grads), state: %,d%n",
        paramCount, bytes(2 * paramCount * Float.BYTES), stateCount));
    sb.append(String.format(Locale.ROOT,
        "activations: %s, gradient buffers: %s, workspace: %s, total for training: %s%n",
        bytes(activationBytes()), bytes(gradientBufferBytes), bytes(workspaceBytes),
        bytes(trainingBytes())));
    return sb.toString();
  }

  private static String fieldSize(double size) {
    return size == Math.rint(size) ? Long.toString((long) size)
        : String.format(Locale.ROOT, "%.1f", size);
  }

  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
