package org.sparkconv.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.sparkconv.engine.data.Normalization;

/**
 * What a model file says about its model besides the numbers, stored as JSON in the file's
 * metadata section: the input normalisation it was trained with (scoring must apply the same),
 * the epochs trained and the last test accuracy, and for checkpoints where training stood and the
 * job that wrote it (setting -> value). Every part may be absent ({@link #NONE}).
 *
 * @param normalization per-channel mean and std of {@code p / 255}; null when not recorded
 * @param epochs epochs the model was trained for; 0 when not recorded
 * @param testAccuracy last test accuracy in [0, 1]; null when not recorded
 * @param position for a checkpoint, the next round to run; null for a finished model
 * @param job for a checkpoint, the fingerprint of the job that wrote it; empty otherwise
 */
public record ModelMetadata(Normalization normalization, int epochs, Double testAccuracy,
    Position position, Map<String, String> job) {

  /** Nothing recorded. */
  public static final ModelMetadata NONE = new ModelMetadata(null, 0, null, null, Map.of());

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where training stood when a checkpoint was written: the next round to run. */
  public record Position(int epoch, int round, long roundsDone) {}

  public ModelMetadata {
    job = Map.copyOf(job);
  }

  /** A finished model trained with {@code normalization}. */
  public static ModelMetadata trained(Normalization normalization, int epochs,
      Double testAccuracy) {
    return new ModelMetadata(normalization, epochs, testAccuracy, null, Map.of());
  }

  /** This metadata as a checkpoint's, at {@code position} of the job {@code job}. */
  public ModelMetadata atCheckpoint(Position position, Map<String, String> job) {
    return new ModelMetadata(normalization, epochs, testAccuracy, Objects.requireNonNull(position),
        job);
  }

  public boolean isCheckpoint() {
    return position != null;
  }

  /** The JSON text stored in the file. */
  public String toJson() {
    ObjectNode meta = JSON.createObjectNode();
    if (normalization != null) {
      ObjectNode norm = meta.putObject("normalization");
      ArrayNode mean = norm.putArray("mean");
      ArrayNode std = norm.putArray("std");
      for (int c = 0; c < normalization.mean().length; c++) {
        mean.add(normalization.mean()[c]);
        std.add(normalization.std()[c]);
      }
    }
    if (epochs > 0) {
      meta.put("epochs", epochs);
    }
    if (testAccuracy != null) {
      meta.put("test_accuracy", testAccuracy);
    }
    if (position != null) {
      meta.put("kind", "checkpoint");
      meta.put("epoch", position.epoch());
      meta.put("round", position.round());
      meta.put("rounds_done", position.roundsDone());
      ObjectNode o = meta.putObject("job");
      new TreeMap<>(job).forEach(o::put);
    }
    return meta.toString();
  }

  /**
   * Reads the metadata section of the model file {@code source}; fields it does not know are
   * ignored (newer writers), fields it knows must have the right type.
   */
  public static ModelMetadata parse(String json, String source) {
    JsonNode meta;
    try {
      meta = json.isBlank() ? JSON.createObjectNode() : JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(source + ": metadata is not valid JSON: "
          + e.getOriginalMessage());
    }
    if (!meta.isObject()) {
      throw new IllegalArgumentException(source + ": metadata must be a JSON object");
    }
    Normalization normalization = null;
    JsonNode n = meta.get("normalization");
    if (n != null) {
      float[] mean = floats(n.get("mean"), source, "normalization.mean");
      float[] std = floats(n.get("std"), source, "normalization.std");
      try {
        normalization = new Normalization(mean, std);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + ": metadata 'normalization': "
            + e.getMessage());
      }
    }
    int epochs = meta.has("epochs") ? integer(meta, "epochs", source) : 0;
    Double accuracy = meta.has("test_accuracy") ? meta.get("test_accuracy").asDouble() : null;
    Position position = null;
    Map<String, String> job = Map.of();
    if (meta.path("kind").asText().equals("checkpoint")) {
      position = new Position(integer(meta, "epoch", source), integer(meta, "round", source),
          meta.path("rounds_done").asLong(-1));
      if (position.roundsDone() < 0) {
        throw new IllegalArgumentException(source + ": metadata 'rounds_done' is missing");
      }
      Map<String, String> m = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = meta.path("job").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        m.put(e.getKey(), e.getValue().asText());
      }
      job = m;
    }
    return new ModelMetadata(normalization, epochs, accuracy, position, job);
  }

  private static int integer(JsonNode meta, String field, String source) {
    JsonNode v = meta.get(field);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException(source + ": metadata '" + field
          + "' must be an integer, got " + v);
    }
    return v.intValue();
  }

  private static float[] floats(JsonNode v, String source, String field) {
    if (v == null || !v.isArray()) {
      throw new IllegalArgumentException(source + ": metadata '" + field
          + "' must be an array of numbers, got " + v);
    }
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) v.get(i).asDouble();
    }
    return out;
  }
}
