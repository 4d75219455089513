package org.sparkconv.engine.layer;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.math.Im2col;
import org.sparkconv.engine.math.PaddedLanes;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.math.PointwiseConv;
import org.sparkconv.engine.tensor.Shape;

/**
 * 2-D convolution (cross-correlation, as in every framework) lowered to GEMM per image:
 *
 * <pre>
 * col  = im2col(x_n)                       // (Cin*kh*kw, Ho*Wo)
 * y_n  = W col + b                          // W: (Cout, Cin*kh*kw)
 * dW  += dY_n col^T                          // accumulated, beta = 1
 * dx_n = col2im(W^T dY_n)
 * </pre>
 *
 * A 1x1 kernel with stride 1 and no padding skips im2col: the image is its own lowered matrix.
 * Ungrouped kernels larger than 1x1 run {@link DirectConvPasses} instead where the JVM has the
 * Vector API (and {@link ComputeContext#directConvolution()}): the forward pass always, the
 * backward pass where its plan says the adjoint pays (else the im2col backward below).
 * Weights are laid out {@code (Cout, Cin, kh, kw)}, as PyTorch stores them.
 */
public final class Conv2d implements Layer {

  /**
   * What a model file says about a convolution. {@code inChannels == 0} means "whatever the
   * previous layer gives"; a positive value is checked against it. With {@code groups} g the
   * input and output channels are split into g groups and output group i sees only input group
   * i (depthwise when g equals the channels), as in PyTorch's {@code Conv2d(groups=g)}.
   */
  public record Spec(int inChannels, int outChannels, int kernelH, int kernelW,
      int strideH, int strideW, Padding padding, int dilationH, int dilationW, int groups,
      boolean bias, Init init) implements LayerSpec {

    /** An ungrouped convolution. */
    public Spec(int inChannels, int outChannels, int kernelH, int kernelW, int strideH,
        int strideW, Padding padding, int dilationH, int dilationW, boolean bias, Init init) {
      this(inChannels, outChannels, kernelH, kernelW, strideH, strideW, padding, dilationH,
          dilationW, 1, bias, init);
    }

    /** A square kernel with stride 1, explicit padding, bias and He-normal init. */
    public static Spec of(int outChannels, int kernel, int padding) {
      return new Spec(0, outChannels, kernel, kernel, 1, 1, Padding.of(padding), 1, 1, true,
          Init.HE_NORMAL);
    }

    @Override
    public String type() {
      return "conv2d";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      ConvGeometry g = geometry(input, index);
      return new Shape(outChannels, g.outH(), g.outW());
    }

    ConvGeometry geometry(Shape input, int index) {
      LayerSpec.requireNonNegative(inChannels, index, type(), "in_channels");
      LayerSpec.requirePositive(outChannels, index, type(), "out_channels");
      LayerSpec.requirePositive(kernelH, index, type(), "kernel");
      LayerSpec.requirePositive(kernelW, index, type(), "kernel");
      LayerSpec.requirePositive(strideH, index, type(), "stride");
      LayerSpec.requirePositive(strideW, index, type(), "stride");
      LayerSpec.requirePositive(dilationH, index, type(), "dilation");
      LayerSpec.requirePositive(dilationW, index, type(), "dilation");
      LayerSpec.requireNonNegative(padding.h(), index, type(), "padding");
      LayerSpec.requireNonNegative(padding.w(), index, type(), "padding");
      LayerSpec.requirePositive(groups, index, type(), "groups");
      if (inChannels > 0 && inChannels != input.channels()) {
        throw SpecException.at(index, type(), "in_channels", "is " + inChannels
            + " but the input to this layer has " + input.channels() + " channels (shape "
            + input + ")");
      }
      if (input.channels() % groups != 0 || outChannels % groups != 0) {
        throw SpecException.at(index, type(), "groups", groups + " groups must divide both the"
            + " input's " + input.channels() + " channels and the " + outChannels
            + " output channels");
      }
      // The lowering of one group: its share of the input channels.
      Shape group = new Shape(input.channels() / groups, input.height(), input.width());
      return windowGeometry(group, index, type(), kernelH, kernelW, strideH, strideW, padding,
          dilationH, dilationW);
    }

    @Override
    public List<ParamBlock> paramBlocks(Shape input) {
      return LayerSpec.weightAndBias((long) outChannels * (input.channels() / groups) * kernelH
          * kernelW, outChannels, bias, type());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return in.window(kernelH, kernelW, strideH, strideW, dilationH, dilationW);
    }

    /**
     * A gradient partial per piece of a batch past the first (the layer keeps one for each
     * piece {@link Parallel#pieces} can make: {@link Parallel#maxPieces}; only the bias's where
     * the direct passes sum the weights' per piece themselves), and one lowered image per thread
     * (none for 1x1) or, where the direct kernel applies, its scratch.
     */
    @Override
    public long workspaceFloats(Shape input, int threads) {
      ConvGeometry g = geometry(input, -1);
      long params = (long) outChannels * g.colRows() + (bias ? outChannels : 0);
      long lowered = loweredFloats(g, threads);
      boolean direct = DirectConvPasses.applies(g, groups);
      // The largest when direct applies: a context may turn it, or Winograd, off.
      long passes = direct
          ? Math.max(lowered, Math.max(DirectConvPasses.workspaceFloats(g, outChannels, threads,
              true), DirectConvPasses.workspaceFloats(g, outChannels, threads, false)))
          : PointwiseConv.applies(g, groups) ? Math.max(lowered, pointwiseFloats(g, threads))
          : lowered;
      // a piece's partial gradient: the bias's alone where the direct passes sum the weights'
      boolean directWeights = direct
          && DirectConvPasses.computesWeightGradient(g, outChannels, true)
          && DirectConvPasses.computesWeightGradient(g, outChannels, false);
      long partial = directWeights ? (bias ? outChannels : 0) : params;
      return passes + (long) (Parallel.maxPieces(threads) - 1) * partial;
    }

    /**
     * Without the backward's buffers, which the layer allocates at its first backward: the
     * direct passes' forward buffers where they apply (with or without Winograd), else one
     * lowered image per thread; no pieces' partial gradients. With the direct kernel turned
     * off ({@code sparkconv.conv=im2col}) a layer it applies to lowers instead.
     */
    @Override
    public long inferenceWorkspaceFloats(Shape input, int threads) {
      ConvGeometry g = geometry(input, -1);
      if (DirectConvPasses.applies(g, groups)) {
        return Math.max(DirectConvPasses.inferenceWorkspaceFloats(g, outChannels, threads, true),
            DirectConvPasses.inferenceWorkspaceFloats(g, outChannels, threads, false));
      }
      return PointwiseConv.applies(g, groups) ? pointwiseFloats(g, threads)
          : loweredFloats(g, threads);
    }

    /**
     * The direct passes' packed forward weights and the weights' copy they came from, where
     * they apply: of the plan, with or without Winograd, that {@link #inferenceWorkspaceFloats}
     * counts at one thread (the larger).
     */
    @Override
    public long sharedInferenceFloats(Shape input) {
      ConvGeometry g = geometry(input, -1);
      if (!DirectConvPasses.applies(g, groups)) {
        return 0;
      }
      boolean winograd = DirectConvPasses.inferenceWorkspaceFloats(g, outChannels, 1, true)
          >= DirectConvPasses.inferenceWorkspaceFloats(g, outChannels, 1, false);
      return DirectConvPasses.sharedInferenceFloats(g, outChannels, winograd);
    }

    /** One lowered image per thread (none where lowering is the identity: 1x1, stride 1). */
    private static long loweredFloats(ConvGeometry g, int threads) {
      return g.isIdentityLowering() ? 0 : threads * (long) g.colRows() * g.colCols();
    }

    /** None of the direct passes' buffers, which come at the first forward. */
    @Override
    public long builtWorkspaceFloats(Shape input, int threads) {
      return DirectConvPasses.applies(geometry(input, -1), groups) ? 0
          : inferenceWorkspaceFloats(input, threads);
    }

    /** The padded input layout of its Winograd plan by channels, where it has one. */
    @Override
    public long inferenceInputFloats(Shape input) {
      ConvGeometry g = geometry(input, -1);
      return DirectConvPasses.applies(g, groups)
          ? DirectConvPasses.paddedInputFloats(g, outChannels) : 0;
    }

    /** {@link PointwiseConv}'s packed weights (both ways) and each worker's scratch. */
    private long pointwiseFloats(ConvGeometry g, int threads) {
      PointwiseConv pointwise = new PointwiseConv(g, outChannels);
      return pointwise.packedWeightsSize() + pointwise.packedAdjointWeightsSize()
          + threads * pointwise.scratchSize();
    }

    /**
     * A spatial batch norm after it, or a ReLU (LeNet-5's convolutions have no norm), applied
     * per image as the convolution writes it.
     */
    @Override
    public boolean foldsNextInInference(LayerSpec next) {
      return next instanceof BatchNorm.Spec norm && norm.spatial() || next instanceof Relu.Spec;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new Conv2d(this, input, geometry(input, index), context);
    }
  }

