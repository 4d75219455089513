package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * A batch norm that takes its training statistics from the plane moments the convolution
 * before it recorded ({@link PlaneMoments}) writes bit for bit the output and running
 * statistics of one that reads the convolution's output for them: on every path a convolution
 * takes (wrapped rows, padded rows by channels, Winograd by channels and by tiles, a strided
 * 3x3, a strided 1x1, im2col), at 1 and 2 threads, on a batch that splits unevenly. After an
 * evaluation forward, which records nothing, the norm computes its own.
 */
class PlaneMomentsTest {

  private static final int BATCH = 11;

  @Test
  void recordedMomentsGiveTheStatisticsTheNormComputes() {
    ComputeContext d = ComputeContext.defaults();
    for (int threads = 1; threads <= 2; threads++) {
      ComputeContext c = d.withThreads(threads);
      check(new Shape(16, 28, 28), conv(16, 3, 1, 1), c); // ResNet-20's stage 1: wrapped rows
      check(new Shape(64, 7, 7), conv(64, 3, 1, 1), c.withWinograd(true)); // by channels
      check(new Shape(64, 7, 7), conv(64, 3, 1, 1), c.withWinograd(false)); // channel lanes
      check(new Shape(32, 28, 28), conv(32, 3, 1, 1), c.withWinograd(true)); // by tiles
      check(new Shape(16, 28, 28), conv(32, 3, 2, 1), c); // downsampling
      check(new Shape(16, 28, 28), conv(32, 1, 2, 0), c); // a strided 1x1: pointwise
      check(new Shape(3, 9, 7), conv(5, 3, 1, 1), c.withDirectConvolution(false)); // im2col
    }
  }

  private static Conv2d.Spec conv(int out, int kernel, int stride, int pad) {
    return new Conv2d.Spec(0, out, kernel, kernel, stride, stride, Padding.of(pad), 1, 1, true,
        Init.HE_NORMAL);
  }

  private static void check(Shape input, Conv2d.Spec spec, ComputeContext context) {
    String where = spec + " on " + input;
    Conv2d conv = (Conv2d) spec.build(input, 0, context);
    int weights = spec.paramBlocks(input).stream().mapToInt(ParamBlock::length).sum();
    conv.bind(uniform(weights, 3), new float[weights], 0, new float[0], 0);
    Shape out = conv.outputShape();
    BatchNorm.Spec normSpec = new BatchNorm.Spec(true, out.channels(), 0.1f, 1e-5f);
    BatchNorm reading = norm(normSpec, out, context);
    BatchNorm taking = norm(normSpec, out, context);
    float[] x = uniform(BATCH * input.size(), 4);
    float[] y = new float[BATCH * out.size()];
    float[] expected = new float[y.length];
    float[] actual = new float[y.length];
    assertTrue(conv.recordMomentsFor(taking), where);
    assertFalse(conv.recordMomentsFor(reading), where + ": one norm per convolution");
    for (int step = 0; step < 2; step++) { // the second time, moments recorded again
      conv.forward(x, y, BATCH, true);
      taking.forward(y, actual, BATCH, true);
      reading.forward(y, expected, BATCH, true);
      assertArrayEquals(expected, actual, where + ", step " + step);
      assertArrayEquals(stateOf(reading), stateOf(taking), where + ": running statistics");
    }
    conv.forward(x, y, BATCH, false); // records nothing: the norm reads y
    java.util.Arrays.fill(y, 0, out.size(), 2f);
    reading.forward(y, expected, BATCH, true);
    taking.forward(y, actual, BATCH, true);
    assertArrayEquals(expected, actual, where + ", after an evaluation forward");
  }

  private static BatchNorm norm(BatchNorm.Spec spec, Shape shape, ComputeContext context) {
    BatchNorm norm = (BatchNorm) spec.build(shape, 1, context);
    int channels = shape.channels();
    float[] params = uniform(2 * channels, 5);
    norm.bind(params, new float[2 * channels], 0, new float[2 * channels], 0);
    norm.resetState();
    return norm;
  }

  private static float[] stateOf(BatchNorm norm) {
    float[] scale = new float[norm.outputShape().channels()];
    float[] shift = new float[scale.length];
    norm.inferenceAffine(scale, shift);
    float[] both = java.util.Arrays.copyOf(scale, 2 * scale.length);
    System.arraycopy(shift, 0, both, scale.length, shift.length);
    return both;
  }
}
