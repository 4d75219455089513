package org.sparkconv.engine.optim;

import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.net.ParamLayout;

/**
 * One update rule over the flat parameter and gradient arrays. Before the rule runs, the global
 * gradient norm is clipped (if set) and the L2 and L1 penalties are added to the gradient over
 * the decayed blocks (weights; biases and batch-norm parameters only if the spec says so).
 *
 * <p>State: {@link #slots()} arrays parallel to {@code params} and the step count. Both are
 * exposed so that checkpoints and the Spark trainer can save, average and restore them.
 */
public abstract class Optimizer {

  protected final OptimizerSpec spec;
  protected final float[][] slots;
  protected long steps;
  /** Pairs (offset, end) of the parameter ranges that weight decay and L1 apply to. */
  private final int[] decayRanges;

  protected Optimizer(OptimizerSpec spec, ParamLayout layout, int slotCount) {
    this.spec = spec;
    this.slots = new float[slotCount][layout.paramCount()];
    this.decayRanges = decayRanges(layout, spec.decayBiasAndNorm());
  }

  /** The optimizer for {@code spec} over a network with {@code layout}. */
  public static Optimizer create(OptimizerSpec spec, ParamLayout layout) {
    return switch (spec.type()) {
      case SGD -> new Sgd(spec, layout);
      case ADAM, ADAMW -> new Adam(spec, layout);
    };
  }

  private static int[] decayRanges(ParamLayout layout, boolean all) {
    List<int[]> ranges = new ArrayList<>();
    for (ParamLayout.Entry e : layout.params()) {
      if (all || e.kind() == ParamBlock.Kind.WEIGHT) {
        ranges.add(new int[] {e.offset(), e.offset() + e.length()});
      }
    }
    int[] flat = new int[ranges.size() * 2];
    for (int i = 0; i < ranges.size(); i++) {
      flat[2 * i] = ranges.get(i)[0];
      flat[2 * i + 1] = ranges.get(i)[1];
    }
    return flat;
  }

  public OptimizerSpec spec() {
    return spec;
  }

  /** State arrays parallel to params (momentum; Adam's first and second moments). */
  public float[][] slots() {
    return slots;
  }

  /** Updates applied so far (Adam's bias correction uses it). */
  public long steps() {
    return steps;
  }

  /** Restores the step count (from a checkpoint or an average). */
  public void steps(long value) {
    this.steps = value;
  }

  /**
   * One update with learning rate {@code lr}: clips and penalises {@code grads} in place, then
   * applies the rule. Returns the gradient norm before clipping.
   */
  public double step(float[] params, float[] grads, float lr) {
    double norm = 0;
    if (spec.clipNorm() > 0f) {
      norm = clipGradientNorm(grads, spec.clipNorm());
    }
    if (addsPenaltyToGradient()) {
      addPenalties(params, grads);
    }
    steps++;
    apply(params, grads, lr);
    return norm;
  }

  /** Whether L2 decay is coupled (added to the gradient); AdamW decays parameters instead. */
  protected boolean addsPenaltyToGradient() {
    return spec.weightDecay() > 0f || spec.l1() > 0f;
  }

  /** {@code g += wd * p + l1 * sign(p)} over the decayed ranges. */
  protected void addPenalties(float[] params, float[] grads) {
    float wd = coupledWeightDecay();
    float l1 = spec.l1();
    for (int r = 0; r < decayRanges.length; r += 2) {
      if (l1 == 0f) {
        // The usual case, and a loop the JIT vectorizes (Math.signum it does not).
        for (int i = decayRanges[r]; i < decayRanges[r + 1]; i++) {
          grads[i] += wd * params[i];
        }
        continue;
      }
      for (int i = decayRanges[r]; i < decayRanges[r + 1]; i++) {
        float p = params[i];
        grads[i] += wd * p + l1 * Math.signum(p);
      }
    }
  }

  /** The L2 coefficient added to gradients (AdamW returns 0: its decay is decoupled). */
  protected float coupledWeightDecay() {
    return spec.weightDecay();
  }

  /** {@code p *= (1 - rate)} over the decayed ranges: decoupled decay (AdamW). */
  protected void decayParameters(float[] params, float rate) {
    float keep = 1f - rate;
    for (int r = 0; r < decayRanges.length; r += 2) {
      for (int i = decayRanges[r]; i < decayRanges[r + 1]; i++) {
        params[i] *= keep;
      }
    }
  }

  /** The update rule proper, after clipping and penalties; {@link #steps} is already t. */
  protected abstract void apply(float[] params, float[] grads, float lr);

  /** Scales {@code grads} so that its L2 norm is at most {@code max}; returns the old norm. */
  static double clipGradientNorm(float[] grads, float max) {
    double sumSq = 0;
    for (float g : grads) {
      sumSq += (double) g * g;
    }
    double norm = Math.sqrt(sumSq);
    if (norm > max) {
      float scale = (float) (max / (norm + 1e-6));
      for (int i = 0; i < grads.length; i++) {
        grads[i] *= scale;
      }
    }
    return norm;
  }
}
