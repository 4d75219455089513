package org.sparkconv.engine.layer;

import java.util.List;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/**
 * Joins two or more inputs along the channel axis, in input order: the feature reuse of a dense
 * block ({@code x_l = H_l([x_0, ..., x_{l-1}])}, Huang et al. 2017, "Densely Connected
 * Convolutional Networks"). Heights and widths must match. In NCHW each example's channels are
 * contiguous, so forward copies one run of {@code C_k * H * W} floats per input and example, and
 * backward copies the same runs of the gradient back.
 */
public final class Concat implements MergeLayer {

  /** A {@code concat} node; it has no settings. */
  public record Spec() implements MergeSpec {

    @Override
    public String type() {
      return "concat";
    }

    @Override
    public Shape outputShape(List<Shape> inputs, List<String> inputNames, int index) {
      long channels = 0;
      for (Shape shape : inputs) {
        if (shape.height() != inputs.get(0).height() || shape.width() != inputs.get(0).width()) {
          throw SpecException.at(index, type(), "inputs", "joins along channels inputs of"
              + " one height and width, got " + MergeSpec.describe(inputs, inputNames));
        }
        channels += shape.channels();
      }
      if (channels * inputs.get(0).planeSize() > Integer.MAX_VALUE - 8) {
        throw SpecException.at(index, type(), "inputs", "the joined example would hold more"
            + " than 2^31 values: " + MergeSpec.describe(inputs, inputNames));
      }
      return new Shape((int) channels, inputs.get(0).height(), inputs.get(0).width());
    }

    @Override
    public MergeLayer build(List<Shape> inputs, int index, ComputeContext context) {
      return new Concat(inputs, outputShape(inputs, inputs.stream().map(Shape::toString)
          .toList(), index));
    }
  }

  private final int[] inputSizes; // floats per example of each input
  private final Shape inputShape;
  private final Shape outputShape;

  private Concat(List<Shape> inputs, Shape output) {
    this.inputSizes = inputs.stream().mapToInt(Shape::size).toArray();
    this.inputShape = inputs.get(0);
    this.outputShape = output;
  }

  @Override
  public Shape inputShape() {
    return inputShape;
  }

  @Override
  public Shape outputShape() {
    return outputShape;
  }

  @Override
  public void forward(float[][] ins, float[] out, int batch) {
    int outSize = outputShape.size();
    for (int n = 0; n < batch; n++) {
      int at = n * outSize;
      for (int k = 0; k < ins.length; k++) {
        System.arraycopy(ins[k], n * inputSizes[k], out, at, inputSizes[k]);
        at += inputSizes[k];
      }
    }
  }

  @Override
  public void backward(float[][] ins, float[] out, float[] dOut, float[][] dIns, int batch) {
    int outSize = outputShape.size();
    for (int n = 0; n < batch; n++) {
      int at = n * outSize;
      for (int k = 0; k < dIns.length; k++) {
        if (dIns[k] != null) {
          System.arraycopy(dOut, at, dIns[k], n * inputSizes[k], inputSizes[k]);
        }
        at += inputSizes[k];
      }
    }
  }
}
