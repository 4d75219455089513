package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.DirectConv;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.math.Im2col;
import org.sparkconv.engine.math.Parallel;

/**
 * The passes of an ungrouped {@link Conv2d} computed with {@link DirectConv}. The forward pass
 * never lowers. The backward pass takes, per geometry, the cheaper of:
 * <ul>
 *   <li>the input gradient as the adjoint stride-1 convolution of the output gradient, and the
 *       weight gradient "by channels": a GEMM whose reduction runs over output pixels, vectors
 *       over output channels of the transposed output gradient, taps of the padded image
 *       broadcast (a chunk of images at a time into a transposed accumulator, added to the
 *       gradient once per worker);
 *   <li>for strided convs and where the adjoint would multiply mostly padding (a "valid" 5x5
 *       conv's adjoint pads by 4 on every side; tiny planes, where its rows are mostly dropped
 *       columns), a chunk of images lowered side by side (im2col with a row stride): one GEMM
 *       for the weight gradient, one GEMM and col2im for the input gradient.
 * </ul>
 * Owns each worker's scratch and the weights packed once per pass.
 */
final class DirectConvPasses {

  /** The adjoint computes the input gradient unless it multiplies this much more than GEMM. */
  private static final double MAX_ADJOINT_OVERWORK = 1.5;
  /** Floats of padded images and transposed gradients held per worker for a weight gradient. */
  private static final int CHUNK_FLOATS = 1 << 18;
  private static final int MAX_CHUNK = 8;
  /** Columns of a side-by-side lowering of small planes, and at most so many images. */
  private static final int LOWERED_COLUMNS = 1024;
  private static final int MAX_LOWERED_IMAGES = 32;

  private final Plan plan;
  private final ConvGeometry geometry;
  private final Gemm gemm;
  private final ElementLoops loops;
  private final Scratch[] scratch; // per worker thread
  private final float[] packedWeights;
  private final float[] packedAdjointWeights; // with the adjoint only
  private final int inSize;
  private final int outSize;
  private final int outChannels;

  /** What a geometry computes how, and the scratch it takes; the same for sizing and building. */
  private record Plan(DirectConv forward, DirectConv adjoint, boolean byAdjoint, int chunk,
      int weightBufferA, int weightBufferB) {

    static Plan of(ConvGeometry g, int outChannels) {
      DirectConv forward = DirectConv.forward(g, outChannels);
      DirectConv adjoint = DirectConv.hasAdjoint(g) ? DirectConv.adjoint(g, outChannels) : null;
      long lowered = (long) g.colRows() * g.colCols() * outChannels;
      boolean byAdjoint = adjoint != null
          && adjoint.multiplyAdds() <= MAX_ADJOINT_OVERWORK * lowered;
      // With the adjoint, the weight gradient goes by channels: on ResNet-20's 7x7 stage too
      // (whole training steps 311/332/455 -> 332/415/459 img/s in three pairs against the
      // side-by-side GEMM). A strided conv has no adjoint: it lowers side by side for both.
      if (byAdjoint) {
        int perImage = forward.paddedSize() + forward.transposedGradientSize();
        int chunk = Math.max(1, Math.min(MAX_CHUNK, CHUNK_FLOATS / perImage));
        return new Plan(forward, adjoint, true, chunk, chunk * forward.paddedSize(),
            chunk * forward.transposedGradientSize());
      }
      int chunk = Math.max(1, Math.min(MAX_LOWERED_IMAGES, LOWERED_COLUMNS / g.colCols()));
      return new Plan(forward, adjoint, false, chunk, chunk * g.colSize(),
          chunk * outChannels * g.colCols());
    }

    long floatsPerThread() {
      long adjointFloats = byAdjoint ? adjoint.paddedSize() + adjoint.resultSize() : 0;
      long transposed = byAdjoint ? forward.transposedWeightsSize() : 0;
      return (long) forward.paddedSize() + forward.resultSize() + weightBufferA + weightBufferB
          + adjointFloats + transposed;
    }

    long sharedFloats() {
      return forward.packedWeightsSize() + (byAdjoint ? adjoint.packedWeightsSize() : 0);
    }
  }

  /**
   * One worker's buffers: the padded image of the forward pass (its border stays zero: nothing
   * else writes it) and its result; for the weight gradient, padded images and transposed
   * gradients and the transposed accumulator (by channels) or the lowered images and gradients
   * side by side (by GEMM); for the adjoint, the padded output gradient and its result.
   */
  private record Scratch(float[] image, float[] result, float[] weightA, float[] weightB,
      float[] paddedGrad, float[] resultGrad, float[] transposedWeights) {}

