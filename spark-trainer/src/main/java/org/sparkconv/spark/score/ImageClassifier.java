package org.sparkconv.spark.score;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkconv.spark.data.PixelColumns;
import org.sparkconv.spark.wire.ImageRow;
import org.sparkconv.spark.wire.ScoredImage;
import org.sparkconv.spark.wire.TrainedModel;

/**
 * A Spark ML Transformer-style entry point for users' own pipelines: given a DataFrame with an
 * image column (8-bit CHW pixels of the model's shape, as binary or an array of numbers 0-255),
 * {@link #transform} returns it with {@code prediction} (class index), {@code class} (name),
 * {@code probability} (of the predicted class) and {@code error} (for rows that could not be
 * scored) columns. The model is broadcast once; executors score in minibatches.
 */
public final class ImageClassifier {

  private final TrainedModel model;
  private String imageColumn = "image";
  private int batchSize = 256;

  public ImageClassifier(TrainedModel model) {
    this.model = model;
  }

  public ImageClassifier setImageColumn(String column) {
    this.imageColumn = column;
    return this;
  }

  public ImageClassifier setBatchSize(int size) {
    this.batchSize = size;
    return this;
  }

  public Dataset<Row> transform(Dataset<Row> frame) {
    int imageAt = frame.schema().fieldIndex(imageColumn);
    StructType schema = frame.schema()
        .add("prediction", DataTypes.IntegerType, true)
        .add("class", DataTypes.StringType, true)
        .add("probability", DataTypes.FloatType, true)
        .add("error", DataTypes.StringType, true);
    var broadcast = new org.apache.spark.api.java.JavaSparkContext(
        frame.sparkSession().sparkContext()).broadcast(model);
    var shape = model.inputShape();
    int batch = batchSize;
    MapPartitionsFunction<Row, Row> score = rows -> {
      List<Row> kept = new ArrayList<>();
      List<ImageRow> inputs = new ArrayList<>();
      while (rows.hasNext()) {
        Row r = rows.next();
        kept.add(r);
        String id = Integer.toString(kept.size() - 1);
        try {
          inputs.add(new ImageRow(id, -1, PixelColumns.pixels(r, imageAt, shape, false,
              "row " + id), null));
        } catch (IllegalArgumentException e) {
          inputs.add(ImageRow.failed(id, -1, e.getMessage()));
        }
      }
      Iterator<ScoredImage> scored = Scorer.score(broadcast.value(), inputs.iterator(), batch,
          1, n -> { });
      List<Row> out = new ArrayList<>(kept.size());
      while (scored.hasNext()) {
        ScoredImage s = scored.next();
        Row r = kept.get(Integer.parseInt(s.id()));
        Object[] values = new Object[r.size() + 4];
        for (int i = 0; i < r.size(); i++) {
          values[i] = r.get(i);
        }
        values[r.size()] = s.error() == null ? s.prediction() : null;
        values[r.size() + 1] = s.className();
        values[r.size() + 2] = s.error() == null ? s.topProbabilities()[0] : null;
        values[r.size() + 3] = s.error();
        out.add(RowFactory.create(values));
      }
      return out.iterator();
    };
    return frame.mapPartitions(score, Encoders.row(schema));
  }
}
