package org.sparkconv.engine.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.sparkconv.engine.data.Augmentation;
import java.util.function.Function;
import org.sparkconv.engine.data.CifarReader;
import org.sparkconv.engine.data.DataSource;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.optim.Schedule;

/**
 * A training job as a job file in {@code conf/jobs/} describes it: which model file, which data,
 * how to train, where to write the model. Paths inside the file are relative to the file's own
 * folder. Unknown or invalid settings fail at once with the file and the setting's name. The
 * {@code spark} and {@code checkpoint} sections are kept as written for the Spark trainer,
 * which validates them. {@code output} is a local path or a Hadoop FileSystem URI.
 */
public record JobConfig(String source, Path model, Data data, TrainSettings train,
    String normalize, float[] normalizeMean, float[] normalizeStd, int trainLimit,
    String output, JsonNode spark, JsonNode checkpoint) {

  /**
   * Where the images are: {@code idx} (four files), {@code cifar} (lists of batch files),
   * {@code image_folder} (PNG/JPEG files under one sub-folder per class) or {@code parquet}
   * (a label column and an image column); the last two are read by the Spark trainer on its
   * executors. Locations are local paths (resolved against the job file's folder) or URIs such as
   * {@code hdfs://namenode/data/x.gz}, kept as written.
   */
  public record Data(String format, int classes, String trainImages, String trainLabels,
      String testImages, String testLabels, List<String> trainFiles, List<String> testFiles,
      String trainPath, String testPath, String imageColumn, String labelColumn,
      boolean unitRange) {

    /** Whether the driver reads this format itself (else executors read it, through Spark). */
    public boolean readByDriver() {
      return format.equals("idx") || format.equals("cifar");
    }

    /** The training split, from local files. */
    public ImageSet readTrain() {
      return readTrain(DataSource::local);
    }

    /** The test split, from local files. */
    public ImageSet readTest() {
      return readTest(DataSource::local);
    }

    /** The training split, opening each location with {@code open}. */
    public ImageSet readTrain(Function<String, DataSource> open) {
      requireDriverFormat();
      return format.equals("idx")
          ? IdxReader.read(open.apply(trainImages), open.apply(trainLabels), classes)
          : CifarReader.readSources(trainFiles.stream().map(open).toList(), classes);
    }

    private void requireDriverFormat() {
      if (!readByDriver()) {
        throw new IllegalArgumentException("data.format " + format + " is read by the Spark"
            + " trainer's executors: run it with scripts/train-local.sh (Spark local mode), not"
            + " --single-jvm");
      }
    }

    /** The test split, opening each location with {@code open}. */
    public ImageSet readTest(Function<String, DataSource> open) {
      requireDriverFormat();
      return format.equals("idx")
          ? IdxReader.read(open.apply(testImages), open.apply(testLabels), classes)
          : CifarReader.readSources(testFiles.stream().map(open).toList(), classes);
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Reads {@code path} and applies {@code overrides} ({@code setting=value}) before parsing. */
  public static JobConfig read(Path path, List<String> overrides) {
    String text;
    try {
      text = Files.readString(path);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("job file " + path + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read job file " + path + ": " + e, e);
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(path + ": not valid JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr());
    }
    if (!(tree instanceof ObjectNode root)) {
      throw new IllegalArgumentException(path + ": a job file must be a JSON object");
    }
    for (String o : overrides) {
      JobSettings.override(root, o, path.toString());
    }
    Path base = path.toAbsolutePath().getParent();
    return parse(root, path.toString(), base);
  }

  static JobConfig parse(JsonNode root, String source, Path base) {
    JobSettings s = new JobSettings(root, source, "");
    s.rejectUnknown(Set.of("model", "data", "epochs", "batch_size", "seed", "optimizer",
        "schedule", "normalize", "augment", "label_smoothing", "train_limit", "output",
        "progress_seconds", "spark", "checkpoint"));
    Path model = base.resolve(s.text("model")).normalize();
    Data data = data(s.child("data"), base);

    JobSettings o = s.child("optimizer");
    o.rejectUnknown(Set.of("type", "lr", "momentum", "nesterov", "beta1", "beta2", "eps",
        "weight_decay", "l1", "decay_bias_and_norm", "clip_norm"));
    OptimizerSpec optimizer = construct(source, () -> new OptimizerSpec(o.text("type", "sgd"),
        o.number("lr", 0.01f), o.number("momentum", 0f), o.bool("nesterov", false),
        o.number("beta1", 0.9f), o.number("beta2", 0.999f), o.number("eps", 1e-8f),
        o.number("weight_decay", 0f), o.number("l1", 0f), o.bool("decay_bias_and_norm", false),
        o.number("clip_norm", 0f)));

    JobSettings sc = s.child("schedule");
    sc.rejectUnknown(Set.of("type", "warmup_epochs", "step_epochs", "gamma", "min_lr"));
    Schedule schedule = construct(source, () -> new Schedule(sc.text("type", "constant"),
        sc.number("warmup_epochs", 0f), sc.number("step_epochs", 0f), sc.number("gamma", 1f),
        sc.number("min_lr", 0f)));

    JobSettings a = s.child("augment");
    a.rejectUnknown(Set.of("crop_padding", "flip"));
    Augmentation augmentation = construct(source,
        () -> new Augmentation(a.integer("crop_padding", 0), a.bool("flip", false)));

    TrainSettings train = construct(source, () -> new TrainSettings(s.integer("epochs", 1),
        s.integer("batch_size", 64), s.longInteger("seed", 1L), optimizer, schedule,
        s.number("label_smoothing", 0f), augmentation, s.number("progress_seconds", 5f)));

    String normalize = "dataset";
    float[] mean = null;
    float[] std = null;
    if (s.has("normalize")) {
      JsonNode n = s.get("normalize");
      if (n.isTextual() && (n.textValue().equals("dataset") || n.textValue().equals("unit"))) {
        normalize = n.textValue();
      } else if (n.isObject()) {
        JobSettings ns = s.child("normalize");
        ns.rejectUnknown(Set.of("mean", "std"));
        normalize = "given";
        mean = ns.numbers("mean");
        std = ns.numbers("std");
      } else {
        throw s.error("normalize", "expected \"dataset\", \"unit\" or {\"mean\": [...],"
            + " \"std\": [...]}, got " + n);
      }
    }
    int limit = s.integer("train_limit", 0);
    if (limit < 0) {
      throw s.error("train_limit", "must be >= 0 (0 means all), got " + limit);
    }
    String output = location(base, s.text("output", "model.spcv"));
    return new JobConfig(source, model, data, train, normalize, mean, std, limit, output,
        section(s, "spark"), section(s, "checkpoint"));
  }

  private static JsonNode section(JobSettings s, String name) {
    JsonNode node = s.has(name) ? s.get(name) : MAPPER.createObjectNode();
    if (!node.isObject()) {
      throw s.error(name, "expected an object, got " + node);
    }
    return node;
  }

  private static Data data(JobSettings d, Path base) {
    d.rejectUnknown(Set.of("format", "dir", "classes", "train_images", "train_labels",
        "test_images", "test_labels", "train_files", "test_files", "train_path", "test_path",
        "image_column", "label_column", "pixel_range"));
    String format = d.text("format", "idx");
    String dir = location(base, d.text("dir", "."));
    int classes = d.integer("classes", 10);
    if (classes <= 1) {
      throw d.error("classes", "must be at least 2, got " + classes);
    }
    if (format.equals("idx")) {
      return new Data(format, classes, location(dir, d.text("train_images")),
          location(dir, d.text("train_labels")), location(dir, d.text("test_images")),
          location(dir, d.text("test_labels")), List.of(), List.of(), null, null, null,
          null, false);
    }
    if (format.equals("cifar")) {
      return new Data(format, classes, null, null, null, null, locations(d, "train_files", dir),
          locations(d, "test_files", dir), null, null, null, null, false);
    }
    if (format.equals("image_folder") || format.equals("parquet")) {
      String range = d.text("pixel_range", "0-255");
      if (!range.equals("0-255") && !range.equals("0-1")) {
        throw d.error("pixel_range", "must be \"0-255\" or \"0-1\", got \"" + range + "\"");
      }
      return new Data(format, classes, null, null, null, null, List.of(), List.of(),
          location(dir, d.text("train_path")), location(dir, d.text("test_path")),
          d.text("image_column", "image"), d.text("label_column", "label"), range.equals("0-1"));
    }
    throw d.error("format", "must be \"idx\", \"cifar\", \"image_folder\" or \"parquet\","
        + " got \"" + format + "\"");
  }

  /** {@code name} against {@code dir}, unless it is absolute or a URI. */
  static String location(Path dir, String name) {
    return location(dir.toString(), name);
  }

  static String location(String dir, String name) {
    if (isUri(name) || name.startsWith("/")) {
      return name;
    }
    if (isUri(dir)) {
      return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }
    return Path.of(dir).resolve(name).normalize().toString();
  }

  private static boolean isUri(String s) {
    int scheme = s.indexOf("://");
    return scheme > 0 && s.substring(0, scheme).chars().allMatch(Character::isLetterOrDigit);
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

  /** Runs a constructor whose validation names the setting, prefixing the file name. */
  private static <T> T construct(String source, java.util.function.Supplier<T> make) {
    try {
      return make.get();
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(source)) {
        throw e;
      }
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** The normalisation this job asks for, computed on {@code train} when it says "dataset". */
  public Normalization normalization(ImageSet train) {
    return normalization(train.shape().channels(), () -> Normalization.of(train));
  }

  /**
   * The normalisation this job asks for, for images of {@code channels} channels;
   * {@code trainStatistics} computes the training set's when the job says "dataset".
   */
  public Normalization normalization(int channels,
      java.util.function.Supplier<Normalization> trainStatistics) {
    return switch (normalize) {
      case "unit" -> Normalization.unit(channels);
      case "given" -> {
        if (normalizeMean.length != channels) {
          throw new IllegalArgumentException(source + ": setting 'normalize.mean' has "
              + normalizeMean.length + " values but the images have " + channels + " channels");
        }
        yield new Normalization(normalizeMean, normalizeStd);
      }
      default -> trainStatistics.get();
    };
  }
}
