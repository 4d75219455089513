package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.tensor.Shape;

/**
 * Max pooling. Forward remembers for every output the index of the winning input
 * (the "switches" of Zeiler & Fergus 2014) so that backward routes each gradient to its winner;
 * padding never wins. On ties the first element in row-major window order wins (except that
 * +0 beats an earlier -0, as in {@link Math#max}); NaN is not ordered. In {@link #infer} 2x2
 * windows at stride 2 (on even widths) keep no switches and take {@link Math#max} of each
 * window in vectors ({@link ElementLoops#maxPool2x2}), where a NaN wins.
 */
public final class MaxPool2d implements Layer {

  private final Parallel parallel;
  private final ElementLoops loops;

  /** Kernel, stride (defaults to the kernel) and padding. */
  public record Spec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW)
      implements LayerSpec {

    public static Spec of(int kernel) {
      return new Spec(kernel, kernel, kernel, kernel, 0, 0);
    }

    @Override
    public String type() {
      return "maxpool2d";
    }

    /** 2x2 windows at stride 2 without padding: what a convolution can fold in. */
    public boolean pairWindows() {
      return kernelH == 2 && kernelW == 2 && strideH == 2 && strideW == 2 && padH == 0
          && padW == 0;
    }

    PoolWindow window() {
      return new PoolWindow(kernelH, kernelW, strideH, strideW, padH, padW);
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      ConvGeometry g = window().geometry(input, index, type());
      return new Shape(input.channels(), g.outH(), g.outW());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return window().receptiveField(in);
    }

    /** The winner's index per output unit. */
    @Override
    public long cachedFloatsPerExample(Shape input) {
      return outputShape(input, -1).size();
    }

    /** None where inference takes values only (see {@link MaxPool2d#infer}). */
    @Override
    public long inferenceCachedFloatsPerExample(Shape input) {
      return infersValuesOnly(input) ? 0 : cachedFloatsPerExample(input);
    }

    /** 2x2 windows on an even width: {@link MaxPool2d#infer} keeps no switches. */
    boolean infersValuesOnly(Shape input) {
      return pairWindows() && input.width() % 2 == 0;
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new MaxPool2d(this, input, window().geometry(input, index, type()),
          context.parallel(), context.loops());
    }
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final ConvGeometry g;
  private final boolean pairWindows; // 2x2 windows, stride 2, no padding: the common case
  private int[] switches = new int[0]; // (N, C, Ho, Wo): flat index of the winning input

  private MaxPool2d(Spec spec, Shape input, ConvGeometry geometry, Parallel parallel,
      ElementLoops loops) {
    this.parallel = parallel;
    this.loops = loops;
    this.spec = spec;
    this.inputShape = input;
    this.g = geometry;
    this.outputShape = new Shape(input.channels(), geometry.outH(), geometry.outW());
    this.pairWindows = spec.pairWindows();
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
  public void reserve(int batch) {
    int needed = batch * outputShape.size();
    if (switches.length < needed) {
      switches = new int[needed];
    }
  }

  /**
   * Switches only where {@link #infer} runs the forward pass: a 2x2 pool inferring values only
   * (or folded into the convolution before it) kept them all the same: VGG16 at 224x224, 16
   * images on one thread, 98 MB for its five pools of 1.53 GB of arrays.
   */
  @Override
  public void reserveInference(int batch) {
    if (!spec.infersValuesOnly(inputShape)) {
      reserve(batch);
    }
  }

  /**
   * No backward follows: 2x2 windows on an even width keep no switches and take values only, in
   * vectors (batch 256, one thread: VGG-small's two pools 4.6 and 2.5 ms -> 1.3 and 0.8,
   * LeNet-5's 0.87 and 0.32 -> 0.26 and 0.14).
   */
  @Override
  public void infer(float[] in, float[] out, int batch) {
    if (!spec.infersValuesOnly(inputShape)) {
      forward(in, out, batch, false);
      return;
    }
    parallel.forRange(batch * inputShape.channels(), (t, from, to) -> loops.maxPool2x2(in,
        out, from, to, g.height(), g.width()));
  }

  /** Records the winners in either mode: a backward may follow an evaluation forward. */
  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    // 2x2 windows at stride 2 without padding are whole: a tournament that picks the same
    // winner as the general loop, in vectors (JMH, batch 256, one thread: VGG-small's pools
    // 6.82 and 2.67 ms -> 2.25 and 2.11, LeNet-5's 0.93 and 0.36 -> 0.39 and 0.36; rows of 7
    // and 5 windows fill a 16-lane vector less than half). Its rows' loop as one bound, a
    // row of one vector without a loop: 3.8-6.1 -> 2.2-2.6, 2.9-3.3 -> 1.6-2.3, 0.58-0.61 ->
    // 0.34-0.47, 0.52-0.54 -> 0.27-0.40 (alone, two runs each, 2026-12-02).
    parallel.forRange(batch * inputShape.channels(), pairWindows
        ? (t, from, to) -> loops.maxPool2x2(in, out, switches, from, to, g.height(), g.width())
        : (t, from, to) -> forwardPlanes(in, out, from, to));
  }

  private void forwardPlanes(float[] in, float[] out, int fromPlane, int toPlane) {
    int h = g.height();
    int w = g.width();
    int o = fromPlane * g.outH() * g.outW();
    for (int plane = fromPlane; plane < toPlane; plane++) {
      int base = plane * h * w;
      for (int oy = 0; oy < g.outH(); oy++) {
        int y0 = oy * g.strideH() - g.padTop();
        int yStart = Math.max(y0, 0);
        int yEnd = Math.min(y0 + g.kernelH(), h);
        for (int ox = 0; ox < g.outW(); ox++) {
          int x0 = ox * g.strideW() - g.padLeft();
          int xStart = Math.max(x0, 0);
          int xEnd = Math.min(x0 + g.kernelW(), w);
          int best = base + yStart * w + xStart;
          for (int y = yStart; y < yEnd; y++) {
            int row = base + y * w;
            for (int x = xStart; x < xEnd; x++) {
              // Branch-free "if (in[row + x] > in[best]) best = row + x": see
              // ScalarLoops.maxPool2x2.
              int better = Float.floatToRawIntBits(in[best] - in[row + x]) >> 31;
              best += (row + x - best) & better;
            }
          }
          out[o] = in[best];
          switches[o] = best;
          o++;
        }
      }
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    int inPlane = g.height() * g.width();
    int outPlane = g.outH() * g.outW();
    // Each plane's switches point into that plane only, so planes split cleanly.
    parallel.forRange(batch * inputShape.channels(), (t, from, to) -> {
      Arrays.fill(dIn, from * inPlane, to * inPlane, 0f);
      for (int o = from * outPlane; o < to * outPlane; o++) {
        dIn[switches[o]] += dOut[o];
      }
    });
  }


}
