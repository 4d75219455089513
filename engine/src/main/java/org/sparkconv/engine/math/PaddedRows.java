package org.sparkconv.engine.math;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies an image into the interior of its zero-padded stride-1 copy (the layout
 * {@link DirectConv} reads: channel c's padded plane at {@code c * channelBlock}, padded row
 * {@code py} at {@code py * rowWidth}) a vector at a time. Rows at least a vector wide are
 * copied in whole vectors, the last one overlapping the one before; a narrower row is copied
 * as one vector that runs past it, into padding (zeroed again after the channel, at positions
 * computed once here) or into the next row (whose copy comes after). One
 * {@code System.arraycopy} per row cost 10 ns a row, as much as the copy itself on 7- and
 * 14-wide rows. Rows whose vector would run past the channel's plane, and rows at the very end
 * of the source, are copied exactly.
 */
final class PaddedRows {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Floats a narrow row's vector may run past it: the widest vector. */
  private static final int OVERRUN = 16;

  private final int channels;
  private final int inH;
  private final int inW;
  private final int rowWidth;
  private final int channelBlock;
  private final int padTop;
  private final int padLeft;
  private final int vectorRows; // rows [0, vectorRows) may run OVERRUN past their end
  private final int[] overrunPadding; // per channel block: padding those runs write

  /** A copy of {@code (channels, inH, inW)} padded by {@code padTop}, {@code padLeft} >= 0. */
  PaddedRows(int channels, int inH, int inW, int padTop, int padLeft, int rowWidth,
      int channelBlock) {
    if (padTop < 0 || padLeft < 0 || padLeft + inW > rowWidth
        || (padTop + inH) * rowWidth > channelBlock) {
      throw new IllegalArgumentException("rows of " + inW + " at (" + padTop + ", " + padLeft
          + ") do not fit planes of " + channelBlock + " floats, rows of " + rowWidth);
    }
    this.channels = channels;
    this.inH = inH;
    this.inW = inW;
    this.rowWidth = rowWidth;
    this.channelBlock = channelBlock;
    this.padTop = padTop;
    this.padLeft = padLeft;
    int rows = 0;
    while (rows < inH && start(rows) + Math.max(inW, OVERRUN) <= channelBlock) {
      rows++;
    }
    this.vectorRows = rows;
    boolean[] data = new boolean[channelBlock];
    boolean[] written = new boolean[channelBlock];
    for (int y = 0; y < inH; y++) {
      for (int x = 0; x < inW; x++) {
        data[start(y) + x] = true;
      }
      for (int x = inW; y < vectorRows && x < OVERRUN; x++) {
        written[start(y) + x] = true;
      }
    }
    int n = 0;
    int[] positions = new int[channelBlock];
    for (int q = 0; q < channelBlock; q++) {
      if (written[q] && !data[q]) {
        positions[n++] = q;
      }
    }
    this.overrunPadding = java.util.Arrays.copyOf(positions, n);
  }

  private int start(int y) {
    return (y + padTop) * rowWidth + padLeft;
  }

  /** Copies image {@code x[xOff ...]} into the padded copy at {@code padded[at]}. */
  void copy(float[] x, int xOff, float[] padded, int at) {
    int plane = inH * inW;
    for (int c = 0; c < channels; c++) {
      int source = xOff + c * plane;
      int block = at + c * channelBlock;
      for (int y = 0; y < inH; y++) {
        int from = source + y * inW;
        int to = block + start(y);
        if (inW >= LANES) {
          // A row of up to two vectors without a loop: JDK 17's C2 ran the loop's one trip
          // (LeNet-5's and ResNet-20's 28-wide rows) at a fraction of the speed.
          if (inW <= 2 * LANES) {
            if (inW > LANES) { // the one vector before the last is the first
              FloatVector.fromArray(SPECIES, x, from).intoArray(padded, to);
            }
          } else {
            for (int k = 0; k < inW - LANES; k += LANES) {
              FloatVector.fromArray(SPECIES, x, from + k).intoArray(padded, to + k);
            }
          }
          FloatVector.fromArray(SPECIES, x, from + inW - LANES)
              .intoArray(padded, to + inW - LANES);
        } else if (y < vectorRows && from + LANES <= x.length) {
          FloatVector.fromArray(SPECIES, x, from).intoArray(padded, to);
        } else {
          System.arraycopy(x, from, padded, to, inW);
        }
      }
      if (inW < LANES) {
        for (int z : overrunPadding) {
          padded[block + z] = 0f;
        }
      }
    }
  }
}
