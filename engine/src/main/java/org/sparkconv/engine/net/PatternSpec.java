package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.AvgPool2d;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Dense;
import org.sparkconv.engine.layer.Dropout;
import org.sparkconv.engine.layer.Flatten;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.layer.SpecException;

/**
 * The compact form of the classic architecture
 * {@code [(conv -> relu) x M -> pool] x N -> [fc -> relu] x K -> fc}: {@code channels} has one
 * entry per block (N), {@code convsPerBlock} is M, {@code dense} one unit count per hidden fully
 * connected layer (K), {@code outputs} the last layer's units. Optional batch norm after each
 * conv and dropout before each hidden fc. {@link #expand()} gives the plain layer list.
 */
public record PatternSpec(int convsPerBlock, List<Integer> channels, int kernel,
    Padding padding, boolean batchNorm, String pool, int poolKernel, List<Integer> dense,
    float dropout, int outputs) {

  public PatternSpec {
    channels = List.copyOf(channels);
    dense = List.copyOf(dense);
    if (convsPerBlock <= 0) {
      throw SpecException.top("pattern.convs_per_block", "must be positive, got "
          + convsPerBlock);
    }
    if (channels.isEmpty()) {
      throw SpecException.top("pattern.channels", "needs one channel count per block");
    }
    if (!pool.equals("max") && !pool.equals("avg")) {
      throw SpecException.top("pattern.pool", "must be \"max\" or \"avg\", got \"" + pool + "\"");
    }
    if (outputs <= 0) {
      throw SpecException.top("pattern.outputs", "must be positive (or give \"classes\"), got "
          + outputs);
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw SpecException.top("pattern.dropout", "must be in [0, 1), got " + dropout);
    }
  }

  /** The layers this pattern stands for. */
  public List<LayerSpec> expand() {
    List<LayerSpec> layers = new ArrayList<>();
    for (int c : channels) {
      for (int m = 0; m < convsPerBlock; m++) {
        layers.add(new Conv2d.Spec(0, c, kernel, kernel, 1, 1, padding, 1, 1, !batchNorm,
            Init.HE_NORMAL));
        if (batchNorm) {
          layers.add(BatchNorm.Spec.spatial2d());
        }
        layers.add(new Relu.Spec());
      }
      layers.add(pool.equals("max") ? MaxPool2d.Spec.of(poolKernel) : AvgPool2d.Spec.of(poolKernel));
    }
    layers.add(new Flatten.Spec());
    long seed = 0;
    for (int units : dense) {
      if (dropout > 0f) {
        layers.add(new Dropout.Spec(dropout, seed++));
      }
      layers.add(Dense.Spec.of(units));
      layers.add(new Relu.Spec());
    }
    layers.add(Dense.Spec.of(outputs));
    return layers;
  }
}
