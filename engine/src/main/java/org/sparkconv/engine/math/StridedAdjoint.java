package org.sparkconv.engine.math;

/**
 * The input gradient of a stride-2 convolution without lowering. Input pixel
 * {@code (2i + a, 2j + b)} receives only the forward taps {@code (ki, kj)} with
 * {@code ki = a + padTop} and {@code kj = b + padLeft} (mod 2), so each of the four phases
 * {@code (a, b)} of the input gradient is a stride-1 convolution of the output gradient by a
 * rotated sub-kernel ({@link DirectConv#phaseAdjoint}; for a 3x3 kernel, padding 1: 1x1, 1x2,
 * 2x1 and 2x2 taps, nine in all, as many multiply-adds as the lowered product). All four read
 * one padded copy of the output gradient and write one result layout; the phases' planes are
 * then zipped into the input gradient's rows ({@link WinogradKernel#interleave}). This
 * replaces a GEMM into a lowered matrix nine times the image and col2im's scatter back:
 * ResNet-20's downsampling convs, 64 images, one thread, backward (weight gradient included)
 * in ms, lowered vs by phases, three runs each: 16x28x28->32 3.91-4.16 vs 2.60-2.71,
 * 32x14x14->64 3.83-3.96 vs 2.47-2.57; whole training steps 1.03x as fast (median of eight
 * interleaved rounds).
 *
 * <p>Applies where the phases share their padding (3x3 and 7x7 padded by half, 1x1 and 2x2
 * unpadded; not 5x5 padded by 2, whose phases are padded by 1 and 0) and the input's sides are
 * even, so that every phase has the same plane; else {@link #of} returns null and the layer
 * lowers.
 */
public final class StridedAdjoint {

  private final DirectConv[] phases; // (a, b) at 2a + b; null where no tap lands
  private final DirectConv padding; // the phase that reads the most: it pads for all
  private final int[] packedAt;
  private final int packedSize;
  private final int paddedSize;
  private final int resultSize; // one phase's, with room for the zip's whole-vector reads
  private final int inH;
  private final int inW;
  private final int channels;

  private StridedAdjoint(DirectConv[] phases, DirectConv padding, ConvGeometry g) {
    this.phases = phases;
    this.padding = padding;
    this.packedAt = new int[phases.length];
    int packed = 0;
    int padded = 0;
    int result = 0;
    for (int k = 0; k < phases.length; k++) {
      packedAt[k] = packed;
      if (phases[k] != null) {
        packed += phases[k].packedWeightsSize();
        padded = Math.max(padded, phases[k].paddedSize());
        result = Math.max(result, phases[k].resultSize());
      }
    }
    this.packedSize = packed;
    this.paddedSize = padded;
    this.resultSize = result + 2 * 16;
    this.inH = g.height();
    this.inW = g.width();
    this.channels = g.channels();
  }

  /**
   * The phase plans of {@code g}'s input gradient with {@code outChannels} outputs, or null
   * where they do not apply (see the class comment).
   */
  public static StridedAdjoint of(ConvGeometry g, int outChannels) {
    if (g.strideH() != 2 || g.strideW() != 2 || g.dilationH() != 1 || g.dilationW() != 1
        || g.padTop() < 0 || g.padLeft() < 0 || g.height() % 2 != 0 || g.width() % 2 != 0
        || !DirectConv.supports(g)) {
      return null;
    }
    // first at their own widths, to find the common one
    DirectConv[] natural = phases(g, outChannels, 0, 0);
    int rowWidth = 0;
    int rows = 0;
    for (DirectConv d : natural) {
      if (d != null) {
        rowWidth = Math.max(rowWidth, d.rowWidth());
        rows = Math.max(rows, d.planeRows());
      }
    }
    DirectConv[] shared = phases(g, outChannels, rowWidth, rows);
    DirectConv widest = null; // pads for all: the most taps each way reads the most rows
    for (DirectConv d : shared) {
      if (d != null && (widest == null || d.multiplyAdds() > widest.multiplyAdds())) {
        widest = d;
      }
    }
    for (DirectConv d : shared) {
      if (d != null && !d.sharesPaddedLayout(widest)) {
        return null;
      }
    }
    return widest == null ? null : new StridedAdjoint(shared, widest, g);
  }

  private static DirectConv[] phases(ConvGeometry g, int outChannels, int rowWidth, int rows) {
    DirectConv[] phases = new DirectConv[4];
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 2; b++) {
        phases[2 * a + b] = DirectConv.phaseAdjoint(g, outChannels, a, b, rowWidth, rows);
      }
    }
    return phases;
  }

  /** Floats of the weights packed for all phases. */
  public int packedWeightsSize() {
    return packedSize;
  }

  /** Floats of the padded output gradient, shared by the phases. */
  public int paddedSize() {
    return paddedSize;
  }

  /** Floats of the four phases' results. */
  public int resultsSize() {
    return 4 * resultSize;
  }

  /** Multiply-adds of one image's input gradient, dropped columns included. */
  public long multiplyAdds() {
    long total = 0;
    for (DirectConv d : phases) {
      total += d == null ? 0 : d.multiplyAdds();
    }
    return total;
  }

  /** Packs the forward weights {@code (Cout, Cin, kh, kw)} at {@code w[off]} for every phase. */
  public void packWeights(float[] w, int off, float[] packed) {
    for (int k = 0; k < phases.length; k++) {
      if (phases[k] != null) {
        phases[k].packAdjointWeights(w, off, packed, packedAt[k]);
      }
    }
  }

  /**
   * {@code dIn[inOff ...]} = the input gradient of the image whose output gradient is at
   * {@code dOut[outOff ...]}. {@code padded} ({@link #paddedSize()}) and {@code results}
   * ({@link #resultsSize()}) are the worker's scratch, zero when first given and reused as
   * this leaves them: the phases no tap lands on stay zero.
   */
  public void inputGradient(float[] dOut, int outOff, float[] packed, float[] padded,
      float[] results, float[] dIn, int inOff) {
    padding.pad(dOut, outOff, padded, 0);
    for (int k = 0; k < phases.length; k++) {
      if (phases[k] != null) {
        phases[k].multiply(padded, packed, packedAt[k], results, k * resultSize);
      }
    }
    int run = padding.runLength();
    int plane = inH * inW;
    for (int c = 0; c < channels; c++) {
      WinogradKernel.interleave(results, c * run, resultSize, padding.rowWidth(), 0, inH, inH,
          inW, dIn, inOff + c * plane, false, null);
    }
  }
}
