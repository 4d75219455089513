package org.sparkconv.engine.math;

/**
 * The filter side of Winograd's F(2x2, 3x3) and F(4x4, 3x3) ({@link WinogradConv}): a 3x3
 * kernel g becomes the 4x4 or 6x6 {@code U = G g G^T}, and a gradient dU of U goes back to the
 * kernel as {@code G^T dU G} (the chain rule through that product), with
 *
 * <pre>
 *   F(2x2): G = | 1    0    0   |    F(4x4): G = |  1/4    0     0   |
 *               | 1/2  1/2  1/2 |                | -1/6  -1/6  -1/6  |
 *               | 1/2 -1/2  1/2 |                | -1/6   1/6  -1/6  |
 *               | 0    0    1   |                |  1/24  1/12  1/6  |
 *                                                |  1/24 -1/12  1/6  |
 *                                                |  0      0     1   |
 * </pre>
 *
 * F(4x4)'s thirds are not floats: its U is computed in double and rounded once. Row-major
 * arrays, one kernel at a time: the definition {@link WinogradFilterKernel}'s packing (vectors
 * over output channels) is tested against.
 */
final class WinogradFilter {

  private static final double[][] G4 = {
      {1.0 / 4, 0, 0},
      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
      {1.0 / 24, 1.0 / 12, 1.0 / 6},
      {1.0 / 24, -1.0 / 12, 1.0 / 6},
      {0, 0, 1}};

  private WinogradFilter() {}

  /**
   * {@code u[(tile + 2) a + b] = (G g G^T)[a][b]} for the kernel {@code g[3i + j]}, with
   * {@code tile} 2 or 4.
   */
  static void transform(int tile, float[] g, float[] u) {
    if (tile == 2) {
      transform(g, u);
      return;
    }
    double[] gg = new double[18]; // G g: 6 x 3
    for (int a = 0; a < 6; a++) {
      for (int j = 0; j < 3; j++) {
        gg[3 * a + j] = G4[a][0] * g[j] + G4[a][1] * g[3 + j] + G4[a][2] * g[6 + j];
      }
    }
    for (int a = 0; a < 6; a++) { // (G g) G^T
      for (int b = 0; b < 6; b++) {
        u[6 * a + b] = (float) (gg[3 * a] * G4[b][0] + gg[3 * a + 1] * G4[b][1]
            + gg[3 * a + 2] * G4[b][2]);
      }
    }
  }

  /** {@code u[4a + b] = (G g G^T)[a][b]} for the kernel {@code g[3i + j]}: F(2x2). */
  static void transform(float[] g, float[] u) {
    float[] gg = new float[12]; // G g: 4 x 3
    for (int j = 0; j < 3; j++) {
      float g0 = g[j];
      float g1 = g[3 + j];
      float g2 = g[6 + j];
      gg[j] = g0;
      gg[3 + j] = 0.5f * (g0 + g1 + g2);
      gg[6 + j] = 0.5f * (g0 - g1 + g2);
      gg[9 + j] = g2;
    }
    for (int a = 0; a < 4; a++) { // (G g) G^T
      float r0 = gg[3 * a];
      float r1 = gg[3 * a + 1];
      float r2 = gg[3 * a + 2];
      u[4 * a] = r0;
      u[4 * a + 1] = 0.5f * (r0 + r1 + r2);
      u[4 * a + 2] = 0.5f * (r0 - r1 + r2);
      u[4 * a + 3] = r2;
    }
  }

