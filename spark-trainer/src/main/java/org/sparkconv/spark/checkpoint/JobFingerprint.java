package org.sparkconv.spark.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.train.TrainSettings;

/**
 * Everything about a job that a resumed run must share with the run that wrote the checkpoint
 * for the result to be the same: the model, the data plan, how it trains. Stored in every
 * checkpoint as setting -> value, so a mismatch can be reported setting by setting.
 */
public record JobFingerprint(Map<String, String> settings) {

  /**
   * The fingerprint of a job: its model, data, training settings and the synchronisation
   * rule's own settings {@code sync} (e.g. {@code spark.mode}).
   */
  public static JobFingerprint of(NetworkSpec spec, TrainSettings train, Map<String, String> sync,
      int partitions, Normalization normalization, String trainSource) {
    Map<String, String> m = new TreeMap<>();
    m.put("model", SpecJson.toTree(spec).toString());
    m.put("data.train", trainSource);
    m.put("epochs", Integer.toString(train.epochs()));
    m.put("batch_size", Integer.toString(train.batchSize()));
    m.put("seed", Long.toString(train.seed()));
    m.put("optimizer", train.optimizer().toString());
    m.put("schedule", train.schedule().toString());
    m.put("label_smoothing", Float.toString(train.labelSmoothing()));
    m.put("augment", train.augmentation().toString());
    m.put("normalize", Arrays.toString(normalization.mean()) + " / "
        + Arrays.toString(normalization.std()));
    m.putAll(sync);
    m.put("spark.partitions", Integer.toString(partitions));
    return new JobFingerprint(m);
  }

  /** The settings that differ, each as "name: checkpoint X, this job Y". */
  public List<String> differences(JobFingerprint job) {
    List<String> out = new ArrayList<>();
    TreeMap<String, String> all = new TreeMap<>(settings);
    job.settings.forEach(all::putIfAbsent);
    for (String key : all.keySet()) {
      String mine = settings.get(key);
      String theirs = job.settings.get(key);
      if (mine == null || !mine.equals(theirs)) {
        out.add(key + ": checkpoint " + shorten(mine) + ", this job " + shorten(theirs));
      }
    }
    return out;
  }

  private static String shorten(String s) {
    return s == null ? "(absent)" : s.length() > 120 ? s.substring(0, 117) + "..." : s;
  }
}
