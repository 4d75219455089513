package org.sparkconv.spark.wire;

import java.util.function.Supplier;

/**
 * Runs Spark actions so that their failures read well: a class missing from the Kryo
 * registration becomes a message that says what to register; Spark's checked
 * {@code SparkException}, thrown undeclared from Scala, is rethrown unchecked.
 */
public final class SparkActions {

  private SparkActions() {}

  /** The result of {@code action}. */
  public static <T> T run(Supplier<T> action) {
    try {
      return action.get();
    } catch (Exception e) {
      IllegalStateException kryo = KryoRegistration.explain(e);
      if (kryo != null) {
        throw kryo;
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("Spark job failed: " + e.getMessage(), e);
    }
  }
}
