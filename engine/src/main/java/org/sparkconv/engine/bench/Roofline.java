package org.sparkconv.engine.bench;

import java.nio.file.Path;
import java.util.Locale;
import org.sparkconv.engine.net.SpecJson;

/**
 * The ceiling a benchmark row is measured against: this machine's multiply-add peak per thread
 * ({@link FmaPeak}) at each thread count asked for, and each model's multiply-adds per image by
 * definition ({@link DefinitionWork}). Images a second at 100% of the peak are
 * {@code threads * peak / work}; a measured rate over that ceiling is the share of the peak a
 * direct method would need to match it. Not a test. Prints, one per line:
 * <pre>peak THREADS GMAC_PER_SECOND_PER_THREAD
 * work MODEL_NAME INFERENCE_MAC TRAINING_MAC</pre>
 *
 * <pre>Roofline THREADS[,THREADS...] MODEL.json...</pre>
 */
public final class Roofline {

  private Roofline() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Roofline THREADS[,THREADS...] MODEL.json...");
      System.exit(2);
    }
    String[] counts = args[0].split(",");
    int[] threads = new int[counts.length];
    for (int t = 0; t < counts.length; t++) {
      threads[t] = threadCount(counts[t].trim()); // all checked before any is measured
    }
    for (int n : threads) {
      System.out.printf(Locale.ROOT, "peak %d %.1f%n", n, FmaPeak.perThread(n));
    }
    for (int i = 1; i < args.length; i++) {
      Path model = Path.of(args[i]);
      DefinitionWork work = DefinitionWork.of(SpecJson.read(model));
      String name = model.getFileName().toString().replaceFirst("\\.json$", "");
      System.out.printf(Locale.ROOT, "work %s %d %d%n", name, work.inference(),
          work.training());
    }
  }

  /** A thread count from the command line, at least 1, or a message naming what it got. */
  private static int threadCount(String text) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("Roofline: thread counts are whole numbers from 1,"
        + " comma-separated (e.g. 1,2); got '" + text + "'");
  }
}
