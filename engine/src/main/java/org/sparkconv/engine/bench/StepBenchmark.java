package org.sparkconv.engine.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.SpecJson;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Whole-step throughput of a model on synthetic data, for side-by-side comparison with
 * {@code scripts/pytorch_bench.py}: training steps (forward, loss, backward, SGD momentum
 * update) or inference forwards, timed over {@code steps} steps after warm-up, {@code repeats}
 * times ({@link WarmUp} first); prints every rate and the median.
 *
 * <p>With {@code --pair A,B} (convolution settings: {@code direct}, {@code winograd},
 * {@code im2col}) it builds the model once per setting in this JVM and alternates them
 * repeat by repeat (A B, then B A), printing each one's rates and the ratio B/A per round:
 * a comparison that holds while the machine's speed drifts, which separate JVMs do not give.
 *
 * <p>With {@code --turns} it warms up, prints {@code ready}, then for each line {@code go S} it
 * reads on standard input times at least {@code steps} steps and at least S seconds and prints
 * {@code rate R} (images a second), until {@code stop} or the end of input: one side of
 * {@code scripts/bench_turns.py}, which alternates it with another benchmark process turn by
 * turn, so that both are timed in the same phase of a machine whose speed drifts by more than
 * the difference measured.
 *
 * <pre>StepBenchmark MODEL.json train|infer BATCH [steps 20] [repeats 5] [--pair A,B]
 * StepBenchmark MODEL.json train|infer BATCH [steps 20] 0 --turns</pre>
 */
public final class StepBenchmark {

