package org.sparkconv.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.Locations;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;

/**
 * The engine's part of a job file: which model file, which data, how to train, how to
 * normalise, where to write the model. Paths inside the file are relative to the file's own
 * folder. Unknown or invalid settings fail at once with the file (or the command-line
 * {@code --set}) and the setting's name. Sections that other parts of the system read (the
 * Spark trainer's {@code spark} and {@code checkpoint}) are named by the caller and left to
 * them. {@code output} is a local path or a Hadoop FileSystem URI.
 */
public record JobConfig(String source, String model, DataSpec data, TrainSettings train,
    NormalizationChoice normalize, int trainLimit, int testLimit, String output) {

  private static final Set<String> FIELDS = Set.of("model", "data", "epochs", "batch_size",
      "seed", "optimizer", "schedule", "normalize", "augment", "label_smoothing", "train_limit",
      "test_limit", "output", "progress_seconds");

  /**
   * Reads {@code path} with {@code overrides} applied. {@code sectionsReadElsewhere} are
   * top-level sections that other components read from the same file (the single-JVM trainer
   * passes the Spark trainer's, which it ignores).
   */
  public static JobConfig read(Path path, List<String> overrides,
      Set<String> sectionsReadElsewhere) {
    return parse(JobFile.read(path, overrides), sectionsReadElsewhere);
  }

  /** The engine's part of {@code file}. */
  public static JobConfig parse(JobFile file, Set<String> sectionsReadElsewhere) {
    JobSettings s = file.settings();
    Set<String> allowed = new HashSet<>(FIELDS);
    allowed.addAll(sectionsReadElsewhere);
    s.rejectUnknown(allowed);
    String base = file.base();
    String model = location(base, s.text("model"));
    DataSpec data = data(s.child("data"), base);

    JobSettings o = s.child("optimizer");
    o.rejectUnknown(Set.of("type", "lr", "momentum", "nesterov", "beta1", "beta2", "eps",
        "weight_decay", "l1", "decay_bias_and_norm", "clip_norm"));
    OptimizerSpec optimizer = o.construct(() -> new OptimizerSpec(o.text("type", "sgd"),
        o.number("lr", 0.01f), o.number("momentum", 0f), o.bool("nesterov", false),
        o.number("beta1", 0.9f), o.number("beta2", 0.999f), o.number("eps", 1e-8f),
        o.number("weight_decay", 0f), o.number("l1", 0f), o.bool("decay_bias_and_norm", false),
        o.number("clip_norm", 0f)));

    JobSettings sc = s.child("schedule");
    sc.rejectUnknown(Set.of("type", "warmup_epochs", "step_epochs", "gamma", "min_lr"));
    Schedule schedule = sc.construct(() -> new Schedule(sc.text("type", "constant"),
        sc.number("warmup_epochs", 0f), sc.number("step_epochs", 0f), sc.number("gamma", 1f),
        sc.number("min_lr", 0f)));

    JobSettings a = s.child("augment");
    a.rejectUnknown(Set.of("crop_padding", "flip"));
    Augmentation augmentation = a.construct(
        () -> new Augmentation(a.integer("crop_padding", 0), a.bool("flip", false)));

    TrainSettings train = s.construct(() -> new TrainSettings(s.integer("epochs", 1),
        s.integer("batch_size", 64), s.longInteger("seed", 1L), optimizer, schedule,
        s.number("label_smoothing", 0f), augmentation, s.number("progress_seconds", 5f)));

    int limit = s.integer("train_limit", 0);
    if (limit < 0) {
      throw s.error("train_limit", "must be >= 0 (0 means all), got " + limit);
    }
    int testLimit = s.integer("test_limit", 0);
    if (testLimit < 0) {
      throw s.error("test_limit", "must be >= 0 (0 means all), got " + testLimit);
    }
    String output = location(base, s.text("output", "model.spcv"));
    return new JobConfig(file.source(), model, data, train, normalize(s), limit, testLimit,
        output);
  }

  private static NormalizationChoice normalize(JobSettings s) {
    if (!s.has("normalize")) {
      return new NormalizationChoice.Dataset();
    }
    JsonNode n = s.get("normalize");
    if (n.isTextual() && n.textValue().equals("dataset")) {
      return new NormalizationChoice.Dataset();
    }
    if (n.isTextual() && n.textValue().equals("unit")) {
      return new NormalizationChoice.Unit();
    }
    if (n.isObject()) {
      JobSettings ns = s.child("normalize");
      ns.rejectUnknown(Set.of("mean", "std"));
      float[] mean = ns.numbers("mean");
      float[] std = ns.numbers("std");
      return new NormalizationChoice.Given(ns.construct(() -> new Normalization(mean, std)),
          s.source());
    }
    throw s.error("normalize", "expected \"dataset\", \"unit\" or {\"mean\": [...],"
        + " \"std\": [...]}, got " + n);
  }

  private static DataSpec data(JobSettings d, String base) {
    String format = d.text("format", "idx");
    String dir = location(base, d.text("dir", "."));
    int classes = d.integer("classes", 10);
    if (classes <= 1) {
      throw d.error("classes", "must be at least 2, got " + classes);
    }
    switch (format) {
      case "idx" -> {
        d.rejectUnknown(Set.of("format", "dir", "classes", "train_images", "train_labels",
            "test_images", "test_labels"));
        return new DataSpec.Idx(classes, location(dir, d.text("train_images")),
            location(dir, d.text("train_labels")), location(dir, d.text("test_images")),
            location(dir, d.text("test_labels")));
      }
      case "cifar" -> {
        d.rejectUnknown(Set.of("format", "dir", "classes", "train_files", "test_files"));
        return new DataSpec.Cifar(classes, locations(d, "train_files", dir),
            locations(d, "test_files", dir));
      }
      case "image_folder" -> {
        d.rejectUnknown(Set.of("format", "dir", "classes", "train_path", "test_path"));
        return new DataSpec.ImageFolder(classes, location(dir, d.text("train_path")),
            location(dir, d.text("test_path")));
      }
      case "parquet" -> {
        d.rejectUnknown(Set.of("format", "dir", "classes", "train_path", "test_path",
            "image_column", "label_column", "pixel_range"));
        String range = d.text("pixel_range", "0-255");
        if (!range.equals("0-255") && !range.equals("0-1")) {
          throw d.error("pixel_range", "must be \"0-255\" or \"0-1\", got \"" + range + "\"");
        }
        return new DataSpec.Parquet(classes, location(dir, d.text("train_path")),
            location(dir, d.text("test_path")), d.text("image_column", "image"),
            d.text("label_column", "label"), range.equals("0-1"));
      }
      default -> throw d.error("format", "must be \"idx\", \"cifar\", \"image_folder\" or"
          + " \"parquet\", got \"" + format + "\"");
    }
  }

  /** {@code name} against {@code dir}, unless it is absolute or a URI. */
  static String location(String dir, String name) {
    if (Locations.isUri(name) || name.startsWith("/")) {
      return name;
    }
    if (Locations.isUri(dir)) {
      // URI resolution normalises "../"; it drops an empty authority ("file:///x" becomes
      // "file:/x"), which is put back so the result is still a URI as written.
      java.net.URI u = java.net.URI.create(dir.endsWith("/") ? dir : dir + "/")
          .resolve(name.replace(" ", "%20"));
      return (u.getScheme() + "://" + (u.getRawAuthority() == null ? "" : u.getRawAuthority())
          + u.getRawPath()).replace("%20", " ");
    }
    return Path.of(dir).resolve(name).normalize().toString();
  }

  private static List<String> locations(JobSettings d, String field, String dir) {
    JsonNode v = d.get(field);
    if (v == null || !v.isArray() || v.isEmpty()) {
      throw d.error(field, "expected a non-empty array of file names, got " + v);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : v) {
      if (!n.isTextual()) {
        throw d.error(field, "expected file names as strings, got " + n);
      }
      out.add(location(dir, n.textValue()));
    }
    return out;
  }

  /** The normalisation this job asks for, computed on {@code train} when it says "dataset". */
  public Normalization normalization(ImageSet train) {
    return normalize.resolve(train.shape().channels(), () -> Normalization.of(train));
  }
}
