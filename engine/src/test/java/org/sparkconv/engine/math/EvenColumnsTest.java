package org.sparkconv.engine.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A row's even columns taken out and spread back, against their definitions, on rows of less
 * than one vector, one, and several, where one of the two bounds ends exactly with the row and
 * the other leaves room: the vector loops must stop short of each and leave the rest to the
 * scalar one.
 */
class EvenColumnsTest {

  private static final int[] COUNTS = {5, 7, 14, 16, 20, 35, 64};
  private static final int ROOM = 80;

  @Test
  void takeReadsAndWritesNothingPastTheArrays() {
    for (int count : COUNTS) {
      for (boolean inputEnds : new boolean[] {true, false}) {
        int from = 3;
        // the row's last even column ends the input, or its last output ends the output
        float[] x = new float[from + 2 * count - 1 + (inputEnds ? 0 : ROOM)];
        for (int i = 0; i < x.length; i++) {
          x[i] = i * 0.5f - 3f;
        }
        int at = 2;
        float[] to = new float[at + count + (inputEnds ? ROOM : 0)];
        EvenColumns.take(x, from, count, to, at);
        for (int k = 0; k < count; k++) {
          assertEquals(x[from + 2 * k], to[at + k], "count " + count + " k " + k);
        }
      }
    }
  }

  @Test
  void spreadReadsAndWritesNothingPastItsLimitOrTheValues() {
    for (int count : COUNTS) {
      spread(count, true);
      spread(count, false);
    }
  }

  /** A row of {@code 2 count} spread, the values ending with it or the limit ending with it. */
  private static void spread(int count, boolean valuesEnd) {
    int width = 2 * count;
    int from = 1;
    float[] values = new float[from + count + (valuesEnd ? 0 : ROOM)];
    for (int i = 0; i < values.length; i++) {
      values[i] = i + 1f;
    }
    int row = 3;
    float[] out = new float[row + width + ROOM];
    java.util.Arrays.fill(out, -9f);
    int limit = row + width + (valuesEnd ? ROOM : 0);
    EvenColumns.spread(values, from, width, out, row, limit);
    for (int j = 0; j < width; j++) {
      float expected = j % 2 == 0 ? values[from + j / 2] : 0f;
      assertEquals(expected, out[row + j], "width " + width + " j " + j);
    }
    for (int i = limit; i < out.length; i++) {
      assertEquals(-9f, out[i], "width " + width + ": written past the limit at " + i);
    }
    for (int i = 0; i < row; i++) {
      assertEquals(-9f, out[i], "width " + width + ": written before the row at " + i);
    }
  }
}
