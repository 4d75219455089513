package org.sparkconv.spark.data;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.spark.wire.ImageRow;

/**
 * Images in a Parquet table (any Hadoop URI), read on the executors: an image column, binary
 * (8-bit CHW of the model's shape) or an array of numbers in CHW order, 0-255, or 0-1 when
 * {@code unitRange} (then scaled by 255 and rounded); a label column when the table has one;
 * ids from an id column, else "row N". A row whose image does not convert becomes an error row.
 */
public final class ParquetImages {

  private ParquetImages() {}

  /** The table's rows as images; {@code idColumn} may be null. */
  public static JavaRDD<ImageRow> read(SparkSession spark, String path, String imageColumn,
      String labelColumn, String idColumn, Shape target, boolean unitRange) {
    Dataset<Row> table = spark.read().parquet(path);
    List<String> columns = List.of(table.columns());
    requireColumn(columns, imageColumn, path);
    if (idColumn != null) {
      requireColumn(columns, idColumn, path);
    }
    DataType type = table.schema().apply(imageColumn).dataType();
    if (!(type instanceof BinaryType) && !(type instanceof ArrayType)) {
      throw new IllegalArgumentException(path + ": column '" + imageColumn + "' is " + type
          + "; expected binary (8-bit pixels) or an array of numbers");
    }
    boolean labelled = columns.contains(labelColumn);
    Dataset<Row> selected = table.select(imageColumn, labelled ? labelColumn : imageColumn,
        idColumn != null ? idColumn : imageColumn);
    return selected.javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      String id = idColumn != null ? String.valueOf(r.get(2)) : "row " + t._2();
      int label = labelled && !r.isNullAt(1) ? ((Number) r.get(1)).intValue() : -1;
      try {
        return new ImageRow(id, label, PixelColumns.pixels(r, 0, target, unitRange, id), null);
      } catch (IllegalArgumentException e) {
        return ImageRow.failed(id, label, e.getMessage());
      }
    });
  }

  /** Fails unless the table has {@code column}, listing the columns it has. */
  static void requireColumn(List<String> columns, String column, String path) {
    if (!columns.contains(column)) {
      throw new IllegalArgumentException(path + ": no column '" + column + "'; columns are "
          + columns);
    }
  }
}
