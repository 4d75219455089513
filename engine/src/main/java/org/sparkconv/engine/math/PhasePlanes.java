package org.sparkconv.engine.math;

/**
 * A stack of image planes stored zero-padded as {@code side x side} phase planes (side 2 or 4),
 * the layout {@link WinogradConv} reads: phase (py, px) of a channel holds padded pixels
 * {@code (py + side i, px + side j)} at {@code i * rowWidth + j}, phases one after another
 * (row-major), each {@code phasePlane} floats (what the rows take, and slack after them). Padded
 * pixel (py, px) is input pixel {@code (py - padTop, px - padLeft)}; {@code rows} phase rows are
 * filled.
 *
 * <p>{@link #copy} deinterleaves each input row a pair of vectors at a time where no column is
 * clipped (one float at a time cost 0.4-0.7 ns a float, a third of Winograd's overhead on 16
 * channels). Its whole-vector stores run up to 15 floats past a row, into padding that is
 * zeroed again per channel (the positions computed once, here) or into the slack at the end of
 * a phase plane, which only dropped tiles read: so {@code phasePlane} must leave 16 floats after
 * the rows.
 *
 * <p>With side 4 a channel's input rows are first laid out as padded rows (in lines after the
 * image's planes, their padding columns never written, so zero), the rows of one residue of
 * the padded row index modulo 4 one after another, with zeros after them; then each residue's
 * rows are split by column modulo 4 in one pass ({@link Winograd4Kernel#quarter}), since they
 * fill consecutive phase rows. The stores that run past the last row write the zeros after
 * it, so the padding needs no repair. Row by row (one line, and a split of each row's 4 rowWidth
 * columns rounded up to 64) a 32x28x28 image took 17 us; by residue it takes 9.8 (one thread).
 */
final class PhasePlanes {

  /** Floats a row's vector stores may run past it (the widest vector). */
  private static final int OVERRUN = 16;

  private final int side;
  private final int channels;
  private final int inH;
  private final int inW;
  private final int padTop;
  private final int padLeft;
  private final int rows;
  private final int rowWidth;
  private final int phasePlane;
  private final int[] overrunPadding; // see overrunPadding(), with side 2
  private final int line; // with side 4: where padded rows are laid out, after the planes
  private final int residueLines; // with side 4: floats of one residue's lines (side 2: 0)

  PhasePlanes(int channels, int inH, int inW, int padTop, int padLeft, int rows, int rowWidth,
      int phasePlane) {
    this(2, channels, inH, inW, padTop, padLeft, rows, rowWidth, phasePlane);
  }

  PhasePlanes(int side, int channels, int inH, int inW, int padTop, int padLeft, int rows,
      int rowWidth, int phasePlane) {
    if (phasePlane < rows * rowWidth + OVERRUN) {
      throw new IllegalArgumentException("phase plane of " + phasePlane + " floats for " + rows
          + " rows of " + rowWidth + ": needs " + OVERRUN + " more");
    }
    if (side != 2 && side != 4) {
      throw new IllegalArgumentException("phase planes of side " + side + ": 2 or 4");
    }
    this.side = side;
    this.channels = channels;
    this.inH = inH;
    this.inW = inW;
    this.padTop = padTop;
    this.padLeft = padLeft;
    this.rows = rows;
    this.rowWidth = rowWidth;
    this.phasePlane = phasePlane;
    this.overrunPadding = side == 2 ? overrunPadding() : new int[0];
    // the lines: per residue its rows of 4 rowWidth padded columns, then the zeros the split
    // reads past them
    this.line = channels * side * side * phasePlane;
    this.residueLines = side == 2 ? 0
        : (Math.min(inH, 4 * rows) + 3) / 4 * 4 * rowWidth + 4 * OVERRUN;
  }

  /** Floats of one image's phase planes (and, with side 4, the lines it copies through). */
  int imageSize() {
    return channels * side * side * phasePlane + 4 * residueLines;
  }

