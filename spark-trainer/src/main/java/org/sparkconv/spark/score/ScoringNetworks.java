package org.sparkconv.spark.score;

import java.util.Map;
import java.util.WeakHashMap;
import org.sparkconv.engine.net.Network;
import org.sparkconv.spark.wire.TrainedModel;
import org.sparkconv.spark.worker.NetworkPool;
import org.sparkconv.spark.worker.SoftStack;

/**
 * The networks one JVM scores broadcast models with. A model's first task builds a network
 * holding its weights (loaded once), and every task borrows a twin of it
 * ({@link Network#twin}): twins read that one copy of the parameters and state and share the
 * convolutions' packed weights, so an executor running N scoring tasks at once holds the model
 * once instead of N times (VGG16 at 224x224: 0.55 GB of weights and 0.29 GB of packed weights
 * a task before). A task gives its twin back when its partition is scored, and idle twins wait
 * for the model's next task, up to {@link NetworkPool#MAX_IDLE} a model, held softly
 * ({@link SoftStack}: a heap running short takes them back). Models are weak keys: once no task
 * and no broadcast holds a model, its networks go with it.
 */
final class ScoringNetworks {

  // The broadcast value is one object per executor, the same for every task that reads it.
  private static final Map<TrainedModel, Family> FAMILIES = new WeakHashMap<>();

  /** The network holding a model's weights, never lent, and its idle twins. */
  private record Family(Network weights, SoftStack<Network> idle) {}

  private ScoringNetworks() {}

  /** A twin of the network holding {@code model}'s weights: an idle one, or a new one. */
  static Network borrow(TrainedModel model) {
    Family family;
    synchronized (FAMILIES) {
      family = FAMILIES.get(model);
      if (family == null) {
        Network weights = Network.build(model.spec());
        weights.load(model.params(), model.state());
        family = new Family(weights, new SoftStack<>());
        FAMILIES.put(model, family);
      }
      Network idle = family.idle().pop();
      if (idle != null) {
        return idle;
      }
    }
    return family.weights().twin();
  }

  /** Gives {@code twin}, borrowed for {@code model}, back for the model's later tasks. */
  static void release(TrainedModel model, Network twin) {
    synchronized (FAMILIES) {
      Family family = FAMILIES.get(model);
      if (family != null && family.idle().size() < NetworkPool.MAX_IDLE) {
        family.idle().push(twin);
      }
    }
  }
}
