package org.sparkconv.engine.layer;

import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.GradientCheck.Inputs;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.RandomNetworks;

/**
 * Backprop against central differences ({@link GradientCheck}) on smooth networks drawn from
 * seeds ({@link RandomNetworks}): residual sums (written by the norm before them in training),
 * projections, concatenations, strided and padded convolutions, pools and norms in
 * combinations no hand-picked test has, each node's gradient summed from every consumer
 * through the graph's pooled buffers.
 */
class RandomGraphGradientCheckTest {

  private static final int NETWORKS = 24;

  @Test
  void backpropMatchesCentralDifferencesOnRandomGraphs() {
    for (int n = 0; n < NETWORKS; n++) {
      NetworkSpec spec = RandomNetworks.draw(5000 + n, true);
      GradientCheck.check(spec.name(), spec, 4, Inputs.UNIFORM, n, 1e-3f);
    }
  }
}
