package org.sparkconv.engine.train;

import java.util.function.Supplier;
import org.sparkconv.engine.data.Normalization;

/**
 * What a job's {@code normalize} setting asks for: the training set's own per-channel statistics
 * ({@code "dataset"}), plain scaling to [0, 1] ({@code "unit"}), or given values.
 */
public sealed interface NormalizationChoice {

  /**
   * The normalisation for images of {@code channels} channels; {@code trainStatistics}
   * computes the training set's when the choice is {@link Dataset}.
   */
  Normalization resolve(int channels, Supplier<Normalization> trainStatistics);

  /** Mean and std of the training set, computed before training. */
  record Dataset() implements NormalizationChoice {
    @Override
    public Normalization resolve(int channels, Supplier<Normalization> trainStatistics) {
      return trainStatistics.get();
    }
  }

  /** Only {@code p / 255}. */
  record Unit() implements NormalizationChoice {
    @Override
    public Normalization resolve(int channels, Supplier<Normalization> trainStatistics) {
      return Normalization.unit(channels);
    }
  }

  /** Values from the job file; {@code source} names it when the channel count is wrong. */
  record Given(Normalization values, String source) implements NormalizationChoice {
    @Override
    public Normalization resolve(int channels, Supplier<Normalization> trainStatistics) {
      if (values.mean().length != channels) {
        throw new IllegalArgumentException(source + ": setting 'normalize.mean' has "
            + values.mean().length + " values but the images have " + channels + " channels");
      }
      return values;
    }
  }
}
