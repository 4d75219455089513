package org.sparkconv.engine.layer;

/**
 * Zero padding of a convolution: explicit amounts per axis, or a mode.
 * <ul>
 *   <li>{@code valid}: none; output {@code N - D(K-1)} for stride 1.</li>
 *   <li>{@code same}: output {@code ceil(N / S)}; the total padding
 *       {@code max((out - 1) S + D(K-1) + 1 - N, 0)} is split with the odd pixel at the bottom /
 *       right (TensorFlow's rule; equals PyTorch's {@code padding='same'} at stride 1).</li>
 *   <li>{@code full}: {@code D(K-1)} on each side; output {@code N + D(K-1)} for stride 1.</li>
 * </ul>
 */
public record Padding(Mode mode, int h, int w) {

  /** How the amount is chosen. */
  public enum Mode { EXPLICIT, VALID, SAME, FULL }

  public static final Padding VALID = new Padding(Mode.VALID, 0, 0);
  public static final Padding SAME = new Padding(Mode.SAME, 0, 0);
  public static final Padding FULL = new Padding(Mode.FULL, 0, 0);

  public static Padding of(int h, int w) {
    return new Padding(Mode.EXPLICIT, h, w);
  }

  public static Padding of(int both) {
    return of(both, both);
  }

  /** The padding before (top/left) along an axis of length n. */
  public int before(int n, int kernel, int stride, int dilation, boolean vertical) {
    return switch (mode) {
      case EXPLICIT -> vertical ? h : w;
      case VALID -> 0;
      case FULL -> dilation * (kernel - 1);
      case SAME -> sameTotal(n, kernel, stride, dilation) / 2;
    };
  }

  /** The padding after (bottom/right) along an axis of length n. */
  public int after(int n, int kernel, int stride, int dilation, boolean vertical) {
    return switch (mode) {
      case EXPLICIT -> vertical ? h : w;
      case VALID -> 0;
      case FULL -> dilation * (kernel - 1);
      case SAME -> sameTotal(n, kernel, stride, dilation)
          - sameTotal(n, kernel, stride, dilation) / 2;
    };
  }

  private static int sameTotal(int n, int kernel, int stride, int dilation) {
    int out = (n + stride - 1) / stride;
    return Math.max((out - 1) * stride + dilation * (kernel - 1) + 1 - n, 0);
  }

  /** The form a model file uses: a mode name or the explicit amounts. */
  @Override
  public String toString() {
    return mode == Mode.EXPLICIT ? (h == w ? Integer.toString(h) : "[" + h + ", " + w + "]")
        : mode.name().toLowerCase(java.util.Locale.ROOT);
  }
}
