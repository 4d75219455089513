package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class JitTrapLimitTest {

  @Test
  void warnsAtTheDefaultLimitAndNamesTheSettingToUse() {
    String warning = JitTrapLimit.warning(OptionalLong.of(100)).orElseThrow();
    assertTrue(warning.contains("-XX:PerMethodTrapLimit=100;"), warning);
    assertTrue(warning.contains("-XX:PerMethodTrapLimit=100000"), warning);
  }

  @Test
  void staysQuietAtTheRecommendedLimitOrWhereItCannotBeRead() {
    assertTrue(JitTrapLimit.warning(OptionalLong.of(JitTrapLimit.RECOMMENDED)).isEmpty());
    assertTrue(JitTrapLimit.warning(OptionalLong.empty()).isEmpty());
  }

  @Test
  void theBuildRunsTheTestsWithTheRecommendedLimit() {
    assertEquals(OptionalLong.of(JitTrapLimit.RECOMMENDED), JitTrapLimit.configured());
  }
}