  /**
   * {@code g[at + 3k + l] += (G^T dU G)[k][l]} for {@code dU[a][b] = du[duAt + (4a + b) *
   * stride]}, in locals. With a 12-float scratch array here (and the caller filling a 16-float
   * one), {@link WinogradConv#addWeightGradient} on 32 x 32 channels ran at 28 us in some
   * phases of a harness and 230-245 in others; in locals at 16-19 throughout (why, not
   * verified: the arrays left allocated is the likely cause).
   */
  static void addGradient(float[] du, int duAt, int stride, float[] g, int at) {
    // dU G: 4 x 3, row a = (d0 + (d1 + d2) / 2, (d1 - d2) / 2, (d1 + d2) / 2 + d3)
    float d00 = du[duAt];
    float d01 = du[duAt + stride];
    float d02 = du[duAt + 2 * stride];
    float d03 = du[duAt + 3 * stride];
    float h00 = d00 + 0.5f * (d01 + d02);
    float h01 = 0.5f * (d01 - d02);
    float h02 = 0.5f * (d01 + d02) + d03;
    float d10 = du[duAt + 4 * stride];
    float d11 = du[duAt + 5 * stride];
    float d12 = du[duAt + 6 * stride];
    float d13 = du[duAt + 7 * stride];
    float h10 = d10 + 0.5f * (d11 + d12);
    float h11 = 0.5f * (d11 - d12);
    float h12 = 0.5f * (d11 + d12) + d13;
    float d20 = du[duAt + 8 * stride];
    float d21 = du[duAt + 9 * stride];
    float d22 = du[duAt + 10 * stride];
    float d23 = du[duAt + 11 * stride];
    float h20 = d20 + 0.5f * (d21 + d22);
    float h21 = 0.5f * (d21 - d22);
    float h22 = 0.5f * (d21 + d22) + d23;
    float d30 = du[duAt + 12 * stride];
    float d31 = du[duAt + 13 * stride];
    float d32 = du[duAt + 14 * stride];
    float d33 = du[duAt + 15 * stride];
    float h30 = d30 + 0.5f * (d31 + d32);
    float h31 = 0.5f * (d31 - d32);
    float h32 = 0.5f * (d31 + d32) + d33;
    // G^T (dU G): column l of the rows above, (h0 + (h1 + h2) / 2, (h1 - h2) / 2, ... + h3)
    g[at] += h00 + 0.5f * (h10 + h20);
    g[at + 1] += h01 + 0.5f * (h11 + h21);
    g[at + 2] += h02 + 0.5f * (h12 + h22);
    g[at + 3] += 0.5f * (h10 - h20);
    g[at + 4] += 0.5f * (h11 - h21);
    g[at + 5] += 0.5f * (h12 - h22);
    g[at + 6] += 0.5f * (h10 + h20) + h30;
    g[at + 7] += 0.5f * (h11 + h21) + h31;
    g[at + 8] += 0.5f * (h12 + h22) + h32;
  }

  /**
   * {@code g[at + 3k + l] += (G^T dU G)[k][l]} for F(4x4)'s 6x6 {@code dU[a][b] = du[duAt +
   * (6a + b) * stride]}, in locals: each row of dU times G ({@link #timesG}), then each column
   * of those three columns times G the same way, in float (within the weight gradient's tested
   * tolerance). G's rows share factors (rows 1 and 2 are -1/6 (1, +-1, 1), rows 3 and 4 (1/24,
   * +-1/12, 1/6)), so a row takes 13 operations, not 18 multiply-adds from a table: each piece
   * of a batch adds its gradient once (four pieces a thread at two threads). 32 x 32 channels,
   * {@link WinogradConv#addWeightGradient} alone: 29-38 us, against 10 for F(2x2). {@code h}
   * is scratch of 18 floats (dU G, 6 x 3).
   */
  static void addGradient4(float[] du, int duAt, int stride, float[] g, int at, float[] h) {
    for (int a = 0; a < 6; a++) {
      int row = duAt + 6 * a * stride;
      timesG(du[row], du[row + stride], du[row + 2 * stride], du[row + 3 * stride],
          du[row + 4 * stride], du[row + 5 * stride], h, 3 * a, 1);
    }
    for (int l = 0; l < 3; l++) { // G^T (dU G): column l
      timesG(h[l], h[3 + l], h[6 + l], h[9 + l], h[12 + l], h[15 + l], h, l, 3);
    }
    for (int k = 0; k < 9; k++) {
      g[at + k] += h[k];
    }
  }

  /**
   * {@code (d0 ... d5) G} into {@code out[at + l * step]}, l < 3 (read before written, so
   * {@code out} may hold the d's).
   */
  private static void timesG(float d0, float d1, float d2, float d3, float d4, float d5,
      float[] out, int at, int step) {
    float sum12 = d1 + d2;
    float sum34 = d3 + d4;
    out[at] = 0.25f * d0 - sum12 * (1f / 6) + sum34 * (1f / 24);
    out[at + step] = (d2 - d1) * (1f / 6) + (d3 - d4) * (1f / 12);
    out[at + 2 * step] = (sum34 - sum12) * (1f / 6) + d5;
  }
}
