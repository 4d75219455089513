package org.sparkconv.engine.train;

/** The loss became NaN or infinite: training stops rather than write a broken model. */
public final class TrainingDivergedException extends IllegalStateException {

  public TrainingDivergedException(String message) {
    super(message);
  }
}
