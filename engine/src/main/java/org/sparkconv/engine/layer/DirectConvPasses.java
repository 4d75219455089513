package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.DirectConv;
import org.sparkconv.engine.math.Parallel;

/**
 * The passes of an ungrouped {@link Conv2d} computed with {@link DirectConv}. The forward pass
 * never lowers. The backward pass, where the input gradient is a stride-1 convolution that does
 * not multiply mostly padding, computes it as that adjoint convolution of the output gradient,
 * and the weight gradient "by channels": a GEMM whose reduction runs over output pixels, vectors
 * over output channels of the transposed output gradient, taps of the padded image broadcast (a
 * chunk of images at a time into a transposed accumulator, added to the gradient once per
 * worker). Elsewhere (strided convs; a "valid" 5x5 conv, whose adjoint pads by 4 on every side;
 * tiny planes, whose runs are mostly dropped columns) the layer's own im2col backward runs:
 * {@link #computesBackward()} says which. Owns each worker's scratch and the weights packed once
 * per pass.
 */
final class DirectConvPasses {

  /** The adjoint computes the input gradient unless it multiplies this much more than GEMM. */
  private static final double MAX_ADJOINT_OVERWORK = 1.5;
  /** Floats of padded images and transposed gradients held per worker for a weight gradient. */
  private static final int CHUNK_FLOATS = 1 << 18;
  private static final int MAX_CHUNK = 8;

  private final Plan plan;
  private final Scratch[] scratch; // per worker thread
  private final float[] packedWeights;
  private final float[] packedAdjointWeights; // with the adjoint only
  private final int inSize;
  private final int outSize;
  private final int outChannels;

  /** What a geometry computes how, and the scratch it takes; the same for sizing and building. */
  private record Plan(DirectConv forward, DirectConv adjoint, boolean byAdjoint, int chunk) {

    static Plan of(ConvGeometry g, int outChannels) {
      DirectConv forward = DirectConv.forward(g, outChannels);
      DirectConv adjoint = DirectConv.hasAdjoint(g) ? DirectConv.adjoint(g, outChannels) : null;
      long lowered = (long) g.colRows() * g.colCols() * outChannels;
      boolean byAdjoint = adjoint != null
          && adjoint.multiplyAdds() <= MAX_ADJOINT_OVERWORK * lowered;
      // With the adjoint, the weight gradient goes by channels: on ResNet-20's 7x7 stage too
      // (whole training steps 311/332/455 -> 332/415/459 img/s in three pairs against a GEMM
      // over images lowered side by side, since dropped; against the per-image im2col backward
      // that GEMM also lost on LeNet-5's second conv, 3.25 vs 2.85 ms a batch under JMH).
      if (!byAdjoint) {
        return new Plan(forward, null, false, 0);
      }
      int perImage = forward.paddedSize() + forward.transposedGradientSize();
      return new Plan(forward, adjoint, true,
          Math.max(1, Math.min(MAX_CHUNK, CHUNK_FLOATS / perImage)));
    }

    /** Floats of a chunk of padded images for the weight gradient. */
    int paddedImagesSize() {
      return chunk * forward.paddedSize();
    }

    /** Floats of a chunk of transposed output gradients. */
    int transposedGradientsSize() {
      return chunk * forward.transposedGradientSize();
    }

    /** Per thread: the forward's buffers, and the backward's (else one lowered image). */
    long floatsPerThread(ConvGeometry g) {
      long backward = byAdjoint ? (long) paddedImagesSize() + transposedGradientsSize()
          + adjoint.paddedSize() + adjoint.resultSize() + forward.transposedWeightsSize()
          : g.colSize();
      return (long) forward.paddedSize() + forward.resultSize() + backward;
    }

    long sharedFloats() {
      return forward.packedWeightsSize() + (byAdjoint ? adjoint.packedWeightsSize() : 0);
    }
  }

  /**
   * One worker's buffers: the padded image of the forward pass (its border stays zero: nothing
   * else writes it) and its result; with {@link #computesBackward()}, padded images, transposed
   * gradients and the transposed accumulator of the weight gradient, and the padded output
   * gradient and result of the adjoint.
   */
  private record Scratch(float[] image, float[] result, float[] paddedImages,
      float[] transposedGradients, float[] paddedGrad, float[] resultGrad,
      float[] transposedWeights) {}

