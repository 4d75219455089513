package org.sparkconv.engine.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkconv.engine.layer.SpecException;

/**
 * Blocks: structure written once and used many times, so a ResNet or DenseNet file stays short.
 * A model file defines blocks by name, each with parameters (a default, or {@code null} when the
 * use must give one) and its layers, which may use {@code "$param"} as any field's value and
 * {@code "$in"} in {@code inputs} for the block's input:
 *
 * <pre>
 * "blocks": {"basic": {"params": {"channels": null, "stride": 1},
 *                      "layers": [{"type": "conv2d", "out_channels": "$channels", ...},
 *                                 ...,
 *                                 {"type": "batchnorm2d", "name": "branch"},
 *                                 {"type": "add", "inputs": ["branch", "$in"]}]}},
 * "layers": [..., {"block": "basic", "name": "stage1", "repeat": 3, "with": {"channels": 16}}]
 * </pre>
 *
 * A use expands in place into the block's layers, {@code repeat} times in a chain; layer
 * {@code x} of a use named {@code stage1} becomes {@code stage1/x} ({@code stage1.2/x} for the
 * second repeat). A block's output is its last layer.
 */
final class BlockTemplates {

  /** A layer of the expanded list: its JSON (without name and inputs), name and input names. */
  record Expanded(ObjectNode layer, String type, String name, boolean named,
      List<String> inputs) {}

  private record Block(String name, Map<String, JsonNode> params, ArrayNode layers) {}

  private BlockTemplates() {}

