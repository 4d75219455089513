package org.sparkconv.engine.layer;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.ElementLoops;
import org.sparkconv.engine.math.Gemm;
import org.sparkconv.engine.math.Im2col;
import org.sparkconv.engine.tensor.Shape;

/**
 * Transposed convolution ("deconvolution", Zeiler et al. 2010): the adjoint of a convolution,
 * mapping a feature map back towards image size. Its forward pass is a convolution's backward
 * data pass and vice versa:
 *
 * <pre>
 * col  = W^T x_n                  // W: (Cin, Cout*kh*kw), x_n: (Cin, H*W)
 * y_n  = col2im(col) + b          // output (Cout, Ho, Wo)
 * dCol = im2col(dY_n)
 * dx_n = W dCol;   dW += x_n dCol^T
 * </pre>
 *
 * Output size per axis: {@code (O - 1) S - 2P + D (K - 1) + outputPadding + 1}. Weights are laid
 * out {@code (Cin, Cout, kh, kw)}, as PyTorch stores them.
 */
public final class ConvTranspose2d implements Layer {

  /** What a model file says about a transposed convolution ({@code inChannels == 0}: infer). */
  public record Spec(int inChannels, int outChannels, int kernelH, int kernelW,
      int strideH, int strideW, int padH, int padW, int outputPadH, int outputPadW,
      int dilationH, int dilationW, boolean bias, Init init) implements LayerSpec {

    @Override
    public String type() {
      return "conv_transpose2d";
    }

    @Override
    public Shape outputShape(Shape input, int index) {
      ConvGeometry g = geometry(input, index);
      return new Shape(outChannels, g.height(), g.width());
    }

    /** The geometry of the output image, whose lowering has the input's spatial size. */
    ConvGeometry geometry(Shape input, int index) {
      LayerSpec.requireNonNegative(inChannels, index, type(), "in_channels");
      LayerSpec.requirePositive(outChannels, index, type(), "out_channels");
      LayerSpec.requirePositive(kernelH, index, type(), "kernel");
      LayerSpec.requirePositive(kernelW, index, type(), "kernel");
      LayerSpec.requirePositive(strideH, index, type(), "stride");
      LayerSpec.requirePositive(strideW, index, type(), "stride");
      LayerSpec.requirePositive(dilationH, index, type(), "dilation");
      LayerSpec.requirePositive(dilationW, index, type(), "dilation");
      LayerSpec.requireNonNegative(padH, index, type(), "padding");
      LayerSpec.requireNonNegative(padW, index, type(), "padding");
      LayerSpec.requireNonNegative(outputPadH, index, type(), "output_padding");
      LayerSpec.requireNonNegative(outputPadW, index, type(), "output_padding");
      if (inChannels > 0 && inChannels != input.channels()) {
        throw SpecException.at(index, type(), "in_channels", "is " + inChannels
            + " but the input to this layer has " + input.channels() + " channels (shape "
            + input + ")");
      }
      if (outputPadH >= Math.max(strideH, dilationH)
          || outputPadW >= Math.max(strideW, dilationW)) {
        throw SpecException.at(index, type(), "output_padding", "must be smaller than the stride"
            + " or the dilation on each axis, got " + outputPadH + "x" + outputPadW
            + " with stride " + strideH + "x" + strideW + " and dilation " + dilationH + "x"
            + dilationW);
      }
      int outH = (input.height() - 1) * strideH - 2 * padH + dilationH * (kernelH - 1)
          + outputPadH + 1;
      int outW = (input.width() - 1) * strideW - 2 * padW + dilationW * (kernelW - 1)
          + outputPadW + 1;
      if (outH <= 0 || outW <= 0) {
        throw SpecException.at(index, type(), "padding", "padding " + padH + "x" + padW
            + " leaves an empty output " + outH + "x" + outW + " for input " + input.height() + "x"
            + input.width() + " (output = (in - 1) * stride - 2 * padding + dilation * (kernel - 1)"
            + " + output_padding + 1)");
      }
      return new ConvGeometry(outChannels, outH, outW, kernelH, kernelW, strideH, strideW,
          padH, padW, dilationH, dilationW, input.height(), input.width());
    }

    @Override
    public List<ParamBlock> paramBlocks(Shape input) {
      return LayerSpec.weightAndBias((long) input.channels() * outChannels * kernelH * kernelW,
          outChannels, bias, type());
    }

    @Override
    public ReceptiveField receptiveField(Shape input, ReceptiveField in) {
      // An output unit is reached by ceil((D(K-1)+1)/S) input units per axis.
      int spanH = (dilationH() * (kernelH() - 1) + strideH()) / strideH();
      int spanW = (dilationW() * (kernelW() - 1) + strideW()) / strideW();
      return new ReceptiveField(in.sizeH() + (spanH - 1) * in.jumpH(),
          in.sizeW() + (spanW - 1) * in.jumpW(), in.jumpH() / strideH(),
          in.jumpW() / strideW());
  }

    /** One lowered image. */
    @Override
    public long workspaceFloats(Shape input, int threads) {
      ConvGeometry g = geometry(input, -1);
      return (long) g.colRows() * g.outH() * g.outW();
    }

    @Override
    public Layer build(Shape input, int index, ComputeContext context) {
      return new ConvTranspose2d(this, input, geometry(input, index), context);
    }
  }

