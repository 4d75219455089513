package org.sparkconv.engine.optim;

/**
 * A learning-rate schedule over training progress measured in (fractional) epochs, with an
 * optional linear warm-up in front: during the first {@code warmupEpochs} the rate rises
 * linearly to the base rate; after that, with {@code e} the epochs since warm-up ended:
 * <ul>
 *   <li>{@code constant}: base</li>
 *   <li>{@code step}: {@code base * gamma^floor(e / stepEpochs)}</li>
 *   <li>{@code exponential}: {@code base * gamma^e}</li>
 *   <li>{@code cosine}: {@code min + (base - min) (1 + cos(pi e / E)) / 2}, E the epochs left
 *       after warm-up (Loshchilov & Hutter 2017, without restarts)</li>
 * </ul>
 */
public record Schedule(Type type, float warmupEpochs, float stepEpochs, float gamma,
    float minLr) implements java.io.Serializable {

  /** The shape of the schedule; {@link #toString} is the name job files use. */
  public enum Type {
    CONSTANT, STEP, EXPONENTIAL, COSINE;

    /** The type a job file names; fails listing the types. */
    public static Type parse(String name) {
      return TypeNames.parse(Type.class, name, "schedule.type");
    }

    @Override
    public String toString() {
      return TypeNames.of(this);
    }
  }

  /** The same, with the type as a job file names it. */
  public Schedule(String type, float warmupEpochs, float stepEpochs, float gamma, float minLr) {
    this(Type.parse(type), warmupEpochs, stepEpochs, gamma, minLr);
  }

  public Schedule {
    java.util.Objects.requireNonNull(type, "schedule type");
    if (warmupEpochs < 0f) {
      throw new IllegalArgumentException("setting 'schedule.warmup_epochs' must be >= 0, got "
          + warmupEpochs);
    }
    if (type == Type.STEP && !(stepEpochs > 0f)) {
      throw new IllegalArgumentException("setting 'schedule.step_epochs' must be positive for a"
          + " step schedule, got " + stepEpochs);
    }
    if ((type == Type.STEP || type == Type.EXPONENTIAL) && !(gamma > 0f && gamma <= 1f)) {
      throw new IllegalArgumentException("setting 'schedule.gamma' must be in (0, 1], got "
          + gamma);
    }
    if (minLr < 0f) {
      throw new IllegalArgumentException("setting 'schedule.min_lr' must be >= 0, got " + minLr);
    }
  }

  public static Schedule constant() {
    return new Schedule(Type.CONSTANT, 0f, 0f, 1f, 0f);
  }

  /**
   * The rate for optimizer step {@code step} (0-based) of a run of {@code totalEpochs} with
   * {@code stepsPerEpoch} steps each, for base rate {@code base}. Warm-up reaches the base rate
   * on its last step; step 0 gets {@code base / warm-up steps}.
   */
  public float rate(float base, long step, long stepsPerEpoch, double totalEpochs) {
    double warmupSteps = warmupEpochs * (double) stepsPerEpoch;
    if (step + 1 < warmupSteps) {
      return (float) (base * (step + 1) / warmupSteps);
    }
    double epoch = (double) step / stepsPerEpoch;
    double e = Math.max(epoch - warmupEpochs, 0);
    return switch (type) {
      case STEP -> (float) (base * Math.pow(gamma, Math.floor(e / stepEpochs)));
      case EXPONENTIAL -> (float) (base * Math.pow(gamma, e));
      case COSINE -> {
        double span = Math.max(totalEpochs - warmupEpochs, 1e-9);
        double progress = Math.min(e / span, 1.0);
        yield (float) (minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress)));
      }
      case CONSTANT -> base;
    };
  }
}
