package org.sparkconv.bench;

import static org.sparkconv.bench.RandomArrays.gaussian;

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
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * One convolution layer over a batch of 64, forward alone and forward + backward, computed by
 * im2col + GEMM, by the direct kernel, or by Winograd F(2x2, 3x3) where the layer runs it
 * (else as direct), one thread. Shapes (Cin x H x W -> Cout, kernel, padding): ResNet-20's
 * three stages, VGG-small's second and fourth convs, LeNet-5's second conv.
 *
 * <pre>OPENBLAS_NUM_THREADS=1 java -jar benchmarks/target/benchmarks.jar ConvLayerBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class ConvLayerBenchmark {

  private static final int BATCH = 64;

  /**
   * im2col: lowered per image and multiplied by the configured GEMM; direct: DirectConv;
   * winograd: WinogradConv where the layer's plan takes it.
   */
  @Param({"im2col", "direct", "winograd"})
  public String conv;

  /** Cin x H x W -> Cout / kernel / padding. */
  @Param({"16x28x28-16/3/1", "32x14x14-32/3/1", "64x7x7-64/3/1", "32x28x28-32/3/1",
      "64x14x14-64/3/1", "6x14x14-16/5/0"})
  public String shape;

  private Layer layer;
  private float[] in;
  private float[] out;
  private float[] dOut;
  private float[] dIn;

  @Setup
  public void setUp() {
    String[] parts = shape.split("-");
    String[] input = parts[0].split("x");
    String[] layerDims = parts[1].split("/");
    Shape inputShape = new Shape(Integer.parseInt(input[0]), Integer.parseInt(input[1]),
        Integer.parseInt(input[2]));
    int kernel = Integer.parseInt(layerDims[1]);
    Conv2d.Spec spec = new Conv2d.Spec(0, Integer.parseInt(layerDims[0]), kernel, kernel, 1, 1,
        Padding.of(Integer.parseInt(layerDims[2])), 1, 1, false, Init.HE_NORMAL);
    ComputeContext context = ComputeContext.defaults().withThreads(1)
        .withDirectConvolution(!conv.equals("im2col")).withWinograd(conv.equals("winograd"));
    layer = spec.build(inputShape, 0, context);
    int params = spec.paramBlocks(inputShape).stream().mapToInt(ParamBlock::length).sum();
    SplittableRandom rng = new SplittableRandom(1);
    layer.bind(gaussian(rng, params), new float[params], 0, new float[0], 0);
    in = gaussian(rng, BATCH * inputShape.size());
    out = new float[BATCH * layer.outputShape().size()];
    dOut = gaussian(rng, out.length);
    dIn = new float[in.length];
  }

  @Benchmark
  public float[] forward() {
    layer.forward(in, out, BATCH, true);
    return out;
  }

  @Benchmark
  public float[] forwardAndBackward() {
    layer.forward(in, out, BATCH, true);
    layer.backward(in, out, dOut, dIn, BATCH);
    return dIn;
  }
}
