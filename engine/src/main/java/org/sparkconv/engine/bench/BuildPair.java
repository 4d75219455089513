package org.sparkconv.engine.bench;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two builds of the engine (their jars) timed against each other in one JVM: each loaded in a
 * class loader of its own (with this JVM's class path past the engine's, for the libraries),
 * the same model built in each ({@link StepBenchmark#newStep}), warmed up, then timed round by
 * round, A then B in even rounds and B then A in odd ones. Prints both medians (ms a step) and
 * the median of the per-round ratios, time of B over time of A (above 1: A is faster), with
 * its quartiles. Not a test.
 *
 * <p>Why one JVM: this machine's speed drifts by more than most changes measure, and separate
 * processes turn by turn ({@code scripts/bench_turns.py}) still read each side in a JVM of its
 * own, whose JIT decisions differ run to run; here both builds run the same rounds on the same
 * core. The build loaded second has read 1.5-3.5% faster than the first with the two builds
 * equal, so a comparison takes both orders and their geometric mean
 * ({@code scripts/bench-builds.sh} runs both). On 2026-12-03 a ResNet-20 training change read
 * 1.001 and 1.036 in one order each over 40 rounds (1.035 and 1.035 over 50), where processes
 * turn by turn read 1.002 with pairs from 0.87 to 1.17.
 *
 * <pre>BuildPair JAR_A JAR_B MODEL.json train|infer BATCH [rounds 40] [steps 4] [threads 1]</pre>
 */
public final class BuildPair {

  private BuildPair() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: BuildPair JAR_A JAR_B MODEL.json train|infer BATCH [rounds]"
          + " [steps] [threads]");
      System.exit(2);
    }
    Path model = Path.of(args[2]);
    int batch = Integer.parseInt(args[4]);
    int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 40;
    int steps = args.length > 6 ? Integer.parseInt(args[6]) : 4;
    int threads = args.length > 7 ? Integer.parseInt(args[7]) : 1;
    Runnable[] builds = new Runnable[2];
    for (int k = 0; k < 2; k++) {
      builds[k] = stepOf(Path.of(args[k]), model, args[3], batch, threads);
    }
    for (Runnable build : builds) {
      WarmUp.run(build, 3 * steps);
    }
    double[][] millis = new double[2][rounds];
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < 2; i++) {
        int k = r % 2 == 0 ? i : 1 - i;
        long start = System.nanoTime();
        for (int s = 0; s < steps; s++) {
          builds[k].run();
        }
        millis[k][r] = (System.nanoTime() - start) / 1e6 / steps;
      }
      ratios[r] = millis[1][r] / millis[0][r];
    }
    double[] sorted = ratios.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "A %.2f ms  B %.2f ms a step; B/A per round: median %.3f"
        + " (quartiles %.3f-%.3f), %d rounds of %d steps, A loaded first%n", median(millis[0]),
        median(millis[1]), median(ratios), sorted[rounds / 4], sorted[3 * rounds / 4], rounds,
        steps);
  }

  /**
   * A step of {@code model} in the build {@code jar}: its own class loader, the libraries
   * from this JVM's class path (every entry but the one this class came from).
   */
  private static Runnable stepOf(Path jar, Path model, String mode, int batch, int threads)
      throws Exception {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no build at " + jar + ": expected an engine jar");
    }
    List<URL> path = new ArrayList<>();
    path.add(jar.toUri().toURL());
    String own = new File(BuildPair.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI()).getPath();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isEmpty() && !new File(entry).getPath().equals(own)) {
        path.add(url(entry));
      }
    }
    ClassLoader loader = new URLClassLoader(path.toArray(new URL[0]),
        ClassLoader.getPlatformClassLoader());
    Method newStep;
    try {
      newStep = loader.loadClass(StepBenchmark.class.getName()).getMethod("newStep", Path.class,
          String.class, int.class, int.class);
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(jar + " has no StepBenchmark.newStep: a build from"
          + " before 2026-12-03 (add the method to it to compare)", e);
    }
    try {
      return (Runnable) newStep.invoke(null, model, mode, batch, threads);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static URL url(String entry) {
    try {
      return new File(entry).toURI().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("class path entry " + entry, e);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
