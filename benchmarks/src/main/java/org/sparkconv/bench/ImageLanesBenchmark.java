package org.sparkconv.bench;

import static org.sparkconv.bench.RandomArrays.gaussian;

import java.util.Arrays;
import java.util.Locale;
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
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ImageLanesWinograd;
import org.sparkconv.engine.tensor.Shape;

/**
 * ResNet-20's first-stage convolution (16x28x28 -> 16, 3x3, "same", no bias) over an
 * inference batch of 256 images, one thread: as the engine runs it ({@code engine}: the
 * layer's inference pass, the direct kernel on wrapped rows), and by Winograd F(4x4, 3x3) with
 * images in the vector lanes ({@link ImageLanesWinograd}), once with the activations kept in
 * that layout ({@code imageLanes}, as a stage of such convolutions would run) and once
 * converted from and to NCHW around it ({@code imageLanesConverted}). The engine's network
 * infers 16 images at a time (its activations then stay near the core between layers): the
 * {@code ...Chunked} variants run the same 256 images' work as 16 passes over one chunk's
 * arrays (one group of {@link ImageLanesWinograd#LANES} images where that is 16). The
 * {@code ...Mapped} variants are the convolution as a residual block's second one runs in
 * inference: its batch norm folded in, the shortcut added and the ReLU applied as the output
 * is written. {@code engineTraining} and {@code imageLanesTraining} are a training step's three
 * convolution passes over a batch of 64. The set-up checks that both sides compute the same
 * (the forward passes).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ImageLanesBenchmark</pre>
 *
 * <p>JMH runs one method after another, and this machine's phases move whole runs (the
 * 16-image passes by images in lanes read 3.63 and 4.61 ms in two runs minutes apart). Its
 * {@link #main} times the two mapped 16-image-pass methods in the same rounds, both orders
 * each ({@link AlternatedRounds}), and prints the median of the rounds' ratios;
 * {@code scripts/bench-image-lanes.sh} runs it with the engine's JVM flags.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class ImageLanesBenchmark {

  private static final int BATCH = 256;
  private static final int CHANNELS = 16;
  private static final int SIDE = 28;
  private static final int LANES = ImageLanesWinograd.LANES;
  private static final int CHUNK = 16;
  private static final int TRAINING_BATCH = 64;

  private Layer layer;
  private float[] in;
  private float[] out;
  private ImageLanesWinograd plan;
  private float[] packed;
  private float[][] inLanes;
  private float[][] outLanes;
  private Layer trainingLayer;
  private float[] trainingOut;
  private float[] dOut;
  private float[] dIn;
  private float[] packedAdjoint;
  private float[][] dOutLanes;
  private float[] dInLanes;
  private float[] weightGradient;
  private Layer norm;
  private float[] residual;
  private float[] packedScaled;
  private float[] shift;
  private float[] residualLanes;

  @Setup
  public void setUp() {
    Shape shape = new Shape(CHANNELS, SIDE, SIDE);
    Conv2d.Spec spec = new Conv2d.Spec(0, CHANNELS, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    layer = spec.build(shape, 0, ComputeContext.defaults().withThreads(1));
    int params = spec.paramBlocks(shape).stream().mapToInt(ParamBlock::length).sum();
    SplittableRandom rng = new SplittableRandom(1);
    float[] weights = gaussian(rng, params);
    layer.bind(weights, new float[params], 0, new float[0], 0);
    in = gaussian(rng, BATCH * shape.size());
    out = new float[BATCH * shape.size()];

    plan = new ImageLanesWinograd(CHANNELS, SIDE, SIDE, CHANNELS);
    packed = new float[plan.packedSize()];
    plan.packWeights(weights, 0, packed);
    trainingLayer = spec.build(shape, 0, ComputeContext.defaults().withThreads(1));
    trainingLayer.bind(weights, new float[params], 0, new float[0], 0);
    trainingOut = new float[TRAINING_BATCH * shape.size()];
    dOut = gaussian(rng, TRAINING_BATCH * shape.size());
    dIn = new float[TRAINING_BATCH * shape.size()];
    packedAdjoint = new float[plan.packedSize()];
    plan.packAdjointWeights(weights, 0, packedAdjoint);
    dOutLanes = new float[TRAINING_BATCH / LANES][plan.lanesSize(CHANNELS)];
    for (int g = 0; g < dOutLanes.length; g++) {
      plan.toLanes(dOut, g * LANES * shape.size(), shape.size(), dOutLanes[g]);
    }
    dInLanes = new float[plan.lanesSize(CHANNELS)];
    weightGradient = new float[params];
    inLanes = new float[BATCH / LANES][plan.lanesSize(CHANNELS)];
    outLanes = new float[BATCH / LANES][plan.lanesSize(CHANNELS)];
    for (int g = 0; g < inLanes.length; g++) {
      plan.toLanes(in, g * LANES * shape.size(), shape.size(), inLanes[g]);
    }
    float[] byLanes = imageLanesConverted().clone();
    check(engine(), byLanes, "the two convolutions");

    BatchNorm.Spec normSpec = BatchNorm.Spec.spatial2d();
    norm = normSpec.build(shape, 1, ComputeContext.defaults().withThreads(1));
    float[] normParams = new float[2 * CHANNELS]; // gamma, beta
    float[] normState = new float[normSpec.stateSize(shape)]; // running mean, running variance
    float[] scale = new float[CHANNELS];
    shift = new float[CHANNELS];
    for (int c = 0; c < CHANNELS; c++) {
      normParams[c] = (float) (0.5 + rng.nextDouble());
      normParams[CHANNELS + c] = (float) rng.nextGaussian();
      normState[c] = (float) rng.nextGaussian();
      normState[CHANNELS + c] = (float) (0.5 + rng.nextDouble());
      scale[c] = (float) (normParams[c] / Math.sqrt(normState[CHANNELS + c] + normSpec.eps()));
      shift[c] = normParams[CHANNELS + c] - normState[c] * scale[c];
    }
    norm.bind(normParams, new float[normParams.length], 0, normState, 0);
    residual = gaussian(rng, CHUNK * shape.size());
    packedScaled = new float[plan.packedSize()];
    plan.packWeights(weights, 0, scale, packedScaled);
    residualLanes = new float[plan.lanesSize(CHANNELS)];
    float[] mappedLanes = new float[plan.lanesSize(CHANNELS)];
    plan.toLanes(residual, 0, shape.size(), residualLanes);
    plan.convolve(inLanes[0], packedScaled, shift, residualLanes, true, mappedLanes);
    float[] mapped = new float[LANES * shape.size()];
    plan.fromLanes(mappedLanes, mapped, 0, shape.size());
    layer.inferFoldingNextAndSum(norm, in, out, CHUNK, residual, true);
    check(Arrays.copyOf(out, mapped.length), mapped, "the two mapped convolutions");
  }

  private static void check(float[] byEngine, float[] byLanes, String what) {
    for (int i = 0; i < byLanes.length; i++) {
      if (Math.abs(byEngine[i] - byLanes[i]) > 1e-3f * (1 + Math.abs(byEngine[i]))) {
        throw new IllegalStateException(what + " differ at " + i + ": " + byEngine[i]
            + " against " + byLanes[i]);
      }
    }
  }

  /** The mapped 16-image passes, engine and images in lanes, alternated round by round. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    ImageLanesBenchmark b = new ImageLanesBenchmark();
    b.setUp();
    AlternatedRounds timed = AlternatedRounds.time(rounds, b::engineChunkedMapped,
        b::imageLanesChunkedMapped);
    System.out.printf(Locale.ROOT, "16x28x28 -> 16 with a folded norm, shortcut and ReLU, 256"
        + " images in 16-image passes, one thread, %d rounds: %s%n", rounds,
        timed.describe("engine", "images in lanes", "engine / lanes"));
  }

  /**
   * A training step's convolution passes over a batch of 64 (forward, input and weight
   * gradients), by the engine's layer: the time {@link #imageLanesTraining} is set against.
   */
  @Benchmark
  public float[] engineTraining() {
    trainingLayer.forward(in, trainingOut, TRAINING_BATCH, true);
    trainingLayer.backward(in, trainingOut, dOut, dIn, TRAINING_BATCH);
    return dIn;
  }

  /**
   * The same three passes by images in lanes, the activations and gradients kept in that
   * layout (the batch's groups: forward, adjoint, weight gradient; then the kernels' gradient).
   */
  @Benchmark
  public float[] imageLanesTraining() {
    for (int g = 0; g < TRAINING_BATCH / LANES; g++) {
      plan.convolve(inLanes[g], packed, outLanes[g]);
      plan.convolve(dOutLanes[g], packedAdjoint, dInLanes);
      plan.accumulateWeightGradient(inLanes[g], dOutLanes[g]);
    }
    plan.addWeightGradient(weightGradient, 0);
    return weightGradient;
  }

  @Benchmark
  public float[] engine() {
    layer.infer(in, out, BATCH);
    return out;
  }

  @Benchmark
  public float[] engineChunked() {
    for (int pass = 0; pass < BATCH / CHUNK; pass++) {
      layer.infer(in, out, CHUNK);
    }
    return out;
  }

  @Benchmark
  public float[][] imageLanesChunked() {
    for (int pass = 0; pass < BATCH / CHUNK; pass++) {
      for (int g = 0; g < CHUNK / LANES; g++) {
        plan.convolve(inLanes[g], packed, outLanes[g]);
      }
    }
    return outLanes;
  }

  @Benchmark
  public float[] engineChunkedMapped() {
    for (int pass = 0; pass < BATCH / CHUNK; pass++) {
      layer.inferFoldingNextAndSum(norm, in, out, CHUNK, residual, true);
    }
    return out;
  }

  @Benchmark
  public float[][] imageLanesChunkedMapped() {
    for (int pass = 0; pass < BATCH / CHUNK; pass++) {
      for (int g = 0; g < CHUNK / LANES; g++) {
        plan.convolve(inLanes[g], packedScaled, shift, residualLanes, true, outLanes[g]);
      }
    }
    return outLanes;
  }

  @Benchmark
  public float[][] imageLanes() {
    for (int g = 0; g < inLanes.length; g++) {
      plan.convolve(inLanes[g], packed, outLanes[g]);
    }
    return outLanes;
  }

  @Benchmark
  public float[] imageLanesConverted() {
    int size = CHANNELS * SIDE * SIDE;
    for (int g = 0; g < inLanes.length; g++) {
      plan.toLanes(in, g * LANES * size, size, inLanes[g]);
      plan.convolve(inLanes[g], packed, outLanes[g]);
      plan.fromLanes(outLanes[g], out, g * LANES * size, size);
    }
    return out;
  }
}
