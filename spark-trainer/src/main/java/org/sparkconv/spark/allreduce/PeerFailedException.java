package org.sparkconv.spark.allreduce;

/**
 * A peer of the ring could not be reached, refused a message, or sent nothing in time: the
 * task fails, and with it (barrier mode) the stage, which Spark then runs again whole.
 */
public final class PeerFailedException extends RuntimeException {

  public PeerFailedException(String message, Throwable cause) {
    super(message, cause);
  }

  public PeerFailedException(String message) {
    super(message);
  }
}
