package org.sparkconv.engine.layer;

import java.util.random.RandomGenerator;

/**
 * Weight initialisation schemes. He/Kaiming (He et al. 2015) keeps the variance of ReLU
 * activations constant with std {@code sqrt(2 / fanIn)}; Xavier/Glorot (Glorot & Bengio 2010)
 * uses {@code sqrt(2 / (fanIn + fanOut))}. Uniform variants use the bound {@code sqrt(3) * std}.
 * {@code torch_default} is what PyTorch's Conv and Linear layers do unless told otherwise:
 * weights and biases uniform in {@code +-1 / sqrt(fanIn)}; every other scheme zeroes biases.
 */
public enum Init {
  HE_NORMAL("he_normal"),
  HE_UNIFORM("he_uniform"),
  XAVIER_NORMAL("xavier_normal"),
  XAVIER_UNIFORM("xavier_uniform"),
  TORCH_DEFAULT("torch_default");

  private final String jsonName;

  Init(String jsonName) {
    this.jsonName = jsonName;
  }

  /** The name model files use. */
  public String jsonName() {
    return jsonName;
  }

  /** The scheme called {@code name} in a model file, or null. */
  public static Init fromJsonName(String name) {
    for (Init init : values()) {
      if (init.jsonName.equals(name)) {
        return init;
      }
    }
    return null;
  }

  /** Fills {@code p[off, off + len)} for a weight with the given fan-in and fan-out. */
  public void fill(float[] p, int off, int len, int fanIn, int fanOut, RandomGenerator rng) {
    double std = switch (this) {
      case HE_NORMAL, HE_UNIFORM -> Math.sqrt(2.0 / fanIn);
      case XAVIER_NORMAL, XAVIER_UNIFORM -> Math.sqrt(2.0 / (fanIn + fanOut));
      case TORCH_DEFAULT -> 1.0 / Math.sqrt(3.0 * fanIn);
    };
    boolean normal = this == HE_NORMAL || this == XAVIER_NORMAL;
    double bound = Math.sqrt(3.0) * std;
    for (int i = off; i < off + len; i++) {
      p[i] = (float) (normal ? rng.nextGaussian() * std : (2 * rng.nextDouble() - 1) * bound);
    }
  }

  /** Fills a bias of {@code len} values: zeros, or uniform +-1/sqrt(fanIn) for torch_default. */
  public void fillBias(float[] p, int off, int len, int fanIn, RandomGenerator rng) {
    double bound = this == TORCH_DEFAULT ? 1.0 / Math.sqrt(fanIn) : 0.0;
    for (int i = off; i < off + len; i++) {
      p[i] = bound == 0.0 ? 0f : (float) ((2 * rng.nextDouble() - 1) * bound);
    }
  }
}
