package org.sparkconv.spark.score;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.spark.data.HadoopFiles;
import org.sparkconv.spark.wire.ConfusionCounts;
import org.sparkconv.spark.wire.ScoredImage;

/**
 * What a scoring run writes: one row per image (Parquet, or CSV with the top classes in one
 * column), committed by renaming a complete temporary folder into place, and
 * {@code <output>.metrics.json} with the counts, accuracy, per-class accuracy and confusion
 * matrix.
 */
final class ScoreOutput {

  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("label", DataTypes.IntegerType, true)
      .add("prediction", DataTypes.IntegerType, true)
      .add("class", DataTypes.StringType, true)
      .add("top_classes", DataTypes.createArrayType(DataTypes.StringType), true)
      .add("top_probabilities", DataTypes.createArrayType(DataTypes.FloatType), true)
      .add("error", DataTypes.StringType, true);

  private static final StructType CSV_SCHEMA = new StructType()
      .add("id", DataTypes.StringType).add("label", DataTypes.IntegerType)
      .add("prediction", DataTypes.IntegerType).add("class", DataTypes.StringType)
      .add("top", DataTypes.StringType).add("error", DataTypes.StringType);

  private final ScoreSettings settings;
  private final List<String> classNames;

  ScoreOutput(ScoreSettings settings, List<String> classNames) {
    this.settings = settings;
    this.classNames = classNames;
  }

  /** Writes the rows to a temporary folder beside {@code out}, then renames it into place. */
  void commitRows(SparkSession session, JavaRDD<ScoredImage> results, Path out, FileSystem fs,
      Configuration hadoop) throws Exception {
    Path tmp = new Path(out.getParent(), "." + out.getName() + "." + UUID.randomUUID() + ".tmp");
    boolean csv = settings.outputFormat().equals("csv");
    List<String> names = classNames;
    JavaRDD<Row> rows = results.map(r -> toRow(r, names, csv));
    Dataset<Row> frame = session.createDataFrame(rows, csv ? CSV_SCHEMA : SCHEMA);
    try {
      if (csv) {
        frame.write().option("header", "true").csv(tmp.toString());
      } else {
        frame.write().parquet(tmp.toString());
      }
      if (fs.exists(out)) {
        fs.delete(out, true);
      }
      FileContext.getFileContext(out.toUri(), hadoop).rename(tmp, out);
    } finally {
      if (fs.exists(tmp)) {
        fs.delete(tmp, true);
      }
    }
  }

  static Row toRow(ScoredImage r, List<String> names, boolean csv) {
    Integer label = r.label() < 0 ? null : r.label();
    Integer prediction = r.prediction() < 0 ? null : r.prediction();
    List<String> top = new ArrayList<>();
    List<Float> probs = new ArrayList<>();
    for (int j = 0; j < r.topClasses().length; j++) {
      top.add(names.get(r.topClasses()[j]));
      probs.add(r.topProbabilities()[j]);
    }
    if (csv) {
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < top.size(); j++) {
        sb.append(j == 0 ? "" : ";").append(top.get(j)).append(':')
            .append(String.format(Locale.ROOT, "%.4f", probs.get(j)));
      }
      return RowFactory.create(r.id(), label, prediction, r.className(), sb.toString(), r.error());
    }
    return RowFactory.create(r.id(), label, prediction, r.className(),
        scala.jdk.javaapi.CollectionConverters.asScala(top).toSeq(),
        scala.jdk.javaapi.CollectionConverters.asScala(probs).toSeq(), r.error());
  }

  /** Writes {@code <output>.metrics.json} atomically. */
  void writeMetrics(ConfusionCounts m, Evaluation e, Configuration hadoop) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("images", m.images());
    root.put("errors", m.errors());
    root.put("labelled", e.count());
    if (e.count() > 0) {
      root.put("accuracy", e.accuracy());
      ObjectNode perClass = root.putObject("per_class_accuracy");
      ArrayNode confusion = root.putArray("confusion");
      for (int c = 0; c < classNames.size(); c++) {
        perClass.put(classNames.get(c), e.classAccuracy(c));
        ArrayNode row = confusion.addArray();
        for (long v : e.confusion()[c]) {
          row.add(v);
        }
      }
    }
    HadoopFiles.writeAtomically(HadoopFiles.path(settings.output() + ".metrics.json"),
        json.writerWithDefaultPrettyPrinter().writeValueAsString(root)
            .getBytes(StandardCharsets.UTF_8), hadoop);
  }
}