  /**
   * The geometry of a sliding window over {@code input}, rejecting a window larger than the
   * padded input with a message that names the sizes. Shared by convolution and pooling.
   */
  static ConvGeometry windowGeometry(Shape input, int index, String type,
      int kernelH, int kernelW, int strideH, int strideW, Padding padding,
      int dilationH, int dilationW) {
    int h = input.height();
    int w = input.width();
    int top = padding.before(h, kernelH, strideH, dilationH, true);
    int bottom = padding.after(h, kernelH, strideH, dilationH, true);
    int left = padding.before(w, kernelW, strideW, dilationW, false);
    int right = padding.after(w, kernelW, strideW, dilationW, false);
    int outH = ConvGeometry.outputLength(h, top, bottom, kernelH, strideH, dilationH);
    int outW = ConvGeometry.outputLength(w, left, right, kernelW, strideW, dilationW);
    if (outH <= 0 || outW <= 0) {
      int extentH = dilationH * (kernelH - 1) + 1;
      int extentW = dilationW * (kernelW - 1) + 1;
      throw SpecException.at(index, type, "kernel", "the window " + extentH + "x" + extentW
          + " (kernel " + kernelH + "x" + kernelW + ", dilation " + dilationH + "x" + dilationW
          + ") is larger than the padded input " + (h + top + bottom) + "x" + (w + left + right)
          + " (input " + h + "x" + w + ", padding " + padding + "): the output would be empty");
    }
    return new ConvGeometry(input.channels(), h, w, kernelH, kernelW, strideH, strideW, top,
        left, dilationH, dilationW, outH, outW);
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final ConvGeometry geometry;
  private final Gemm gemm;
  private final Parallel parallel;
  private final ElementLoops loops;
  private final int kernelSize; // Cin/groups * kh * kw: the GEMM depth
  private final int groups;
  private final int groupOut; // output channels per group
  private final int groupInSize; // floats of one group's input planes
  private final float[][] cols; // per worker thread: (Cin*kh*kw, Ho*Wo), reused for every image
  private final boolean lowersBackward; // whether the backward needs cols
  private final float[][] partialGrads; // per piece > 0 of a backward pass: see partialLength
  private PlaneMoments moments; // recorded in training for the batch norm after, or null
  private final DirectConvPasses direct; // null where im2col + GEMM computes the passes
  private final PointwiseConv pointwise; // a strided 1x1's passes, else null
  private final float[] pointwiseWeights; // packed for it, every forward pass
  private final float[] pointwiseAdjointWeights; // packed for its input gradient
  private final PointwiseConv.Scratch[] pointwiseScratch; // per worker thread
  private final ChannelAffine folded; // a following batch norm's map, in inference
  private PaddedLanes inferenceOutput; // the next conv's input layout, else null (planes)
  private boolean paddedInferenceInput; // the conv before writes this one's padded layout
  private float[] params;
  private float[] grads;
  private int weightOffset;
  private int biasOffset;

  private Conv2d(Spec spec, Shape input, ConvGeometry geometry, ComputeContext context) {
    this.spec = spec;
    this.inputShape = input;
    this.geometry = geometry;
    this.outputShape = new Shape(spec.outChannels(), geometry.outH(), geometry.outW());
    this.gemm = context.gemm();
    this.parallel = context.parallel();
    this.loops = context.loops();
    this.kernelSize = geometry.colRows();
    this.groups = spec.groups();
    this.groupOut = spec.outChannels() / groups;
    this.groupInSize = geometry.imageSize();
    int threads = parallel.threads();
    this.direct = context.directConvolution() && DirectConvPasses.applies(geometry, groups)
        ? new DirectConvPasses(geometry, spec.outChannels(), threads, context.winograd())
        : null;
    this.pointwise = context.directConvolution() && direct == null
        && PointwiseConv.applies(geometry, groups)
        ? new PointwiseConv(geometry, spec.outChannels()) : null;
    this.pointwiseWeights = pointwise == null ? null : new float[pointwise.packedWeightsSize()];
    this.pointwiseAdjointWeights = pointwise == null ? null
        : new float[pointwise.packedAdjointWeightsSize()];
    this.pointwiseScratch = new PointwiseConv.Scratch[pointwise == null ? 0 : threads];
    for (int t = 0; t < pointwiseScratch.length; t++) {
      pointwiseScratch[t] = pointwise.newScratch();
    }
    // the forward pass lowers where neither runs it; the backward also where direct does not
    boolean lowers = pointwise == null && direct == null && !geometry.isIdentityLowering();
    this.lowersBackward = pointwise == null && !geometry.isIdentityLowering()
        && (direct == null || !direct.computesBackward());
    this.cols = new float[threads][];
    for (int t = 0; t < threads; t++) {
      cols[t] = lowers ? new float[geometry.colSize()] : null;
    }
    this.folded = new ChannelAffine(spec.outChannels(), geometry.outH() * geometry.outW());
    this.partialGrads = new float[Parallel.maxPieces(threads)][];
  }

  /**
   * Floats of a piece's own gradient buffer past the first: its weights' and bias's gradient,
   * or only the bias's where the direct passes sum the weight gradient per piece themselves.
   */
  private int partialLength() {
    boolean directWeights = direct != null && direct.computesWeightGradient();
    return (directWeights ? 0 : spec.outChannels() * kernelSize)
        + (spec.bias() ? spec.outChannels() : 0);
  }

  /**
   * The backward pass's buffers, allocated at the first backward: the pieces' partial
   * gradients, the lowered images where the backward lowers, the direct passes' own. A layer
   * that only infers holds none of them.
   */
  private void reserveBackward() {
    if (partialGrads.length > 1 && partialGrads[1] == null) {
      int length = partialLength();
      for (int p = 1; p < partialGrads.length; p++) {
        partialGrads[p] = new float[length];
      }
    }
    for (int t = 0; lowersBackward && t < cols.length; t++) {
      if (cols[t] == null) {
        cols[t] = new float[geometry.colSize()];
      }
    }
    if (direct != null) {
      direct.reserveBackward();
    }
  }

  /** Whether the forward pass runs {@link PointwiseConv} (a strided 1x1). */
  boolean runsPointwise() {
    return pointwise != null;
  }

  /** The direct passes, or null where im2col + GEMM computes this convolution. */
  DirectConvPasses directPasses() {
    return direct;
  }

  Spec spec() {
    return spec;
  }

  boolean hasBias() {
    return spec.bias();
  }

  /** The parameters it is bound to; its weights at {@link #weightOffset}. */
  float[] params() {
    return params;
  }

  int weightOffset() {
    return weightOffset;
  }

  /** Where its bias is in {@link #params}, where it has one. */
  int biasOffset() {
    return biasOffset;
  }

  @Override
  public Shape inputShape() {
    return inputShape;
  }

  @Override
  public Shape outputShape() {
    return outputShape;
  }


  @Override
  public void bind(float[] params, float[] grads, int paramOffset, float[] state,
      int stateOffset) {
    this.params = params;
    this.grads = grads;
    this.weightOffset = paramOffset;
    this.biasOffset = paramOffset + spec.outChannels() * kernelSize;
  }

  /** The direct passes' packed forward weights, where both run the direct passes. */
  @Override
  public void shareInferenceWeightsOf(Layer twin) {
    if (direct != null && twin instanceof Conv2d other && other.direct != null) {
      direct.sharePackingOf(other.direct);
    }
  }

  /** Whether this layer's direct passes read their forward weights from {@code twin}'s. */
  boolean sharesInferenceWeightsOf(Conv2d twin) {
    return direct != null && twin.direct != null && direct.sharesPackingOf(twin.direct);
  }

  @Override
  public void initParams(RandomGenerator rng) {
    int fanIn = kernelSize;
    int fanOut = spec.outChannels() * spec.kernelH() * spec.kernelW();
    spec.init().fill(params, weightOffset, spec.outChannels() * kernelSize, fanIn, fanOut, rng);
    if (spec.bias()) {
      spec.init().fillBias(params, biasOffset, spec.outChannels(), fanIn, rng);
    }
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    if (!training || moments == null) {
      forward(in, out, batch, null, null);
      return;
    }
    moments.start(batch);
    forward(in, out, batch, null, moments);
    moments.finish(batch);
  }

  /**
   * Records the moments of each output plane for {@code norm} (a batch norm on this output) as
   * each image is written in training: the norm's statistics then read no activation (ResNet-20
   * and VGG-small: every norm follows a convolution).
   */
  @Override
  public boolean recordMomentsFor(Layer norm) {
    if (moments != null || !(norm instanceof BatchNorm batchNorm)
        || !norm.inputShape().equals(outputShape)) {
      return false;
    }
    moments = new PlaneMoments(outputShape.channels(), outputShape.planeSize(), loops);
    batchNorm.takeMomentsFrom(moments);
    return true;
  }

  /**
   * The batch norm (or ReLU) after this layer in inference: its map is applied to each image
   * (or chunk of images) right after the convolution writes it, instead of in a pass of its own
   * (batch 256, one thread: ResNet-20's 21 norms took 14 ms of 172 a batch, its convolutions are
   * as fast with the map as without, 8.25 vs 8.20 ms on stage 1; LeNet-5's two ReLUs 0.17 ms of
   * 3.2).
   */
  @Override
  public void inferFoldingNext(Layer next, float[] in, float[] out, int batch) {
    infer(in, out, batch, next instanceof Relu ? folded.ofRelu() : folded.of((BatchNorm) next));
  }

  /**
   * The batch norm after this layer and the residual sum after it, in inference: the norm's
   * map, the other input of the sum and the sum's ReLU applied as each image is written (batch
   * 256, one thread: ResNet-20's nine sums took 5.2 ms of 141 a batch in passes of their own).
   */
  @Override
  public void inferFoldingNextAndSum(Layer next, float[] in, float[] out, int batch,
      float[] residual, boolean relu) {
    infer(in, out, batch, folded.of((BatchNorm) next).plus(residual, relu));
  }

  /**
   * Where the output's sides are even and Winograd by tiles or the direct kernel by pixels
   * computes the forward pass ({@link DirectConvPasses#writesPooled}).
   */
  @Override
  public boolean infersPooled() {
    return direct != null && direct.writesPooled();
  }

  /**
   * The batch norm (or ReLU) after this layer, the norm's ReLU and the 2x2 max pool after that,
   * in inference: the pool's values are taken from the output transform, or as the direct
   * kernel's result is copied out, the full output never written nor read back (VGG-small's two
   * pools, batch 256, one thread: 4.5 and 2.5 ms of 91 in passes of their own; LeNet-5's two
   * after its ReLUs).
   */
  @Override
  public void inferFoldingNextAndPool(Layer next, float[] in, float[] out, int batch) {
    infer(in, out, batch,
        (next instanceof Relu ? folded.ofRelu() : folded.of((BatchNorm) next)).pooled());
  }

  /**
   * Where the forward pass is Winograd by channels on both sides and {@code next} is a
   * convolution ({@link Layer#handsInferenceTo}).
   */
  @Override
  public boolean handsInferenceTo(Layer next) {
    return next instanceof Conv2d conv && direct != null && conv.direct != null
        && direct.writesInto(conv.direct.paddedInput());
  }

  /**
   * Hands this layer's inference output to {@code next} in its padded input layout
   * ({@link Layer#handInferenceTo}): this writes it with the folded map applied, channels
   * consecutive per pixel, and {@code next} skips its transposing pad.
   */
  @Override
  public int handInferenceTo(Layer next) {
    if (!handsInferenceTo(next)) {
      throw new IllegalArgumentException("convolution " + outputShape + " cannot write the "
          + "input layout of " + next.getClass().getSimpleName() + " " + next.inputShape());
    }
    Conv2d conv = (Conv2d) next;
    inferenceOutput = conv.direct.paddedInput();
    conv.paddedInferenceInput = true;
    return inferenceOutput.imageSize();
  }

  @Override
  public void infer(float[] in, float[] out, int batch) {
    infer(in, out, batch, null);
  }

  /** An inference forward pass, {@code after} applied, in the handed-off layouts if any. */
  private void infer(float[] in, float[] out, int batch, ChannelAffine after) {
    if (direct != null && (paddedInferenceInput || inferenceOutput != null)) {
      direct.forward(parallel, params, weightOffset, spec.bias() ? params : null, biasOffset, in,
          out, batch, after, null, paddedInferenceInput, inferenceOutput);
      return;
    }
    forward(in, out, batch, after, null);
  }

  /** The forward pass, {@code after} applied and {@code recorded} (if not null) recorded. */
  private void forward(float[] in, float[] out, int batch, ChannelAffine after,
      PlaneMoments recorded) {
    if (direct != null) {
      direct.forward(parallel, params, weightOffset, spec.bias() ? params : null, biasOffset, in,
          out, batch, after, recorded);
      return;
    }
    if (pointwise != null) {
      forwardPointwise(in, out, batch, after, recorded);
      return;
    }
    parallel.forRange(batch, (t, from, to) -> forwardImages(in, out, from, to, cols[t], after,
        recorded));
  }

  /** The forward pass of a strided 1x1 by {@link PointwiseConv}, {@code after} on the way out. */
  private void forwardPointwise(float[] in, float[] out, int batch, ChannelAffine after,
      PlaneMoments recorded) {
    pointwise.packWeights(params, weightOffset, pointwiseWeights);
    int inSize = inputShape.size();
    int outSize = outputShape.size();
    float[] bias = spec.bias() ? params : null;
    float[] scale = after == null ? null : after.scale();
    float[] shift = after == null ? null : after.shift();
    boolean relu = after != null && after.relu();
    float[] residual = after == null ? null : after.residual();
    parallel.forRange(batch, (t, from, to) -> {
      for (int n = from; n < to; n++) {
        pointwise.convolve(in, n * inSize, pointwiseWeights, bias, biasOffset, scale, shift,
            relu, residual, out, n * outSize, pointwiseScratch[t]);
        if (recorded != null) {
          recorded.record(out, outSize, n, n + 1);
        }
      }
    });
  }

  private void forwardImages(float[] in, float[] out, int from, int to, float[] col,
      ChannelAffine after, PlaneMoments recorded) {
    int inSize = inputShape.size();
    int pixels = geometry.colCols();
    int outSize = outputShape.size();
    int cout = spec.outChannels();
    for (int n = from; n < to; n++) {
      for (int g = 0; g < groups; g++) {
        // y_g (Cout/G, P) = W_g (Cout/G, K) * col_g (K, P)
        int inOff = n * inSize + g * groupInSize;
        float[] lowered = lower(in, inOff, col);
        gemm.sgemm(false, false, groupOut, pixels, kernelSize, 1f, params,
            weightOffset + g * groupOut * kernelSize, kernelSize, lowered,
            col == null ? inOff : 0, pixels, 0f, out, n * outSize + g * groupOut * pixels,
            pixels);
      }
      if (spec.bias()) {
        for (int c = 0; c < cout; c++) {
          float b = params[biasOffset + c];
          int start = n * outSize + c * pixels;
          for (int p = start; p < start + pixels; p++) {
            out[p] += b;
          }
        }
      }
      if (after != null) {
        after.apply(out, n * outSize, 1);
      }
      if (recorded != null) {
        recorded.record(out, outSize, n, n + 1);
      }
    }
  }

  /**
   * Each piece of the batch ({@link Parallel#forPieces}) accumulates the weight and bias
   * gradients of its images into its own buffer (piece 0 straight into {@code grads}); the
   * buffers are then added in piece order, whichever worker ran them, so the result is
   * deterministic for a fixed thread count.
   */
  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    boolean directBackward = direct != null && direct.computesBackward();
    boolean directWeights = direct != null && direct.computesWeightGradient();
    reserveBackward();
    if (directBackward && dIn != null) {
      direct.prepareBackward(parallel, params, weightOffset);
    }
    if (pointwise != null && dIn != null) {
      pointwise.packAdjointWeights(params, weightOffset, pointwiseAdjointWeights);
    }
    // where the direct passes sum the weight gradient per piece themselves, a piece's own
    // buffer holds only its bias gradient (partialLength)
    int own = directWeights ? spec.outChannels() * kernelSize : 0;
    int most = direct != null ? direct.backwardPieces() : Parallel.maxPieces(parallel.threads());
    parallel.forPieces(batch, most, (t, piece, from, to) -> {
      float[] g = piece == 0 ? grads : partialGrads[piece];
      int wOff = piece == 0 ? weightOffset : 0;
      int bOff = piece == 0 ? biasOffset : spec.outChannels() * kernelSize - own;
      if (piece > 0) {
        java.util.Arrays.fill(g, 0f);
      }
      if (pointwise != null) {
        backwardPointwise(t, in, dOut, dIn, from, to, g, wOff);
        addBiasGradient(dOut, from, to, g, bOff);
      } else if (directBackward) {
        direct.backward(t, piece, in, dOut, dIn, from, to);
        addBiasGradient(dOut, from, to, g, bOff);
      } else if (directWeights) {
        direct.backward(t, piece, in, dOut, null, from, to);
        backwardImages(in, dOut, dIn, from, to, cols[t], g, wOff, bOff, false);
      } else {
        backwardImages(in, dOut, dIn, from, to, cols[t], g, wOff, bOff, true);
      }
    });
    int pieces = parallel.pieces(batch, most);
    if (directWeights) {
      direct.addWeightGradient(parallel, pieces, grads, weightOffset);
    }
    // each parameter's pieces added in piece order, whoever ran them
    if (pieces > 1) {
      parallel.addPieces(partialGrads, pieces, 0, partialGrads[1].length, grads,
          weightOffset + own);
    }
  }

