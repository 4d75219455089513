package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * The registration of every class of ours that crosses the wire (all of them in this package),
 * each with an explicit serializer. sparkconv runs
 * Kryo with {@code spark.kryo.registrationRequired=true}: nothing unregistered is ever written,
 * and nothing is read with Java deserialization.
 */
public final class KryoRegistration implements KryoRegistrator {

  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(DataBlock.class, new DataBlock.KryoSerializer());
    kryo.register(Shard.class, new Shard.KryoSerializer());
    kryo.register(ModelVector.class, new ModelVector.KryoSerializer());
    kryo.register(Contribution.class, new Contribution.KryoSerializer());
    kryo.register(ConfusionCounts.class, new ConfusionCounts.KryoSerializer());
    kryo.register(LabelledPixels.class, new LabelledPixels.KryoSerializer());
    kryo.register(ImageRow.class, new ImageRow.KryoSerializer());
    kryo.register(ScoredImage.class, new ScoredImage.KryoSerializer());
    kryo.register(TrainedModel.class, new TrainedModel.KryoSerializer());
    kryo.register(ReplicaReport.class, new ReplicaReport.KryoSerializer());
    kryo.register(double[].class);
    kryo.register(double[][].class);
    kryo.register(float[].class);
    kryo.register(float[][].class);
    kryo.register(int[].class);
    kryo.register(long[].class);
    kryo.register(byte[].class);
    kryo.register(Shard[].class);
    kryo.register(Contribution[].class);
    kryo.register(ConfusionCounts[].class);
    kryo.register(ReplicaReport[].class);
    kryo.register(Object[].class);
    kryo.register(java.util.HashMap.class); // the driver's Hadoop settings, for executors
    for (String name : SPARK_SQL_CLASSES) {
      try {
        kryo.register(Class.forName(name, false, KryoRegistration.class.getClassLoader()));
      } catch (ClassNotFoundException e) {
        // spark-sql not on this classpath: nothing of it can cross the wire either.
      }
    }
  }

  /**
   * Spark SQL's own classes that its file scans send through the configured serializer (schemas
   * and rows), so that reading Parquet and image files works with required registration.
   */
  private static final String[] SPARK_SQL_CLASSES = {
      "org.apache.spark.sql.types.StructType",
      "org.apache.spark.sql.types.StructField",
      "[Lorg.apache.spark.sql.types.StructField;",
      "org.apache.spark.sql.types.Metadata",
      "org.apache.spark.sql.types.ArrayType",
      "org.apache.spark.sql.types.MapType",
      "org.apache.spark.sql.types.DecimalType",
      "org.apache.spark.sql.types.BinaryType$",
      "org.apache.spark.sql.types.BooleanType$",
      "org.apache.spark.sql.types.ByteType$",
      "org.apache.spark.sql.types.ShortType$",
      "org.apache.spark.sql.types.IntegerType$",
      "org.apache.spark.sql.types.LongType$",
      "org.apache.spark.sql.types.FloatType$",
      "org.apache.spark.sql.types.DoubleType$",
      "org.apache.spark.sql.types.StringType",
      "org.apache.spark.sql.types.StringType$",
      "org.apache.spark.sql.types.TimestampType$",
      "org.apache.spark.sql.types.DateType$",
      "org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema",
      "org.apache.spark.sql.catalyst.expressions.GenericInternalRow",
      "org.apache.spark.sql.catalyst.expressions.UnsafeRow",
      "[Lorg.apache.spark.sql.catalyst.InternalRow;",
      "org.apache.spark.sql.execution.datasources.FilePartition",
      "org.apache.spark.sql.execution.datasources.PartitionedFile",
      "[Lorg.apache.spark.sql.execution.datasources.PartitionedFile;",
  };

  /** Sets Kryo with required registration and this registrator on {@code conf}. */
  public static SparkConf configure(SparkConf conf) {
    return conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.kryo.registrationRequired", "true")
        .set("spark.kryo.registrator", KryoRegistration.class.getName());
  }

  /**
   * Turns Kryo's "Class is not registered" failure, wherever it is in the cause chain, into a
   * message that says what to register; returns null for other failures.
   */
  public static IllegalStateException explain(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String m = t.getMessage();
      int at = m == null ? -1 : m.indexOf("Class is not registered: ");
      if (at >= 0) {
        String rest = m.substring(at + "Class is not registered: ".length());
        String cls = rest.split("[\\s\\n]", 2)[0];
        return new IllegalStateException("Kryo: class " + cls + " crossed the wire but is not"
            + " registered (spark.kryo.registrationRequired=true). Register it in "
            + KryoRegistration.class.getName() + ".registerClasses, with an explicit"
            + " serializer for classes of ours.", failure);
      }
    }
    return null;
  }

  /**
   * Fails, naming the setting to add, when {@code conf} requires Kryo registration but does not
   * register sparkconv's classes (a user's own SparkSession). Spark's default Java serializer
   * and Kryo without required registration work as they are.
   */
  public static void requireUsable(SparkConf conf) {
    boolean kryo = conf.get("spark.serializer", "").endsWith("KryoSerializer");
    if (!kryo || !conf.getBoolean("spark.kryo.registrationRequired", false)) {
      return;
    }
    java.util.List<String> registrators = java.util.Arrays.stream(
        conf.get("spark.kryo.registrator", "").split(",")).map(String::trim).toList();
    if (!registrators.contains(KryoRegistration.class.getName())) {
      throw new IllegalStateException("this SparkSession requires Kryo registration"
          + " (spark.kryo.registrationRequired=true) but does not register sparkconv's classes:"
          + " set spark.kryo.registrator=" + KryoRegistration.class.getName()
          + " (after a comma, if you have a registrator of your own)");
    }
  }
}
