package org.sparkconv.engine.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
      layers.add(pool.equals("max") ? MaxPool2d.Spec.of(poolKernel)
          : AvgPool2d.Spec.of(poolKernel));
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

  /**
   * The {@code pattern} object of a model file; {@code classCount} (from {@code classes})
   * is the default for {@code outputs}. Errors name {@code pattern.<field>}.
   */
  static PatternSpec fromJson(JsonNode node, int classCount) {
    if (!node.isObject()) {
      throw SpecException.top("pattern", "expected an object, got " + node);
    }
    JsonFields f = new JsonFields(node, -1, null) {
      @Override
      protected IllegalArgumentException error(String field, String detail) {
        return SpecException.top("pattern." + field, detail);
      }
    };
    f.rejectUnknown(Set.of("convs_per_block", "channels", "kernel", "padding", "batchnorm",
        "pool", "pool_kernel", "dense", "dropout", "outputs"));
    return new PatternSpec(f.integer("convs_per_block", 1), intList(f, node, "channels", true),
        f.integer("kernel", 3), LayerJson.convPadding(f, node, Padding.SAME),
        f.bool("batchnorm", false),
        f.text("pool", "max"), f.integer("pool_kernel", 2), intList(f, node, "dense", false),
        f.number("dropout", 0f), f.integer("outputs", classCount));
  }

  private static List<Integer> intList(JsonFields f, JsonNode node, String field,
      boolean required) {
    if (!f.has(field)) {
      if (required) {
        throw f.error(field, "missing; expected an array of integers");
      }
      return List.of();
    }
    JsonNode v = node.get(field);
    List<Integer> out = new ArrayList<>();
    if (!v.isArray()) {
      throw f.error(field, "expected an array of integers, got " + v);
    }
    for (JsonNode n : v) {
      if (!n.isIntegralNumber() || n.intValue() <= 0) {
        throw f.error(field, "expected an array of positive integers, got " + v);
      }
      out.add(n.intValue());
    }
    return out;
  }
}
