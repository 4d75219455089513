package org.sparkconv.engine.train;

import java.io.PrintStream;
import java.util.Locale;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Minibatches;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;

/**
 * Minibatch training on one JVM: seeded epoch order, forward, fused loss, backward, optimizer
 * step at the scheduled rate; evaluation on the test split after every epoch; a progress line
 * every few seconds and per epoch. Same seed and data give bit-identical parameters.
 */
public final class Trainer {

  private final Network net;
  private final TrainSettings settings;
  private final Optimizer optimizer;
  private final TrainingStep trainingStep;
  private final DivergenceGuard divergence = new DivergenceGuard(DIVERGENCE_FACTOR);
  private final PrintStream log;

  /**
   * A step whose loss exceeds this multiple of the recent median (see {@link DivergenceGuard})
   * stops single-JVM training, as a NaN does: a model that exploded is not worth writing.
   */
  public static final double DIVERGENCE_FACTOR = 10;

  public Trainer(Network net, TrainSettings settings, PrintStream log) {
    this.net = net;
    this.settings = settings;
    this.optimizer = Optimizer.create(settings.optimizer(), net.layout());
    this.trainingStep = new TrainingStep(net, settings.labelSmoothing());
    this.log = log;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  /** Trains for the configured epochs; returns the evaluation on {@code test} after each. */
  public java.util.List<Evaluation> fit(ImageSet train, ImageSet test,
      Normalization normalization) {
    net.requireFits(train.shape(), train.classes(), train.source());
    Minibatches batches = new Minibatches(train, normalization, settings.augmentation(),
        settings.seed());
    int batchSize = settings.batchSize();
    long stepsPerEpoch = (train.count() + batchSize - 1) / batchSize;
    long totalSteps = stepsPerEpoch * settings.epochs();
    float[] images = new float[batchSize * train.shape().size()];
    int[] labels = new int[batchSize];
    java.util.List<Evaluation> history = new java.util.ArrayList<>();
    long start = System.nanoTime();
    long step = 0;
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      int[] order = batches.epochOrder(epoch);
      long epochStart = System.nanoTime();
      long lastReport = epochStart;
      double epochLoss = 0;
      long epochCorrect = 0;
      long seen = 0;
      for (int from = 0; from < train.count(); from += batchSize, step++) {
        int n = Math.min(batchSize, train.count() - from);
        batches.assemble(order, from, n, step, images, labels);
        float lr = settings.schedule().rate(settings.optimizer().lr(), step, stepsPerEpoch,
            settings.epochs());
        net.positionDropout(step);
        TrainingStep.Result r = trainingStep.run(images, labels, n, n);
        if (divergence.diverged(r.lossSum() / n)) {
          throw new TrainingDivergedException(String.format(Locale.ROOT,
              "loss became %s at epoch %d, step %d (recent reference %.4g, learning rate %g):"
                  + " lower optimizer.lr or set optimizer.clip_norm; no model was written",
              r.lossSum() / n, epoch + 1, step + 1, divergence.reference(), lr));
        }
        optimizer.step(net.params(), net.grads(), lr);
        epochLoss += r.lossSum();
        epochCorrect += r.correct();
        seen += n;
        long now = System.nanoTime();
        if ((now - lastReport) / 1e9 >= settings.progressSeconds()) {
          lastReport = now;
          progress(epoch, step + 1, totalSteps, epochLoss / seen, (double) epochCorrect / seen,
              (step + 1) * (double) batchSize, now - start, lr);
        }
      }
      double trainSeconds = (System.nanoTime() - epochStart) / 1e9;
      Evaluation eval = Evaluator.evaluate(net, test, normalization, evaluationBatch(settings));
      history.add(eval);
      double seconds = (System.nanoTime() - epochStart) / 1e9;
      log.printf(Locale.ROOT, "epoch %d/%d done: train loss %.4f, train accuracy %.2f%%,"
              + " test loss %.4f, test accuracy %.2f%%, %.1f s (train %.0f img/s)%n", epoch + 1,
          settings.epochs(), epochLoss / seen, 100.0 * epochCorrect / seen, eval.loss(),
          100 * eval.accuracy(), seconds, seen / trainSeconds);
    }
    return history;
  }

  /** The batch test sets are evaluated in: the training batch, at least 256. */
  public static int evaluationBatch(TrainSettings settings) {
    return Math.max(settings.batchSize(), 256);
  }

  private void progress(int epoch, long step, long totalSteps, double meanLoss,
      double accuracy, double images, long elapsedNanos, float lr) {
    double seconds = elapsedNanos / 1e9;
    double rate = images / seconds;
    long eta = (long) ((totalSteps - step) * (seconds / step));
    log.printf(Locale.ROOT, "epoch %d/%d step %d/%d loss %.4f acc %.2f%% lr %.3g %.0f img/s"
            + " ETA %d:%02d%n", epoch + 1, settings.epochs(), step, totalSteps, meanLoss,
        100 * accuracy, lr, rate, eta / 60, eta % 60);
  }
}
