package org.sparkconv.engine.layer;

import java.util.List;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.tensor.Shape;

/**
 * Element-wise sum of two or more inputs of one shape: the join of a residual connection
 * ({@code y = F(x) + x}, He et al. 2016, "Deep Residual Learning for Image Recognition").
 * Each input's gradient is the output's gradient, unchanged. A ReLU right after is fused in
 * ({@link #fuseNext}), as batch norm fuses one: forward writes {@code max(sum, 0)}, backward
 * passes the gradient where that output is positive.
 */
public final class Add implements MergeLayer {

  /** An {@code add} node; it has no settings. */
  public record Spec() implements MergeSpec {

    @Override
    public String type() {
      return "add";
    }

    @Override
    public Shape outputShape(List<Shape> inputs, List<String> inputNames, int index) {
      for (Shape shape : inputs) {
        if (!shape.equals(inputs.get(0))) {
          throw SpecException.at(index, type(), "inputs", "adds inputs of one shape, got "
              + MergeSpec.describe(inputs, inputNames));
        }
      }
      return inputs.get(0);
    }

    /** A ReLU right after (the end of a residual block) is applied inside the sum's passes. */
    @Override
    public boolean fusesNext(LayerSpec next) {
      return next instanceof Relu.Spec;
    }

    @Override
    public MergeLayer build(List<Shape> inputs, int index, ComputeContext context) {
      return new Add(inputs.get(0), context.parallel(), context.loops());
    }
  }

  private final Shape shape;
  private final Parallel parallel;
  private final ElementLoops loops;
  private boolean reluFused; // forward writes max(sum, 0); backward masks dOut by that output

  private Add(Shape shape, Parallel parallel, ElementLoops loops) {
    this.shape = shape;
    this.parallel = parallel;
    this.loops = loops;
  }

  @Override
  public Shape inputShape() {
    return shape;
  }

  @Override
  public Shape outputShape() {
    return shape;
  }

  /** Takes over a ReLU that follows: one pass over memory each way instead of two. */
  @Override
  public boolean fuseNext(Layer next) {
    if (next instanceof Relu) {
      reluFused = true;
      return true;
    }
    return false;
  }

  @Override
  public void forward(float[][] ins, float[] out, int batch) {
    int size = shape.size();
    parallel.forRange(batch, (t, first, last) -> {
      int from = first * size;
      int to = last * size;
      // the first two inputs summed in one pass (a residual sum has exactly two)
      float[] a = ins[0];
      float[] b = ins.length > 1 ? ins[1] : null;
      if (b == null) {
        System.arraycopy(a, from, out, from, to - from);
      } else if (ins.length == 2 && reluFused) {
        for (int i = from; i < to; i++) {
          out[i] = Math.max(a[i] + b[i], 0f);
        }
      } else {
        for (int i = from; i < to; i++) {
          out[i] = a[i] + b[i];
        }
      }
      for (int k = 2; k < ins.length; k++) {
        float[] in = ins[k];
        if (k == ins.length - 1 && reluFused) {
          for (int i = from; i < to; i++) {
            out[i] = Math.max(out[i] + in[i], 0f);
          }
        } else {
          for (int i = from; i < to; i++) {
            out[i] += in[i];
          }
        }
      }
    });
  }

  /**
   * Every input's gradient is dOut (masked by a fused ReLU): computed once, copied to the rest;
   * with the ReLU and two inputs (a residual sum), written to both in the one pass: the copy
   * re-read what the pass had just written (harness, ResNet-20's sums at batch 64, one thread:
   * 16x28x28 0.486 -> 0.40 ms, 32x14x14 1.05-1.08x, 64x7x7, in L2, even).
   */
  @Override
  public void backward(float[][] ins, float[] out, float[] dOut, float[][] dIns, int batch) {
    int size = shape.size();
    parallel.forRange(batch, (t, first, last) -> {
      int from = first * size;
      int length = (last - first) * size;
      if (reluFused && dIns.length == 2 && dIns[0] != null && dIns[1] != null) {
        loops.reluGradient(dOut, out, dIns[0], dIns[0] == dIns[1] ? null : dIns[1], from,
            from + length);
        return;
      }
      float[] computed = reluFused ? null : dOut;
      float[] written = null;
      for (float[] dIn : dIns) {
        if (dIn == null || dIn == written) { // none, or the array just written (shared)
          continue;
        }
        if (computed == null) {
          loops.reluGradient(dOut, out, dIn, null, from, from + length);
          computed = dIn;
        } else {
          System.arraycopy(computed, from, dIn, from, length);
        }
        written = dIn;
      }
    });
  }
}
