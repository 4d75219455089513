package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * One output row of a scoring job: the id, the label when known (-1 otherwise), the predicted
 * class index and name, the top-k classes and their probabilities, and every class's logit
 * (the ML model's raw prediction); or, for an image that could not be scored, the error and
 * nothing else (prediction -1).
 */
public record ScoredImage(String id, int label, int prediction, String className,
    int[] topClasses, float[] topProbabilities, float[] logits, String error)
    implements java.io.Serializable {

  public static ScoredImage failed(String id, int label, String error) {
    return new ScoredImage(id, label, -1, null, new int[0], new float[0], new float[0], error);
  }

  static final class KryoSerializer extends Serializer<ScoredImage> {
    @Override
    public void write(Kryo kryo, Output out, ScoredImage s) {
      out.writeString(s.id);
      out.writeInt(s.label);
      out.writeInt(s.prediction);
      out.writeString(s.className);
      out.writeInt(s.topClasses.length, true);
      out.writeInts(s.topClasses);
      out.writeFloats(s.topProbabilities);
      out.writeInt(s.logits.length, true);
      out.writeFloats(s.logits);
      out.writeString(s.error);
    }

    @Override
    public ScoredImage read(Kryo kryo, Input in, Class<ScoredImage> type) {
      String id = in.readString();
      int label = in.readInt();
      int prediction = in.readInt();
      String className = in.readString();
      int k = in.readInt(true);
      int[] top = in.readInts(k);
      float[] probs = in.readFloats(k);
      float[] logits = in.readFloats(in.readInt(true));
      return new ScoredImage(id, label, prediction, className, top, probs, logits,
          in.readString());
    }
  }
}
