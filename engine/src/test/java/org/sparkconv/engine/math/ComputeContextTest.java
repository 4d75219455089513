package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code sparkconv.conv} setting: its three values, and a clear error for any other. */
class ComputeContextTest {

  @AfterEach
  void clear() {
    System.clearProperty("sparkconv.conv");
  }

  @Test
  void readsTheThreeValuesWhateverTheirCase() {
    assertEquals("winograd", ComputeContext.convolutionSetting(), "unset: winograd");
    System.setProperty("sparkconv.conv", "Winograd");
    assertEquals("winograd", ComputeContext.convolutionSetting());
    System.setProperty("sparkconv.conv", " Direct ");
    assertEquals("direct", ComputeContext.convolutionSetting());
    System.setProperty("sparkconv.conv", "IM2COL");
    assertEquals("im2col", ComputeContext.convolutionSetting());
  }

  @Test
  void anyOtherValueNamesTheSettingAndWhatItTakes() {
    System.setProperty("sparkconv.conv", "auto");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        ComputeContext::convolutionSetting);
    assertTrue(e.getMessage().contains("'sparkconv.conv' must be direct, winograd or im2col")
        && e.getMessage().contains("'auto'"), e.getMessage());
  }
}
