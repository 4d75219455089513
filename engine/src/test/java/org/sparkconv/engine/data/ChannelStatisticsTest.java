package org.sparkconv.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.tensor.Shape;

/** Per-channel statistics: by hand on a tiny set, and merged halves equal the whole. */
class ChannelStatisticsTest {

  @Test
  void meanAndStdOfATinyTwoChannelSet() {
    // One 2-channel 1x2 image: channel 0 = {0, 255}, channel 1 = {51, 51}.
    byte[] pixels = {0, (byte) 255, 51, 51};
    Normalization n = new ChannelStatistics(new Shape(2, 1, 2)).add(pixels, 0, 1)
        .normalization();
    assertEquals(0.5f, n.mean()[0], 1e-6);
    assertEquals(0.5f, n.std()[0], 1e-6);
    assertEquals(0.2f, n.mean()[1], 1e-6);
    assertEquals(1e-6f, n.std()[1], 1e-6, "a constant channel gets the floor, not zero");
  }

  @Test
  void mergedPartsSentAsArraysEqualTheWhole() {
    Shape shape = new Shape(3, 4, 5);
    byte[] pixels = new byte[10 * shape.size()];
    new SplittableRandom(3).nextBytes(pixels);
    ChannelStatistics whole = new ChannelStatistics(shape).add(pixels, 0, 10);
    ChannelStatistics first = new ChannelStatistics(shape).add(pixels, 0, 4);
    ChannelStatistics rest = new ChannelStatistics(shape).add(pixels, 4 * shape.size(), 6);
    ChannelStatistics merged = ChannelStatistics.fromArray(shape, first.toArray())
        .merge(ChannelStatistics.fromArray(shape, rest.toArray()));
    assertArrayEquals(whole.toArray(), merged.toArray());
    assertEquals(whole.normalization(), merged.normalization());
    ImageSet set = new ImageSet("random", shape, 10, pixels, new int[10], 2);
    assertEquals(whole.normalization(), Normalization.of(set));
  }
}
