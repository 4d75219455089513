package org.sparkconv.spark.wire;

import java.util.function.Supplier;

/**
 * Runs Spark actions so that their failures read well and can be told apart: a class missing
 * from the Kryo registration becomes a message that says what to register; any other failure of
 * the Spark job (Spark's checked {@code SparkException}, thrown undeclared from Scala) becomes a
 * {@link JobFailedException}, which {@link #isTransient} tells from a mistake in the data.
 */
public final class SparkActions {

  /** A Spark job that failed; its cause is Spark's exception. */
  public static final class JobFailedException extends IllegalStateException {
    public JobFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

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
      if (e instanceof IllegalArgumentException || e instanceof JobFailedException) {
        throw (RuntimeException) e;
      }
      throw new JobFailedException("Spark job failed: " + rootMessage(e), e);
    }
  }

  /**
   * The message of the deepest cause that has one (the executor's own exception inside Spark's
   * wrapping), cut to its first line; Spark's messages carry whole stack traces.
   */
  static String rootMessage(Throwable failure) {
    String message = failure.getMessage();
    for (Throwable t = failure.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    if (message == null) {
      return failure.getClass().getSimpleName();
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /**
   * Whether running the job again may succeed: a failed Spark job (a lost executor, a
   * filesystem hiccup) may; a bad input, whose cause anywhere in the chain is an
   * {@code IllegalArgumentException}, will fail the same way again.
   */
  public static boolean isTransient(Throwable failure) {
    if (!(failure instanceof JobFailedException)) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException) {
        return false;
      }
    }
    return true;
  }
}
