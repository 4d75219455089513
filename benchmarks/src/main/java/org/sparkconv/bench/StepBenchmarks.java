package org.sparkconv.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.sparkconv.engine.loss.SoftmaxCrossEntropy;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.net.NetworkSpec;
import org.sparkconv.engine.net.NetworkBuilder;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.tensor.Tensor;

/**
 * Whole steps on synthetic data: a training step (forward, loss, backward, SGD momentum update)
 * at batch 64 and an inference forward at batch 256, for LeNet-5, VGG-small and ResNet-20 as
 * {@code conf/models/} defines them. Images/s = batch / (seconds per operation).
 *
 * <pre>OPENBLAS_NUM_THREADS=1 java -jar benchmarks/target/benchmarks.jar StepBenchmarks</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules=jdk.incubator.vector",
    "-XX:PerMethodTrapLimit=100000"})
public class StepBenchmarks {

  @Param({"lenet5", "vgg-small", "resnet20"})
  public String model;

  private Network net;
  private Optimizer sgd;
  private final SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
  private Tensor trainBatch;
  private Tensor inferBatch;
  private int[] labels;
  private float[] dLogits;

  static NetworkSpec spec(String model) {
    if (model.equals("lenet5")) {
      return NetworkBuilder.input("lenet5", 1, 28, 28).conv2d(6, 5, 2).relu().maxPool(2)
          .conv2d(16, 5, 0).relu().maxPool(2).flatten().dense(120).relu().dense(84).relu()
          .dense(10).build();
    }
    return NetworkBuilder.input("vgg-small", 1, 28, 28)
        .conv2d(32, 3, 1).batchNorm2d().relu().conv2d(32, 3, 1).batchNorm2d().relu().maxPool(2)
        .conv2d(64, 3, 1).batchNorm2d().relu().conv2d(64, 3, 1).batchNorm2d().relu().maxPool(2)
        .flatten().dense(256).relu().dense(10).build();
  }

  @Setup
  public void setUp() {
    net = Network.build(spec(model));
    net.initialize(1);
    sgd = Optimizer.create(OptimizerSpec.sgd(0.01f, 0.9f), net.layout());
    SplittableRandom rng = new SplittableRandom(7);
    trainBatch = random(64, rng);
    inferBatch = random(256, rng);
    labels = new int[64];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rng.nextInt(10);
    }
    dLogits = new float[64 * 10];
  }

  private Tensor random(int batch, SplittableRandom rng) {
    float[] x = new float[batch * net.inputShape().size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    return new Tensor(x, 0, batch, net.inputShape());
  }

  @Benchmark
  public float[] trainStepBatch64() {
    net.zeroGrad();
    Tensor logits = net.forward(trainBatch, true);
    loss.lossAndGradient(logits.data(), labels, 64, 10, dLogits);
    net.backward(dLogits);
    sgd.step(net.params(), net.grads(), 0.01f);
    return net.params();
  }

  @Benchmark
  public float[] inferBatch256() {
    return net.infer(inferBatch).data();
  }
}
