package org.sparkconv.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.DirectConv;
import org.sparkconv.engine.math.WinogradConv;

/**
 * ResNet-20's stage-3 convolution (64x7x7->64, "same") over 64 images at one thread, with a
 * folded norm and ReLU: the direct kernel by channels ({@code direct}, what ran before) against
 * Winograd with its GEMMs by channels in 2x2 and 4x4 tiles ({@code winograd2},
 * {@code winograd4}, the latter what runs now), and the packing of the F(4x4) weights by
 * channels ({@code pack4}, once per pass in training).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ChannelWinogradBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class ChannelWinogradBenchmark {

  private static final int IMAGES = 64;
  private static final int CHANNELS = 64;
  private static final int SIDE = 7;

  private int inSize;
  private int outSize;
  private float[] in;
  private float[] weights;
  private float[] scale;
  private float[] shift;
  private float[] out;
  private DirectConv direct;
  private float[] directWeights;
  private float[] directImage;
  private float[] directResult;
  private Plan winograd2;
  private Plan winograd4;

  /** A Winograd plan by channels with its packed weights and scratch. */
  private static final class Plan {
    final WinogradConv conv;
    final float[] packed;
    final float[] padded;
    final float[] transformed;
    final float[] products;
    final float[] results;

    Plan(WinogradConv conv, float[] weights) {
      this.conv = conv;
      this.packed = new float[conv.packedWeightsSize()];
      conv.packWeights(weights, 0, packed);
      this.padded = new float[conv.paddedSize()];
      this.transformed = new float[conv.transformedInputSize()];
      this.products = new float[conv.productSize()];
      this.results = new float[conv.outputScratchSize()];
    }
  }

  @Setup
  public void setUp() {
    ConvGeometry g = new ConvGeometry(CHANNELS, SIDE, SIDE, 3, 3, 1, 1, 1, 1, 1, 1, SIDE, SIDE);
    SplittableRandom rng = new SplittableRandom(1);
    inSize = g.imageSize();
    outSize = CHANNELS * SIDE * SIDE;
    in = new float[IMAGES * inSize];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) rng.nextGaussian();
    }
    weights = new float[CHANNELS * g.colRows()];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) rng.nextGaussian() * 0.1f;
    }
    scale = new float[CHANNELS];
    shift = new float[CHANNELS];
    for (int c = 0; c < CHANNELS; c++) {
      scale[c] = 0.5f + (float) rng.nextDouble();
      shift[c] = (float) rng.nextGaussian() * 0.1f;
    }
    out = new float[IMAGES * outSize];
    direct = DirectConv.forward(g, CHANNELS);
    directWeights = new float[direct.channelPackedWeightsSize()];
    direct.packWeightsByChannels(weights, 0, directWeights);
    directImage = new float[direct.paddedSize()];
    directResult = new float[direct.channelResultSize()];
    winograd2 = new Plan(WinogradConv.forwardByChannels(g, CHANNELS, 2), weights);
    winograd4 = new Plan(WinogradConv.forwardByChannels(g, CHANNELS, 4), weights);
  }

  @Benchmark
  public float[] direct() {
    for (int n = 0; n < IMAGES; n++) {
      direct.pad(in, n * inSize, directImage, 0);
      direct.convolveByChannels(directImage, directWeights, null, 0, out, n * outSize,
          directResult, scale, shift, true, null);
    }
    return out;
  }

  @Benchmark
  public float[] winograd2() {
    return convolve(winograd2);
  }

  @Benchmark
  public float[] winograd4() {
    return convolve(winograd4);
  }

  @Benchmark
  public float[] pack4() {
    winograd4.conv.packWeights(weights, 0, winograd4.packed);
    return winograd4.packed;
  }

  private float[] convolve(Plan p) {
    WinogradConv conv = p.conv;
    for (int first = 0; first < IMAGES; first += conv.chunk()) {
      int count = Math.min(conv.chunk(), IMAGES - first);
      for (int i = 0; i < count; i++) {
        conv.pad(in, (first + i) * inSize, p.padded, i);
      }
      conv.convolve(p.padded, count, p.packed, null, 0, scale, shift, true, null, out,
          first * outSize, outSize, p.transformed, p.products, p.results);
    }
    return out;
  }
}
