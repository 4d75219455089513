package org.sparkconv.engine.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.sparkconv.engine.data.IdxReader;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.io.ModelFile;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.train.Evaluator;

/**
 * Inference throughput of a trained model on one JVM thread-set: evaluates an IDX image set in
 * minibatches through the inference path, {@code repeats} times after one warm-up pass, and
 * prints every rate and the median.
 *
 * <pre>InferenceBenchmark MODEL IMAGES.idx LABELS.idx [batch 256] [repeats 3]</pre>
 */
public final class InferenceBenchmark {

  private InferenceBenchmark() {}

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: InferenceBenchmark MODEL IMAGES LABELS [batch] [repeats]");
      System.exit(2);
    }
    ModelFile file = ModelFile.load(Path.of(args[0]));
    Network net = file.toNetwork();
    ImageSet set = IdxReader.read(Path.of(args[1]), Path.of(args[2]),
        net.outputShape().size());
    int batch = args.length > 3 ? Integer.parseInt(args[3]) : 256;
    int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    Normalization norm = Normalization.of(set);
    Evaluator.evaluate(net, set, norm, batch); // warm-up: JIT and buffers
    double[] rates = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long t0 = System.nanoTime();
      Evaluator.evaluate(net, set, norm, batch);
      rates[r] = set.count() / ((System.nanoTime() - t0) / 1e9);
      System.out.printf(Locale.ROOT, "run %d: %.0f img/s%n", r + 1, rates[r]);
    }
    Arrays.sort(rates);
    System.out.printf(Locale.ROOT, "engine inference: %.0f img/s (median of %d, batch %d, %d"
        + " images)%n", rates[repeats / 2], repeats, batch, set.count());
  }
}
