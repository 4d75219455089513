package org.sparkconv.engine.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.SpecException;
import org.sparkconv.engine.tensor.Shape;

/**
 * The JSON form of a {@link NetworkSpec}, as model files in {@code conf/models/} use it:
 *
 * <pre>
 * {"name": "lenet5",
 *  "input": {"channels": 1, "height": 28, "width": 28},
 *  "classes": ["T-shirt/top", ...],                      (optional)
 *  "layers": [{"type": "conv2d", "out_channels": 6, "kernel": 5, "padding": 2}, ...]}
 * </pre>
 *
 * Each layer (see {@link LayerJson}) takes the output of the layer before it. A graph names
 * layers ({@code "name": "stem"}) and gives a layer other inputs ({@code "inputs": ["branch",
 * "stem"]}, names of earlier layers, {@code "input"} for the network input); {@code add} and
 * {@code concat} merge two or more. Repeated structure is written once under {@code "blocks"} and
 * instantiated with parameters ({@link BlockTemplates}). Reading is strict: unknown fields, wrong
 * types, unknown or later input names fail with the file, the layer index, name and type, and
 * the field. Writing emits every layer of the expanded graph with every field, and a name and
 * inputs only where they are not the defaults, so a chain's file looks as it always did and
 * write then read gives an equal spec.
 */
public final class SpecJson {

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private SpecJson() {}