  DirectConvPasses(ConvGeometry g, int outChannels, int threads, Gemm gemm, ElementLoops loops) {
    this.plan = Plan.of(g, outChannels);
    this.geometry = g;
    this.gemm = gemm;
    this.loops = loops;
    this.scratch = new Scratch[threads];
    DirectConv f = plan.forward();
    DirectConv b = plan.adjoint();
    for (int t = 0; t < threads; t++) {
      scratch[t] = new Scratch(new float[f.paddedSize()], new float[f.resultSize()],
          new float[plan.weightBufferA()], new float[plan.weightBufferB()],
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

  /** How the backward pass is computed, for tests and profiles. */
  String backwardStrategy() {
    return plan.byAdjoint() ? "input gradient by adjoint, weight gradient by channels"
        : "both gradients by GEMM over images side by side";
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

  /** The floats {@link #DirectConvPasses} allocates for {@code threads} workers. */
  static long workspaceFloats(ConvGeometry g, int outChannels, int threads) {
    Plan plan = Plan.of(g, outChannels);
    return threads * plan.floatsPerThread() + plan.sharedFloats();
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
   * Worker t's share of a backward pass over images [from, to): adds their weight gradient to
   * {@code g[wOff ...]} and, when {@code dIn} is not null, writes their input gradient.
   */
  void backward(int t, float[] params, int weightOffset, float[] in, float[] dOut, float[] dIn,
      int from, int to, float[] g, int wOff) {
    Scratch s = scratch[t];
    for (int first = from; first < to; first += plan.chunk()) {
      int count = Math.min(plan.chunk(), to - first);
      if (plan.byAdjoint()) {
        backwardByChannels(s, in, dOut, dIn, first, count);
      } else {
        backwardSideBySide(s, params, weightOffset, in, dOut, dIn, first, count, g, wOff);
      }
    }
    if (plan.byAdjoint()) {
      plan.forward().addTransposedWeights(s.transposedWeights(), g, wOff);
      Arrays.fill(s.transposedWeights(), 0f);
    }
  }

  private void backwardByChannels(Scratch s, float[] in, float[] dOut, float[] dIn, int first,
      int count) {
    DirectConv f = plan.forward();
    for (int i = 0; i < count; i++) {
      int n = first + i;
      f.pad(in, n * inSize, s.weightA(), i * f.paddedSize());
      f.transposeGradient(dOut, n * outSize, s.weightB(), i * f.transposedGradientSize());
      if (dIn != null) {
        inputGradientByAdjoint(s, dOut, dIn, n);
      }
    }
    f.weightGradientByChannels(s.weightA(), s.weightB(), count, s.transposedWeights());
  }

  private void backwardSideBySide(Scratch s, float[] params, int weightOffset, float[] in,
      float[] dOut, float[] dIn, int first, int count, float[] g, int wOff) {
    int pixels = geometry.colCols();
    int depth = geometry.colRows();
    int width = count * pixels;
    float[] col = s.weightA();
    float[] dy = s.weightB();
    for (int i = 0; i < count; i++) {
      int n = first + i;
      Im2col.im2col(geometry, in, n * inSize, col, i * pixels, width);
      for (int o = 0; o < outChannels; o++) {
        System.arraycopy(dOut, n * outSize + o * pixels, dy, o * width + i * pixels, pixels);
      }
    }
    // dW (Cout, K) += dY (Cout, count * P) * col^T (count * P, K)
    gemm.sgemm(false, true, outChannels, depth, width, 1f, dy, 0, width, col, 0, width, 1f, g,
        wOff, depth);
    if (dIn != null) {
      // dCol (K, count * P) = W^T (K, Cout) * dY (Cout, count * P), scattered back per image
      gemm.sgemm(true, false, depth, width, outChannels, 1f, params, weightOffset, depth, dy, 0,
          width, 0f, col, 0, width);
      for (int i = 0; i < count; i++) {
        int n = first + i;
        Arrays.fill(dIn, n * inSize, (n + 1) * inSize, 0f);
        Im2col.col2im(geometry, col, i * pixels, dIn, n * inSize, loops, width);
      }
    }
  }

  private void inputGradientByAdjoint(Scratch s, float[] dOut, float[] dIn, int n) {
    DirectConv b = plan.adjoint();
    b.pad(dOut, n * outSize, s.paddedGrad(), 0);
    b.convolve(s.paddedGrad(), packedAdjointWeights, null, 0, dIn, n * inSize, s.resultGrad());
  }
}
