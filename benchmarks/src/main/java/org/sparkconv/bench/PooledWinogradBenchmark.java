package org.sparkconv.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.WinogradConv;
import org.sparkconv.engine.tensor.Shape;

/**
 * A Winograd convolution with a folded map and ReLU, then a 2x2 max pool, over 64 images at
 * one thread: the pool taken from the output transform's phases ({@code pooled}: the plane
 * never written) against the full output written and pooled in a pass of its own
 * ({@code separate}, what inference did before the fold). Shapes: VGG-small's second conv
 * (32x28x28->32, F(4x4)) and fourth (64x14x14->64, F(2x2)).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar PooledWinogradBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class PooledWinogradBenchmark {

  private static final int IMAGES = 64;

  /** channels x side, tile: both ways the same channel count. */
  @Param({"32x28:4", "64x14:2"})
  public String layer;

  private WinogradConv conv;
  private Layer pool;
  private int inSize;
  private int outSize;
  private float[] in;
  private float[] packed;
  private float[] scale;
  private float[] shift;
  private float[] full;
  private float[] pooled;
  private float[] padded;
  private float[] transformed;
  private float[] products;
  private float[] phases;

  @Setup
  public void setUp() {
    String[] parts = layer.split("[x:]");
    int channels = Integer.parseInt(parts[0]);
    int side = Integer.parseInt(parts[1]);
    int tile = Integer.parseInt(parts[2]);
    ConvGeometry g = new ConvGeometry(channels, side, side, 3, 3, 1, 1, 1, 1, 1, 1, side, side);
    conv = WinogradConv.forward(g, channels, tile);
    pool = MaxPool2d.Spec.of(2).build(new Shape(channels, side, side), 0,
        ComputeContext.defaults().withThreads(1));
    pool.reserve(IMAGES);
    SplittableRandom rng = new SplittableRandom(1);
    inSize = g.imageSize();
    outSize = channels * side * side;
    in = new float[IMAGES * inSize];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) rng.nextGaussian();
    }
    float[] w = new float[channels * g.colRows()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextGaussian() * 0.1f;
    }
    packed = new float[conv.packedWeightsSize()];
    conv.packWeights(w, 0, packed);
    scale = new float[channels];
    shift = new float[channels];
    for (int c = 0; c < channels; c++) {
      scale[c] = 0.5f + (float) rng.nextDouble();
      shift[c] = (float) rng.nextGaussian() * 0.1f;
    }
    full = new float[IMAGES * outSize];
    pooled = new float[IMAGES * outSize / 4];
    padded = new float[conv.paddedSize()];
    transformed = new float[conv.transformedInputSize()];
    products = new float[conv.productSize()];
    phases = new float[conv.outputScratchSize()];
  }

  @Benchmark
  public float[] pooled() {
    convolve(true, pooled, outSize / 4);
    return pooled;
  }

  @Benchmark
  public float[] separate() {
    convolve(false, full, outSize);
    pool.infer(full, pooled, IMAGES);
    return pooled;
  }

  private void convolve(boolean pool, float[] out, int imageSize) {
    for (int first = 0; first < IMAGES; first += conv.chunk()) {
      int count = Math.min(conv.chunk(), IMAGES - first);
      for (int i = 0; i < count; i++) {
        conv.pad(in, (first + i) * inSize, padded, i);
      }
      conv.convolve(padded, count, packed, null, 0, scale, shift, true, null, pool, out,
          first * imageSize, imageSize, transformed, products, phases);
    }
  }
}
