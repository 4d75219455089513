package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.ConvTranspose2d;
import org.sparkconv.engine.layer.Init;
import org.sparkconv.engine.layer.Padding;
import org.sparkconv.engine.math.Parallel;

/** Parameter layouts come from the spec alone, before (and without) any allocation. */
class ParamLayoutTest {

  @Test
  void theLayoutOfASpecCountsEveryBlockByHand() {
    NetworkSpec spec = NetworkBuilder.input("count", 3, 8, 8).conv2d(4, 3, 1).batchNorm2d().relu()
        .layer(new ConvTranspose2d.Spec(0, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, Init.HE_NORMAL))
        .flatten().dense(5).batchNorm1d().build();
    ParamLayout layout = ParamLayout.of(spec);
    int conv = 4 * 3 * 3 * 3 + 4;
    int bn = 2 * 4;
    int deconv = 4 * 2 * 2 * 2 + 2;
    int dense = 5 * (2 * 16 * 16) + 5;
    int bn1 = 2 * 5;
    assertEquals(conv + bn + deconv + dense + bn1, layout.paramCount());
    assertEquals(2 * 4 + 2 * 5, layout.stateCount(), "running mean and variance per channel");
    assertEquals(List.of("weight", "bias", "gamma", "beta", "weight", "bias", "weight", "bias",
        "gamma", "beta"), layout.params().stream().map(ParamLayout.Entry::name).toList());
    assertEquals(conv + bn, layout.layerParamOffsets()[3], "the deconvolution's offset");
    Network net = Network.build(spec);
    assertEquals(layout.params(), net.layout().params(), "a built network uses the same blocks");
    assertEquals(layout.stateCount(), net.state().length);
  }

  @Test
  void aSummaryOfAModelTooLargeToBuildComesFromTheSpecAlone() {
    // 1.6 billion parameters: 12.8 GB to build with its gradients, far above the test heap.
    NetworkSpec big = NetworkBuilder.input("big", 1, 400, 400).flatten().dense(10000).build();
    NetworkSummary summary = NetworkSummary.of(big, 32, 2);
    long params = 160000L * 10000 + 10000;
    assertEquals(params, summary.paramCount());
    assertEquals(2 * params * Float.BYTES, summary.parameterBytes());
    assertTrue(summary.trainingBytes() > 12_800_000_000L, summary.toString());
  }

  @Test
  void convolutionWorkspaceCountsOneLoweredImagePerThreadAndOneGradientPartialPerPiece() {
    // Grouped: lowered by im2col, one group's (18 x 64) matrix per thread.
    NetworkSpec spec = NetworkBuilder.input("ws", 4, 8, 8)
        .layer(new Conv2d.Spec(0, 4, 3, 3, 1, 1, Padding.of(1), 1, 1, 2, true, Init.HE_NORMAL))
        .build();
    long colSize = 2 * 3 * 3 * 8 * 8;
    long params = 4 * 18 + 4;
    assertEquals(colSize * Float.BYTES, NetworkSummary.of(spec, 1, 1).workspaceBytes());
    // two threads split a batch into up to 8 pieces: a partial for each past the first
    assertEquals(8, Parallel.maxPieces(2));
    assertEquals((2 * colSize + 7 * params) * Float.BYTES,
        NetworkSummary.of(spec, 1, 2).workspaceBytes());
  }

