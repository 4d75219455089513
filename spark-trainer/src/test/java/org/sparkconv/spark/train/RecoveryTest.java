package org.sparkconv.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.data.ImageSet;
import org.sparkconv.engine.data.Normalization;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.OptimizerSpec;
import org.sparkconv.engine.train.TrainSettings;
import org.sparkconv.engine.train.TrainingDivergedException;
import org.sparkconv.spark.LocalSpark;
import org.sparkconv.spark.TestImages;
import org.sparkconv.spark.wire.SparkActions;

/**
 * Failures ridden out inside the job (Spark local[2], faults injected through the trainer's test
 * hook): retried rounds, a fall back to the last good state, divergence rolled back with a
 * lower rate; and a clear stop when each budget is spent.
 */
class RecoveryTest {

  static final ImageSet DATA = TestImages.quadrants(400, 8, 41);
  static final RecoverySettings QUICK = new RecoverySettings(2, 0.01, 1, 4, 10.0, 0.5, 3);

  record Run(float[] paramsAndState, String log) {}

  static Run train(TrainSettings settings, RecoverySettings recovery, int faults, int rounds) {
    Network net = Network.build(EquivalenceTest.plain());
    net.initialize(EquivalenceTest.SEED);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    SparkTrainer trainer = new SparkTrainer(LocalSpark.get(), new PrintStream(log, true));
    trainer.injectRoundFailures(faults);
    trainer.fit(net, DATA, DATA.head(64), Normalization.of(DATA), settings,
        new SparkSettings(new GradientAveraging(), 2, 2, rounds, 0).withRecovery(recovery));
    return new Run(EquivalenceTest.concat(net.params(), net.state()), log.toString());
  }

  static TrainSettings sgd(float lr) {
    return EquivalenceTest.settings(OptimizerSpec.sgd(lr, 0.9f));
  }

  @Test
  void aRoundThatFailsTwiceIsRetriedAndTheRunEqualsAnUnfaultedOne() {
    Run clean = train(sgd(0.05f), QUICK, 0, 10);
    Run faulted = train(sgd(0.05f), QUICK, 2, 10);
    assertTrue(faulted.log().contains("retry: round 1 failed")
        && faulted.log().contains("(2 of 2)"), faulted.log());
    assertArrayEquals(clean.paramsAndState(), faulted.paramsAndState());
  }

  @Test
  void pastTheRetryBudgetTheJobGoesBackToItsLastGoodStateAndStillEqualsAnUnfaultedRun() {
    Run clean = train(sgd(0.05f), QUICK, 0, 10);
    // 3 failures: the first round exhausts its 2 retries, the job goes back to the start, and
    // the round's first attempt after that fails once more before it passes.
    Run faulted = train(sgd(0.05f), QUICK, 4, 10);
    assertTrue(faulted.log().contains("recovery: round 1 still fails after 2 retries"),
        faulted.log());
    assertArrayEquals(clean.paramsAndState(), faulted.paramsAndState());
  }

  @Test
  void whenEveryBudgetIsSpentTheJobStopsNamingTheCauseAndWhatWasLost() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> train(sgd(0.05f), QUICK, 100, 10));
    assertTrue(e.getMessage().contains("round 1 failed 3 times")
        && e.getMessage().contains("injected fault")
        && e.getMessage().contains("checkpoints are off"), e.getMessage());
  }

  @Test
  void aFailureCausedByBadDataIsNeitherRetriedNorRecovered() {
    Network net = Network.build(EquivalenceTest.plain());
    net.initialize(EquivalenceTest.SEED);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    SparkTrainer trainer = new SparkTrainer(LocalSpark.get(), new PrintStream(log, true));
    trainer.injectRoundFailures(1, new IllegalArgumentException("x.png: label 7 is outside"));
    assertThrows(SparkActions.JobFailedException.class, () -> trainer.fit(net, DATA,
        DATA.head(64), Normalization.of(DATA), sgd(0.05f),
        new SparkSettings(new GradientAveraging(), 2, 2, 4, 0).withRecovery(QUICK)));
    assertFalse(log.toString().contains("retry:") || log.toString().contains("recovery:"),
        log.toString());
  }

  @Test
  void aNanLossIsRolledBackWithLowerRatesAndThenStopsTheJob() {
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> train(sgd(1e30f), QUICK, 0, 10));
    assertTrue(e.getMessage().contains("loss became NaN") || e.getMessage().contains(
        "loss became Infinity"), e.getMessage());
    assertTrue(e.getMessage().contains("after 3 rollbacks")
        && e.getMessage().contains("no model was written"), e.getMessage());
  }

  @Test
  void aFiniteExplosionIsCaughtRolledBackAndTrainingRecoversAtALowerRate() {
    Run run = train(sgd(2f), QUICK, 0, 12);
    assertTrue(run.log().contains("divergence: loss became"), run.log());
    assertTrue(run.log().contains("round 12/12") && run.log().contains("lr 0.500"),
        "finished the epoch at a quarter of the rate: " + run.log());
    for (float v : run.paramsAndState()) {
      assertTrue(Float.isFinite(v), "finite parameters after recovery");
    }
    assertEquals(-1, run.log().indexOf("became NaN"), "caught before it became NaN: "
        + run.log());
  }
}