  /** Reads and validates the model file at {@code path}. */
  public static NetworkSpec read(Path path) {
    String text;
    try {
      text = Files.readString(path);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("model file " + path + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read model file " + path + ": " + e, e);
    }
    return parse(text, path.toString());
  }

  /** Parses and validates a model spec; {@code source} names it in errors. */
  public static NetworkSpec parse(String json, String source) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SpecException(source, -1, null, null, "not valid JSON: "
          + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr());
    }
    try {
      NetworkSpec spec = fromTree(root);
      spec.shapes();
      return spec;
    } catch (SpecException e) {
      throw e.inSource(source);
    }
  }

  /** Builds a spec from a parsed JSON tree (shapes not yet validated). */
  public static NetworkSpec fromTree(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw SpecException.top(null, "a model spec must be a JSON object");
    }
    JsonFields top = new JsonFields(root, -1, null);
    top.rejectUnknown(Set.of("name", "input", "classes", "layers", "pattern", "blocks"));
    String name = top.text("name", "model");
    Shape input = inputShape(top.require("input",
        "{\"channels\": C, \"height\": H, \"width\": W}"));
    List<String> classes = classNames(top, root);
    if (top.has("pattern")) {
      if (top.has("layers") || top.has("blocks")) {
        throw SpecException.top("pattern", "give either \"layers\" (with \"blocks\") or"
            + " \"pattern\", not both");
      }
      List<LayerSpec> layers = PatternSpec.fromJson(root.get("pattern"), classes.size())
          .expand();
      return NetworkSpec.sequential(name, input, layers, classes);
    }
    JsonNode layerNodes = top.require("layers", "an array of layers (or a \"pattern\")");
    if (!layerNodes.isArray()) {
      throw SpecException.top("layers", "expected an array of layers, got " + layerNodes);
    }
    List<BlockTemplates.Expanded> expanded =
        BlockTemplates.expand(layerNodes, top.has("blocks") ? root.get("blocks") : null);
    return new NetworkSpec(name, input, nodes(expanded), classes);
  }

  /** Resolves every layer's input names to earlier layers and parses the layers. */
  private static List<Node> nodes(List<BlockTemplates.Expanded> expanded) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < expanded.size(); i++) {
      BlockTemplates.Expanded e = expanded.get(i);
      Integer before = index.putIfAbsent(e.name(), i);
      if (before != null || e.name().equals(Node.INPUT_NAME)) {
        throw SpecException.at(i, e.type(), "name", "\"" + e.name() + "\" is already "
            + (before == null ? "the name of the network input" : "the name of layer " + before)
            + "; names must be unique").atNode(e.name());
      }
    }
    List<Node> nodes = new ArrayList<>(expanded.size());
    for (int i = 0; i < expanded.size(); i++) {
      BlockTemplates.Expanded e = expanded.get(i);
      List<Integer> inputs = new ArrayList<>();
      if (e.inputs() == null) {
        inputs.add(i - 1);
      } else {
        for (String inputName : e.inputs()) {
          inputs.add(resolve(inputName, i, e, index));
        }
      }
      LayerSpec layer;
      try {
        layer = LayerJson.layer(e.layer(), i);
      } catch (SpecException ex) {
        throw e.named() ? ex.atNode(e.name()) : ex;
      }
      nodes.add(new Node(e.name(), layer, inputs));
    }
    return nodes;
  }

  private static int resolve(String inputName, int i, BlockTemplates.Expanded e,
      Map<String, Integer> index) {
    if (inputName.equals(Node.INPUT_NAME)) {
      return Node.INPUT;
    }
    Integer ref = index.get(inputName);
    String problem = null;
    if (ref == null) {
      problem = "no layer is named \"" + inputName + "\"";
    } else if (ref == i) {
      problem = "\"" + inputName + "\" is this layer itself: a graph may not have a cycle";
    } else if (ref > i) {
      problem = "\"" + inputName + "\" is layer " + ref + ", after this one: inputs must come"
          + " before the layer that takes them, so a graph has no cycles";
    }
    if (problem == null) {
      return ref;
    }
    SpecException ex = SpecException.at(i, e.type(), "inputs", problem + " (expected \""
        + Node.INPUT_NAME + "\" or the name of an earlier layer)");
    throw e.named() ? ex.atNode(e.name()) : ex;
  }

  private static Shape inputShape(JsonNode inputNode) {
    JsonFields input = new JsonFields(inputNode, -1, null);
    input.rejectUnknown(Set.of("channels", "height", "width"));
    int c = input.integer("channels");
    int h = input.integer("height");
    int w = input.integer("width");
    if (c <= 0 || h <= 0 || w <= 0) {
      throw SpecException.top("input", "channels, height and width must be positive, got ("
          + c + ", " + h + ", " + w + ")");
    }
    if ((long) c * h * w > Integer.MAX_VALUE - 8) {
      throw SpecException.top("input", "an example of " + c + "x" + h + "x" + w + " holds "
          + (long) c * h * w + " values; one array holds at most 2^31");
    }
    return new Shape(c, h, w);
  }

  private static List<String> classNames(JsonFields top, JsonNode root) {
    List<String> classes = new ArrayList<>();
    if (top.has("classes")) {
      JsonNode names = root.get("classes");
      if (!names.isArray()) {
        throw SpecException.top("classes", "expected an array of class names, got " + names);
      }
      for (JsonNode n : names) {
        if (!n.isTextual()) {
          throw SpecException.top("classes", "expected class names as strings, got " + n);
        }
        classes.add(n.textValue());
      }
    }
    return classes;
  }

  /** The JSON text of {@code spec}, every field written out. */
  public static String write(NetworkSpec spec) {
    try {
      return MAPPER.writeValueAsString(toTree(spec));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree built in memory", e);
    }
  }

  /** The JSON tree of {@code spec}. */
  public static ObjectNode toTree(NetworkSpec spec) {
    ObjectNode root = NODES.objectNode();
    root.put("name", spec.name());
    ObjectNode input = root.putObject("input");
    input.put("channels", spec.input().channels());
    input.put("height", spec.input().height());
    input.put("width", spec.input().width());
    if (!spec.classNames().isEmpty()) {
      ArrayNode classes = root.putArray("classes");
      spec.classNames().forEach(classes::add);
    }
    ArrayNode layers = root.putArray("layers");
    for (int i = 0; i < spec.nodes().size(); i++) {
      Node node = spec.nodes().get(i);
      ObjectNode layer = LayerJson.tree(node.layer());
      if (!node.name().equals(Node.defaultName(node.layer(), i))) {
        layer.put("name", node.name());
      }
      if (!node.isChained(i)) {
        ArrayNode inputs = layer.putArray("inputs");
        node.inputs().forEach(ref -> inputs.add(spec.nameOf(ref)));
      }
      layers.add(layer);
    }
    return root;
  }
}