  @Test
  void aDirectConvolutionCountsItsPaddedImagesSpreadGradientsAndPackedWeights() {
    // Stride 1, 3x3, "same" on 3 x 8 x 8: the direct kernel (the tests run with the Vector API)
    // on rows that wrap (WrappedRowsConv): channel blocks of 10 rows of 8, after one lead
    // float; the last reduction step reads from 1 + 2 * 80 + 2 * 8 + 1 = 178 a run of 64: a
    // padded image is 242 floats. A result is 8 x 64 (4 channels rounded up to the kernel's 8
    // rows), then a border column's sums: its 8 pixels in tiles of 7 and 4, 16 lanes each: 688.
    // Its border weights: 2 columns x 9 wrapped taps x 16 lanes = 288, beside the packed 8 x 27
    // and the copy of the 4 x 27 weights they were packed from. Its sides are even, so a
    // pooled forward pass has a padded-rows image and result of its own: planes of 10 x 10, the
    // last step reading from 2 * 100 + 2 * 10 + 2 = 222 a run of 80 rounded up to 96 (318), and
    // 8 x 96 (768).
    // The adjoint would multiply 8 x 36 x 96 = 27,648 times, 4x the 27 x 64 x 4 = 6,912 of a
    // GEMM (more than 3.5x), so the backward pass lowers by im2col: one 27 x 64 matrix per
    // thread.
    NetworkSpec spec = NetworkBuilder.input("ws", 3, 8, 8).conv2d(4, 3, 1).build();
    long perThread = 242 + 688 + 318 + 768 + 27 * 64;
    long packed = 8 * 27 + 288 + 4 * 27;
    long params = 4 * 27 + 4;
    assertEquals((perThread + packed) * Float.BYTES,
        NetworkSummary.of(spec, 1, 1).workspaceBytes());
    assertEquals((2 * perThread + packed + 7 * params) * Float.BYTES,
        NetworkSummary.of(spec, 1, 2).workspaceBytes());
  }

  @Test
  void aDirectConvolutionByItsAdjointCountsGradientRowsAndLanePartials() {
    // 8 -> 8 channels, 3x3 "same" on 24 x 24, on rows that wrap: channel blocks of 26 rows of
    // 24 (624) after one lead float; the last tap reads from 1 + 7 * 624 + 2 * 24 + 1 = 4,418 a
    // run of 576: a padded image is 4,994 floats; a result 8 x 576 and a border column's sums,
    // its 24 pixels in tiles of 7, 7, 7 and 4, 16 lanes each: 5,008. The adjoint (the same
    // geometry) multiplies 8 x 72 x 640 = 368,640 times on padded rows, 1.11x the GEMM's
    // 72 x 576 x 8, so it computes the input gradient (on wrapping rows too, same sizes).
    // 8 outputs on 576 pixels: the weight gradient goes by pixels, one image at a time, on the
    // wrapping rows too: a padded image (4,994), the output gradient as whole planes with the
    // corrections' columns (24 + 2 rows each) and their gradient column, 24 rows of 16 lanes
    // (8 x 576 + 8 x 26 + 24 x 16 = 5,200); per piece of a pass (one at one thread, eight at
    // two), 8 x 72 lane partials of 16 floats (9,216) and the wrapped taps' sums, 72 x 16.
    // Border weights: 2 columns x 24 wrapped taps x 16 lanes, twice; and the copy of the 8 x 72
    // weights. A pooled forward pass's own padded rows: planes of 26 x 26, the last step
    // reading from 7 * 676 + 2 * 26 + 2 = 4,786 a run of 624 rounded up to 640 (5,426), and
    // 8 x 640 (5,120).
    NetworkSpec spec = NetworkBuilder.input("ws", 8, 24, 24).conv2d(8, 3, 1).build();
    long perThread = 4994 + 5008 + 5426 + 5120 + 4994 + 5008 + 4994 + 5200;
    long perPiece = 8 * 72 * 16 + 72 * 16;
    long packed = 8 * 72 + 8 * 72 + 2 * 2 * 24 * 16 + 8 * 72;
    long bias = 8; // a piece's own partial gradient: the direct passes sum the weights'
    assertEquals((perThread + perPiece + packed) * Float.BYTES,
        NetworkSummary.of(spec, 1, 1).workspaceBytes());
    // a layer's workspace is the largest of its plans: at two threads the direct kernel's
    // (with the pooled pass's buffers) is larger than the lowered images a context without it
    // would hold (2 x 72 x 576 = 82,944)
    long lowered = 2 * 72 * 576;
    assertTrue(lowered < 2 * perThread + packed);
    assertEquals((2 * perThread + 8 * perPiece + packed + 7 * bias) * Float.BYTES,
        NetworkSummary.of(spec, 1, 2).workspaceBytes());
  }

  @Test
  void aModelTooLargeForOneArrayIsRefusedFromTheSpecNamingTheLayer() {
    NetworkSpec huge = NetworkBuilder.input("huge", 1, 1000, 1000).flatten().dense(3000)
        .dense(10).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ParamLayout.of(huge));
    assertTrue(e.getMessage().contains("dense") && e.getMessage().contains("3000000000"),
        e.getMessage());
  }
}
