package org.sparkconv.engine.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
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
 * <pre>StepBenchmark MODEL.json train|infer BATCH [steps 20] [repeats 5]</pre>
 */
public final class StepBenchmark {

  private StepBenchmark() {}

  public static void main(String[] args) {
    if (args.length < 3) {
      System.err.println("usage: StepBenchmark MODEL.json train|infer BATCH [steps] [repeats]");
      System.exit(2);
    }
    Network net = Network.build(SpecJson.read(Path.of(args[0])));
    net.initialize(1);
    boolean train = args[1].equals("train");
    int batch = Integer.parseInt(args[2]);
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 5;
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
    Runnable step = train ? () -> {
      net.zeroGrad();
      Tensor logits = net.forward(input, true);
      loss.lossAndGradient(logits.data(), labels, batch, classes, dLogits);
      net.backward(dLogits);
      sgd.step(net.params(), net.grads(), 0.01f);
    } : () -> net.infer(input);
    WarmUp.run(step, Math.max(3, steps / 4));
    double[] rates = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        step.run();
      }
      rates[r] = (double) steps * batch / ((System.nanoTime() - t0) / 1e9);
    }
    double[] sorted = rates.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "sparkconv %s %s batch %d: %.0f img/s (median of %s)%n",
        net.spec().name(), args[1], batch, sorted[repeats / 2], Arrays.toString(
            Arrays.stream(rates).mapToLong(Math::round).toArray()));
  }
}
