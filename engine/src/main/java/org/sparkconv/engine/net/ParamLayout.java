package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.ParamBlock;

/**
 * Where every layer's parameters and state sit in the network's flat buffers: layer by layer, in
 * the order of each layer's {@link ParamBlock}s. {@code grads} mirrors {@code params} exactly.
 */
public record ParamLayout(List<Entry> params, int paramCount, int[] layerParamOffsets,
    int[] layerStateOffsets, int stateCount) {

  /** One block: layer index and type, block name, offset and length in {@code params}. */
  public record Entry(int layer, String layerType, String name, int offset, int length,
      ParamBlock.Kind kind) {}

  /** Lays out {@code layers} back to back. */
  public static ParamLayout of(Layer[] layers, List<String> layerTypes) {
    List<Entry> entries = new ArrayList<>();
    int[] paramOffsets = new int[layers.length];
    int[] stateOffsets = new int[layers.length];
    long offset = 0;
    long stateOffset = 0;
    for (int i = 0; i < layers.length; i++) {
      paramOffsets[i] = (int) offset;
      stateOffsets[i] = (int) stateOffset;
      for (ParamBlock block : layers[i].paramBlocks()) {
        entries.add(new Entry(i, layerTypes.get(i), block.name(), (int) offset, block.length(),
            block.kind()));
        offset += block.length();
      }
      stateOffset += layers[i].stateSize();
      if (offset > Integer.MAX_VALUE - 8 || stateOffset > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("the model has more than 2^31 parameters at layer "
            + i + "; one flat float[] cannot hold it");
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
