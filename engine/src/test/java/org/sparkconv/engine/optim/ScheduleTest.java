package org.sparkconv.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ScheduleTest {

  private static final long STEPS_PER_EPOCH = 100;

  @Test
  void shapesOfEachSchedule() {
    assertEquals(0.1f, Schedule.constant().rate(0.1f, 950, STEPS_PER_EPOCH, 10));
    Schedule step = new Schedule("step", 0f, 3f, 0.1f, 0f);
    assertEquals(1f, step.rate(1f, 299, STEPS_PER_EPOCH, 10), 1e-7);
    assertEquals(0.1f, step.rate(1f, 300, STEPS_PER_EPOCH, 10), 1e-7);
    assertEquals(0.01f, step.rate(1f, 650, STEPS_PER_EPOCH, 10), 1e-7);
    Schedule exp = new Schedule("exponential", 0f, 0f, 0.5f, 0f);
    assertEquals(0.25f, exp.rate(1f, 200, STEPS_PER_EPOCH, 10), 1e-7);
    assertEquals((float) Math.pow(0.5, 2.5), exp.rate(1f, 250, STEPS_PER_EPOCH, 10), 1e-7);
    Schedule cosine = new Schedule("cosine", 0f, 0f, 1f, 0.01f);
    assertEquals(1f, cosine.rate(1f, 0, STEPS_PER_EPOCH, 4), 1e-7);
    assertEquals(0.505f, cosine.rate(1f, 200, STEPS_PER_EPOCH, 4), 1e-6);
    assertEquals(0.01f, cosine.rate(1f, 400, STEPS_PER_EPOCH, 4), 1e-7);
  }

  @Test
  void warmupRisesLinearlyThenHandsOver() {
    Schedule warm = new Schedule("cosine", 1f, 0f, 1f, 0f);
    assertEquals(0.01f, warm.rate(1f, 0, STEPS_PER_EPOCH, 5), 1e-7);
    assertEquals(0.5f, warm.rate(1f, 49, STEPS_PER_EPOCH, 5), 1e-7);
    assertEquals(1f, warm.rate(1f, 100, STEPS_PER_EPOCH, 5), 1e-7);
    assertEquals(0.5f, warm.rate(1f, 300, STEPS_PER_EPOCH, 5), 1e-6, "half-way through cosine");
  }

  @Test
  void invalidSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Schedule("linear", 0, 0, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new Schedule("step", 0, 0, 0.1f, 0));
    assertThrows(IllegalArgumentException.class, () -> new Schedule("exponential", 0, 0, 2f, 0));
  }
}
