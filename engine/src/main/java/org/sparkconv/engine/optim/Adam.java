package org.sparkconv.engine.optim;

import org.sparkconv.engine.net.ParamLayout;

/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019). With t the step count:
 * <pre>
 * m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 * p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 * Adam adds the L2 penalty to g; AdamW instead first shrinks the decayed parameters by
 * {@code lr * weight_decay} (decoupled decay), as PyTorch does.
 */
public final class Adam extends Optimizer {

  private final boolean decoupled;

  Adam(OptimizerSpec spec, ParamLayout layout) {
    super(spec, layout, 2);
    this.decoupled = spec.type() == OptimizerSpec.Type.ADAMW;
  }

  @Override
  protected boolean addsPenaltyToGradient() {
    return (!decoupled && spec.weightDecay() > 0f) || spec.l1() > 0f;
  }

  @Override
  protected float coupledWeightDecay() {
    return decoupled ? 0f : spec.weightDecay();
  }

  @Override
  protected void apply(float[] params, float[] grads, float lr) {
    if (decoupled && spec.weightDecay() > 0f) {
      decayParameters(params, lr * spec.weightDecay());
    }
    float b1 = spec.beta1();
    float b2 = spec.beta2();
    float eps = spec.eps();
    double correction1 = 1 - Math.pow(b1, steps);
    double correction2 = 1 - Math.pow(b2, steps);
    // p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps)
    float stepSize = (float) (lr / correction1);
    float invSqrtC2 = (float) (1 / Math.sqrt(correction2));
    float[] m = slots[0];
    float[] v = slots[1];
    int n = params.length;
    for (int i = 0; i < n; i++) {
      float g = grads[i];
      float mi = b1 * m[i] + (1f - b1) * g;
      float vi = b2 * v[i] + (1f - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] -= stepSize * mi / ((float) Math.sqrt(vi) * invSqrtC2 + eps);
    }
  }
}
