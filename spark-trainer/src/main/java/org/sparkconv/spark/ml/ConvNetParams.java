package org.sparkconv.spark.ml;

import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkconv.spark.data.ImageColumn;

/**
 * The columns both the classifier and its model know: the image column they read and the
 * columns the model adds. Spark ML finds a {@link Param} through a public no-argument method of
 * its name, so each class declares these methods over its own fields.
 */
public interface ConvNetParams extends Params {

  Param<String> imageCol();

  Param<String> predictionCol();

  Param<String> probabilityCol();

  Param<String> rawPredictionCol();

  Param<String> errorCol();

  default String getImageCol() {
    return getOrDefault(imageCol());
  }

  default String getPredictionCol() {
    return getOrDefault(predictionCol());
  }

  default String getProbabilityCol() {
    return getOrDefault(probabilityCol());
  }

  default String getRawPredictionCol() {
    return getOrDefault(rawPredictionCol());
  }

  default String getErrorCol() {
    return getOrDefault(errorCol());
  }

  /**
   * {@code schema} with the model's output columns added; fails, naming the column and the
   * types accepted, for a missing or unusable image column or an output column that exists.
   */
  default StructType outputSchema(StructType schema) {
    ImageColumn.check(schema, getImageCol());
    for (String column : new String[] {getPredictionCol(), getProbabilityCol(),
        getRawPredictionCol(), getErrorCol()}) {
      if (java.util.List.of(schema.fieldNames()).contains(column)) {
        throw new IllegalArgumentException("output column '" + column + "' already exists in"
            + " the DataFrame; set another name (e.g. setPredictionCol)");
      }
    }
    return schema.add(getPredictionCol(), DataTypes.DoubleType, true)
        .add(getProbabilityCol(), SQLDataTypes.VectorType(), true)
        .add(getRawPredictionCol(), SQLDataTypes.VectorType(), true)
        .add(getErrorCol(), DataTypes.StringType, true);
  }

  /** A string param of {@code owner}. */
  static Param<String> column(Params owner, String name, String doc) {
    return new Param<>(owner, name, doc);
  }
}