  DirectConvPasses(ConvGeometry g, int outChannels, int threads) {
    this.plan = Plan.of(g, outChannels);
    this.scratch = new Scratch[threads];
    DirectConv f = plan.forward();
    DirectConv b = plan.adjoint();
    for (int t = 0; t < threads; t++) {
      scratch[t] = new Scratch(new float[f.paddedSize()], new float[f.resultSize()],
          plan.byAdjoint() ? new float[plan.paddedImagesSize()] : null,
          plan.byAdjoint() ? new float[plan.transposedGradientsSize()] : null,
          plan.byAdjoint() ? new float[b.paddedSize()] : null,
          plan.byAdjoint() ? new float[b.resultSize()] : null,
          plan.byAdjoint() ? new float[f.transposedWeightsSize()] : null);
    }
    this.packedWeights = new float[f.packedWeightsSize()];
    this.packedAdjointWeights = plan.byAdjoint() ? new float[b.packedWeightsSize()] : null;
    this.inSize = g.imageSize();
    this.outSize = outChannels * g.colCols();
    this.outChannels = outChannels;
  }

  /** Whether {@link #backward} computes the backward pass (else the layer lowers by im2col). */
  boolean computesBackward() {
    return plan.byAdjoint();
  }

  /**
   * Whether these passes compute a convolution of geometry {@code g} with {@code groups}: not
   * grouped, and not 1x1, whose lowering is the image itself or (strided) a quarter of it; the
   * direct kernel would copy the whole image into phase planes for that (ResNet-20's stride-2
   * projection: 0.5 -> 1.8 ms forward).
   */
  static boolean applies(ConvGeometry g, int groups) {
    return groups == 1 && g.kernelH() * g.kernelW() > 1 && DirectConv.supports(g);
  }

  /**
   * The floats {@link #DirectConvPasses} allocates for {@code threads} workers, and the lowered
   * image per worker the layer's im2col backward needs where {@link #computesBackward()} is
   * false.
   */
  static long workspaceFloats(ConvGeometry g, int outChannels, int threads) {
    Plan plan = Plan.of(g, outChannels);
    return threads * plan.floatsPerThread(g) + plan.sharedFloats();
  }

  /** {@code out} = the convolution of every image in {@code in}, plus the bias if any. */
  void forward(Parallel parallel, float[] params, int weightOffset, float[] bias, int biasOffset,
      float[] in, float[] out, int batch) {
    DirectConv f = plan.forward();
    f.packWeights(params, weightOffset, packedWeights);
    parallel.forRange(batch, (t, from, to) -> {
      Scratch s = scratch[t];
      for (int n = from; n < to; n++) {
        f.pad(in, n * inSize, s.image(), 0);
        f.convolve(s.image(), packedWeights, bias, biasOffset, out, n * outSize, s.result());
      }
    });
  }

  /** Packs the weights the input gradient needs; call once per backward pass, before workers. */
  void prepareBackward(float[] params, int weightOffset) {
    if (plan.byAdjoint()) {
      plan.adjoint().packAdjointWeights(params, weightOffset, packedAdjointWeights);
    }
  }

  /**
   * Worker t's share of a backward pass over images [from, to) (only where
   * {@link #computesBackward()}): adds their weight gradient to {@code g[wOff ...]} and, when
   * {@code dIn} is not null, writes their input gradient.
   */
  void backward(int t, float[] in, float[] dOut, float[] dIn, int from, int to, float[] g,
      int wOff) {
    Scratch s = scratch[t];
    for (int first = from; first < to; first += plan.chunk()) {
      backwardByChannels(s, in, dOut, dIn, first, Math.min(plan.chunk(), to - first));
    }
    plan.forward().addTransposedWeights(s.transposedWeights(), g, wOff);
    Arrays.fill(s.transposedWeights(), 0f);
  }

  private void backwardByChannels(Scratch s, float[] in, float[] dOut, float[] dIn, int first,
      int count) {
    DirectConv f = plan.forward();
    for (int i = 0; i < count; i++) {
      int n = first + i;
      f.pad(in, n * inSize, s.paddedImages(), i * f.paddedSize());
      f.transposeGradient(dOut, n * outSize, s.transposedGradients(), i * f.transposedGradientSize());
      if (dIn != null) {
        inputGradientByAdjoint(s, dOut, dIn, n);
      }
    }
    f.weightGradientByChannels(s.paddedImages(), s.transposedGradients(), count, s.transposedWeights());
  }

  private void inputGradientByAdjoint(Scratch s, float[] dOut, float[] dIn, int n) {
    DirectConv b = plan.adjoint();
    b.pad(dOut, n * outSize, s.paddedGrad(), 0);
    b.convolve(s.paddedGrad(), packedAdjointWeights, null, 0, dIn, n * inSize, s.resultGrad());
  }
}
