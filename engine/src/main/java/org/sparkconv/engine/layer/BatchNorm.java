package org.sparkconv.engine.layer;

import java.util.Arrays;
import java.util.List;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.tensor.Shape;

/**
 * Batch normalisation (Ioffe & Szegedy 2015) per channel. {@code batchnorm2d} normalises each
 * channel over N*H*W; {@code batchnorm1d} each feature of a flat input over N. Learnable scale
 * gamma and shift beta live in {@code params}; the running mean and variance live in the separate
 * {@code state} buffer (never among the learnable parameters).
 *
 * <p>With M = N*H*W values per channel, training mode computes:
 * <pre>
 * mu = sum(x) / M,  var = sum((x - mu)^2) / M,  xhat = (x - mu) / sqrt(var + eps)
 * y  = gamma xhat + beta
 * running_mean = (1 - m) running_mean + m mu
 * running_var  = (1 - m) running_var  + m var * M / (M - 1)     (unbiased, as PyTorch)
 * </pre>
 * and backward, with g = dL/dy:
 * <pre>
 * dbeta = sum(g),  dgamma = sum(g xhat)
 * dx = gamma / (M sqrt(var + eps)) * (M g - dbeta - xhat dgamma)
 * </pre>
 * Evaluation mode uses the running statistics: {@code y = gamma (x - rm) / sqrt(rv + eps) + beta}.
 *
 * <p>A ReLU right after is fused in ({@link #fuseNext}): forward writes {@code max(y, 0)} and
 * backward first zeroes g where that output is not positive, in the same passes.
 */
public final class BatchNorm implements Layer {

  /**
   * {@code spatial} selects batchnorm2d; {@code features == 0} means infer from the input.
   * {@code momentum} weights the newest batch in the running statistics (PyTorch's convention).
   */
  public record Spec(boolean spatial, int features, float momentum, float eps)
      implements LayerSpec {

    public static Spec spatial2d() {
      return new Spec(true, 0, 0.1f, 1e-5f);
    }

    public static Spec flat1d() {
      return new Spec(false, 0, 0.1f, 1e-5f);
    }

    @Override
    public String type() {
      return spatial ? "batchnorm2d" : "batchnorm1d";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      LayerSpec.requireNonNegative(features, index, type(), "features");
      if (!(momentum >= 0f && momentum <= 1f)) {
        throw SpecException.at(index, type(), "momentum", "must be in [0, 1], got " + momentum);
      }
      if (!(eps > 0f)) {
        throw SpecException.at(index, type(), "eps", "must be positive, got " + eps);
      }
      if (!spatial && !input.isFlat()) {
        throw SpecException.at(index, type(), null, "expects a flat input (features, 1, 1) but"
            + " gets " + input + "; use batchnorm2d for feature maps");
      }
      if (features > 0 && features != input.channels()) {
        throw SpecException.at(index, type(), "features", "is " + features
            + " but the input to this layer has " + input.channels() + " channels (shape "
            + input + ")");
      }
      return input;
    }

    @Override
    public List<ParamBlock> paramBlocks(Shape input) {
      return List.of(new ParamBlock("gamma", input.channels(), ParamBlock.Kind.NORM_SCALE),
          new ParamBlock("beta", input.channels(), ParamBlock.Kind.NORM_SHIFT));
    }

    /** Running mean and running variance per channel. */
    @Override
    public int stateSize(Shape input) {
      return 2 * input.channels();
    }

    /** A ReLU right after is applied inside batch norm's passes. */
    @Override
    public boolean fusesNext(LayerSpec next) {
      return next instanceof Relu.Spec;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new BatchNorm(this, outputShape(input, index), context);
    }
  }

  private final Spec spec;
  private final Parallel parallel;
  private final ElementLoops loops;
  private final Shape shape;
  private final int channels;
  private final int plane;
  private final float[] mean;
  private final float[] invStd;
  private boolean lastForwardTraining;
  private boolean reluFused; // forward writes max(y, 0); backward masks dOut by that output
  private PlaneMoments moments; // recorded by the convolution before it in training, or null
  private float[] params;
  private float[] grads;
  private float[] state;
  private int gammaOffset;
  private int betaOffset;
  private int runningMeanOffset;
  private int runningVarOffset;

