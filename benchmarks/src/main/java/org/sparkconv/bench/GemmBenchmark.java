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
import org.sparkconv.engine.math.Gemm;

/**
 * One {@code C = A B} of a given shape per operation, for the pure-Java GEMM and native BLAS.
 * GFLOP/s = 2 m n k / (seconds per operation) / 1e9. Shapes: a square 512 product, and the
 * conv-shaped products of the engine issue (M = Cout, K = Cin*3*3, N = pixels).
 *
 * <pre>OPENBLAS_NUM_THREADS=1 java -jar benchmarks/target/benchmarks.jar GemmBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class GemmBenchmark {

  /** java-plain: blocked loops; java: the Vector API kernel; native: OpenBLAS via netlib. */
  @Param({"java-plain", "java", "native"})
  public String impl;

  /** m x k x n. */
  @Param({"512x512x512", "64x576x1024", "64x576x12544", "32x288x784", "16x150x100"})
  public String shape;

  private Gemm gemm;
  private int m;
  private int n;
  private int k;
  private float[] a;
  private float[] b;
  private float[] c;

  @Setup
  public void setUp() {
    System.setProperty("sparkconv.gemm", impl);
    gemm = Gemm.defaultGemm();
    String[] dims = shape.split("x");
    m = Integer.parseInt(dims[0]);
    k = Integer.parseInt(dims[1]);
    n = Integer.parseInt(dims[2]);
    SplittableRandom rng = new SplittableRandom(1);
    a = new float[m * k];
    b = new float[k * n];
    c = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rng.nextGaussian();
    }
  }

  @Benchmark
  public float[] multiply() {
    gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    return c;
  }
}
