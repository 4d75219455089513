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
import java.util.Optional;

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

  /** A constant tensor of a model: its dims and values (float32 or int64, as stored). */
  record Constant(String name, long[] dims, float[] floats, long[] longs) {

    long count() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }
  }

  /**
   * The values of {@code t}, from raw little-endian data or the typed fields; fails, naming the
   * tensor, for external data files and element types other than float32 and int64.
   */
  static Constant read(TensorProto t) {
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
      throw new IllegalArgumentException("tensor '" + t.getName() + "' keeps its data in an"
          + " external file, which is not supported: save the model with every tensor inside it"
          + " (onnx.save_model(model, path, save_as_external_data=False))");
    }
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
      float[] values;
      if (!t.getRawData().isEmpty()) {
        values = new float[raw.remaining() / 4];
        raw.asFloatBuffer().get(values);
      } else {
        values = new float[t.getFloatDataCount()];
        for (int i = 0; i < values.length; i++) {
          values[i] = t.getFloatData(i);
        }
      }
      return new Constant(t.getName(), dims, values, null);
    }
    if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
      long[] values;
      if (!t.getRawData().isEmpty()) {
        values = new long[raw.remaining() / 8];
        raw.asLongBuffer().get(values);
      } else {
        values = t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
      }
      return new Constant(t.getName(), dims, null, values);
    }
    throw new IllegalArgumentException("tensor '" + t.getName() + "' holds "
        + TensorProto.DataType.forNumber(t.getDataType()) + " values; sparkconv reads float32"
        + " weights (and int64 shapes)");
  }

  static Optional<AttributeProto> attribute(NodeProto node, String name) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst();
  }

  static long integer(NodeProto node, String name, long fallback) {
    return attribute(node, name).map(AttributeProto::getI).orElse(fallback);
  }

  static float real(NodeProto node, String name, float fallback) {
    return attribute(node, name).map(AttributeProto::getF).orElse(fallback);
  }

  static String text(NodeProto node, String name, String fallback) {
    return attribute(node, name).map(a -> a.getS().toStringUtf8()).orElse(fallback);
  }

  /** An INTS attribute, or {@code fallback} when absent. */
  static int[] ints(NodeProto node, String name, int... fallback) {
    return attribute(node, name).map(a -> a.getIntsList().stream()
        .mapToInt(Long::intValue).toArray()).orElse(fallback);
  }
}