  private BatchNorm(Spec spec, Shape shape, ComputeContext context) {
    this.parallel = context.parallel();
    this.loops = context.loops();
    this.spec = spec;
    this.shape = shape;
    this.channels = shape.channels();
    this.plane = shape.planeSize();
    this.mean = new float[channels];
    this.invStd = new float[channels];
  }

  @Override
  public Shape inputShape() {
    return shape;
  }

  @Override
  public Shape outputShape() {
    return shape;
  }



  @Override
  public void bind(float[] params, float[] grads, int paramOffset, float[] state,
      int stateOffset) {
    this.params = params;
    this.grads = grads;
    this.state = state;
    this.gammaOffset = paramOffset;
    this.betaOffset = paramOffset + channels;
    this.runningMeanOffset = stateOffset;
    this.runningVarOffset = stateOffset + channels;
  }

  @Override
  public void initParams(java.util.random.RandomGenerator rng) {
    Arrays.fill(params, gammaOffset, gammaOffset + channels, 1f);
    Arrays.fill(params, betaOffset, betaOffset + channels, 0f);
  }

  @Override
  public void resetState() {
    Arrays.fill(state, runningMeanOffset, runningMeanOffset + channels, 0f);
    Arrays.fill(state, runningVarOffset, runningVarOffset + channels, 1f);
  }

  /**
   * The inference map as {@code y = x * scale[c] + shift[c]} (the running statistics folded
   * in), for a convolution that applies it in its own pass; then a ReLU if {@link #reluFused}.
   */
  void inferenceAffine(float[] scale, float[] shift) {
    for (int c = 0; c < channels; c++) {
      float is = (float) (1.0 / Math.sqrt(state[runningVarOffset + c] + spec.eps()));
      scale[c] = params[gammaOffset + c] * is;
      shift[c] = params[betaOffset + c] - state[runningMeanOffset + c] * scale[c];
    }
  }

  /** Whether a ReLU after this layer is applied in its passes. */
  boolean reluFused() {
    return reluFused;
  }

  /** Takes over a ReLU that follows (batch norm then ReLU is the usual block). */
  @Override
  public boolean fuseNext(Layer next) {
    if (next instanceof Relu) {
      reluFused = true;
      return true;
    }
    return false;
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    lastForwardTraining = training;
    boolean recorded = training && moments != null && moments.take(batch);
    // Every channel is independent: workers take whole channels, results do not depend on them.
    parallel.forRange(channels, (t, from, to) -> forwardChannels(in, out, batch, training,
        recorded, from, to));
  }

  /**
   * Takes its batch statistics in training from the planes' moments {@code conv} records as it
   * writes this layer's input ({@link PlaneMoments}).
   */
  void takeMomentsFrom(PlaneMoments recorded) {
    this.moments = recorded;
  }

  private void forwardChannels(float[] in, float[] out, int batch, boolean training,
      boolean recorded, int fromChannel, int toChannel) {
    int size = shape.size();
    if (training) {
      computeBatchStatistics(in, batch, recorded, fromChannel, toChannel);
    } else {
      for (int c = fromChannel; c < toChannel; c++) {
        mean[c] = state[runningMeanOffset + c];
        invStd[c] = (float) (1.0 / Math.sqrt(state[runningVarOffset + c] + spec.eps()));
      }
    }
    for (int n = 0; n < batch; n++) {
      for (int c = fromChannel; c < toChannel; c++) {
        float mu = mean[c];
        float scale = params[gammaOffset + c] * invStd[c];
        float beta = params[betaOffset + c];
        int start = n * size + c * plane;
        loops.batchNormOutput(in, out, start, start + plane, mu, scale, beta, reluFused);
      }
    }
  }

  /**
   * Batch mean and biased variance per channel in one pass over memory: each plane's mean and
   * sum of squared deviations are computed while the plane is in L1 (float, eight chains), and
   * the planes are merged in double with Chan et al.'s pairwise update, which is as stable as
   * the two-pass formula over the whole channel.
   */
  private void computeBatchStatistics(float[] in, int batch, boolean recorded,
      int fromChannel, int toChannel) {
    int size = shape.size();
    long m = (long) batch * plane;
    float momentum = spec.momentum();
    for (int c = fromChannel; c < toChannel; c++) {
      double mu = 0;
      double squares = 0;
      long count = 0;
      for (int n = 0; n < batch; n++) {
        int start = n * size + c * plane;
        float planeMean = recorded ? moments.mean(n, c)
            : PlaneMoments.mean(loops, in, start, plane);
        float planeSquares = recorded ? moments.squares(n, c)
            : loops.sumSquaredDeviations(in, start, start + plane, planeMean);
        long merged = count + plane;
        double delta = planeMean - mu;
        mu += delta * plane / merged;
        squares += planeSquares + delta * delta * count * plane / merged;
        count = merged;
      }
      double var = squares / m;
      mean[c] = (float) mu;
      invStd[c] = (float) (1.0 / Math.sqrt(var + spec.eps()));
      double unbiased = m > 1 ? var * m / (m - 1) : var;
      int rm = runningMeanOffset + c;
      int rv = runningVarOffset + c;
      state[rm] = (float) ((1 - momentum) * state[rm] + momentum * mu);
      state[rv] = (float) ((1 - momentum) * state[rv] + momentum * unbiased);
    }
  }

