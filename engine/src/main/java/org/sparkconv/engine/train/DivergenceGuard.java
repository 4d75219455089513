package org.sparkconv.engine.train;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Tells a diverging run from a noisy one by each round's mean loss: NaN or infinity always
 * diverges; with a factor set, so does a loss above {@code factor} times a reference: the median
 * of the last {@value #WINDOW} good rounds once {@value #WARM_UP} have been seen, and before that
 * the lowest loss seen (a run that explodes from its first rounds has no good median yet). A
 * loss no higher than the first round's (an untrained model's) never counts as diverged, however
 * small the reference: from 1e-15 to 3e-15 is noise, not an explosion.
 */
public final class DivergenceGuard {

  /** Good rounds the median is taken over. */
  public static final int WINDOW = 20;
  /** Rounds before the median is trusted. */
  public static final int WARM_UP = 10;

  private final double factor;
  private final ArrayDeque<Double> recent = new ArrayDeque<>();
  private double first = Double.NaN;

  /** A guard for losses above {@code factor} times the reference; 0 checks NaN/Inf only. */
  public DivergenceGuard(double factor) {
    this.factor = factor;
  }

  /** Whether {@code meanLoss} has diverged; a good loss joins the window. */
  public boolean diverged(double meanLoss) {
    if (!Double.isFinite(meanLoss)) {
      return true;
    }
    if (factor > 0 && !recent.isEmpty() && meanLoss > factor * reference()
        && meanLoss > first) {
      return true;
    }
    if (recent.isEmpty() && Double.isNaN(first)) {
      first = meanLoss;
    }
    recent.addLast(meanLoss);
    if (recent.size() > WINDOW) {
      recent.removeFirst();
    }
    return false;
  }

  /** What a loss is compared with: the median when warmed up, else the lowest loss. */
  public double reference() {
    return recent.size() >= WARM_UP ? median()
        : recent.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  /** The median of the recent good losses (NaN before any). */
  public double median() {
    if (recent.isEmpty()) {
      return Double.NaN;
    }
    double[] sorted = recent.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** Forgets the window (after going back to an earlier state). */
  public void reset() {
    recent.clear();
    first = Double.NaN;
  }
}
