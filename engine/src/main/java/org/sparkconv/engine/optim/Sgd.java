package org.sparkconv.engine.optim;

import org.sparkconv.engine.net.ParamLayout;

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, PyTorch's formulation
 * (Sutskever et al. 2013), no dampening:
 * <pre>
 * v = mu v + g
 * p -= lr (g + mu v)   Nesterov
 * p -= lr v            classical momentum (p -= lr g when mu = 0)
 * </pre>
 */
public final class Sgd extends Optimizer {

  Sgd(OptimizerSpec spec, ParamLayout layout) {
    super(spec, layout, spec.momentum() > 0f ? 1 : 0);
  }

  @Override
  protected void apply(float[] params, float[] grads, float lr) {
    int n = params.length;
    float mu = spec.momentum();
    if (mu == 0f) {
      for (int i = 0; i < n; i++) {
        params[i] -= lr * grads[i];
      }
      return;
    }
    float[] velocity = slots[0];
    if (spec.nesterov()) {
      for (int i = 0; i < n; i++) {
        float v = mu * velocity[i] + grads[i];
        velocity[i] = v;
        params[i] -= lr * (grads[i] + mu * v);
      }
    } else {
      for (int i = 0; i < n; i++) {
        float v = mu * velocity[i] + grads[i];
        velocity[i] = v;
        params[i] -= lr * v;
      }
    }
  }
}
