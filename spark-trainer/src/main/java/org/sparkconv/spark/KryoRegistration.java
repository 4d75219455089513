package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Every class of ours that crosses the wire, each with an explicit serializer. sparkconv runs
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
    kryo.register(EvalSum.class, new EvalSum.KryoSerializer());
    kryo.register(float[].class);
    kryo.register(float[][].class);
    kryo.register(int[].class);
    kryo.register(long[].class);
    kryo.register(byte[].class);
    kryo.register(Shard[].class);
    kryo.register(Contribution[].class);
    kryo.register(EvalSum[].class);
    kryo.register(Object[].class);
  }

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
}