  private StepBenchmark() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: StepBenchmark MODEL.json train|infer BATCH [steps] [repeats]"
          + " [--pair A,B | --turns]");
      System.exit(2);
    }
    NetworkSpec spec = SpecJson.read(Path.of(args[0]));
    boolean train = args[1].equals("train");
    int batch = Integer.parseInt(args[2]);
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 5;
    if (args.length > 6 && args[5].equals("--pair")) {
      String[] settings = args[6].split(",");
      if (settings.length != 2) {
        throw new IllegalArgumentException("--pair takes two settings, A,B: " + args[6]);
      }
      Runnable[] pair = {step(spec, convolution(settings[0]), train, batch),
          step(spec, convolution(settings[1]), train, batch)};
      for (Runnable r : pair) {
        WarmUp.run(r, Math.max(3, steps / 4));
      }
      double[][] rates = new double[2][repeats];
      for (int r = 0; r < repeats; r++) {
        for (int k = 0; k < 2; k++) {
          int which = r % 2 == 0 ? k : 1 - k;
          rates[which][r] = rate(pair[which], steps, batch);
        }
      }
      StringBuilder ratios = new StringBuilder();
      for (int r = 0; r < repeats; r++) {
        ratios.append(String.format(Locale.ROOT, " %.2f", rates[1][r] / rates[0][r]));
      }
      for (int k = 0; k < 2; k++) {
        report(spec, args[1], batch, settings[k], rates[k]);
      }
      System.out.println(settings[1] + " / " + settings[0] + " per round:" + ratios);
      return;
    }
    Runnable step = step(spec, ComputeContext.defaults(), train, batch);
    WarmUp.run(step, Math.max(3, steps / 4));
    if (args.length > 5 && args[5].equals("--turns")) {
      takeTurns(step, steps, batch);
      return;
    }
    double[] rates = new double[repeats];
    long allocatedBefore = allocatedBytes();
    long lastRepeatFrom = allocatedBefore;
    for (int r = 0; r < repeats; r++) {
      lastRepeatFrom = allocatedBytes();
      rates[r] = rate(step, steps, batch);
    }
    long allocatedAfter = allocatedBytes();
    report(spec, args[1], batch, null, rates);
    if (allocatedBefore >= 0 && allocatedAfter >= 0) {
      // The last repeat's figure too: on a busy machine the JIT may still be compiling during
      // the first repeats (22-61 MB a step seen beside a build, where an idle run read 0.3).
      System.out.printf(Locale.ROOT, "allocated %.2f MB a step while timed, %.2f in the last"
          + " repeat (a vector kernel the JIT left on the Vector API's Java fallback allocates"
          + " far more; see scripts/jit-check.sh)%n",
          (allocatedAfter - allocatedBefore) / 1e6 / ((long) steps * repeats),
          (allocatedAfter - lastRepeatFrom) / 1e6 / steps);
    }
  }

  /**
   * Bytes allocated so far by every live thread (the caller and the intra-op workers), or -1
   * where the JVM does not count them.
   */
  private static long allocatedBytes() {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean)
        || !bean.isThreadAllocatedMemorySupported() || !bean.isThreadAllocatedMemoryEnabled()) {
      return -1;
    }
    long total = 0;
    for (long bytes : bean.getThreadAllocatedBytes(bean.getAllThreadIds())) {
      total += Math.max(0, bytes);
    }
    return total;
  }

  /** The default context with convolution {@code setting}: direct, winograd or im2col. */
  private static ComputeContext convolution(String setting) {
    ComputeContext d = ComputeContext.defaults();
    return switch (setting.trim()) {
      case "direct" -> d.withDirectConvolution(true).withWinograd(false);
      case "winograd" -> d.withDirectConvolution(true).withWinograd(true);
      case "im2col" -> d.withDirectConvolution(false).withWinograd(false);
      default -> throw new IllegalArgumentException(
          "convolution setting must be direct, winograd or im2col, got '" + setting + "'");
    };
  }

  /**
   * One training step ({@code mode} "train") or inference forward ("infer") of a new network
   * of the model file {@code model} on {@code threads} intra-op workers: the entry point
   * {@link BuildPair} calls in each build it loads.
   */
  public static Runnable newStep(Path model, String mode, int batch, int threads)
      throws IOException {
    if (!mode.equals("train") && !mode.equals("infer")) {
      throw new IllegalArgumentException("mode must be train or infer, got '" + mode + "'");
    }
    return step(SpecJson.read(model), ComputeContext.defaults().withThreads(threads),
        mode.equals("train"), batch);
  }

  /** One training step or inference forward of a new network of {@code spec}. */
  private static Runnable step(NetworkSpec spec, ComputeContext context, boolean train,
      int batch) {
    Network net = Network.build(spec, context);
    net.initialize(1);
    int classes = net.outputShape().size();
    SplittableRandom rng = new SplittableRandom(7);
    float[] images = new float[batch * net.inputShape().size()];
    for (int i = 0; i < images.length; i++) {
      images[i] = (float) rng.nextGaussian();
    }
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = rng.nextInt(classes);
    }
    Optimizer sgd = Optimizer.create(OptimizerSpec.sgd(0.01f, 0.9f), net.layout());
    SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
    float[] dLogits = new float[batch * classes];
    Tensor input = new Tensor(images, 0, batch, net.inputShape());
    return train ? () -> {
      net.zeroGrad();
      Tensor logits = net.forward(input, true);
      loss.lossAndGradient(logits.data(), labels, batch, classes, dLogits);
      net.backward(dLogits);
      sgd.step(net.params(), net.grads(), 0.01f);
    } : () -> net.infer(input);
  }

  /** The {@code --turns} protocol in the class comment. */
  private static void takeTurns(Runnable step, int steps, int batch) throws IOException {
    BufferedReader turns = new BufferedReader(
        new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("ready");
    System.out.flush();
    for (String line = turns.readLine(); line != null && !line.strip().equals("stop");
        line = turns.readLine()) {
      String[] go = line.strip().split(" ");
      if (go.length != 2 || !go[0].equals("go")) {
        throw new IllegalArgumentException("expected 'go SECONDS' or 'stop', got '" + line + "'");
      }
      long nanos = (long) (Double.parseDouble(go[1]) * 1e9);
      System.out.printf(Locale.ROOT, "rate %.1f%n", rate(step, steps, nanos, batch));
      System.out.flush();
    }
  }

  private static double rate(Runnable step, int steps, int batch) {
    return rate(step, steps, 0, batch);
  }

  /** Images a second over at least {@code steps} steps and at least {@code nanos}. */
  private static double rate(Runnable step, int steps, long nanos, int batch) {
    long t0 = System.nanoTime();
    long done = 0;
    for (; done < steps || System.nanoTime() - t0 < nanos; done++) {
      step.run();
    }
    return (double) done * batch / ((System.nanoTime() - t0) / 1e9);
  }

  private static void report(NetworkSpec spec, String mode, int batch, String setting,
      double[] rates) {
    double[] sorted = rates.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "sparkconv %s %s batch %d%s: %.0f img/s (median of %s)%n",
        spec.name(), mode, batch, setting == null ? "" : " (" + setting + ")",
        sorted[rates.length / 2],
        Arrays.toString(Arrays.stream(rates).mapToLong(Math::round).toArray()));
  }
}
