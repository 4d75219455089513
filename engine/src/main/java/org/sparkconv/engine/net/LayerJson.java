package org.sparkconv.engine.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.LeakyRelu;
import org.sparkconv.engine.layer.LpPool2d;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.layer.Sigmoid;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.layer.Tanh;

/**
 * One layer of a model file as JSON, both ways: {@code {"type": "conv2d", "out_channels": 6,
 * "kernel": 5, "padding": 2}}. Reading is strict: unknown fields, wrong types and missing fields
 * fail with the layer index and type and the field. Sizes are an integer or
 * {@code [height, width]}; conv padding may also be {@code "valid"}, {@code "same"} or
 * {@code "full"}. Writing emits every field, so that write then read gives an equal layer.
 */
final class LayerJson {

  /** The layer type names model files may use. */
  static final List<String> TYPES = List.of("conv2d", "conv_transpose2d", "maxpool2d",
      "avgpool2d", "lppool2d", "global_avgpool2d", "global_maxpool2d", "batchnorm2d",
      "batchnorm1d", "dense", "flatten", "relu", "leaky_relu", "sigmoid", "tanh", "dropout",
      "add", "concat");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private LayerJson() {}

  /** Parses the layer object {@code node} of layer {@code index} (name and inputs removed). */
  static LayerSpec layer(JsonNode node, int index) {
    if (!node.isObject()) {
      throw SpecException.at(index, null, null, "expected a JSON object, got " + node);
    }
    JsonNode typeNode = node.get("type");
    if (typeNode == null || !typeNode.isTextual()) {
      throw SpecException.at(index, null, "type", "missing or not a string; expected one of "
          + TYPES);
    }
    String type = typeNode.textValue();
    JsonFields f = new JsonFields(node, index, type);
    return switch (type) {
      case "conv2d" -> {
        f.rejectUnknown(Set.of("type", "in_channels", "out_channels", "kernel", "stride",
            "padding", "dilation", "groups", "bias", "init"));
        int[] k = f.pair("kernel");
        int[] s = f.pair("stride", new int[] {1, 1});
        int[] d = f.pair("dilation", new int[] {1, 1});
        yield new Conv2d.Spec(f.integer("in_channels", 0), f.integer("out_channels"), k[0], k[1],
            s[0], s[1], convPadding(f, node), d[0], d[1], f.integer("groups", 1),
            f.bool("bias", true), init(f));
      }
      case "conv_transpose2d" -> {
        f.rejectUnknown(Set.of("type", "in_channels", "out_channels", "kernel", "stride",
            "padding", "output_padding", "dilation", "bias", "init"));
        int[] k = f.pair("kernel");
        int[] s = f.pair("stride", new int[] {1, 1});
        int[] p = f.pair("padding", new int[] {0, 0});
        int[] op = f.pair("output_padding", new int[] {0, 0});
        int[] d = f.pair("dilation", new int[] {1, 1});
        yield new ConvTranspose2d.Spec(f.integer("in_channels", 0), f.integer("out_channels"),
            k[0], k[1], s[0], s[1], p[0], p[1], op[0], op[1], d[0], d[1], f.bool("bias", true),
            init(f));
      }
      case "maxpool2d", "avgpool2d" -> {
        f.rejectUnknown(Set.of("type", "kernel", "stride", "padding"));
        int[] k = f.pair("kernel");
        int[] s = f.pair("stride", k);
        int[] p = f.pair("padding", new int[] {0, 0});
        yield type.equals("maxpool2d") ? new MaxPool2d.Spec(k[0], k[1], s[0], s[1], p[0], p[1])
            : new AvgPool2d.Spec(k[0], k[1], s[0], s[1], p[0], p[1]);
      }
      case "lppool2d" -> {
        f.rejectUnknown(Set.of("type", "norm", "kernel", "stride"));
        int[] k = f.pair("kernel");
        int[] s = f.pair("stride", k);
        yield new LpPool2d.Spec(f.integer("norm", 2), k[0], k[1], s[0], s[1]);
      }
      case "global_avgpool2d" -> noFields(f, new GlobalAvgPool2d.Spec());
      case "global_maxpool2d" -> noFields(f, new GlobalMaxPool2d.Spec());
      case "flatten" -> noFields(f, new Flatten.Spec());
      case "relu" -> noFields(f, new Relu.Spec());
      case "sigmoid" -> noFields(f, new Sigmoid.Spec());
      case "tanh" -> noFields(f, new Tanh.Spec());
      case "leaky_relu" -> {
        f.rejectUnknown(Set.of("type", "slope"));
        yield new LeakyRelu.Spec(f.number("slope", 0.01f));
      }
      case "batchnorm2d", "batchnorm1d" -> {
        f.rejectUnknown(Set.of("type", "features", "momentum", "eps"));
        yield new BatchNorm.Spec(type.equals("batchnorm2d"), f.integer("features", 0),
            f.number("momentum", 0.1f), f.number("eps", 1e-5f));
      }
      case "dense" -> {
        f.rejectUnknown(Set.of("type", "in_features", "units", "bias", "init"));
        yield new Dense.Spec(f.integer("in_features", 0), f.integer("units"),
            f.bool("bias", true), init(f));
      }
      case "add" -> noFields(f, new Add.Spec());
      case "concat" -> noFields(f, new Concat.Spec());
      case "dropout" -> {
        f.rejectUnknown(Set.of("type", "rate", "seed"));
        yield new Dropout.Spec(f.number("rate"), f.longInteger("seed", 0L));
      }
      default -> throw SpecException.at(index, type, "type", "unknown layer type '" + type
          + "'; expected one of " + TYPES);
    };
  }

