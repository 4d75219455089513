package org.sparkconv.engine.layer;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkconv.engine.layer.GradientCheck.Inputs;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.tensor.Shape;

/** Central-difference gradient checks for every layer type and configuration family. */
class GradientCheckTest {

  private static Conv2d.Spec conv(int out, int kh, int kw, int sh, int sw, Padding padding,
      int dh, int dw, boolean bias) {
    return new Conv2d.Spec(0, out, kh, kw, sh, sw, padding, dh, dw, bias, Init.HE_NORMAL);
  }

  private static ConvTranspose2d.Spec deconv(int out, int kh, int kw, int sh, int sw, int ph,
      int pw, int oph, int opw, int dh, int dw) {
    return new ConvTranspose2d.Spec(0, out, kh, kw, sh, sw, ph, pw, oph, opw, dh, dw, true,
        Init.XAVIER_UNIFORM);
  }

  static Stream<Arguments> cases() {
    Shape small = new Shape(2, 5, 6);
    Shape odd = new Shape(3, 7, 6);
    Shape flat = Shape.flat(5);
    return Stream.of(
        Arguments.of("conv 3x3 stride 1 explicit padding", small, 2,
            List.of(conv(3, 3, 3, 1, 1, Padding.of(1), 1, 1, true)), Inputs.UNIFORM),
        Arguments.of("conv 3x2 stride 2 non-square", odd, 2,
            List.of(conv(4, 3, 2, 2, 2, Padding.of(1, 0), 1, 1, true)), Inputs.UNIFORM),
        Arguments.of("conv valid", small, 2,
            List.of(conv(2, 3, 3, 1, 1, Padding.VALID, 1, 1, true)), Inputs.UNIFORM),
        Arguments.of("conv same even kernel", small, 2,
            List.of(conv(2, 4, 2, 1, 1, Padding.SAME, 1, 1, true)), Inputs.UNIFORM),
        Arguments.of("conv same stride 2", odd, 2,
            List.of(conv(2, 3, 3, 2, 2, Padding.SAME, 1, 1, true)), Inputs.UNIFORM),
        Arguments.of("conv full", new Shape(2, 4, 3), 2,
            List.of(conv(2, 3, 2, 1, 1, Padding.FULL, 1, 1, false)), Inputs.UNIFORM),
        Arguments.of("conv dilation 2", new Shape(2, 7, 8), 2,
            List.of(conv(2, 3, 3, 1, 1, Padding.of(2), 2, 2, true)), Inputs.UNIFORM),
        Arguments.of("conv 1x1 (no im2col)", small, 3,
            List.of(conv(3, 1, 1, 1, 1, Padding.of(0), 1, 1, true)), Inputs.UNIFORM),
        Arguments.of("conv transpose stride 2 output padding", new Shape(2, 3, 4), 2,
            List.of(deconv(3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1)), Inputs.UNIFORM),
        Arguments.of("conv transpose non-square dilation", new Shape(3, 3, 3), 2,
            List.of(deconv(2, 2, 3, 1, 2, 0, 1, 0, 1, 2, 1)), Inputs.UNIFORM),
        Arguments.of("maxpool 2x2", small, 2,
            List.of(MaxPool2d.Spec.of(2)), Inputs.DISTINCT),
        Arguments.of("maxpool overlapping padded", odd, 2,
            List.of(new MaxPool2d.Spec(3, 3, 2, 2, 1, 1)), Inputs.DISTINCT),
        Arguments.of("avgpool padded", odd, 2,
            List.of(new AvgPool2d.Spec(3, 3, 2, 2, 1, 1)), Inputs.UNIFORM),
        Arguments.of("lppool p=2", small, 2,
            List.of(new LpPool2d.Spec(2, 2, 2, 2, 2)), Inputs.AWAY_FROM_ZERO),
        Arguments.of("lppool p=1 overlapping", odd, 2,
            List.of(new LpPool2d.Spec(1, 3, 3, 2, 2)), Inputs.UNIFORM),
        Arguments.of("global avgpool", small, 2,
            List.of(new GlobalAvgPool2d.Spec()), Inputs.UNIFORM),
        Arguments.of("global maxpool", small, 2,
            List.of(new GlobalMaxPool2d.Spec()), Inputs.DISTINCT),
        Arguments.of("batchnorm2d training", new Shape(3, 3, 4), 3,
            List.of(BatchNorm.Spec.spatial2d()), Inputs.UNIFORM),
        Arguments.of("dense + batchnorm1d training", small, 4,
            List.of(new Flatten.Spec(), Dense.Spec.of(5), BatchNorm.Spec.flat1d()),
            Inputs.UNIFORM),
        Arguments.of("dense on a feature map", small, 3,
            List.of(Dense.Spec.of(4)), Inputs.UNIFORM),
        Arguments.of("relu", small, 2, List.of(new Relu.Spec()), Inputs.AWAY_FROM_ZERO),
        Arguments.of("leaky relu", small, 2, List.of(new LeakyRelu.Spec(0.1f)),
            Inputs.AWAY_FROM_ZERO),
        Arguments.of("sigmoid", small, 2, List.of(new Sigmoid.Spec()), Inputs.UNIFORM),
        Arguments.of("tanh", small, 2, List.of(new Tanh.Spec()), Inputs.UNIFORM),
        Arguments.of("dropout", flat, 4, List.of(new Dropout.Spec(0.4f, 7)), Inputs.UNIFORM),
        Arguments.of("conv-bn-relu-pool-dense stack", new Shape(2, 6, 6), 3,
            List.of(conv(3, 3, 3, 1, 1, Padding.SAME, 1, 1, true), BatchNorm.Spec.spatial2d(),
                new Tanh.Spec(), new AvgPool2d.Spec(2, 2, 2, 2, 0, 0), new Flatten.Spec(),
                Dense.Spec.of(4)), Inputs.UNIFORM));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void backpropMatchesCentralDifferences(String name, Shape input, int batch,
      List<LayerSpec> layers, Inputs inputs) {
    GradientCheck.check(name, NetworkSpec.sequential(name, input, layers), batch, inputs,
        name.hashCode());
  }
}
