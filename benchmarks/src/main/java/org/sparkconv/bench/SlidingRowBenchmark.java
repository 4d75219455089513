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
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.DirectConv;

/**
 * A direct convolution of at most 16 outputs with bias and ReLU, then a 2x2 max pool taken as
 * the result is written, over 256 images at one thread: sliding along rows with vectors over
 * the outputs ({@code sliding}: {@link DirectConv#convolveByChannelsPooled}, which runs the
 * sliding-row kernel where {@link DirectConv#slidesRows}) against the pixel-vector kernel on
 * padded rows ({@code pixels}: {@link DirectConv#convolvePooled}). Shapes: LeNet-5's second
 * conv (6x14x14->16, "valid" 5x5: rows of 10 in 14, where sliding is chosen) and a "same" 5x5
 * conv of 16 channels on 28x28 (rows of 28 in 32, where the pixel kernel is kept).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar SlidingRowBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class SlidingRowBenchmark {

  private static final int IMAGES = 256;

  /** inChannels x side, kernel, padding, outputs. */
  @Param({"6x14:5:0:16", "16x28:5:2:16"})
  public String layer;

  private DirectConv conv;
  private int inSize;
  private int pooledSize;
  private float[] in;
  private float[] packed;
  private float[] packedT;
  private float[] bias;
  private float[] padded;
  private float[] result;
  private float[] resultT;
  private float[] out;

  @Setup
  public void setUp() {
    String[] parts = layer.split("[x:]");
    int channels = Integer.parseInt(parts[0]);
    int side = Integer.parseInt(parts[1]);
    int kernel = Integer.parseInt(parts[2]);
    int pad = Integer.parseInt(parts[3]);
    int outputs = Integer.parseInt(parts[4]);
    int outSide = side + 2 * pad - kernel + 1;
    ConvGeometry g = new ConvGeometry(channels, side, side, kernel, kernel, 1, 1, pad, pad, 1,
        1, outSide, outSide);
    conv = DirectConv.forward(g, outputs);
    if (!conv.slidesRows()) {
      throw new IllegalStateException(layer + " does not slide along rows");
    }
    SplittableRandom rng = new SplittableRandom(1);
    inSize = g.imageSize();
    pooledSize = outputs * outSide * outSide / 4;
    in = new float[IMAGES * inSize];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) rng.nextGaussian();
    }
    float[] w = new float[outputs * g.colRows()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rng.nextGaussian() * 0.1f;
    }
    packed = new float[conv.packedWeightsSize()];
    conv.packWeights(w, 0, packed);
    packedT = new float[conv.channelPackedWeightsSize()];
    conv.packWeightsByChannels(w, 0, packedT);
    bias = new float[outputs];
    for (int o = 0; o < outputs; o++) {
      bias[o] = (float) rng.nextGaussian() * 0.1f;
    }
    padded = new float[conv.paddedSize()];
    result = new float[conv.resultSize()];
    resultT = new float[conv.channelResultSize()];
    out = new float[IMAGES * pooledSize];
  }

  @Benchmark
  public float[] sliding() {
    for (int n = 0; n < IMAGES; n++) {
      conv.pad(in, n * inSize, padded, 0);
      conv.convolveByChannelsPooled(padded, packedT, bias, 0, out, n * pooledSize, resultT,
          null, null, true);
    }
    return out;
  }

  @Benchmark
  public float[] pixels() {
    for (int n = 0; n < IMAGES; n++) {
      conv.pad(in, n * inSize, padded, 0);
      conv.convolvePooled(padded, packed, bias, 0, out, n * pooledSize, result, null, null,
          true);
    }
    return out;
  }
}
