package org.sparkconv.bench;

import static org.sparkconv.bench.RandomArrays.gaussian;

import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.layer.ParamBlock;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ImageLanesWinograd;
import org.sparkconv.engine.tensor.Shape;

/**
 * ResNet-20's first stage in inference, or its first {@code blocks} residual blocks (the
 * second argument, after the rounds; three by default: the stage's blocks of two 16x28x28 -> 16
 * convolutions, each with its batch norm folded in; a ReLU after the first, the shortcut and a
 * ReLU after the second) over 16-image passes as {@code Network.infer} runs them, one thread:
 * as the engine's layers run it ({@code inferFoldingNext}, {@code inferFoldingNextAndSum}),
 * and with images in the vector lanes ({@link ImageLanesWinograd}), the pass's input converted
 * from NCHW once before the convolutions and the output back once after them. The two run
 * in the same rounds, both orders each ({@link AlternatedRounds}); it prints the medians and
 * the ratio's median and range. It first checks that both compute the same stage. Not a
 * test: {@code scripts/bench-image-lanes.sh} runs it with the engine's JVM flags.
 */
public final class ImageLanesStage {

  private static final int CHANNELS = 16;
  private static final int SIDE = 28;
  private static final int CHUNK = 16;
  private static final int PASSES = 16; // 256 images

  private final Shape shape = new Shape(CHANNELS, SIDE, SIDE);
  private final int size = shape.size();
  private final int convCount; // two a residual block
  private final Layer[] convs;
  private final Layer[] norms;
  private final float[] x;
  private final float[][] engineBuffers = new float[3][];
  private final ImageLanesWinograd plan = new ImageLanesWinograd(CHANNELS, SIDE, SIDE, CHANNELS);
  private final float[][] packed;
  private final float[][] shifts;
  private final float[][][] lanes; // per group: three activations
  private final float[] lanesOut;

  private ImageLanesStage(int blocks) {
    this.convCount = 2 * blocks;
    this.convs = new Layer[convCount];
    this.norms = new Layer[convCount];
    this.packed = new float[convCount][];
    this.shifts = new float[convCount][];
    SplittableRandom rng = new SplittableRandom(7);
    ComputeContext context = ComputeContext.defaults().withThreads(1);
    Conv2d.Spec convSpec = new Conv2d.Spec(0, CHANNELS, 3, 3, 1, 1, Padding.of(1), 1, 1, false,
        Init.HE_NORMAL);
    BatchNorm.Spec normSpec = BatchNorm.Spec.spatial2d();
    Layer relu = new Relu.Spec().build(shape, 0, context);
    int params = convSpec.paramBlocks(shape).stream().mapToInt(ParamBlock::length).sum();
    for (int i = 0; i < convCount; i++) {
      convs[i] = convSpec.build(shape, 2 * i, context);
      float[] weights = gaussian(rng, params);
      for (int k = 0; k < weights.length; k++) {
        weights[k] *= 0.1f; // He-like scale for 144 inputs: activations stay of order one
      }
      convs[i].bind(weights, new float[params], 0, new float[0], 0);
      norms[i] = normSpec.build(shape, 2 * i + 1, context);
      float[] normParams = new float[2 * CHANNELS]; // gamma, beta
      float[] normState = new float[normSpec.stateSize(shape)]; // running mean, variance
      float[] scale = new float[CHANNELS];
      shifts[i] = new float[CHANNELS];
      for (int c = 0; c < CHANNELS; c++) {
        normParams[c] = (float) (0.5 + rng.nextDouble());
        normParams[CHANNELS + c] = (float) (0.2 * rng.nextGaussian());
        normState[c] = (float) (0.2 * rng.nextGaussian());
        normState[CHANNELS + c] = (float) (0.5 + rng.nextDouble());
        scale[c] = (float) (normParams[c]
            / Math.sqrt(normState[CHANNELS + c] + normSpec.eps()));
        shifts[i][c] = normParams[CHANNELS + c] - normState[c] * scale[c];
      }
      norms[i].bind(normParams, new float[normParams.length], 0, normState, 0);
      if (i % 2 == 0) {
        norms[i].fuseNext(relu); // the block's first norm: its ReLU in the same map
      }
      packed[i] = new float[plan.packedSize()];
      plan.packWeights(weights, 0, scale, packed[i]);
    }
    x = gaussian(rng, CHUNK * size);
    for (int b = 0; b < engineBuffers.length; b++) {
      engineBuffers[b] = new float[CHUNK * size];
    }
    lanes = new float[CHUNK / ImageLanesWinograd.LANES][3][plan.lanesSize(CHANNELS)];
    lanesOut = new float[CHUNK * size];
  }

  /** The stage through the engine's layers; returns its output. */
  private float[] engine() {
    float[] in = x;
    float[] out = null;
    for (int pass = 0; pass < PASSES; pass++) {
      in = x;
      int free = 0;
      for (int i = 0; i < convCount; i += 2) {
        float[] middle = engineBuffers[free];
        out = engineBuffers[(free + 1) % 3];
        convs[i].inferFoldingNext(norms[i], in, middle, CHUNK);
        convs[i + 1].inferFoldingNextAndSum(norms[i + 1], middle, out, CHUNK, in, true);
        in = out;
        free = (free + 2) % 3;
      }
    }
    return out;
  }

  /** The stage by images in lanes, converted in and out once a pass; returns its output. */
  private float[] imageLanes() {
    int lanesCount = ImageLanesWinograd.LANES;
    for (int pass = 0; pass < PASSES; pass++) {
      for (int g = 0; g < lanes.length; g++) {
        float[][] a = lanes[g];
        plan.toLanes(x, g * lanesCount * size, size, a[0]);
        int block = 0; // a[block] holds the block's input
        for (int i = 0; i < convCount; i += 2) {
          float[] in = a[block];
          float[] middle = a[(block + 1) % 3];
          float[] out = a[(block + 2) % 3];
          plan.convolve(in, packed[i], shifts[i], null, true, middle);
          plan.convolve(middle, packed[i + 1], shifts[i + 1], in, true, out);
          block = (block + 2) % 3;
        }
        plan.fromLanes(a[block], lanesOut, g * lanesCount * size, size);
      }
    }
    return lanesOut;
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    ImageLanesStage stage = new ImageLanesStage(blocks);
    float[] byEngine = stage.engine().clone();
    float[] byLanes = stage.imageLanes();
    for (int i = 0; i < byEngine.length; i++) {
      if (Math.abs(byEngine[i] - byLanes[i]) > 1e-3f * (1 + Math.abs(byEngine[i]))) {
        throw new IllegalStateException("the two stages differ at " + i + ": " + byEngine[i]
            + " against " + byLanes[i]);
      }
    }
    AlternatedRounds timed = AlternatedRounds.time(rounds, stage::engine, stage::imageLanes);
    System.out.printf(Locale.ROOT, "%s (%d 16x28x28 -> 16 convolutions, folded norms, shortcuts,"
        + " ReLUs), 256 images in 16-image passes, one thread, %d rounds: %s%n",
        blocks == 3 ? "ResNet-20's stage 1" : blocks + " of its residual blocks", 2 * blocks,
        rounds, timed.describe("engine", "images in lanes (converted in and out once a pass)",
            "engine / lanes"));
  }
}
