package org.sparkconv.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Small builders and readers over ONNX's generated protobuf classes: attributes, float tensors
 * (raw little-endian data, as ONNX stores them) and tensor types with a named batch dimension.
 */
final class OnnxProtos {

  private OnnxProtos() {}

  static AttributeProto ints(String name, int... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (int v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto integer(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  static AttributeProto real(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF(value).build();
  }

  /** A node named {@code name} applying {@code op} to {@code inputs}, writing {@code output}. */
  static NodeProto.Builder node(String op, String name, List<String> inputs, String output) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs)
        .addOutput(output);
  }

  /** A float32 tensor of {@code dims} holding {@code values[offset ...]}. */
  static TensorProto tensor(String name, long[] dims, float[] values, int offset) {
    long count = 1;
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE);
    for (long d : dims) {
      t.addDims(d);
      count *= d;
    }
    ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(4 * count))
        .order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values, offset, (int) count);
    return t.setRawData(ByteString.copyFrom(bytes.array())).build();
  }

  /** A float32 tensor value with a named (dynamic) batch dimension then fixed {@code dims}. */
  static ValueInfoProto batchOf(String name, int... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
    for (int d : dims) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }
}
