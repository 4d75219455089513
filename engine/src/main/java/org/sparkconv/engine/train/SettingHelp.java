package org.sparkconv.engine.train;

import java.util.List;
import java.util.Locale;

/**
 * One job setting as {@code --list-settings} shows it: its key as {@code --set} takes it, its
 * type, its default ("-" when it has none) and what it does.
 */
public record SettingHelp(String key, String type, String defaultValue, String meaning) {

  /** The settings every job file has (the engine's part). */
  public static final List<SettingHelp> JOB = List.of(
      new SettingHelp("model", "path", "-", "model spec (JSON), or a model file (.spcv) to"
          + " fine-tune; relative to the job file"),
      new SettingHelp("data.format", "text", "idx", "idx, cifar, image_folder or parquet"),
      new SettingHelp("data.dir", "path", ".", "folder the data file names are relative to"),
      new SettingHelp("data.classes", "integer", "10", "number of classes"),
      new SettingHelp("data.train_images", "file", "-", "idx: training images"),
      new SettingHelp("data.train_labels", "file", "-", "idx: training labels"),
      new SettingHelp("data.test_images", "file", "-", "idx: test images"),
      new SettingHelp("data.test_labels", "file", "-", "idx: test labels"),
      new SettingHelp("epochs", "integer", "1", "passes over the training data"),
      new SettingHelp("batch_size", "integer", "64", "examples per optimizer step (global)"),
      new SettingHelp("seed", "integer", "1", "initialisation, order and augmentation"),
      new SettingHelp("train_limit", "integer", "0", "train on the first n images (0: all)"),
      new SettingHelp("test_limit", "integer", "0", "evaluate on the first n test images"
          + " (0: all)"),
      new SettingHelp("normalize", "text", "dataset", "dataset, unit, or {mean, std}"),
      new SettingHelp("label_smoothing", "number", "0", "label smoothing factor"),
      new SettingHelp("progress_seconds", "number", "5", "single JVM: seconds between progress"
          + " lines"),
      new SettingHelp("output", "path", "model.spcv", "model file to write"),
      new SettingHelp("optimizer.type", "text", "sgd", "sgd, adam or adamw"),
      new SettingHelp("optimizer.lr", "number", "0.01", "learning rate"),
      new SettingHelp("optimizer.momentum", "number", "0", "sgd momentum"),
      new SettingHelp("optimizer.nesterov", "boolean", "false", "Nesterov momentum"),
      new SettingHelp("optimizer.beta1", "number", "0.9", "adam first-moment decay"),
      new SettingHelp("optimizer.beta2", "number", "0.999", "adam second-moment decay"),
      new SettingHelp("optimizer.eps", "number", "1e-8", "adam epsilon"),
      new SettingHelp("optimizer.weight_decay", "number", "0", "L2 (sgd, adam) or decoupled"
          + " (adamw) weight decay"),
      new SettingHelp("optimizer.l1", "number", "0", "L1 penalty"),
      new SettingHelp("optimizer.decay_bias_and_norm", "boolean", "false", "decay biases and"
          + " norm parameters too"),
      new SettingHelp("optimizer.clip_norm", "number", "0", "clip the gradient's norm (0: off)"),
      new SettingHelp("schedule.type", "text", "constant", "constant, step, exponential or cosine"),
      new SettingHelp("schedule.warmup_epochs", "number", "0", "linear warm-up length"),
      new SettingHelp("schedule.step_epochs", "number", "0", "step: epochs between decays"),
      new SettingHelp("schedule.gamma", "number", "1", "step, exponential: decay factor"),
      new SettingHelp("schedule.min_lr", "number", "0", "cosine: final learning rate"),
      new SettingHelp("augment.crop_padding", "integer", "0", "random crops with this padding"),
      new SettingHelp("augment.flip", "boolean", "false", "random horizontal flips"));

  /** The settings as a table, one per line. */
  public static String table(List<SettingHelp> settings) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-34s %-8s %-11s %s%n",
        "setting (--set KEY=VALUE)", "type", "default", "meaning"));
    for (SettingHelp s : settings) {
      out.append(String.format(Locale.ROOT, "%-34s %-8s %-11s %s%n", s.key, s.type,
          s.defaultValue, s.meaning));
    }
    return out.toString();
  }
}