  /**
   * xhat is recomputed from the input (which the network keeps) instead of being stored in
   * forward: one less activation-sized write per step and no buffer.
   */
  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    parallel.forRange(channels, (t, from, to) -> backwardChannels(in, dOut, dIn, batch, from,
        to));
  }

  /**
   * With a fused ReLU, g below is dOut where the output was positive and 0 elsewhere; whether it
   * was is recomputed from the input by the forward's own float operations (bit for bit the
   * same), which reads one array less than loading the stored output. The channel's sums and
   * its input gradient are methods of their own: with every vector loop inlined into one, C2
   * (JDK 17) at times compiled it with vector operations left to the Vector API's Java fallback.
   */
  private void backwardChannels(float[] in, float[] dOut, float[] dIn, int batch,
      int fromChannel, int toChannel) {
    double[] sums = new double[2];
    for (int c = fromChannel; c < toChannel; c++) {
      channelSums(in, dOut, batch, c, sums);
      double dBeta = sums[0];
      double dGamma = invStd[c] * sums[1];
      grads[gammaOffset + c] += (float) dGamma;
      grads[betaOffset + c] += (float) dBeta;
      if (dIn != null) {
        channelInputGradient(in, dOut, dIn, batch, c, dBeta, dGamma);
      }
    }
  }

  /**
   * {@code sums = (sum g, sum g (x - mu))} over channel c of the batch, one pass over each
   * plane (both sums in one loop; they were two passes, each recomputing the ReLU mask).
   */
  private void channelSums(float[] in, float[] dOut, int batch, int c, double[] sums) {
    int size = shape.size();
    float mu = mean[c];
    float scale = params[gammaOffset + c] * invStd[c]; // as in forward
    float beta = params[betaOffset + c];
    sums[0] = 0; // dbeta = sum g
    sums[1] = 0; // sum g (x - mu); dgamma = is * this
    for (int n = 0; n < batch; n++) {
      int start = n * size + c * plane;
      loops.gradientSums(dOut, in, start, start + plane, mu, scale, beta, reluFused, sums);
    }
  }

  /** dIn of channel c of the batch, from its sums. */
  private void channelInputGradient(float[] in, float[] dOut, float[] dIn, int batch, int c,
      double dBeta, double dGamma) {
    int size = shape.size();
    long m = (long) batch * plane;
    float mu = mean[c];
    float is = invStd[c];
    float gamma = params[gammaOffset + c];
    float scale = gamma * is; // as in forward
    float beta = params[betaOffset + c];
    // in training, dx = k (M g - dbeta - xhat dgamma), k = gamma is / M, xhat = (x - mu) is;
    // in evaluation mode the statistics are constants: dx = gamma is g
    float gScale;
    float xScale;
    float offset;
    if (lastForwardTraining) {
      float k = gamma * is / m;
      gScale = k * m;
      xScale = (float) (k * dGamma * is);
      offset = (float) (k * dBeta);
    } else {
      gScale = gamma * is;
      xScale = 0f;
      offset = 0f;
    }
    for (int n = 0; n < batch; n++) {
      int start = n * size + c * plane;
      if (reluFused) {
        loops.batchNormInputGradient(dOut, in, dIn, start, start + plane, mu, scale, beta,
            gScale, xScale, offset);
      } else if (lastForwardTraining) {
        loops.batchNormInputGradient(dOut, in, dIn, start, start + plane, mu, gScale, xScale,
            offset);
      } else {
        for (int i = start; i < start + plane; i++) {
          dIn[i] = gScale * dOut[i];
        }
      }
    }
  }
}
