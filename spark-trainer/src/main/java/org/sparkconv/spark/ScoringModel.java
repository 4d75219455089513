package org.sparkconv.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkconv.engine.data.Minibatches;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.data.Augmentation;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.tensor.Tensor;

/**
 * A trained model ready to score on executors: the spec, parameters, state and the
 * normalisation it was trained with, read from a model file or from the newest valid checkpoint
 * in a directory. Executors build its network once per JVM and thread and score in minibatches
 * through the inference path (no switches, no backward caches).
 */
public final class ScoringModel implements Serializable {

  private static final ConcurrentHashMap<String, Queue<Network>> NETWORKS =
      new ConcurrentHashMap<>();

  final String specJson;
  final float[] params;
  final float[] state;
  final Normalization normalization;
  final List<String> classNames;
  final String source;

  private ScoringModel(String specJson, float[] params, float[] state,
      Normalization normalization, List<String> classNames, String source) {
    this.specJson = specJson;
    this.params = params;
    this.state = state;
    this.normalization = normalization;
    this.classNames = classNames;
    this.source = source;
  }

  private ScoringModel(ModelFile file, String source) {
    this.specJson = SpecJson.write(file.spec());
    this.params = file.params();
    this.state = file.state();
    this.normalization = normalizationOf(file, source);
    int classes = Network.build(file.spec()).outputShape().size();
    List<String> names = new ArrayList<>(file.spec().classNames());
    for (int k = names.size(); k < classes; k++) {
      names.add(Integer.toString(k));
    }
    this.classNames = List.copyOf(names);
    this.source = source;
  }

  /**
   * The model at {@code location}: a model file, or a directory whose newest valid checkpoint
   * is used (corrupt newer ones are reported and skipped).
   */
  public static ScoringModel load(String location, Configuration conf, PrintStream log)
      throws IOException {
    Path path = HadoopFiles.path(location);
    FileSystem fs = path.getFileSystem(conf);
    if (!fs.exists(path)) {
      throw new IllegalArgumentException("model " + location + " does not exist");
    }
    if (fs.getFileStatus(path).isDirectory()) {
      CheckpointStore.Loaded loaded = new CheckpointStore(location, Integer.MAX_VALUE, conf, log)
          .newestValid().orElseThrow(() -> new IllegalArgumentException(location
              + " holds no valid checkpoint (ckpt-*.spcv)"));
      log.println("scoring with checkpoint " + loaded.name());
      return new ScoringModel(loaded.model(), loaded.name());
    }
    return new ScoringModel(ModelFile.decode(HadoopFiles.readAll(path, conf), location),
        location);
  }

