package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.tensor.Shape;

/**
 * Where every node's parameters and state sit in the network's flat buffers: layer by layer, in
 * the order of each layer spec's {@link ParamBlock}s. {@code grads} mirrors {@code params}
 * exactly. Computed from a {@link NetworkSpec} alone, so model sizes are known before anything
 * is allocated.
 */
public record ParamLayout(List<Entry> params, int paramCount, int[] layerParamOffsets,
    int[] layerStateOffsets, int stateCount) {

  /** One block: layer index and type, block name, offset and length in {@code params}. */
  public record Entry(int layer, String layerType, String name, int offset, int length,
      ParamBlock.Kind kind) {}

  /** Lays out the layers of {@code spec} back to back; validates the spec's shapes. */
  public static ParamLayout of(NetworkSpec spec) {
    List<Shape> outputs = spec.shapes();
    List<Entry> entries = new ArrayList<>();
    int layers = spec.layers().size();
    int[] paramOffsets = new int[layers];
    int[] stateOffsets = new int[layers];
    long offset = 0;
    long stateOffset = 0;
    for (int i = 0; i < layers; i++) {
      Node node = spec.nodes().get(i);
      LayerSpec layer = node.layer();
      Shape input = spec.shapeOf(node.inputs().get(0), outputs);
      paramOffsets[i] = (int) offset;
      stateOffsets[i] = (int) stateOffset;
      for (ParamBlock block : layer.paramBlocks(input)) {
        entries.add(new Entry(i, layer.type(), block.name(), (int) offset, block.length(),
            block.kind()));
        offset += block.length();
      }
      stateOffset += layer.stateSize(input);
      if (offset > Integer.MAX_VALUE - 8 || stateOffset > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("the model has more than 2^31 parameters at layer "
            + i + " (" + layer.type() + "); one flat float[] cannot hold it");
      }
    }
    return new ParamLayout(List.copyOf(entries), (int) offset, paramOffsets, stateOffsets,
        (int) stateOffset);
  }

  /** Parameters of layer {@code layer}. */
  public int paramCount(int layer) {
    int end = layer + 1 < layerParamOffsets.length ? layerParamOffsets[layer + 1] : paramCount;
    return end - layerParamOffsets[layer];
  }
}
