package org.sparkconv.engine.layer;

import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.DirectConv;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.math.Im2col;
import org.sparkconv.engine.math.Parallel;

/**
 * The passes of an ungrouped stride-1 {@link Conv2d} computed by {@link DirectConv}, with no
 * lowered matrix: forward, the input gradient (the adjoint convolution of the output gradient)
 * and the weight gradient. On large planes the weight gradient is dot products of the spread
 * output gradient with the shifted padded images, a chunk of images at a time so the lanes are
 * summed once per chunk; on small planes, where those dot products are a few vectors long, it is
 * one GEMM over a chunk of images lowered side by side (im2col with a row stride), long enough
 * to run at full speed. Owns each worker's scratch and the weights packed once per pass.
 */
final class DirectConvPasses {

  /** Floats of padded images and spread gradients held per worker for a weight gradient. */
  private static final int CHUNK_FLOATS = 1 << 18;
  private static final int MAX_CHUNK = 8;
  /** Output pixels from which the weight gradient is computed as dot products. */
  static final int MIN_DOT_PIXELS = 400;
  /** Columns of a side-by-side lowering of small planes. */
  private static final int LOWERED_COLUMNS = 1024;

  private final ConvGeometry geometry;
  private final Gemm gemm;
  private final DirectConv forward;
  private final DirectConv adjoint;
  private final boolean byDots; // else by a GEMM over images lowered side by side
  private final int chunk; // images per weight-gradient call
  private final Scratch[] scratch; // per worker thread
  private final float[] packedWeights;
  private final float[] packedAdjointWeights;
  private final int inSize;
  private final int outSize;

  /**
   * One worker's buffers: the padded image of the forward pass (its border stays zero: nothing
   * else writes it), padded images and gradients spread to rows (by dots) or the lowered images
   * and gradients side by side (by GEMM), and the results of both kernels.
   */
  private record Scratch(float[] image, float[] padded, float[] rows, float[] result,
      float[] paddedGrad, float[] resultGrad) {}

  DirectConvPasses(ConvGeometry g, int outChannels, int threads, Gemm gemm) {
    this.geometry = g;
    this.gemm = gemm;
    this.forward = DirectConv.forward(g, outChannels);
    this.adjoint = DirectConv.adjoint(g, outChannels);
    this.byDots = g.colCols() >= MIN_DOT_PIXELS;
    this.chunk = byDots ? chunkFor(forward) : loweredChunk(g);
    int[] sizes = weightGradientSizes(g, outChannels, forward, byDots, chunk);
    this.scratch = new Scratch[threads];
    for (int t = 0; t < threads; t++) {
      scratch[t] = new Scratch(new float[forward.paddedSize()], new float[sizes[0]],
          new float[sizes[1]],
          new float[forward.resultSize()], new float[adjoint.paddedSize()],
          new float[adjoint.resultSize()]);
    }
    this.packedWeights = new float[forward.packedWeightsSize()];
    this.packedAdjointWeights = new float[adjoint.packedWeightsSize()];
    this.inSize = g.imageSize();
    this.outSize = outChannels * g.outH() * g.outW();
  }

  /** Whether these passes compute a convolution of geometry {@code g} with {@code groups}. */
  static boolean applies(ConvGeometry g, int groups) {
    return groups == 1 && !g.isIdentityLowering() && DirectConv.supports(g);
  }

  /** The floats {@link #DirectConvPasses} allocates for {@code threads} workers. */
  static long workspaceFloats(ConvGeometry g, int outChannels, int threads) {
    DirectConv f = DirectConv.forward(g, outChannels);
    DirectConv b = DirectConv.adjoint(g, outChannels);
    boolean dots = g.colCols() >= MIN_DOT_PIXELS;
    int[] sizes = weightGradientSizes(g, outChannels, f, dots,
        dots ? chunkFor(f) : loweredChunk(g));
    long perThread = (long) f.paddedSize() + sizes[0] + sizes[1] + f.resultSize()
        + b.paddedSize() + b.resultSize();
    return threads * perThread + f.packedWeightsSize() + b.packedWeightsSize();
  }

  /** Floats of the two weight-gradient buffers: {padded or lowered, rows or side by side}. */
  private static int[] weightGradientSizes(ConvGeometry g, int outChannels, DirectConv f,
      boolean dots, int chunk) {
    return dots ? new int[] {chunk * f.paddedSize(), chunk * f.gradientRowsSize()}
        : new int[] {chunk * g.colSize(), chunk * outChannels * g.colCols()};
  }

  private static int loweredChunk(ConvGeometry g) {
    return Math.max(1, LOWERED_COLUMNS / g.colCols());
  }

  private static int chunkFor(DirectConv f) {
    int perImage = f.paddedSize() + f.gradientRowsSize();
    return Math.max(1, Math.min(MAX_CHUNK, CHUNK_FLOATS / perImage));
  }

  /** {@code out} = the convolution of every image in {@code in}, plus the bias if any. */
  void forward(Parallel parallel, float[] params, int weightOffset, float[] bias, int biasOffset,
      float[] in, float[] out, int batch) {
    forward.packWeights(params, weightOffset, packedWeights);
    parallel.forRange(batch, (t, from, to) -> {
      Scratch s = scratch[t];
      for (int n = from; n < to; n++) {
        forward.pad(in, n * inSize, s.image(), 0);
        forward.convolve(s.image(), packedWeights, bias, biasOffset, out, n * outSize,
            s.result());
      }
    });
  }

  /** Packs the weights the input gradient needs; call once per backward pass, before workers. */
  void prepareBackward(float[] params, int weightOffset) {
    adjoint.packAdjointWeights(params, weightOffset, packedAdjointWeights);
  }

  /**
   * Worker t's share of a backward pass over images [from, to): adds their weight gradient to
   * {@code g[wOff ...]} and, when {@code dIn} is not null, writes their input gradient.
   */
  void backward(int t, float[] in, float[] dOut, float[] dIn, int from, int to, float[] g,
      int wOff) {
    Scratch s = scratch[t];
    int paddedSize = forward.paddedSize();
    int rowsSize = forward.gradientRowsSize();
    int pixels = geometry.colCols();
    int outChannels = outSize / pixels;
    for (int first = from; first < to; first += chunk) {
      int count = Math.min(chunk, to - first);
      int width = count * pixels; // of the side-by-side matrices
      for (int i = 0; i < count; i++) {
        int n = first + i;
        if (byDots) {
          forward.pad(in, n * inSize, s.padded(), i * paddedSize);
          forward.spreadGradient(dOut, n * outSize, s.rows(), i * rowsSize);
        } else {
          Im2col.im2col(geometry, in, n * inSize, s.padded(), i * pixels, width);
          for (int o = 0; o < outChannels; o++) {
            System.arraycopy(dOut, n * outSize + o * pixels, s.rows(), o * width + i * pixels,
                pixels);
          }
        }
        if (dIn != null) {
          adjoint.pad(dOut, n * outSize, s.paddedGrad(), 0);
          adjoint.convolve(s.paddedGrad(), packedAdjointWeights, null, 0, dIn, n * inSize,
              s.resultGrad());
        }
      }
      if (byDots) {
        forward.weightGradient(s.padded(), s.rows(), count, g, wOff);
      } else {
        // dW (Cout, K) += dY (Cout, count * P) * col^T (count * P, K)
        int depth = geometry.colRows();
        gemm.sgemm(false, true, outChannels, depth, width, 1f, s.rows(), 0, width, s.padded(),
            0, width, 1f, g, wOff, depth);
      }
    }
  }
}
