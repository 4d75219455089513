package org.sparkconv.spark.ml;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.train.EquivalenceTest;
import org.sparkconv.spark.wire.KryoRegistration;

/**
 * Sessions that require Kryo registration: without sparkconv's registrator the fit stops with
 * the one setting to add; with it, fit and transform work. (Each test class runs in its own JVM,
 * so these sessions are the only ones here.)
 */
class KryoSessionTest {

  static SparkSession session(boolean registrator) {
    SparkSession.Builder b = SparkSession.builder().master("local[2]")
        .appName("sparkconv-kryo").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrationRequired", "true");
    if (registrator) {
      b.config("spark.kryo.registrator", KryoRegistration.class.getName());
    }
    return b.getOrCreate();
  }

  static Dataset<Row> frame(SparkSession spark, ImageSet set) {
    StructType schema = new StructType()
        .add("image", DataTypes.createArrayType(DataTypes.IntegerType))
        .add("label", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int n = 0; n < set.count(); n++) {
      Integer[] pixels = new Integer[set.shape().size()];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = set.pixel(n, i);
      }
      rows.add(RowFactory.create(java.util.Arrays.asList(pixels), (double) set.labels()[n]));
    }
    return spark.createDataFrame(rows, schema);
  }

  static ConvNetClassifier classifier() {
    // The spec as JSON text, the other way to give it.
    return new ConvNetClassifier().setModelSpec(SpecJson.write(EquivalenceTest.plain()))
        .setEpochs(3).setBatchSize(32).setLearningRate(0.05).setValidationFraction(0.2);
  }

  @Test
  void withoutTheRegistratorFitNamesTheSettingAndWithItTrains() {
    ImageSet data = TestImages.quadrants(600, 8, 31);
    SparkSession bare = session(false);
    try {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> classifier().fit(frame(bare, data)));
      assertTrue(e.getMessage().contains("spark.kryo.registrator="
          + KryoRegistration.class.getName()), e.getMessage());
    } finally {
      bare.stop();
    }
    SparkSession registered = session(true);
    try {
      Dataset<Row> rows = frame(registered, data);
      ConvNetClassificationModel model = classifier().fit(rows);
      Dataset<Row> predictions = model.transform(rows).cache();
      assertEquals(600, predictions.filter(col("error").isNull()).count());
      double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
          .evaluate(predictions);
      assertTrue(accuracy > 0.9, "quadrant images are easy: accuracy " + accuracy);
    } finally {
      registered.stop();
    }
  }
}
