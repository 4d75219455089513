package org.sparkconv.engine.math;

/**
 * The filter side of Winograd's F(2x2, 3x3) and F(4x4, 3x3) ({@link WinogradConv}): a 3x3
 * kernel g becomes the 4x4 or 6x6 {@code U = G g G^T}, and (F(2x2) only) a gradient dU of U
 * goes back to the kernel as {@code G^T dU G} (the chain rule through that product), with
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

  /** {@code g[at + 3k + l] += (G^T dU G)[k][l]} for {@code du[4a + b] = dU[a][b]}. */
  static void addGradient(float[] du, float[] g, int at) {
    float[] h = new float[12]; // dU G: 4 x 3
    for (int a = 0; a < 4; a++) {
      float d0 = du[4 * a];
      float d1 = du[4 * a + 1];
      float d2 = du[4 * a + 2];
      float d3 = du[4 * a + 3];
      h[3 * a] = d0 + 0.5f * (d1 + d2);
      h[3 * a + 1] = 0.5f * (d1 - d2);
      h[3 * a + 2] = 0.5f * (d1 + d2) + d3;
    }
    for (int l = 0; l < 3; l++) { // G^T (dU G)
      float h0 = h[l];
      float h1 = h[3 + l];
      float h2 = h[6 + l];
      float h3 = h[9 + l];
      g[at + l] += h0 + 0.5f * (h1 + h2);
      g[at + 3 + l] += 0.5f * (h1 - h2);
      g[at + 6 + l] += 0.5f * (h1 + h2) + h3;
    }
  }
}
