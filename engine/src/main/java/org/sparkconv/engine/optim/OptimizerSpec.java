package org.sparkconv.engine.optim;

/**
 * What a job file says about the optimizer.
 *
 * @param type SGD, Adam or AdamW
 * @param lr base learning rate (the schedule scales it)
 * @param momentum SGD momentum (0 for plain SGD)
 * @param nesterov SGD with Nesterov momentum
 * @param beta1 Adam first-moment decay
 * @param beta2 Adam second-moment decay
 * @param eps Adam denominator guard
 * @param weightDecay L2 penalty coefficient (SGD, Adam) or decoupled decay rate (AdamW)
 * @param l1 L1 penalty coefficient: adds {@code l1 * sign(p)} to the gradient
 * @param decayBiasAndNorm whether biases and batch-norm parameters are decayed too (usually not)
 * @param clipNorm clip the global gradient L2 norm to this value; 0 disables
 */
public record OptimizerSpec(Type type, float lr, float momentum, boolean nesterov,
    float beta1, float beta2, float eps, float weightDecay, float l1, boolean decayBiasAndNorm,
    float clipNorm) implements java.io.Serializable {

  /** The update rule; {@link #toString} is the name job and model files use. */
  public enum Type {
    SGD, ADAM, ADAMW;

    /** The type a job file names; fails listing the types. */
    public static Type parse(String name) {
      return TypeNames.parse(Type.class, name, "optimizer.type");
    }

    @Override
    public String toString() {
      return TypeNames.of(this);
    }
  }

  /** The same, with the type as a job file names it. */
  public OptimizerSpec(String type, float lr, float momentum, boolean nesterov, float beta1,
      float beta2, float eps, float weightDecay, float l1, boolean decayBiasAndNorm,
      float clipNorm) {
    this(Type.parse(type), lr, momentum, nesterov, beta1, beta2, eps, weightDecay, l1,
        decayBiasAndNorm, clipNorm);
  }

  public OptimizerSpec {
    java.util.Objects.requireNonNull(type, "optimizer type");
    requireSetting(lr > 0f && Float.isFinite(lr), "optimizer.lr", "must be positive, got " + lr);
    requireSetting(momentum >= 0f && momentum < 1f, "optimizer.momentum",
        "must be in [0, 1), got " + momentum);
    requireSetting(!nesterov || momentum > 0f, "optimizer.nesterov",
        "needs a positive momentum");
    requireSetting(beta1 >= 0f && beta1 < 1f, "optimizer.beta1", "must be in [0, 1), got "
        + beta1);
    requireSetting(beta2 >= 0f && beta2 < 1f, "optimizer.beta2", "must be in [0, 1), got "
        + beta2);
    requireSetting(eps > 0f, "optimizer.eps", "must be positive, got " + eps);
    requireSetting(weightDecay >= 0f, "optimizer.weight_decay", "must be >= 0, got "
        + weightDecay);
    requireSetting(l1 >= 0f, "optimizer.l1", "must be >= 0, got " + l1);
    requireSetting(clipNorm >= 0f, "optimizer.clip_norm", "must be >= 0, got " + clipNorm);
  }

  /** The same optimizer with base learning rate {@code rate}. */
  public OptimizerSpec withLr(float rate) {
    return new OptimizerSpec(type, rate, momentum, nesterov, beta1, beta2, eps, weightDecay, l1,
        decayBiasAndNorm, clipNorm);
  }

  /** SGD with momentum, no decay. */
  public static OptimizerSpec sgd(float lr, float momentum) {
    return new OptimizerSpec(Type.SGD, lr, momentum, false, 0.9f, 0.999f, 1e-8f, 0f, 0f, false, 0f);
  }

  /** Adam with the usual betas. */
  public static OptimizerSpec adam(float lr) {
    return new OptimizerSpec(Type.ADAM, lr, 0f, false, 0.9f, 0.999f, 1e-8f, 0f, 0f, false, 0f);
  }

  private static void requireSetting(boolean ok, String setting, String detail) {
    if (!ok) {
      throw new IllegalArgumentException("setting '" + setting + "' " + detail);
    }
  }
}
