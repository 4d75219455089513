package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;

/** The maximum of each channel plane: {@code (C, H, W) -> (C, 1, 1)}; first maximum wins ties. */
public final class GlobalMaxPool2d implements Layer {

  /** No settings. */
  public record Spec() implements LayerSpec {
    @Override
    public String type() {
      return "global_maxpool2d";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      return Shape.flat(input.channels());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return in.acrossMap(input.height(), input.width());
    }

    /** The winner's index per channel. */
    @Override
    public long cachedFloatsPerExample(Shape input) {
      return input.channels();
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new GlobalMaxPool2d(input);
    }
  }

  private final Shape inputShape;
  private final Shape outputShape;
  private int[] switches = new int[0]; // (N, C): flat index of each plane's maximum

  private GlobalMaxPool2d(Shape input) {
    this.inputShape = input;
    this.outputShape = Shape.flat(input.channels());
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
  public void reserve(int batch) {
    if (switches.length < batch * inputShape.channels()) {
      switches = new int[batch * inputShape.channels()];
    }
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int plane = inputShape.planeSize();
    int planes = batch * inputShape.channels();
    for (int p = 0; p < planes; p++) {
      int best = p * plane;
      for (int i = best + 1; i < (p + 1) * plane; i++) {
        if (in[i] > in[best]) {
          best = i;
        }
      }
      out[p] = in[best];
      switches[p] = best;
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    if (dIn == null) {
      return;
    }
    Arrays.fill(dIn, 0, batch * inputShape.size(), 0f);
    int planes = batch * inputShape.channels();
    for (int p = 0; p < planes; p++) {
      dIn[switches[p]] = dOut[p];
    }
  }


}
