package org.sparkconv.engine.layer;

import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.tensor.Shape;

/**
 * A fully connected layer over the flattened input: {@code Y (N, out) = X (N, in) W^T + b}, with
 * {@code W} laid out {@code (out, in)} as PyTorch's {@code Linear}. Backward:
 * {@code dW += dY^T X}, {@code db += colsum(dY)}, {@code dX = dY W}. A feature-map input is read
 * as its flattening in C, H, W order, exactly what {@link Flatten} would give.
 */
public final class Dense implements Layer {

  /** Output units; {@code inFeatures == 0} means infer, a positive value is checked. */
  public record Spec(int inFeatures, int units, boolean bias, Init init) implements LayerSpec {

    public static Spec of(int units) {
      return new Spec(0, units, true, Init.HE_NORMAL);
    }

    @Override
    public String type() {
      return "dense";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      LayerSpec.requireNonNegative(inFeatures, index, type(), "in_features");
      LayerSpec.requirePositive(units, index, type(), "units");
      if (inFeatures > 0 && inFeatures != input.size()) {
        throw SpecException.at(index, type(), "in_features", "is " + inFeatures
            + " but the input to this layer has " + input.size() + " features (shape " + input
            + ")");
      }
      return Shape.flat(units);
    }

    @Override
    public List<ParamBlock> paramBlocks(Shape input) {
      return LayerSpec.weightAndBias((long) units * input.size(), units, bias, type());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      return in.acrossMap(input.height(), input.width());
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      outputShape(input, index);
      return new Dense(this, input, context.gemm());
    }
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final int in;
  private final int out;
  private final Gemm gemm;
  private float[] params;
  private float[] grads;
  private int weightOffset;
  private int biasOffset;

  private Dense(Spec spec, Shape input, Gemm gemm) {
    this.spec = spec;
    this.inputShape = input;
    this.in = input.size();
    this.out = spec.units();
    this.outputShape = Shape.flat(out);
    this.gemm = gemm;
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
  public void bind(float[] params, float[] grads, int paramOffset, float[] state,
      int stateOffset) {
    this.params = params;
    this.grads = grads;
    this.weightOffset = paramOffset;
    this.biasOffset = paramOffset + out * in;
  }

  @Override
  public void initParams(RandomGenerator rng) {
    spec.init().fill(params, weightOffset, out * in, in, out, rng);
    if (spec.bias()) {
      spec.init().fillBias(params, biasOffset, out, in, rng);
    }
  }

  @Override
  public void forward(float[] x, float[] y, int batch, boolean training) {
    gemm.sgemm(false, true, batch, out, in, 1f, x, 0, in, params, weightOffset, in, 0f, y, 0, out);
    if (spec.bias()) {
      for (int n = 0; n < batch; n++) {
        int row = n * out;
        for (int j = 0; j < out; j++) {
          y[row + j] += params[biasOffset + j];
        }
      }
    }
  }

  @Override
  public void backward(float[] x, float[] y, float[] dY, float[] dX, int batch) {
    gemm.sgemm(true, false, out, in, batch, 1f, dY, 0, out, x, 0, in, 1f, grads, weightOffset, in);
    if (spec.bias()) {
      for (int n = 0; n < batch; n++) {
        int row = n * out;
        for (int j = 0; j < out; j++) {
          grads[biasOffset + j] += dY[row + j];
        }
      }
    }
    if (dX != null) {
      gemm.sgemm(false, false, batch, in, out, 1f, dY, 0, out, params, weightOffset, in,
          0f, dX, 0, in);
    }
  }

}