  private final Spec spec;
  private final Shape inputShape;
  private final Shape outputShape;
  private final ConvGeometry geometry; // of the output image
  private final Gemm gemm;
  private final ElementLoops loops;
  private final int rows; // Cout * kh * kw
  private final float[] col; // (Cout*kh*kw, H*W)
  private float[] params;
  private float[] grads;
  private int weightOffset;
  private int biasOffset;

  private ConvTranspose2d(Spec spec, Shape input, ConvGeometry geometry,
      ComputeContext context) {
    this.spec = spec;
    this.inputShape = input;
    this.geometry = geometry;
    this.outputShape = new Shape(spec.outChannels(), geometry.height(), geometry.width());
    this.gemm = context.gemm();
    this.loops = context.loops();
    this.rows = geometry.colRows();
    this.col = new float[geometry.colSize()];
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
    this.biasOffset = paramOffset + inputShape.channels() * rows;
  }

  @Override
  public void initParams(RandomGenerator rng) {
    int kernelArea = spec.kernelH() * spec.kernelW();
    spec.init().fill(params, weightOffset, inputShape.channels() * rows,
        inputShape.channels() * kernelArea, spec.outChannels() * kernelArea, rng);
    if (spec.bias()) {
      spec.init().fillBias(params, biasOffset, spec.outChannels(),
          inputShape.channels() * kernelArea, rng);
    }
  }

  @Override
  public void forward(float[] in, float[] out, int batch, boolean training) {
    int cin = inputShape.channels();
    int inSize = inputShape.size();
    int pixels = inputShape.planeSize();
    int outSize = outputShape.size();
    int outPlane = outputShape.planeSize();
    for (int n = 0; n < batch; n++) {
      gemm.sgemm(true, false, rows, pixels, cin, 1f, params, weightOffset, rows,
          in, n * inSize, pixels, 0f, col, 0, pixels);
      int y = n * outSize;
      Arrays.fill(out, y, y + outSize, 0f);
      Im2col.col2im(geometry, col, 0, out, y, loops);
      if (spec.bias()) {
        for (int c = 0; c < spec.outChannels(); c++) {
          float b = params[biasOffset + c];
          int start = y + c * outPlane;
          for (int p = start; p < start + outPlane; p++) {
            out[p] += b;
          }
        }
      }
    }
  }

  @Override
  public void backward(float[] in, float[] out, float[] dOut, float[] dIn, int batch) {
    int cin = inputShape.channels();
    int inSize = inputShape.size();
    int pixels = inputShape.planeSize();
    int outSize = outputShape.size();
    int outPlane = outputShape.planeSize();
    for (int n = 0; n < batch; n++) {
      Im2col.im2col(geometry, dOut, n * outSize, col, 0);
      gemm.sgemm(false, true, cin, rows, pixels, 1f, in, n * inSize, pixels,
          col, 0, pixels, 1f, grads, weightOffset, rows);
      if (dIn != null) {
        gemm.sgemm(false, false, cin, pixels, rows, 1f, params, weightOffset, rows,
            col, 0, pixels, 0f, dIn, n * inSize, pixels);
      }
      if (spec.bias()) {
        for (int c = 0; c < spec.outChannels(); c++) {
          int start = n * outSize + c * outPlane;
          grads[biasOffset + c] += loops.sum(dOut, start, start + outPlane);
        }
      }
    }
  }
}
