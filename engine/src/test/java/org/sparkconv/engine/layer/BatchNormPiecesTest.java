package org.sparkconv.engine.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkconv.engine.TestArrays.uniform;

import org.junit.jupiter.api.Test;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * A batch norm run on several threads splits the batch by images into pieces: its training
 * output and running statistics are bit for bit those of one thread, its input and parameter
 * gradients (sums over the pieces, added in piece order) agree with one thread's to float
 * rounding and are the same from run to run. With and without a fused ReLU, 2d and 1d, on a
 * batch that splits unevenly, and where the norm computes its own statistics (no convolution
 * recorded them).
 */
class BatchNormPiecesTest {

  private static final int BATCH = 11;

  @Test
  void piecesGiveOneThreadsResults() {
    for (boolean relu : new boolean[] {false, true}) {
      check(new BatchNorm.Spec(true, 0, 0.1f, 1e-5f), new Shape(16, 28, 28), relu);
      check(new BatchNorm.Spec(true, 0, 0.1f, 1e-5f), new Shape(5, 7, 7), relu);
      check(new BatchNorm.Spec(false, 0, 0.1f, 1e-5f), new Shape(37, 1, 1), relu);
    }
  }

  /**
   * Its input gradient written over its output gradient (one array, as the network plans it:
   * {@code LayerSpec.backwardInPlace}) is bit for bit the one written to another array, as are
   * the parameter gradients: on one thread and several, in training and evaluation mode.
   */
  @Test
  void inPlaceBackwardGivesTheSameGradients() {
    BatchNorm.Spec spec = new BatchNorm.Spec(true, 0, 0.1f, 1e-5f);
    assertTrue(spec.backwardInPlace());
    Shape shape = new Shape(6, 14, 14);
    for (int threads = 1; threads <= 3; threads++) {
      for (boolean relu : new boolean[] {false, true}) {
        for (boolean training : new boolean[] {true, false}) {
          String at = threads + " threads" + (relu ? ", ReLU" : "") + (training ? "" : ", eval");
          float[][] apart = backward(spec, shape, relu, threads, training, false);
          float[][] inPlace = backward(spec, shape, relu, threads, training, true);
          assertArrayEquals(apart[0], inPlace[0], at + ": input gradient");
          assertArrayEquals(apart[1], inPlace[1], at + ": gamma and beta gradients");
        }
      }
    }
  }

  /** Input and parameter gradients of one forward and backward, dIn over dOut or apart. */
  private static float[][] backward(BatchNorm.Spec spec, Shape shape, boolean relu, int threads,
      boolean training, boolean inPlace) {
    ComputeContext context = ComputeContext.defaults().withThreads(threads);
    BatchNorm norm = (BatchNorm) spec.build(shape, 1, context);
    if (relu) {
      assertTrue(norm.fuseNext(new Relu.Spec().build(shape, 2, context)));
    }
    int channels = shape.channels();
    float[] grads = new float[2 * channels];
    norm.bind(uniform(2 * channels, 5), grads, 0, new float[2 * channels], 0);
    norm.resetState();
    float[] x = uniform(BATCH * shape.size(), 6);
    float[] y = new float[x.length];
    float[] dOut = uniform(y.length, 7);
    norm.forward(x, y, BATCH, training);
    float[] dIn = inPlace ? dOut : new float[x.length];
    norm.backward(x, y, dOut, dIn, BATCH);
    return new float[][] {dIn, grads};
  }

  private static void check(BatchNorm.Spec spec, Shape shape, boolean relu) {
    String where = spec.type() + " on " + shape + (relu ? " with a ReLU" : "");
    float[][] one = run(spec, shape, relu, 1);
    for (int threads = 2; threads <= 3; threads++) {
      float[][] many = run(spec, shape, relu, threads);
      String at = where + ", " + threads + " threads";
      assertArrayEquals(one[0], many[0], at + ": output");
      assertArrayEquals(one[1], many[1], at + ": running statistics");
      assertClose(one[2], many[2], at + ": input gradient");
      assertClose(one[3], many[3], at + ": gamma and beta gradients");
      float[][] again = run(spec, shape, relu, threads);
      for (int k = 0; k < many.length; k++) {
        assertArrayEquals(many[k], again[k], at + ": run to run, result " + k);
      }
    }
  }

  /**
   * Output, running statistics, input gradient and parameter gradients (summed) after two
   * steps on the same batch.
   */
  private static float[][] run(BatchNorm.Spec spec, Shape shape, boolean relu, int threads) {
    ComputeContext context = ComputeContext.defaults().withThreads(threads);
    BatchNorm norm = (BatchNorm) spec.build(shape, 1, context);
    if (relu) {
      assertTrue(norm.fuseNext(new Relu.Spec().build(shape, 2, context)));
    }
    int channels = shape.channels();
    float[] params = uniform(2 * channels, 5);
    float[] grads = new float[2 * channels];
    float[] state = new float[2 * channels];
    norm.bind(params, grads, 0, state, 0);
    norm.resetState();
    float[] x = uniform(BATCH * shape.size(), 6);
    for (int i = 0; i < x.length; i++) {
      x[i] += 0.3f * (i / shape.planeSize() % channels); // each channel its own mean
    }
    float[] y = new float[x.length];
    float[] dOut = uniform(y.length, 7);
    float[] dIn = new float[x.length];
    for (int step = 0; step < 2; step++) { // the second step reuses the norm's sums
      norm.forward(x, y, BATCH, true);
      norm.backward(x, y, dOut, dIn, BATCH);
    }
    return new float[][] {y, state.clone(), dIn, grads};
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertTrue(scale > 0, what + ": all zero");
    for (int i = 0; i < expected.length; i++) {
      double error = Math.abs(expected[i] - actual[i]);
      assertTrue(error <= 1e-6 * scale, String.format("%s at %d: %s against %s (scale %s)", what,
          i, actual[i], expected[i], scale));
    }
  }
}
