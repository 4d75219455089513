package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.List;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.tensor.Shape;

/**
 * A trained model as scoring broadcasts it: the spec (as JSON, also the key of the executors'
 * network pool), parameters, state, the normalisation it was trained with, a name per output
 * class, and where it came from (for messages).
 */
public record TrainedModel(String specJson, float[] params, float[] state,
    Normalization normalization, List<String> classNames, String source)
    implements java.io.Serializable {

  /**
   * The model in {@code file} (read from {@code source}); fails when the file records no
   * normalisation, since scoring must normalise as training did.
   */
  public static TrainedModel of(ModelFile file, String source) {
    Normalization normalization = file.metadata().normalization();
    if (normalization == null) {
      throw new IllegalArgumentException(source + ": the model file records no normalisation"
          + " (metadata.normalization); was it written by sparkconv training?");
    }
    return new TrainedModel(SpecJson.write(file.spec()), file.params(), file.state(),
        normalization, file.spec().outputNames(), source);
  }

  public NetworkSpec spec() {
    return SpecJson.parse(specJson, source);
  }

  public Shape inputShape() {
    return spec().input();
  }

  static final class KryoSerializer extends Serializer<TrainedModel> {
    @Override
    public void write(Kryo kryo, Output out, TrainedModel m) {
      out.writeString(m.specJson);
      KryoArrays.writeFloats(out, m.params);
      KryoArrays.writeFloats(out, m.state);
      KryoArrays.writeFloats(out, m.normalization.mean());
      KryoArrays.writeFloats(out, m.normalization.std());
      out.writeInt(m.classNames.size(), true);
      for (String name : m.classNames) {
        out.writeString(name);
      }
      out.writeString(m.source);
    }

    @Override
    public TrainedModel read(Kryo kryo, Input in, Class<TrainedModel> type) {
      String spec = in.readString();
      float[] params = KryoArrays.readFloats(in);
      float[] state = KryoArrays.readFloats(in);
      Normalization norm = new Normalization(KryoArrays.readFloats(in),
          KryoArrays.readFloats(in));
      int n = in.readInt(true);
      List<String> names = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        names.add(in.readString());
      }
      return new TrainedModel(spec, params, state, norm, List.copyOf(names), in.readString());
    }
  }
}
