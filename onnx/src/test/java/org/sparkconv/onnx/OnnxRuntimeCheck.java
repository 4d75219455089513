package org.sparkconv.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;

/** Runs ONNX bytes in ONNX Runtime, the independent implementation the tests trust. */
final class OnnxRuntimeCheck {

  private OnnxRuntimeCheck() {}

  /** The logits ONNX Runtime computes for {@code batch} examples of {@code (c, h, w)}. */
  static float[] run(byte[] model, float[] x, int batch, int c, int h, int w)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model, options);
           OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
               new long[] {batch, c, h, w});
           OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
        float[][] logits = (float[][]) result.get(0).getValue();
        int k = logits[0].length;
        float[] flat = new float[batch * k];
        for (int n = 0; n < batch; n++) {
          System.arraycopy(logits[n], 0, flat, n * k, k);
        }
        return flat;
      }
    }
  }
}