  /**
   * Copies image {@code x[xOff ...]} into the phase planes at {@code padded[at]}; the positions
   * no input pixel lands on (the padding) stay zero (zero when allocated).
   */
  void copy(float[] x, int xOff, float[] padded, int at) {
    if (side == 4) {
      copyByQuarters(x, xOff, padded, at);
      return;
    }
    int inPlane = inH * inW;
    int extentH = 2 * rows; // padded rows read
    int extentW = 2 * rowWidth;
    int firstRow = Math.max(0, -padTop);
    int lastRow = Math.min(inH, extentH - padTop);
    int firstColumn = Math.max(0, -padLeft);
    int lastColumn = Math.min(inW, extentW - padLeft);
    // phase column k of phase px holds input column 2k + px - padLeft
    int evenFrom = (firstColumn + padLeft + 1) >> 1;
    int evenTo = (lastColumn + padLeft + 1) >> 1;
    int oddFrom = (firstColumn + padLeft) >> 1;
    int oddTo = (lastColumn + padLeft) >> 1;
    boolean whole = firstColumn == 0 && lastColumn == inW; // no column clipped: vectors
    for (int c = 0; c < channels; c++) {
      int source = xOff + c * inPlane;
      int block = at + c * 4 * phasePlane;
      for (int y = firstRow; y < lastRow; y++) {
        int py = y + padTop;
        int even = block + (py & 1) * 2 * phasePlane + (py >> 1) * rowWidth;
        int odd = even + phasePlane;
        int from = source + y * inW - padLeft;
        if (whole) {
          // input column 2m lands in phase padLeft % 2, column 2m + 1 in the other
          WinogradKernel.deinterleave(x, source + y * inW, inW, padded,
              (padLeft & 1) == 0 ? even + (padLeft >> 1) : odd + (padLeft >> 1),
              (padLeft & 1) == 0 ? odd + (padLeft >> 1) : even + ((padLeft + 1) >> 1));
          continue;
        }
        for (int k = evenFrom; k < evenTo; k++) {
          padded[even + k] = x[from + 2 * k];
        }
        for (int k = oddFrom; k < oddTo; k++) {
          padded[odd + k] = x[from + 2 * k + 1];
        }
      }
      if (whole) {
        for (int z : overrunPadding) {
          padded[block + z] = 0f;
        }
      }
    }
  }

  /**
   * {@link #copy} with side 4: each input row into its residue's lines, then each residue's
   * rows split by column modulo 4 at once ({@link Winograd4Kernel#quarter}). The lines'
   * padding columns are never written, so they stay zero; their data columns are the same for
   * every channel.
   */
  private void copyByQuarters(float[] x, int xOff, float[] padded, int at) {
    int inPlane = inH * inW;
    int width = 4 * rowWidth; // padded columns the phase rows hold
    int firstRow = Math.max(0, -padTop);
    int lastRow = Math.min(inH, 4 * rows - padTop);
    int firstColumn = Math.max(0, -padLeft);
    int lastColumn = Math.min(inW, width - padLeft);
    int lineAt = at + line;
    for (int c = 0; c < channels; c++) {
      int source = xOff + c * inPlane;
      int block = at + c * 16 * phasePlane;
      for (int y = firstRow; y < lastRow; y++) {
        int py = y + padTop;
        int row = lineAt + (py & 3) * residueLines + ((y - firstRow) >> 2) * width;
        System.arraycopy(x, source + y * inW + firstColumn, padded,
            row + firstColumn + padLeft, lastColumn - firstColumn);
      }
      for (int first = firstRow; first < Math.min(lastRow, firstRow + 4); first++) {
        int py = first + padTop;
        int count = (lastRow - first + 3) / 4 * width;
        int phaseRow = block + (py & 3) * 4 * phasePlane + (py >> 2) * rowWidth;
        Winograd4Kernel.quarter(padded, lineAt + (py & 3) * residueLines, count, padded,
            phaseRow, phaseRow + phasePlane, phaseRow + 2 * phasePlane,
            phaseRow + 3 * phasePlane);
      }
    }
  }

  /**
   * The padding positions of a channel's phase planes (relative to its first) that the
   * vector stores of {@link #copy} run over: up to {@link #OVERRUN} - 1 floats past a row's last
   * pixel, into padding columns and rows (zeroed again after the channel) or past the filled
   * rows into the slack.
   */
  private int[] overrunPadding() {
    int extent = rows * rowWidth;
    boolean[] data = new boolean[4 * phasePlane];
    boolean[] overrun = new boolean[4 * phasePlane];
    int firstRow = Math.max(0, -padTop);
    int lastRow = Math.min(inH, 2 * rows - padTop);
    if (padLeft < 0 || inW + padLeft > 2 * rowWidth) {
      return new int[0]; // columns clipped: pad copies one by one
    }
    for (int y = firstRow; y < lastRow; y++) {
      int py = y + padTop;
      for (int parity = 0; parity < 2; parity++) {
        int px = padLeft + parity; // of input column `parity`
        int start = ((py & 1) * 2 + (px & 1)) * phasePlane + (py >> 1) * rowWidth + (px >> 1);
        int count = (inW - parity + 1) / 2;
        for (int k = 0; k < (count + OVERRUN - 1) / OVERRUN * OVERRUN; k++) {
          (k < count ? data : overrun)[start + k] = true;
        }
      }
    }
    int n = 0;
    int[] positions = new int[4 * phasePlane];
    for (int q = 0; q < positions.length; q++) {
      if (overrun[q] && !data[q] && q % phasePlane < extent) {
        positions[n++] = q;
      }
    }
    return java.util.Arrays.copyOf(positions, n);
  }

}