  private static Normalization normalizationOf(ModelFile file, String source) {
    try {
      JsonNode n = new ObjectMapper().readTree(file.metadata()).path("normalization");
      if (!n.isObject()) {
        throw new IllegalArgumentException(source + ": the model file records no"
            + " normalisation (metadata.normalization); was it written by sparkconv training?");
      }
      float[] mean = new float[n.get("mean").size()];
      float[] std = new float[mean.length];
      for (int c = 0; c < mean.length; c++) {
        mean[c] = (float) n.get("mean").get(c).doubleValue();
        std[c] = (float) n.get("std").get(c).doubleValue();
      }
      return new Normalization(mean, std);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": metadata is not valid JSON: " + e);
    }
  }

  /** Explicit wire format for the broadcast. */
  static final class KryoSerializer extends com.esotericsoftware.kryo.Serializer<ScoringModel> {
    @Override
    public void write(com.esotericsoftware.kryo.Kryo kryo,
        com.esotericsoftware.kryo.io.Output out, ScoringModel m) {
      out.writeString(m.specJson);
      ModelVector.writeFloats(out, m.params);
      ModelVector.writeFloats(out, m.state);
      ModelVector.writeFloats(out, m.normalization.mean());
      ModelVector.writeFloats(out, m.normalization.std());
      out.writeInt(m.classNames.size(), true);
      for (String name : m.classNames) {
        out.writeString(name);
      }
      out.writeString(m.source);
    }

    @Override
    public ScoringModel read(com.esotericsoftware.kryo.Kryo kryo,
        com.esotericsoftware.kryo.io.Input in, Class<ScoringModel> type) {
      String spec = in.readString();
      float[] params = ModelVector.readFloats(in);
      float[] state = ModelVector.readFloats(in);
      Normalization norm = new Normalization(ModelVector.readFloats(in),
          ModelVector.readFloats(in));
      int n = in.readInt(true);
      List<String> names = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        names.add(in.readString());
      }
      return new ScoringModel(spec, params, state, norm, List.copyOf(names), in.readString());
    }
  }

  public org.sparkconv.engine.tensor.Shape inputShape() {
    return SpecJson.parse(specJson, source).input();
  }

  public List<String> classNames() {
    return classNames;
  }

  private Network borrow() {
    Network net = NETWORKS.computeIfAbsent(specJson, k -> new ConcurrentLinkedQueue<>()).poll();
    if (net == null) {
      net = Network.build(SpecJson.parse(specJson, source));
    }
    System.arraycopy(params, 0, net.params(), 0, params.length);
    System.arraycopy(state, 0, net.state(), 0, state.length);
    return net;
  }

  private void release(Network net) {
    NETWORKS.get(specJson).add(net);
  }

  /**
   * Scores {@code inputs} lazily, a minibatch of {@code batchSize} at a time as the returned
   * iterator is consumed, so a partition of any size streams through in bounded memory; inputs
   * that carry an error pass through as error rows. The network is borrowed at the first
   * minibatch and returned when the inputs are exhausted. {@code progress} is told how many
   * images each minibatch scored.
   */
  Iterator<ScoredImage> score(Iterator<ScoreInput> inputs, int batchSize, int topK,
      java.util.function.LongConsumer progress) {
    return new Iterator<>() {
      private final java.util.ArrayDeque<ScoredImage> ready = new java.util.ArrayDeque<>();
      private final List<ScoreInput> batch = new ArrayList<>(batchSize);
      private Network net;
      private float[] images;
      private float[] scratch;

      @Override
      public boolean hasNext() {
        while (ready.isEmpty() && inputs.hasNext()) {
          scoreNextBatch();
        }
        if (ready.isEmpty() && net != null) {
          release(net);
          net = null;
        }
        return !ready.isEmpty();
      }

      @Override
      public ScoredImage next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return ready.poll();
      }

      private void scoreNextBatch() {
        if (net == null) {
          net = borrow();
          images = new float[batchSize * net.inputShape().size()];
          scratch = new float[net.inputShape().size()];
        }
        int size = net.inputShape().size();
        while (inputs.hasNext() && batch.size() < batchSize) {
          ScoreInput in = inputs.next();
          if (in.error() != null) {
            ready.add(ScoredImage.failed(in.id(), in.label(), in.error()));
          } else if (in.pixels().length != size) {
            ready.add(ScoredImage.failed(in.id(), in.label(), in.id() + ": "
                + in.pixels().length + " pixel values, the model takes " + net.inputShape()));
          } else {
            batch.add(in);
          }
        }
        if (batch.isEmpty()) {
          return;
        }
        int n = batch.size();
        int classes = net.outputShape().size();
        for (int i = 0; i < n; i++) {
          Minibatches.prepare(batch.get(i).pixels(), 0, net.inputShape(), normalization,
              Augmentation.NONE, 0, -1, i, images, i * size, scratch);
        }
        Tensor logits = net.forward(new Tensor(images, 0, n, net.inputShape()), false);
        int k = Math.min(topK, classes);
        for (int i = 0; i < n; i++) {
          ready.add(top(batch.get(i), logits.data(), i * classes, classes, k));
        }
        progress.accept(n);
        batch.clear();
      }
    };
  }

  /** Softmax of one row of logits and its k most probable classes. */
  private ScoredImage top(ScoreInput in, float[] logits, int off, int classes, int k) {
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      max = Math.max(max, logits[off + c]);
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) {
      sum += Math.exp(logits[off + c] - max);
    }
    int[] best = new int[k];
    float[] probs = new float[k];
    boolean[] taken = new boolean[classes];
    for (int j = 0; j < k; j++) {
      int arg = -1;
      for (int c = 0; c < classes; c++) {
        if (!taken[c] && (arg < 0 || logits[off + c] > logits[off + arg])) {
          arg = c;
        }
      }
      taken[arg] = true;
      best[j] = arg;
      probs[j] = (float) (Math.exp(logits[off + arg] - max) / sum);
    }
    return new ScoredImage(in.id(), in.label(), best[0], classNames.get(best[0]), best, probs,
        null);
  }
}