  /**
   * The backward pass of images [from, to) by {@link PointwiseConv}: their weight gradient added
   * to {@code g[wOff ...]}, their input gradient written where {@code dIn} is not null.
   */
  private void backwardPointwise(int t, float[] in, float[] dOut, float[] dIn, int from, int to,
      float[] g, int wOff) {
    int inSize = inputShape.size();
    int outSize = outputShape.size();
    PointwiseConv.Scratch s = pointwiseScratch[t];
    for (int n = from; n < to; n++) {
      pointwise.backward(in, n * inSize, dOut, n * outSize, pointwiseAdjointWeights, dIn,
          n * inSize, s);
    }
    pointwise.addWeightGradient(s, g, wOff);
  }

  /**
   * The lowered backward pass of images [from, to): with {@code weights}, their weight
   * gradient added to {@code g[wOff ...]} (else it is computed elsewhere); the bias gradient
   * added to {@code g[bOff ...]}; their input gradient written where {@code dIn} is not null.
   */
  private void backwardImages(float[] in, float[] dOut, float[] dIn, int from, int to,
      float[] col, float[] g, int wOff, int bOff, boolean weights) {
    int inSize = inputShape.size();
    int pixels = geometry.colCols();
    int outSize = outputShape.size();
    int cout = spec.outChannels();
    for (int n = from; n < to; n++) {
      if (dIn != null && col != null) {
        Arrays.fill(dIn, n * inSize, (n + 1) * inSize, 0f);
      }
      for (int grp = 0; grp < groups; grp++) {
        int inOff = n * inSize + grp * groupInSize;
        int dOutOff = n * outSize + grp * groupOut * pixels;
        int wGroup = grp * groupOut * kernelSize;
        if (weights) {
          float[] lowered = lower(in, inOff, col);
          // dW_g (Cout/G, K) += dY_g (Cout/G, P) * col_g^T (P, K)
          gemm.sgemm(false, true, groupOut, kernelSize, pixels, 1f, dOut, dOutOff, pixels,
              lowered, col == null ? inOff : 0, pixels, 1f, g, wOff + wGroup, kernelSize);
        }
        if (dIn == null) {
          continue;
        }
        if (col == null) {
          // dx_g (K, P) = W_g^T (K, Cout/G) * dY_g (Cout/G, P)
          gemm.sgemm(true, false, kernelSize, pixels, groupOut, 1f, params,
              weightOffset + wGroup, kernelSize, dOut, dOutOff, pixels, 0f, dIn, inOff, pixels);
        } else {
          // dCol (K, P) = W_g^T (K, Cout/G) * dY_g (Cout/G, P), then scatter back to the image
          gemm.sgemm(true, false, kernelSize, pixels, groupOut, 1f, params,
              weightOffset + wGroup, kernelSize, dOut, dOutOff, pixels, 0f, col, 0, pixels);
          Im2col.col2im(geometry, col, 0, dIn, inOff, loops);
        }
      }
    }
    addBiasGradient(dOut, from, to, g, bOff);
  }

  /** With a bias, adds the sums of images [from, to)'s output gradient planes to it. */
  private void addBiasGradient(float[] dOut, int from, int to, float[] g, int bOff) {
    if (!spec.bias()) {
      return;
    }
    int pixels = geometry.colCols();
    int outSize = outputShape.size();
    for (int n = from; n < to; n++) {
      for (int c = 0; c < spec.outChannels(); c++) {
        int start = n * outSize + c * pixels;
        g[bOff + c] += loops.sum(dOut, start, start + pixels);
      }
    }
  }

  /** The lowered matrix of the image at {@code offset}: {@code col}, or the input itself. */
  private float[] lower(float[] in, int offset, float[] col) {
    if (col == null) {
      return in;
    }
    Im2col.im2col(geometry, in, offset, col, 0);
    return col;
  }

}
