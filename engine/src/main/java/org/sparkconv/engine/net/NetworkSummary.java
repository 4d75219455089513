package org.sparkconv.engine.net;

import java.util.List;
import java.util.Locale;
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
