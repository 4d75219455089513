package org.sparkconv.spark.train;

import java.io.PrintStream;
import java.util.Locale;
import org.sparkconv.engine.train.Evaluation;
import org.sparkconv.spark.wire.Contribution;

/**
 * What the driver tells the user while it trains: a progress line every few seconds (loss,
 * accuracy, rate, images/s, ETA) and per epoch the training and test figures with where a
 * round's time went.
 */
final class Progress {

  private final PrintStream log;
  private final int epochs;
  private final long totalRounds;
  private final long roundsAtStart;
  private final double everySeconds;
  private final RoundTimes times = new RoundTimes();
  private final TrainingHistory history = new TrainingHistory();
  private final long start = System.nanoTime();
  private long lastReport = start;
  private long epochStart;
  private long lastRoundEnd;
  private int firstRound;
  private int dataRounds;
  private double epochLoss;
  private long epochCount;
  private long epochCorrect;

  Progress(PrintStream log, int epochs, long totalRounds, long roundsAtStart,
      double everySeconds) {
    this.log = log;
    this.epochs = epochs;
    this.totalRounds = totalRounds;
    this.roundsAtStart = roundsAtStart;
    this.everySeconds = everySeconds;
  }

  RoundTimes times() {
    return times;
  }

  TrainingHistory history() {
    return history;
  }

  /**
   * Starts counting an epoch at data round {@code firstRound} of {@code dataRounds}; an epoch
   * entered part way (resumed, or gone back to) says so in its summary.
   */
  void startEpoch(int firstRound, int dataRounds) {
    this.firstRound = firstRound;
    this.dataRounds = dataRounds;
    times.reset();
    epochLoss = 0;
    epochCount = 0;
    epochCorrect = 0;
    epochStart = System.nanoTime();
  }

  /** Counts round number {@code rounds} (of the whole run); reports when it is time. */
  void round(int epoch, long rounds, Contribution sum, float lr) {
    epochLoss += sum.lossSum();
    epochCount += sum.count();
    epochCorrect += sum.correct();
    long now = System.nanoTime();
    lastRoundEnd = now;
    history.addRound(new TrainingHistory.Round(epoch, rounds, sum.lossSum() / sum.count(),
        (double) sum.correct() / sum.count(), lr, epochCount / ((now - epochStart) / 1e9),
        times.lastJobPerRound()));
    if ((now - lastReport) / 1e9 >= everySeconds) {
      lastReport = now;
      double seconds = (now - start) / 1e9;
      long eta = (long) ((totalRounds - rounds) * seconds / (rounds - roundsAtStart));
      log.printf(Locale.ROOT, "epoch %d/%d round %d/%d loss %.4f acc %.2f%% lr %.3g %.0f"
              + " img/s ETA %d:%02d%n", epoch + 1, epochs, rounds, totalRounds,
          epochLoss / epochCount, 100.0 * epochCorrect / epochCount, lr,
          epochCount / ((now - epochStart) / 1e9), eta / 60, eta % 60);
    }
  }

  /** The epoch's summary, after its test evaluation {@code eval}. */
  void endEpoch(int epoch, Evaluation eval) {
    if (epochCount == 0) {
      log.printf(Locale.ROOT, "epoch %d/%d (resumed at its end): test loss %.4f, test accuracy"
          + " %.2f%%%n", epoch + 1, epochs, eval.loss(), 100 * eval.accuracy());
      return;
    }
    double seconds = (System.nanoTime() - epochStart) / 1e9;
    double trainSeconds = (lastRoundEnd - epochStart) / 1e9;
    String partial = firstRound == 0 ? "" : String.format(Locale.ROOT, " (train figures cover"
        + " data rounds %d-%d of %d: the epoch was entered part way)", firstRound + 1,
        dataRounds, dataRounds);
    history.addEpoch(new TrainingHistory.Epoch(epoch, epochLoss / epochCount,
        (double) epochCorrect / epochCount, eval, seconds, epochCount / trainSeconds,
        times.perRound()));
    log.printf(Locale.ROOT, "epoch %d/%d done: train loss %.4f, train accuracy %.2f%%, test"
            + " loss %.4f, test accuracy %.2f%%, %.1f s (train %.0f img/s)%s%n  per round: %s%n",
        epoch + 1, epochs, epochLoss / epochCount, 100.0 * epochCorrect / epochCount,
        eval.loss(), 100 * eval.accuracy(), seconds, epochCount / trainSeconds, partial, times);
  }
}
