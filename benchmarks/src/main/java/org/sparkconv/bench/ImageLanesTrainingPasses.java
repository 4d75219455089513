package org.sparkconv.bench;

import static org.sparkconv.bench.RandomArrays.gaussian;

import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ImageLanesWinograd;
import org.sparkconv.engine.tensor.Shape;

/**
 * A training step's three convolution passes over a batch of 64, one thread, for ResNet-20's
 * stride-1 3x3 convolutions of its first two stages (16x28x28 -> 16 and 32x14x14 -> 32): by
 * the engine's layer (forward, then backward: input and weight gradients) and by
 * {@link ImageLanesWinograd} with the activations and gradients already in its layout
 * (forward, the adjoint for the input gradient, the weight gradient through the transforms),
 * so what a stage trained in lanes could gain per convolution, conversions left out. Each
 * round times the engine's two passes and the lanes' three, in an order that turns by one
 * every round; medians over the rounds, and the ratio of the sums. The set-up checks that both
 * sides compute the same outputs and weight gradients.
 *
 * <pre>java $ENGINE_JVM_FLAGS -cp benchmarks/target/benchmarks.jar \
 *     org.sparkconv.bench.ImageLanesTrainingPasses [rounds]</pre>
 */
public final class ImageLanesTrainingPasses {

  private static final int BATCH = 64;
  private static final int LANES = ImageLanesWinograd.LANES;
  private static final String[] PASSES = {"engine forward", "engine backward",
      "lanes forward", "lanes input gradient", "lanes weight gradient"};

  private final Runnable[] passes;

  private ImageLanesTrainingPasses(int channels, int side) {
    Shape shape = new Shape(channels, side, side);
    int size = shape.size();
    Conv2d.Spec spec = new Conv2d.Spec(0, channels, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    Layer layer = spec.build(shape, 0, ComputeContext.defaults().withThreads(1));
    int params = spec.paramBlocks(shape).stream().mapToInt(ParamBlock::length).sum();
    SplittableRandom rng = new SplittableRandom(1);
    float[] weights = gaussian(rng, params);
    float[] engineGradient = new float[params];
    layer.bind(weights, engineGradient, 0, new float[0], 0);
    float[] in = gaussian(rng, BATCH * size);
    float[] out = new float[BATCH * size];
    float[] dOut = gaussian(rng, BATCH * size);
    float[] dIn = new float[BATCH * size];

    ImageLanesWinograd plan = new ImageLanesWinograd(channels, side, side, channels);
    float[] packed = new float[plan.packedSize()];
    float[] packedAdjoint = new float[plan.packedSize()];
    plan.packWeights(weights, 0, packed);
    plan.packAdjointWeights(weights, 0, packedAdjoint);
    int groups = BATCH / LANES;
    float[][] inLanes = new float[groups][plan.lanesSize(channels)];
    float[][] outLanes = new float[groups][plan.lanesSize(channels)];
    float[][] dOutLanes = new float[groups][plan.lanesSize(channels)];
    float[] dInLanes = new float[plan.lanesSize(channels)];
    for (int g = 0; g < groups; g++) {
      plan.toLanes(in, g * LANES * size, size, inLanes[g]);
      plan.toLanes(dOut, g * LANES * size, size, dOutLanes[g]);
    }
    float[] lanesGradient = new float[params];
    passes = new Runnable[] {
        () -> layer.forward(in, out, BATCH, true),
        () -> layer.backward(in, out, dOut, dIn, BATCH),
        () -> {
          for (int g = 0; g < groups; g++) {
            plan.convolve(inLanes[g], packed, outLanes[g]);
          }
        },
        () -> {
          for (int g = 0; g < groups; g++) {
            plan.convolve(dOutLanes[g], packedAdjoint, dInLanes);
          }
        },
        () -> {
          for (int g = 0; g < groups; g++) {
            plan.accumulateWeightGradient(inLanes[g], dOutLanes[g]);
          }
          plan.addWeightGradient(lanesGradient, 0);
        }};
    for (Runnable pass : passes) {
      pass.run();
    }
    float[] outFromLanes = new float[BATCH * size];
    for (int g = 0; g < groups; g++) {
      plan.fromLanes(outLanes[g], outFromLanes, g * LANES * size, size);
    }
    check(out, outFromLanes, channels + "x" + side + "x" + side + " outputs");
    check(engineGradient, lanesGradient, channels + "x" + side + "x" + side
        + " weight gradients");
  }

  private static void check(float[] byEngine, float[] byLanes, String what) {
    float largest = 0f;
    for (float v : byEngine) {
      largest = Math.max(largest, Math.abs(v));
    }
    for (int i = 0; i < byLanes.length; i++) {
      if (Math.abs(byEngine[i] - byLanes[i]) > 1e-3f * (1 + largest)) {
        throw new IllegalStateException(what + " differ at " + i + ": " + byEngine[i]
            + " against " + byLanes[i]);
      }
    }
  }

  /** Per pass, the median of {@code rounds} timed rounds (after ten), in ms. */
  private double[] time(int rounds) {
    double[][] ms = new double[passes.length][rounds];
    for (int round = -10; round < rounds; round++) {
      for (int turn = 0; turn < passes.length; turn++) {
        int pass = Math.floorMod(round + turn, passes.length);
        long t0 = System.nanoTime();
        passes[pass].run();
        long t1 = System.nanoTime();
        if (round >= 0) {
          ms[pass][round] = (t1 - t0) / 1e6;
        }
      }
    }
    double[] medians = new double[passes.length];
    for (int pass = 0; pass < passes.length; pass++) {
      medians[pass] = RoundStats.median(ms[pass]);
    }
    return medians;
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    for (int[] shape : new int[][] {{16, 28}, {32, 14}}) {
      double[] ms = new ImageLanesTrainingPasses(shape[0], shape[1]).time(rounds);
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
          "%dx%dx%d -> %d, batch %d, one thread, medians of %d rounds:", shape[0], shape[1],
          shape[1], shape[0], BATCH, rounds));
      for (int pass = 0; pass < PASSES.length; pass++) {
        line.append(String.format(Locale.ROOT, " %s %.2f ms;", PASSES[pass], ms[pass]));
      }
      double engine = ms[0] + ms[1];
      double lanes = ms[2] + ms[3] + ms[4];
      line.append(String.format(Locale.ROOT, " engine / lanes %.3f (%.2f / %.2f ms)", engine
          / lanes, engine, lanes));
      System.out.println(line);
    }
  }
}
