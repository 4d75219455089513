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
 *
 * <p>On several threads, passes over the activations split the batch by images, as the layers
 * before and after do, so that an image is read on the core that wrote it (its cache); the
 * sums of the backward pass are one partial per piece, added in piece order (deterministic for
 * a thread count). Only the statistics' merge runs by channels. Split by channels, each thread
 * read half of every image from the other core: on this project's two-core machine, 3.2 MB
 * written in halves by two threads read back in 0.18 ms a pass by the other thread's half,
 * 0.13 by its own; ResNet-20's norms at two threads (layer profile, a step): forward
 * 2.14-2.35 -> 1.44-1.51 ms, backward 3.29-3.65 -> 2.83-2.86. One thread takes the same
 * passes by images (see {@link #backward}).
 *
 * <p>The backward's plane sums and input gradient are methods of their own: with every vector
 * loop inlined into one method, C2 (JDK 17) at times compiled it with vector operations left
 * to the Vector API's Java fallback.
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

    /**
     * Its sums read the whole output gradient before any input gradient is written, and the
     * input gradient reads each entry just before writing it.
     */
    @Override
    public boolean backwardInPlace() {
      return true;
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
  private final float[] gScale; // the input gradient's terms per channel (backward)
  private final float[] xScale;
  private final float[] offset;
  private double[][] pieceSums = new double[0][]; // per piece of a backward pass, 2 a channel
  private boolean lastForwardTraining;
  private boolean reluFused; // forward writes max(y, 0); backward masks dOut by that output
  private PlaneMoments moments; // recorded by the convolution before it in training, or null
  private final PlaneMoments ownMoments; // recorded here where the convolution did not
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
    this.ownMoments = new PlaneMoments(channels, plane, loops);
    this.gScale = new float[channels];
    this.xScale = new float[channels];
    this.offset = new float[channels];
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
    takeStatistics(in, batch, training);
    // the output by images, as the layers around split the batch: an image stays in the cache
    // of the core that wrote it
    parallel.forRange(batch, (t, from, to) -> forwardImages(in, null, out, from, to, reluFused));
  }

  /**
   * {@link #forward} with the two-input sum that is this norm's only reader folded in: writes
   * {@code sum = norm(in) + residual} into {@code sum} ({@code max(sum, 0)} with the sum's ReLU
   * fused), in the output pass, so that neither this norm's output nor the sum's own pass over
   * memory exists. Backward is the two layers' own: the sum's reads only its output, and the
   * norm's only its input. ResNet-20's blocks end so.
   */
  public void forwardAddingTo(float[] in, float[] residual, float[] sum, int batch,
      boolean training, boolean relu) {
    if (reluFused) {
      throw new IllegalStateException("a batch norm with a ReLU fused in feeds no sum");
    }
    takeStatistics(in, batch, training);
    parallel.forRange(batch, (t, from, to) -> forwardImages(in, residual, sum, from, to, relu));
  }

  /**
   * Sets the mean and inverse deviation the output pass applies: the batch's in training (and
   * the running values updated from them), else the running values.
   */
  private void takeStatistics(float[] in, int batch, boolean training) {
    lastForwardTraining = training;
    if (training) {
      PlaneMoments planes = moments != null && moments.take(batch) ? moments : ownMoments;
      if (planes == ownMoments) {
        ownMoments.start(batch);
        parallel.forRange(batch, (t, from, to) -> ownMoments.record(in, shape.size(), from, to));
      }
      // every channel's statistics are independent: workers take whole channels
      parallel.forRange(channels, (t, from, to) -> computeBatchStatistics(planes, batch, from,
          to));
    } else {
      for (int c = 0; c < channels; c++) {
        mean[c] = state[runningMeanOffset + c];
        invStd[c] = (float) (1.0 / Math.sqrt(state[runningVarOffset + c] + spec.eps()));
      }
    }
  }

  /**
   * Takes its batch statistics in training from the planes' moments {@code conv} records as it
   * writes this layer's input ({@link PlaneMoments}).
   */
  void takeMomentsFrom(PlaneMoments recorded) {
    this.moments = recorded;
  }

  /** The output of images [fromImage, toImage), plus {@code residual} where not null. */
  private void forwardImages(float[] in, float[] residual, float[] out, int fromImage,
      int toImage, boolean relu) {
    int size = shape.size();
    for (int n = fromImage; n < toImage; n++) {
      for (int c = 0; c < channels; c++) {
        float mu = mean[c];
        float scale = params[gammaOffset + c] * invStd[c];
        float beta = params[betaOffset + c];
        int start = n * size + c * plane;
        if (residual == null) {
          loops.batchNormOutput(in, out, start, start + plane, mu, scale, beta, relu);
        } else {
          loops.batchNormOutputAdding(in, residual, out, start, start + plane, mu, scale, beta,
              relu);
        }
      }
    }
  }

  /**
   * Batch mean and biased variance per channel from its planes' moments, each plane's mean and
   * sum of squared deviations computed while the plane was in L1 (float, eight chains; by the
   * convolution that wrote it, or by images in {@link #forward}), merged in double with Chan et
   * al.'s pairwise update, which is as stable as the two-pass formula over the whole channel.
   */
  private void computeBatchStatistics(PlaneMoments planes, int batch, int fromChannel,
      int toChannel) {
    long m = (long) batch * plane;
    float momentum = spec.momentum();
    for (int c = fromChannel; c < toChannel; c++) {
      double mu = 0;
      double squares = 0;
      long count = 0;
      for (int n = 0; n < batch; n++) {
        float planeMean = planes.mean(n, c);
        float planeSquares = planes.squares(n, c);
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
    int pieces = parallel.pieces(batch);
    if (pieceSums.length < pieces) {
      pieceSums = new double[pieces][2 * channels];
    }
    // By images, as the layers around split the batch; each piece's sums added in piece order.
    // One thread takes the same two passes over the whole batch: channel by channel instead,
    // each channel's input gradient right after its sums while its planes were in L2, was
    // slower in one JVM, both orders (ResNet-20 training 1.036 and 1.006, VGG-small 1.040 and
    // 1.008 by images): likely since by channels each pass reads a plane of each image, 64
    // planes scattered over the batch, where by images it streams memory in order.
    parallel.forPieces(batch, (t, piece, from, to) -> {
      double[] sums = pieceSums[piece];
      double[] planeSums = new double[2];
      Arrays.fill(sums, 0.0);
      for (int n = from; n < to; n++) {
        for (int c = 0; c < channels; c++) {
          addPlaneSums(in, dOut, n, c, sums, planeSums);
        }
      }
    });
    for (int c = 0; c < channels; c++) {
      double dBeta = pieceSums[0][2 * c];
      double sum = pieceSums[0][2 * c + 1];
      for (int p = 1; p < pieces; p++) {
        dBeta += pieceSums[p][2 * c];
        sum += pieceSums[p][2 * c + 1];
      }
      takeChannelSums(batch, c, dBeta, sum);
    }
    if (dIn != null) {
      parallel.forRange(batch, (t, from, to) -> {
        for (int n = from; n < to; n++) {
          for (int c = 0; c < channels; c++) {
            inputGradient(in, dOut, dIn, n, c);
          }
        }
      });
    }
  }

  /**
   * {@code sums[2c], sums[2c + 1] += (sum g, sum g (x - mu))} over plane (n, c), both sums in
   * one loop (they were two passes, each recomputing the ReLU mask), through {@code running}.
   * With a fused ReLU, g is dOut where the output was positive and 0 elsewhere; whether it was
   * is recomputed from the input by the forward's own float operations (bit for bit the same),
   * which reads one array less than loading the stored output.
   */
  private void addPlaneSums(float[] in, float[] dOut, int n, int c, double[] sums,
      double[] running) {
    float mu = mean[c];
    float scale = params[gammaOffset + c] * invStd[c]; // as in forward
    float beta = params[betaOffset + c];
    int start = n * shape.size() + c * plane;
    running[0] = sums[2 * c]; // dbeta = sum g
    running[1] = sums[2 * c + 1]; // sum g (x - mu); dgamma = is * this
    loops.gradientSums(dOut, in, start, start + plane, mu, scale, beta, reluFused, running);
    sums[2 * c] = running[0];
    sums[2 * c + 1] = running[1];
  }

  /**
   * Adds channel c's parameter gradients from its sums over the batch and sets its input
   * gradient's terms, {@code dx = gScale g - xScale (x - mu) - offset}: in training,
   * {@code k (M g - dbeta - xhat dgamma)}, k = gamma is / M, xhat = (x - mu) is; in evaluation
   * mode the statistics are constants: {@code dx = gamma is g}.
   */
  private void takeChannelSums(int batch, int c, double dBeta, double sum) {
    double dGamma = invStd[c] * sum;
    grads[gammaOffset + c] += (float) dGamma;
    grads[betaOffset + c] += (float) dBeta;
    long m = (long) batch * plane;
    float is = invStd[c];
    float gamma = params[gammaOffset + c];
    if (lastForwardTraining) {
      float k = gamma * is / m;
      gScale[c] = k * m;
      xScale[c] = (float) (k * dGamma * is);
      offset[c] = (float) (k * dBeta);
    } else {
      gScale[c] = gamma * is;
      xScale[c] = 0f;
      offset[c] = 0f;
    }
  }

  /** dIn of plane (n, c), from the terms of its channel's sums. */
  private void inputGradient(float[] in, float[] dOut, float[] dIn, int n, int c) {
    float mu = mean[c];
    float scale = params[gammaOffset + c] * invStd[c]; // as in forward
    float beta = params[betaOffset + c];
    int start = n * shape.size() + c * plane;
    if (reluFused) {
      loops.batchNormInputGradient(dOut, in, dIn, start, start + plane, mu, scale, beta,
          gScale[c], xScale[c], offset[c]);
    } else if (lastForwardTraining) {
      loops.batchNormInputGradient(dOut, in, dIn, start, start + plane, mu, gScale[c],
          xScale[c], offset[c]);
    } else {
      float k = gScale[c];
      for (int i = start; i < start + plane; i++) {
        dIn[i] = k * dOut[i];
      }
    }
  }
}