  private static LayerSpec noFields(JsonFields f, LayerSpec spec) {
    f.rejectUnknown(Set.of("type"));
    return spec;
  }

  private static Padding convPadding(JsonFields f, JsonNode node) {
    return convPadding(f, node, Padding.of(0));
  }

  static Padding convPadding(JsonFields f, JsonNode node, Padding fallback) {
    if (!f.has("padding")) {
      return fallback;
    }
    JsonNode p = node.get("padding");
    if (p.isTextual()) {
      return switch (p.textValue()) {
        case "valid" -> Padding.VALID;
        case "same" -> Padding.SAME;
        case "full" -> Padding.FULL;
        default -> throw f.error("padding", "expected \"valid\", \"same\", \"full\", an integer"
            + " or [height, width], got " + p);
      };
    }
    int[] hw = f.asPair("padding", p);
    return Padding.of(hw[0], hw[1]);
  }

  private static Init init(JsonFields f) {
    String name = f.text("init", Init.HE_NORMAL.jsonName());
    Init init = Init.fromJsonName(name);
    if (init == null) {
      List<String> names = new ArrayList<>();
      for (Init i : Init.values()) {
        names.add(i.jsonName());
      }
      throw f.error("init", "unknown scheme '" + name + "'; expected one of " + names);
    }
    return init;
  }

  /** The JSON object of {@code layer}, every field written out. */
  static ObjectNode tree(LayerSpec layer) {
    ObjectNode o = NODES.objectNode();
    o.put("type", layer.type());
    if (layer instanceof Conv2d.Spec s) {
      if (s.inChannels() > 0) {
        o.put("in_channels", s.inChannels());
      }
      o.put("out_channels", s.outChannels());
      o.set("kernel", pair(s.kernelH(), s.kernelW()));
      o.set("stride", pair(s.strideH(), s.strideW()));
      o.set("padding", s.padding().mode() == Padding.Mode.EXPLICIT
          ? pair(s.padding().h(), s.padding().w()) : NODES.textNode(s.padding().toString()));
      o.set("dilation", pair(s.dilationH(), s.dilationW()));
      if (s.groups() != 1) {
        o.put("groups", s.groups());
      }
      o.put("bias", s.bias());
      o.put("init", s.init().jsonName());
    } else if (layer instanceof ConvTranspose2d.Spec s) {
      if (s.inChannels() > 0) {
        o.put("in_channels", s.inChannels());
      }
      o.put("out_channels", s.outChannels());
      o.set("kernel", pair(s.kernelH(), s.kernelW()));
      o.set("stride", pair(s.strideH(), s.strideW()));
      o.set("padding", pair(s.padH(), s.padW()));
      o.set("output_padding", pair(s.outputPadH(), s.outputPadW()));
      o.set("dilation", pair(s.dilationH(), s.dilationW()));
      o.put("bias", s.bias());
      o.put("init", s.init().jsonName());
    } else if (layer instanceof MaxPool2d.Spec s) {
      poolWindow(o, s.kernelH(), s.kernelW(), s.strideH(), s.strideW())
          .set("padding", pair(s.padH(), s.padW()));
    } else if (layer instanceof AvgPool2d.Spec s) {
      poolWindow(o, s.kernelH(), s.kernelW(), s.strideH(), s.strideW())
          .set("padding", pair(s.padH(), s.padW()));
    } else if (layer instanceof LpPool2d.Spec s) {
      poolWindow(o, s.kernelH(), s.kernelW(), s.strideH(), s.strideW()).put("norm", s.norm());
    } else if (layer instanceof BatchNorm.Spec s) {
      if (s.features() > 0) {
        o.put("features", s.features());
      }
      o.put("momentum", s.momentum());
      o.put("eps", s.eps());
    } else if (layer instanceof Dense.Spec s) {
      if (s.inFeatures() > 0) {
        o.put("in_features", s.inFeatures());
      }
      o.put("units", s.units());
      o.put("bias", s.bias());
      o.put("init", s.init().jsonName());
    } else if (layer instanceof LeakyRelu.Spec s) {
      o.put("slope", s.slope());
    } else if (layer instanceof Dropout.Spec s) {
      o.put("rate", s.rate());
      o.put("seed", s.seed());
    }
    // The remaining types (pools without settings, flatten, activations) have only "type".
    return o;
  }

  private static ObjectNode poolWindow(ObjectNode o, int kh, int kw, int sh, int sw) {
    o.set("kernel", pair(kh, kw));
    o.set("stride", pair(sh, sw));
    return o;
  }

  private static JsonNode pair(int h, int w) {
    if (h == w) {
      return NODES.numberNode(h);
    }
    ArrayNode a = NODES.arrayNode();
    a.add(h);
    a.add(w);
    return a;
  }

}
