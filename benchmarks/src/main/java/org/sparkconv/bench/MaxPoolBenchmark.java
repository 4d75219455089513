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
import org.sparkconv.engine.tensor.Shape;

/**
 * 2x2 max pooling at stride 2 over a batch of 256, one thread: the forward that keeps the
 * winner's index for backward (a branch-free tournament per window, in vectors) against
 * {@code infer} (values only, two vector passes a plane). Shapes: VGG-small's two pools,
 * LeNet-5's two.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar MaxPoolBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class MaxPoolBenchmark {

  private static final int BATCH = 256;

  /** C x H x W of the input. */
  @Param({"32x28x28", "64x14x14", "6x28x28", "16x10x10"})
  public String shape;

  private Layer pool;
  private float[] in;
  private float[] out;

  @Setup
  public void setUp() {
    String[] d = shape.split("x");
    Shape input = new Shape(Integer.parseInt(d[0]), Integer.parseInt(d[1]),
        Integer.parseInt(d[2]));
    pool = MaxPool2d.Spec.of(2).build(input, 0, ComputeContext.defaults().withThreads(1));
    pool.reserve(BATCH);
    SplittableRandom rng = new SplittableRandom(1);
    in = new float[BATCH * input.size()];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) rng.nextGaussian();
    }
    out = new float[BATCH * pool.outputShape().size()];
  }

  @Benchmark
  public float[] training() {
    pool.forward(in, out, BATCH, true);
    return out;
  }

  @Benchmark
  public float[] inference() {
    pool.infer(in, out, BATCH);
    return out;
  }
}