  /** Expands the {@code layers} array of a model file, using the {@code blocks} object. */
  static List<Expanded> expand(JsonNode layers, JsonNode blocks) {
    Map<String, Block> defined = definitions(blocks);
    List<Expanded> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      JsonNode entry = layers.get(i);
      if (entry.isObject() && entry.has("block")) {
        use(entry, i, defined, out);
      } else {
        out.add(plain(entry, out.size(), null, null, null));
      }
    }
    return out;
  }

  private static Map<String, Block> definitions(JsonNode blocks) {
    Map<String, Block> defined = new LinkedHashMap<>();
    if (blocks == null) {
      return defined;
    }
    if (!blocks.isObject()) {
      throw SpecException.top("blocks", "expected an object of named blocks, got " + blocks);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = blocks.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String field = "blocks." + e.getKey();
      JsonNode body = e.getValue();
      if (!body.isObject()) {
        throw SpecException.top(field, "expected {\"params\": {...}, \"layers\": [...]}, got "
            + body);
      }
      for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!Set.of("params", "layers").contains(name)) {
          throw SpecException.top(field + "." + name, "unknown field; expected one of"
              + " [layers, params]");
        }
      }
      JsonNode blockLayers = body.get("layers");
      if (blockLayers == null || !blockLayers.isArray() || blockLayers.isEmpty()) {
        throw SpecException.top(field + ".layers", "expected a non-empty array of layers");
      }
      Map<String, JsonNode> params = new LinkedHashMap<>();
      JsonNode p = body.get("params");
      if (p != null) {
        if (!p.isObject()) {
          throw SpecException.top(field + ".params", "expected an object of parameter names"
              + " and defaults (null: required), got " + p);
        }
        p.fields().forEachRemaining(param -> params.put(param.getKey(), param.getValue()));
      }
      defined.put(e.getKey(), new Block(e.getKey(), params, (ArrayNode) blockLayers));
    }
    return defined;
  }

  /** Expands one use of a block at position {@code position} of the layers array. */
  private static void use(JsonNode entry, int position, Map<String, Block> defined,
      List<Expanded> out) {
    JsonFields f = new JsonFields(entry, out.size(), "block");
    f.rejectUnknown(Set.of("block", "name", "repeat", "with", "inputs"));
    String blockName = f.text("block");
    Block block = defined.get(blockName);
    if (block == null) {
      throw f.error("block", "no block is named \"" + blockName + "\"; defined: "
          + defined.keySet());
    }
    String useName = f.text("name", blockName + "_" + position);
    int repeat = f.integer("repeat", 1);
    if (repeat < 1) {
      throw f.error("repeat", "must be a positive integer, got " + repeat);
    }
    Map<String, JsonNode> args = arguments(block, entry.get("with"), f);
    String input = null; // null: the layer before the use
    List<String> given = inputNames(entry, f);
    if (given != null) {
      if (given.size() != 1) {
        throw f.error("inputs", "a block takes one input (its \"$in\"), got " + given);
      }
      input = given.get(0);
    }
    for (int r = 1; r <= repeat; r++) {
      String prefix = repeat == 1 ? useName : useName + "." + r;
      String blockInput = input != null ? input
          : out.isEmpty() ? Node.INPUT_NAME : out.get(out.size() - 1).name();
      Map<String, String> local = new LinkedHashMap<>();
      for (JsonNode template : block.layers()) {
        if (template.isObject() && template.has("name")) {
          local.put(template.get("name").asText(), prefix + "/" + template.get("name").asText());
        }
      }
      for (int j = 0; j < block.layers().size(); j++) {
        JsonNode template = block.layers().get(j);
        if (!template.isObject() || template.has("block")) {
          throw SpecException.top("blocks." + block.name() + ".layers[" + j + "]", "expected a"
              + " layer object (blocks do not contain blocks), got " + template);
        }
        ObjectNode layer = substitute((ObjectNode) template, args, block, j);
        Expanded e = plain(layer, out.size(), prefix, local, j == 0 ? blockInput : null);
        if (e.inputs() != null) {
          List<String> resolved = new ArrayList<>();
          for (String name : e.inputs()) {
            resolved.add(name.equals("$in") ? blockInput : local.getOrDefault(name, name));
          }
          e = new Expanded(e.layer(), e.type(), e.name(), e.named(), resolved);
        }
        out.add(e);
      }
    }
  }

  /**
   * A layer object at {@code index} of the expanded list, its name prefixed inside a block
   * use. {@code firstInput}, when set, feeds a block's first layer that names no inputs.
   */
  private static Expanded plain(JsonNode entry, int index, String prefix,
      Map<String, String> local, String firstInput) {
    if (!entry.isObject()) {
      throw SpecException.at(index, null, null, "expected a JSON object, got " + entry);
    }
    ObjectNode layer = ((ObjectNode) entry).deepCopy();
    JsonNode typeNode = layer.get("type");
    String type = typeNode != null && typeNode.isTextual() ? typeNode.textValue() : null;
    JsonFields f = new JsonFields(entry, index, type);
    boolean named = f.has("name");
    String name = named ? f.text("name", null) : null;
    if (named && (name.isEmpty() || prefix != null && name.contains("/"))) {
      throw f.error("name", "must be a non-empty name" + (prefix == null ? ""
          : " without '/' (a block's layer names get their use's name and '/' in front)")
          + ", got \"" + name + "\"");
    }
    if (named && prefix != null) {
      name = prefix + "/" + name;
    }
    if (!named) {
      name = (prefix == null ? "" : prefix + "/") + (type == null ? "layer" : type) + "_" + index;
    }
    List<String> inputs = inputNames(entry, f);
    if (inputs == null && firstInput != null) {
      inputs = List.of(firstInput);
    }
    layer.remove("name");
    layer.remove("inputs");
    return new Expanded(layer, type, name, named || prefix != null, inputs);
  }

  private static List<String> inputNames(JsonNode entry, JsonFields f) {
    if (!f.has("inputs")) {
      return null;
    }
    JsonNode inputs = entry.get("inputs");
    if (!inputs.isArray() || inputs.isEmpty()) {
      throw f.error("inputs", "expected a non-empty array of layer names, got " + inputs);
    }
    List<String> names = new ArrayList<>();
    for (JsonNode n : inputs) {
      if (!n.isTextual()) {
        throw f.error("inputs", "expected layer names as strings, got " + inputs);
      }
      names.add(n.textValue());
    }
    return names;
  }

  private static Map<String, JsonNode> arguments(Block block, JsonNode with, JsonFields f) {
    Map<String, JsonNode> args = new LinkedHashMap<>(block.params());
    if (with != null && !with.isNull()) {
      if (!with.isObject()) {
        throw f.error("with", "expected an object of parameter values, got " + with);
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = with.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> arg = it.next();
        if (!block.params().containsKey(arg.getKey())) {
          throw f.error("with", "\"" + arg.getKey() + "\" is not a parameter of block \""
              + block.name() + "\" (parameters: " + block.params().keySet() + ")");
        }
        args.put(arg.getKey(), arg.getValue());
      }
    }
    for (Map.Entry<String, JsonNode> arg : args.entrySet()) {
      if (arg.getValue() == null || arg.getValue().isNull()) {
        throw f.error("with", "block \"" + block.name() + "\" needs a value for \""
            + arg.getKey() + "\"");
      }
    }
    return args;
  }

  /** The template with every {@code "$param"} value replaced by its argument. */
  private static ObjectNode substitute(ObjectNode template, Map<String, JsonNode> args,
      Block block, int j) {
    ObjectNode layer = template.deepCopy();
    for (Iterator<Map.Entry<String, JsonNode>> it = layer.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (field.getKey().equals("inputs") || field.getKey().equals("name")) {
        continue;
      }
      JsonNode value = field.getValue();
      if (value.isTextual() && value.textValue().startsWith("$")) {
        String param = value.textValue().substring(1);
        JsonNode arg = args.get(param);
        if (arg == null) {
          throw SpecException.top("blocks." + block.name() + ".layers[" + j + "]."
              + field.getKey(), "\"" + value.textValue() + "\" is not a parameter of the block"
              + " (parameters: " + block.params().keySet() + ")");
        }
        field.setValue(arg.deepCopy());
      }
    }
    return layer;
  }
}
