package org.sparkconv.engine.math;

import java.util.Arrays;

/**
 * A stride-1 3x3 convolution by Winograd's minimal filtering F(2x2, 3x3)
 * (Lavin &amp; Gray 2015, "Fast Algorithms for Convolutional Neural Networks"): each 2x2 block of
 * outputs (a tile) comes from the 4x4 window of input under it as
 *
 * <pre>
 *   Y = A^T [ sum over c of (G g_c G^T) . (B^T d_c B) ] A        (. : elementwise, 4x4)
 *
 *   B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
 *         | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
 *         | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
 *         | 0  1  0 -1 |        | 0    0    1   |
 * </pre>
 *
 * so the sum over input channels is 16 independent GEMMs, one per position xi of the 4x4
 * transformed tile: {@code M[xi] (Cout, tiles) = U[xi] (Cout, Cin) x V[xi] (Cin, tiles)}, 16
 * multiply-adds per tile and channel pair where the direct method takes 36 (2.25x fewer). The
 * transforms only add and subtract (and halve, in G); against the direct method the outputs
 * differ by float rounding of those sums (tested within 1e-5 of {@code 1 + |y|} against the
 * definition summed in double).
 *
 * <p>Layout: the padded image is stored as 2x2 phase planes (as {@link DirectConv} does for
 * stride 2): phase (py, px) holds padded pixels {@code (py + 2i, px + 2j)} in rows
 * {@code rowWidth = tilesW + 1} wide. Tile {@code (ty, tx)} is numbered {@code ty * rowWidth +
 * tx}, and its window entry {@code (i, j)} sits in phase {@code (i % 2, j % 2)} at that number
 * plus {@code (i / 2) * rowWidth + j / 2}: the input transform of a run of consecutive tiles
 * reads 16 runs of consecutive entries, and vectors run over tiles (the last tile of each row is
 * computed and dropped). The GEMMs are {@link DirectConvKernel}'s micro-kernel with one offset per
 * input channel. The data transforms are {@link WinogradKernel}'s, the filter's
 * {@link WinogradFilter}'s, and {@link PhasePlanes} fills the phase planes.
 *
 * <p>Blocks: the transformed input and the products of a block of tiles are kept to about half
 * of a 1 MB L2 cache, so the GEMMs read what the input transform just wrote and the output
 * transform what the GEMMs wrote: several whole images per block where they fit (small planes),
 * else an image in parts of whole tile rows. The 16 positions of a block sit a little more than
 * a power of two apart; they are skewed by a cache line so their 16 streams do not share L1
 * sets (blocks and skew together took the input transform of 32x28x28 from 1.95 to 0.8 ms
 * a batch of 64).
 *
 * <p>With 4x4 tiles, F(4x4, 3x3): the same with the 6x6 window of input under each tile, 36
 * GEMMs, 4x4 phase planes, and {@link Winograd4Kernel}'s transforms ({@link WinogradFilter}'s
 * 6x3 G): 36 multiply-adds per 16 outputs and channel pair, 0.56 of F(2x2)'s, where the plane
 * is large enough that the tiles' overhang and rounding do not eat it (28x28: 0.64 of F(2x2)'s
 * GEMM work). Its error is about ten times F(2x2)'s (tested within 3e-4 of {@code 1 + |y|};
 * 1.2e-4 seen on 64 channels). Its weight gradient goes back through the same transforms
 * ({@link Winograd4Kernel#transformGradient}, {@link WinogradFilter#addGradient4}): 36 GEMMs
 * over 49 tiles an image on 28x28 against F(2x2)'s 16 over 196, 0.56 of the multiply-adds
 * (tested within 1e-3 of {@code 1 + |dW|}; 4.4e-4 seen, four to five times F(2x2)'s).
 *
 * <p>By channels ({@link #forwardByChannels}), for small planes whose tiles as vectors would
 * overhang: the GEMMs with vectors over output channels, on real tiles only.
 *
 * <p>Plans only and moves data: the constructor and {@link #applies} run in any JVM.
 */
public final class WinogradConv {

  /** Floats a block's transformed input and products take at most (unless 48 tiles exceed it). */
  private static final int BLOCK_FLOATS = 1 << 17;
  private static final int SKEW = 16;
  private static final int MR = DirectConvKernel.ROWS;
  /**
   * F(4x4)'s blocks take at least this many tiles, more than its share of the cache allows on
   * 32 channels (48): runs of 32 tiles left the GEMMs on their one-vector micro-kernel. 32x28x28
   * ->32, 64 images, one thread, against 2x2 tiles in the same JVM: 0.85 with 64 against 1.01
   * with 48 and 0.99 with 128.
   */
  private static final int MIN_LARGE_TILE_BLOCK = 64;
  /**
   * By channels, the weight gradient takes as many whole images at a time as their transformed
   * input and output gradient fit in this many floats: each position's GEMM sums over their
   * tiles between one load and one store of its accumulators (all the positions' together are
   * 590 KB on 64 x 64 channels), and a piece of a batch split over threads (8 images on two
   * threads) runs as one block. 64 images of 64x7x7->64, weight gradient alone, in ms, three
   * runs alternated, at one thread / two: blocks of 7 images 1.47-1.83 / 1.25-1.66, of 14
   * 1.65-1.78 / 0.95-1.43, of 28 1.31-1.83 / 1.14-1.20 (the direct kernel by channels before,
   * 2.32-2.49 / 1.33-2.30).
   */
  private static final int LANE_WEIGHT_FLOATS = 1 << 19;
  /** Tile runs are rounded to this: a multiple of every vector width. */
  private static final int RUN_MULTIPLE = 16;

  private final int tile; // outputs per tile side: 2 or 4
  private final int positions; // of a transformed tile: (tile + 2)^2
  private final int inChannels;
  private final int outChannels;
  private final int outRows; // outChannels rounded up to whole micro-tiles
  private final int outH;
  private final int outW;
  private final int tilesH;
  private final int tilesW;
  private final int rowWidth; // of a phase plane, and of a row of tile numbers
  private final int imageRun; // tilesH * rowWidth rounded up: an image's tiles in a block
  private final int phasePlane; // floats of one phase plane, with what the last run reads
  private final int parts; // blocks per image: 1 where a block holds whole images
  private final int partRows; // tile rows per part
  private final int chunk; // images per block (1 where an image is split into parts)
  private final int block; // tiles per block: the GEMMs' columns
  private final int inStride; // floats per position of a transformed block
  private final int outStride; // floats per position of a block's products
  private final int[][] offsets; // per position: per input channel, its run in the block
  private final PhasePlanes planes; // by tiles only
  private final int outPad; // outChannels rounded up to 16: a transposed gradient's row
  private final int gradientStride; // floats per position of a transformed output gradient
  private final int[] tapOffsets; // flattened: position xi, channel c at xi * inChannels + c
  private final int[][] tileOffsets; // per part: the block column of each real tile, in order
  private final boolean byChannels; // GEMMs with vectors over output channels
  private final int laneStride; // by channels: floats per position of a block's products
  private final int[] laneTiles; // by channels: each tile's offset, to whole 12-tile rows
  /**
   * By channels, tiles go through the input transform, the GEMMs and the output transform this
   * many at a time, so that the transformed input and the products are small and reused at
   * once: the fewest that fill the GEMM kernel's tiles for the outputs
   * ({@link ChannelLanesKernel#tileRows}: 6 where they fill groups of four vectors, else 12).
   * 64 images of 64x7x7->64, one thread, against the direct kernel by channels in the same
   * JVM: groups of 6, 12, 24, 48 tiles 1.27, 1.30, 1.28, 1.24x; the size hardly matters
   * there. Narrower outputs multiply 12 tiles a row: groups of 6 wasted half their GEMMs.
   */
  private final int laneGroup;
  private final int inPad; // by channels: inChannels rounded to 16, a padded pixel's floats
  private final int padW; // by channels: the padded image's sides, 2 tiles + 2
  private final int padH;
  private final int[] padTargets; // by channels: where each input pixel goes, padded
  private final PaddedLanes paddedInput; // by channels: that padded layout, else null
  private final int laneWeightImages; // by channels: images per weight-gradient block
  private final int laneWeightStride; // by channels: per position, a block's transformed tiles
  private final int[] laneTapOffsets; // by channels: position xi, channel c at xi * Cin + c
  private final int[] laneTileOffsets; // by channels: each of a block's tiles, its channels
  // Scratch of the weight packing (one per worker: its input channel's 9 taps, then G g and
  // G g G^T) and of the weight gradient's back-transform (its rows made at first use, its 18
  // floats with the plan), kept: they were made per pass, the 2-4 MB a ResNet-20 training
  // step allocated when compiled well.
  // So one plan packs, or back-transforms, for one caller at a time: each plan is one layer's
  // (DirectConvPasses makes its own; replicas of a network share packed weights, not plans).
  private PackingScratch[] packingScratch = new PackingScratch[0];
  private float[] gradientRows;
  private final float[] backTransformScratch = new float[18]; // F(4x4)'s dU G, 6 x 3

  /**
   * A stride-1 3x3 convolution of {@code (inChannels, inH, inW)} zero-padded by {@code padTop}
   * and {@code padLeft} at the top and left (and at the bottom and right by what the output
   * reads), {@code outChannels} outputs of {@code outH x outW}.
   */
  public WinogradConv(int inChannels, int inH, int inW, int padTop, int padLeft, int outH,
      int outW, int outChannels) {
    this(2, inChannels, inH, inW, padTop, padLeft, outH, outW, outChannels);
  }

  /**
   * As {@link #WinogradConv(int, int, int, int, int, int, int, int)} with {@code tile x tile}
   * output tiles: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3) ({@link Winograd4Kernel}).
   */
  public WinogradConv(int tile, int inChannels, int inH, int inW, int padTop, int padLeft,
      int outH, int outW, int outChannels) {
    this(tile, false, inChannels, inH, inW, padTop, padLeft, outH, outW, outChannels);
  }

  /**
   * As {@link #WinogradConv(int, int, int, int, int, int, int, int, int)}, with
   * {@code byChannels} the GEMMs by {@link ChannelLanesKernel} (see
   * {@link #forwardByChannels}).
   */
  WinogradConv(int tile, boolean byChannels, int inChannels, int inH, int inW, int padTop,
      int padLeft, int outH, int outW, int outChannels) {
    if (outH <= 0 || outW <= 0) {
      throw new IllegalArgumentException("empty output " + outH + "x" + outW);
    }
    if (tile != 2 && tile != 4) {
      throw new IllegalArgumentException("Winograd tiles of " + tile + "x" + tile + ": 2 or 4");
    }
    this.tile = tile;
    this.positions = (tile + 2) * (tile + 2);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.outRows = roundUp(outChannels, MR);
    this.outH = outH;
    this.outW = outW;
    this.tilesH = (outH + tile - 1) / tile;
    this.tilesW = (outW + tile - 1) / tile;
    this.rowWidth = tilesW + 1;
    // A block's transformed input and products stay within about half of a 1 MB L2 cache:
    // whole images where one fits, else parts of an image of whole tile rows.
    int target = Math.max(tile == 4 ? MIN_LARGE_TILE_BLOCK : 48,
        BLOCK_FLOATS / (positions * (inChannels + outRows)) / RUN_MULTIPLE * RUN_MULTIPLE);
    this.imageRun = roundUp(tilesH * rowWidth, RUN_MULTIPLE);
    // By channels, blocks of whole images, whose real tiles fill whole lane groups
    int parts = byChannels ? 1 : Math.min(tilesH, (imageRun + target - 1) / target);
    this.partRows = (tilesH + parts - 1) / parts;
    this.parts = (tilesH + partRows - 1) / partRows;
    int fitting = Math.max(1, target / imageRun);
    this.outPad = roundUp(outChannels, RUN_MULTIPLE);
    this.laneGroup = ChannelLanesKernel.tileRows(outPad);
    int group = laneGroup / gcd(laneGroup, tilesH * tilesW);
    this.chunk = this.parts > 1 ? 1 : byChannels ? roundUp(fitting, group) : fitting;
    this.block = this.parts > 1 ? roundUp(partRows * rowWidth, RUN_MULTIPLE) : chunk * imageRun;
    // The last block's runs read up to RUN_MULTIPLE tiles past its rows, and their windows a
    // row and a column beyond.
    this.phasePlane = this.parts * partRows * rowWidth + RUN_MULTIPLE + rowWidth + 1;
    // Skewed by a cache line: 16 streams a power-of-two apart would share L1 sets.
    this.inPad = roundUp(inChannels, RUN_MULTIPLE);
    int imageTiles = tilesH * tilesW;
    this.inStride = byChannels ? laneGroup * inPad + SKEW : inChannels * block + SKEW;
    this.outStride = outRows * block + SKEW;
    this.offsets = new int[positions][inChannels];
    for (int xi = 0; xi < positions; xi++) {
      for (int c = 0; c < inChannels; c++) {
        offsets[xi][c] = xi * inStride + c * (byChannels ? 1 : block);
      }
    }
    this.padH = tile * tilesH + 2;
    this.padW = tile * tilesW + 2;
    if (byChannels && (padTop < 0 || padLeft < 0 || inH + padTop > padH
        || inW + padLeft > padW)) {
      throw new IllegalArgumentException("GEMMs by channels: the input " + inH + "x" + inW
          + " padded by " + padTop + ", " + padLeft + " must lie inside the tiles' " + padH
          + "x" + padW + " windows");
    }
    this.paddedInput = byChannels
        ? new PaddedLanes(padH, padW, inPad, padTop, padLeft, inH, inW) : null;
    this.padTargets = new int[byChannels ? inH * inW : 0];
    for (int k = 0; k < padTargets.length; k++) {
      padTargets[k] = paddedInput.pixel(k / inW, k % inW);
    }
    this.planes = byChannels ? null : new PhasePlanes(tile, inChannels, inH, inW, padTop,
        padLeft, tilesH + 1, rowWidth, phasePlane);
    this.tapOffsets = new int[positions * inChannels];
    for (int xi = 0; xi < positions; xi++) {
      System.arraycopy(offsets[xi], 0, tapOffsets, xi * inChannels, inChannels);
    }
    this.tileOffsets = new int[this.parts][];
    for (int part = 0; part < this.parts; part++) {
      int first = part * partRows;
      int rows = Math.min(partRows, tilesH - first);
      int images = this.parts > 1 ? 1 : chunk;
      int[] columns = new int[images * rows * tilesW];
      for (int i = 0, q = 0; i < images; i++) {
        for (int ty = 0; ty < rows; ty++) {
          for (int tx = 0; tx < tilesW; tx++, q++) {
            columns[q] = i * imageRun + ty * rowWidth + tx;
          }
        }
      }
      tileOffsets[part] = columns;
    }
    this.laneWeightImages = !byChannels ? 0 : Math.max(1,
        LANE_WEIGHT_FLOATS / (positions * imageTiles * (inPad + outPad)));
    this.gradientStride = (byChannels ? laneWeightImages * imageTiles : tileOffsets[0].length)
        * outPad + SKEW;
    this.byChannels = byChannels;
    int laneRows = roundUp(laneGroup, ChannelLanesKernel.PIXEL_MULTIPLE);
    this.laneStride = byChannels ? laneRows * outPad + SKEW : 0;
    this.laneTiles = new int[byChannels ? laneRows : 0];
    for (int q = 0; q < laneTiles.length; q++) {
      laneTiles[q] = Math.min(q, laneGroup - 1) * inPad; // the last repeated
    }
    int blockTiles = laneWeightImages * imageTiles;
    this.laneWeightStride = blockTiles * inPad + SKEW;
    this.laneTapOffsets = new int[byChannels ? positions * inChannels : 0];
    for (int p = 0; p < laneTapOffsets.length; p++) {
      laneTapOffsets[p] = p / inChannels * laneWeightStride + p % inChannels;
    }
    this.laneTileOffsets = new int[blockTiles];
    for (int q = 0; q < blockTiles; q++) {
      laneTileOffsets[q] = q * inPad;
    }
  }

  /** The forward convolution of {@code g}; see {@link #applies}. */
  public static WinogradConv forward(ConvGeometry g, int outChannels) {
    return forward(g, outChannels, 2);
  }

  /** The forward convolution of {@code g} with {@code tile x tile} output tiles. */
  public static WinogradConv forward(ConvGeometry g, int outChannels, int tile) {
    return new WinogradConv(tile, g.channels(), g.height(), g.width(), g.padTop(), g.padLeft(),
        g.outH(), g.outW(), outChannels);
  }

  /**
   * The forward convolution of {@code g} by 2x2 tiles with the GEMMs by channels: vectors over
   * output channels, a tile's transformed input broadcast ({@link ChannelLanesKernel}), so
   * that only real tiles are multiplied. Over tiles, the vectors also run over the column each
   * row of tiles drops and the image's tiles rounded to 16: on a 7x7 plane 32 for 16 tiles,
   * more multiply-adds than the direct method; by channels 16 positions x 16 tiles, 0.58 of
   * the definition's (4x4 tiles: 36 x 4, 0.33). The image is padded pixel-major and the
   * transforms run with vectors over channels ({@link WinogradLanesKernel}), the output into a
   * pixel-major image that {@link ChannelLanesOutput} writes to the planes, or pools
   * ({@link ChannelLanesOutput#writePooled}). Its weight gradient too runs on real tiles only
   * ({@link #weightGradient}).
   */
  public static WinogradConv forwardByChannels(ConvGeometry g, int outChannels) {
    return forwardByChannels(g, outChannels, 2);
  }

  /** {@link #forwardByChannels} with {@code tile x tile} output tiles. */
  public static WinogradConv forwardByChannels(ConvGeometry g, int outChannels, int tile) {
    return new WinogradConv(tile, true, g.channels(), g.height(), g.width(), g.padTop(),
        g.padLeft(), g.outH(), g.outW(), outChannels);
  }

  /** The input-gradient convolution of {@code g} as {@link #forwardByChannels} runs. */
  public static WinogradConv adjointByChannels(ConvGeometry g, int outChannels) {
    return adjointByChannels(g, outChannels, 2);
  }

  /** {@link #adjointByChannels} with {@code tile x tile} output tiles. */
  public static WinogradConv adjointByChannels(ConvGeometry g, int outChannels, int tile) {
    return new WinogradConv(tile, true, outChannels, g.outH(), g.outW(), 2 - g.padTop(),
        2 - g.padLeft(), g.height(), g.width(), g.channels());
  }

  /** Whether the GEMMs run with vectors over output channels ({@link #forwardByChannels}). */
  public boolean byChannels() {
    return byChannels;
  }

  /**
   * By channels, the layout {@link #pad} writes and the input transform reads (what
   * {@link #convolveLanes} takes already padded); null by tiles.
   */
  public PaddedLanes paddedInput() {
    return paddedInput;
  }

  /**
   * Whether {@link #convolveLanes} can write this plan's output in {@code layout} (another
   * plan's {@link #paddedInput}): by channels, onto that layout's pixels, with as many lanes as
   * the output's channels rounded to 16.
   */
  public boolean writesInto(PaddedLanes layout) {
    return byChannels && layout != null && layout.rows() == outH && layout.columns() == outW
        && layout.lanes() == outPad;
  }

  /**
   * The convolution computing the input gradient of {@code g} from its output gradient: 3x3,
   * stride 1, padded by {@code 2 - pad} (the adjoint {@link DirectConv#adjoint} describes);
   * weights from {@link #packAdjointWeights}.
   */
  public static WinogradConv adjoint(ConvGeometry g, int outChannels) {
    return adjoint(g, outChannels, 2);
  }

  /** The input-gradient convolution of {@code g} with {@code tile x tile} output tiles. */
  public static WinogradConv adjoint(ConvGeometry g, int outChannels, int tile) {
    return new WinogradConv(tile, outChannels, g.outH(), g.outW(), 2 - g.padTop(),
        2 - g.padLeft(), g.height(), g.width(), g.channels());
  }

  /**
   * Whether {@link #convolve} can write the 2x2 max pool of its output: where the output's
   * sides are even (by tiles each pooling window lies inside one tile; by channels the pool is
   * taken from the pixel-major result).
   */
  public boolean writesPooled() {
    return outH % 2 == 0 && outW % 2 == 0;
  }

  /** Outputs per side of a tile: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3). */
  public int tile() {
    return tile;
  }

  /**
   * Whether {@code g} is a convolution this computes: 3x3, stride 1, no dilation, with a
   * stride-1 adjoint (no padding beyond the kernel's extent), on a JVM with the Vector API.
   */
  public static boolean applies(ConvGeometry g) {
    return VectorApi.RESOLVED && g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1
        && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1
        && DirectConv.hasAdjoint(g);
  }

  /** Floats of one image's padded phase planes. */
  public int paddedImageSize() {
    return byChannels ? padH * padW * inPad : planes.imageSize();
  }

  /** Floats of the padded chunk {@link #pad} fills: {@code chunk} images. */
  public int paddedSize() {
    return chunk * paddedImageSize();
  }

  /**
   * Floats of a transformed block, {@code (16, inChannels, block)} with skewed positions; by
   * channels, and then {@link WinogradLanesKernel#ROW_SCRATCH} for the input transform's rows.
   */
  public int transformedInputSize() {
    return positions * inStride
        + (byChannels ? WinogradLanesKernel.ROW_SCRATCH + CacheLines.FLOATS : 0);
  }

  /**
   * Floats of a block's products, {@code (16, outChannels rounded to 8, block)}, skewed; by
   * channels {@code (16, real tiles rounded to 12, outChannels rounded to 16)}.
   */
  public int productSize() {
    return byChannels ? positions * laneStride + CacheLines.FLOATS : positions * outStride;
  }

  /**
   * Floats of the output transform's scratch: four output phases of one block, and a vector; by
   * channels one pixel-major output image.
   */
  public int outputScratchSize() {
    return byChannels ? chunk * outH * outW * outPad + CacheLines.FLOATS
        : tile * tile * block + RUN_MULTIPLE;
  }

  /**
   * Floats of the transformed input {@link #weightGradient} takes: by channels a block of whole
   * images' tiles ({@link #transformedInputSize()} holds one group of them), else a block's.
   */
  public int weightTransformedSize() {
    return byChannels
        ? positions * laneWeightStride + WinogradLanesKernel.ROW_SCRATCH + CacheLines.FLOATS
        : transformedInputSize();
  }

  /**
   * Floats of a block's transformed output gradient for {@link #weightGradient},
   * {@code (positions, real tiles, outChannels rounded to 16)}.
   */
  public int transformedGradientSize() {
    return positions * gradientStride;
  }

  /**
   * Floats of the transformed weight-gradient accumulator, {@code (positions * inChannels,
   * outPad)}: 16 positions with 2x2 tiles, 36 with 4x4.
   */
  public int transformedWeightsSize() {
    return positions * inChannels * outPad;
  }

  /** Floats of the packed transformed weights. */
  public int packedWeightsSize() {
    return positions * packedRows() * inChannels;
  }

  /** Output channels of the packed weights: whole micro-tiles, or by channels whole vectors. */
  private int packedRows() {
    return byChannels ? outPad : outRows;
  }

  /** Multiply-adds of the GEMMs for one image, dropped tiles and padded channels included. */
  public long multiplyAdds() {
    if (byChannels) {
      return (long) positions * outPad * inChannels * tilesH * tilesW;
    }
    return (long) positions * outRows * inChannels * (parts > 1 ? parts * block : imageRun);
  }

  /**
   * Multiply-adds of the {@link #weightGradient} GEMMs for one image: each position's, over
   * real tiles only, output channels padded to whole vectors.
   */
  public long weightGradientMultiplyAdds() {
    return (long) positions * outPad * inChannels * tilesH * tilesW;
  }

  /**
   * Multiply-adds of the convolution's definition for one image: 9 per output pixel and pair of
   * channels. {@link #multiplyAdds} over this is what the tiles save after their overhang and
   * rounding: 0.51 on 28x28 planes, 0.58 on 14x14, 1.16 on 7x7.
   */
  public long definitionMultiplyAdds() {
    return 9L * outH * outW * inChannels * outChannels;
  }

  /**
   * Images {@link #weightGradient} takes at a time: {@link #chunk} by tiles; by channels as
   * many as {@link #LANE_WEIGHT_FLOATS} of transformed input and output gradient hold.
   */
  public int weightChunk() {
    return byChannels ? laneWeightImages : chunk;
  }

  /** Floats of the padded images {@link #weightGradient} reads: {@link #weightChunk} of them. */
  public int weightPaddedSize() {
    return weightChunk() * paddedImageSize();
  }

  /** Images {@link #convolve} takes at a time: a block's worth (at least one). */
  public int chunk() {
    return chunk;
  }

  /**
   * Transforms weights {@code (outChannels, inChannels, 3, 3)} at {@code w[off]} to
   * {@code U = G g G^T} and packs them as 16 GEMMs' panels of 8 output channels.
   */
  public void packWeights(float[] w, int off, float[] packed) {
    packWeights(w, off, packed, Parallel.of(1));
  }

  /**
   * As above, the input channels shared out over {@code parallel}'s workers: done once per
   * pass before the images are, on one thread it left the other idle (Winograd's packing was
   * half of the one-thread work in a two-thread ResNet-20 training step, 2.3% of its samples).
   */
  public void packWeights(float[] w, int off, float[] packed, Parallel parallel) {
    PackingScratch[] scratch = packingScratch(parallel.threads());
    parallel.forRange(inChannels, (t, from, to) -> {
      for (int c = from; c < to; c++) {
        packChannel(w, off + c * 9, c, inChannels * 9, 1, scratch[t], packed);
      }
    });
  }

  /**
   * As {@link #packWeights} for an {@link #adjoint} plan, from the forward weights
   * {@code (Cout, Cin, 3, 3)}: this plan's output channel c, input channel o, tap (ki, kj) is
   * forward weight {@code (o, c, 2 - ki, 2 - kj)}.
   */
  public void packAdjointWeights(float[] w, int off, float[] packed) {
    packAdjointWeights(w, off, packed, Parallel.of(1));
  }

  /** As above, the input channels shared out over {@code parallel}'s workers. */
  public void packAdjointWeights(float[] w, int off, float[] packed, Parallel parallel) {
    PackingScratch[] scratch = packingScratch(parallel.threads());
    parallel.forRange(inChannels, (t, from, to) -> {
      for (int o = from; o < to; o++) {
        packChannel(w, off + o * outChannels * 9 + 8, o, 9, -1, scratch[t], packed);
      }
    });
  }

  /**
   * One worker's scratch for {@link #packChannel}, each row the packed width: an input
   * channel's 9 taps (zero past the output channels), {@code G g} (18 rows) and
   * {@code U = G g G^T} (a row a position).
   */
  private record PackingScratch(float[] taps, float[] gg, float[] u) {}

  /** Each worker's {@link PackingScratch}, made for {@code threads} workers at least. */
  private PackingScratch[] packingScratch(int threads) {
    if (packingScratch.length < threads) {
      int width = roundUp(packedRows(), RUN_MULTIPLE);
      PackingScratch[] grown = Arrays.copyOf(packingScratch, threads);
      for (int t = packingScratch.length; t < threads; t++) {
        grown[t] = new PackingScratch(new float[9 * width], new float[18 * width],
            new float[positions * width]);
      }
      packingScratch = grown;
    }
    return packingScratch;
  }

  /**
   * Packs input channel c: its kernels, tap k of output channel o at
   * {@code w[first + o * outStep + k * tapStep]} (zero past the output channels), are gathered
   * as taps of vectors over output channels, transformed to {@code U = G g G^T} by
   * {@link WinogradFilterKernel}, and each position's row is copied to its GEMM, by channels
   * in {@link ChannelLanesKernel#packedIndex}'s chunks.
   */
  private void packChannel(float[] w, int first, int c, int outStep, int tapStep,
      PackingScratch scratch, float[] packed) {
    int rows = packedRows();
    int width = roundUp(rows, RUN_MULTIPLE);
    int gemm = rows * inChannels;
    float[] taps = scratch.taps();
    for (int k = 0; k < 9; k++) {
      int at = first + k * tapStep;
      for (int o = 0; o < outChannels; o++) {
        taps[k * width + o] = w[at + o * outStep];
      }
    }
    float[] u = scratch.u();
    WinogradFilterKernel.transform(tile, taps, 1, width, 0, u, scratch.gg());
    for (int xi = 0; xi < positions; xi++) {
      int from = xi * width;
      int to = xi * gemm;
      if (byChannels) {
        for (int o = 0, chunk; o < rows; o += chunk) {
          chunk = ChannelLanesKernel.chunkWidth(rows - o);
          System.arraycopy(u, from + o, packed, to + o * inChannels + c * chunk, chunk);
        }
      } else {
        for (int o = 0; o < rows; o += MR) {
          System.arraycopy(u, from + o, packed, to + (o / MR * inChannels + c) * MR, MR);
        }
      }
    }
  }

  /**
   * Copies image {@code x[xOff ...]} into slot {@code slot} of the padded chunk (below
   * {@link #chunk}, or as many as {@code padded} holds), as phase planes or by channels; the
   * padding stays zero.
   */
  public void pad(float[] x, int xOff, float[] padded, int slot) {
    if (byChannels) {
      WinogradLanesKernel.pad(x, xOff, inChannels, padTargets.length, padTargets, padded,
          slot * paddedImageSize());
    } else {
      planes.copy(x, xOff, padded, slot * paddedImageSize());
    }
  }

  /**
   * {@code out[outOff + i * outSize ...]} for the first {@code images} (at most {@link #chunk})
   * images padded in {@code padded} = their convolution with {@code packed} weights (from
   * {@link #packWeights}), plus {@code bias[biasOff + o]} when {@code bias} is not null; then,
   * where {@code scale} is not null (a folded inference batch norm), times {@code scale[o]} plus
   * {@code shift[o]}, plus {@code residual} at the same index as {@code out} when not null, and
   * {@code max(0, .)} if {@code relu}: the float operations of a separate pass, in its order.
   * {@code transformed}, {@code products} and {@code phases} are scratch of
   * {@link #transformedInputSize()}, {@link #productSize()}, {@link #outputScratchSize()}.
   */
  public void convolve(float[] padded, int images, float[] packed, float[] bias, int biasOff,
      float[] scale, float[] shift, boolean relu, float[] residual, float[] out, int outOff,
      int outSize, float[] transformed, float[] products, float[] phases) {
    convolve(padded, images, packed, bias, biasOff, scale, shift, relu, residual, false, out,
        outOff, outSize, transformed, products, phases);
  }

  /**
   * As above, and with {@code pool} (no residual then; even output sides) writes the 2x2 max
   * pool at stride 2 of each channel's plane instead of the plane itself: planes of
   * {@code outH / 2 x outW / 2}, {@code outSize} apart per image. Takes the pool's values from
   * the output transform's phases (each window lies in one tile), so the full plane is never
   * written nor read back: a max pool folded into the convolution before it.
   */
  public void convolve(float[] padded, int images, float[] packed, float[] bias, int biasOff,
      float[] scale, float[] shift, boolean relu, float[] residual, boolean pool, float[] out,
      int outOff, int outSize, float[] transformed, float[] products, float[] phases) {
    if (pool && (residual != null || !writesPooled())) {
      throw new IllegalArgumentException("a pooled output takes even sides and no residual: "
          + outH + "x" + outW + (residual != null ? " with a residual" : ""));
    }
    if (byChannels) {
      convolveLanes(padded, 0, images, packed, bias, biasOff, scale, shift, relu, residual,
          pool, null, out, outOff, outSize, transformed, products, phases);
      return;
    }
    for (int part = 0; part < parts; part++) {
      int firstRow = part * partRows;
      int from = firstRow * rowWidth; // the block's first tile of each image
      int length = parts > 1 ? block : imageRun;
      transformBlock(padded, images, from, length, transformed);
      int gemm = outRows * inChannels;
      for (int xi = 0; xi < positions; xi++) {
        DirectConvKernel.run(packed, xi * gemm, outRows, inChannels, offsets[xi], transformed,
            products, xi * outStride, block);
      }
      int rows = Math.min(partRows, tilesH - firstRow);
      int plane = pool ? outH / 2 * (outW / 2) : outH * outW;
      for (int i = 0; i < images; i++) {
        for (int o = 0; o < outChannels; o++) {
          float b = bias == null ? 0f : bias[biasOff + o];
          float sc = scale == null ? 1f : scale[o];
          float sh = scale == null ? 0f : shift[o];
          int at = outOff + i * outSize + o * plane;
          if (tile == 2) {
            WinogradKernel.transformOutput(products, o * block + i * length, outStride, length,
                b, sc, sh, phases);
            if (pool) {
              WinogradKernel.pool(phases, 0, length, rowWidth, firstRow, rows, outH / 2,
                  outW / 2, out, at, relu);
            } else {
              WinogradKernel.interleave(phases, 0, length, rowWidth, 2 * firstRow, 2 * rows,
                  outH, outW, out, at, relu, residual);
            }
          } else {
            Winograd4Kernel.transformOutput(products, o * block + i * length, outStride, length,
                b, sc, sh, phases);
            if (pool) {
              Winograd4Kernel.pool(phases, 0, length, rowWidth, 2 * firstRow, 2 * rows,
                  outH / 2, outW / 2, out, at, relu);
            } else {
              Winograd4Kernel.interleave(phases, 0, length, rowWidth, 4 * firstRow, 4 * rows,
                  outH, outW, out, at, relu, residual);
            }
          }
        }
      }
    }
  }

  /**
   * {@link #convolve} with the GEMMs by channels ({@link #forwardByChannels}), a block of whole
   * images padded at {@code padded[paddedOff + i * paddedImageSize()]} ({@link #pad} writes
   * them at 0; a convolution before may have written them in {@link #paddedInput}'s layout
   * itself): {@link #laneGroup} tiles at a time through the input transform, each position's
   * GEMM into {@code (tiles, outPad)} and the output transform into each image's pixel-major
   * result in {@code results}; then {@link ChannelLanesOutput} writes every image to its planes
   * with the bias, folded norm, residual and ReLU, or with {@code pool} their 2x2 max pool, or
   * where {@code into} is not null (no pool, no residual; see {@link #writesInto}) in that
   * layout, {@code outSize} its image size.
   */
  public void convolveLanes(float[] padded, int paddedOff, int images, float[] packed,
      float[] bias, int biasOff, float[] scale, float[] shift, boolean relu, float[] residual,
      boolean pool, PaddedLanes into, float[] out, int outOff, int outSize, float[] transformed,
      float[] products, float[] results) {
    if (!byChannels || images > chunk) {
      throw new IllegalStateException(images + " images padded by channels; this plan takes "
          + (byChannels ? "at most " + chunk : "none: it runs by tiles"));
    }
    if (into != null && (pool || residual != null || !writesInto(into))) {
      throw new IllegalArgumentException("output " + outChannels + "x" + outH + "x" + outW
          + " into " + into + (pool ? " pooled" : "") + (residual != null ? " with a residual"
          : ""));
    }
    int imageTiles = tilesH * tilesW;
    int tiles = images * imageTiles;
    int gemm = outPad * inChannels;
    int resultSize = outH * outW * outPad;
    // the scratch this call alone reads starts on cache lines (CacheLines): the rows of the
    // input transform, the products and the results, all whole vectors apart. Not the
    // transformed positions, whose GEMM reads them at the plan's offsets. Training steps:
    // VGG-small 1.023x, ResNet-20 1.009x and 1.000x (scripts/bench-builds.sh, both orders)
    int rowsAt = CacheLines.lineFrom(transformed, positions * inStride);
    int productsAt = CacheLines.firstLine(products);
    int resultsAt = CacheLines.firstLine(results);
    for (int first = 0; first < tiles; first += laneGroup) {
      int count = Math.min(laneGroup, tiles - first);
      for (int k = 0; k < count; k++) {
        transformLaneTile(padded, paddedOff, first + k, transformed, k * inPad, inStride,
            rowsAt);
      }
      for (int xi = 0; xi < positions; xi++) {
        // by channels a position's entries lie side by side: offsets[xi][c] = xi * inStride + c
        ChannelLanesKernel.run(packed, xi * gemm, outPad, inChannels, offsets[xi], transformed,
            laneTiles, count, products, productsAt + xi * laneStride, true);
      }
      for (int k = 0; k < count; k++) {
        int i = (first + k) / imageTiles;
        int t = (first + k) % imageTiles;
        if (tile == 2) {
          WinogradLanesKernel.transformOutput(products, productsAt + k * outPad, laneStride,
              outPad, t / tilesW, t % tilesW, outH, outW, results, resultsAt + i * resultSize);
        } else {
          WinogradLanesKernel.transformOutput4(products, productsAt + k * outPad, laneStride,
              outPad, t / tilesW, t % tilesW, outH, outW, results, resultsAt + i * resultSize);
        }
      }
    }
    for (int i = 0; i < images; i++) {
      int at = resultsAt + i * resultSize;
      if (into != null) {
        ChannelLanesOutput.writePadded(results, at, outPad, outChannels, bias, biasOff, scale,
            shift, relu, into, out, outOff + i * outSize);
      } else if (pool) {
        ChannelLanesOutput.writePooled(results, at, outPad, outChannels, outH, outW, bias,
            biasOff, scale, shift, relu, out, outOff + i * outSize);
      } else {
        ChannelLanesOutput.write(results, at, outPad, outChannels, outH * outW, bias, biasOff,
            scale, shift, relu, residual, out, outOff + i * outSize);
      }
    }
  }

  /** The input transform of tiles [from, from + length) of each image into a block. */
  private void transformBlock(float[] padded, int images, int from, int length,
      float[] transformed) {
    int planeStride = tile * tile * phasePlane;
    for (int i = 0; i < images; i++) {
      for (int c = 0; c < inChannels; c++) {
        int at = i * paddedImageSize() + c * planeStride + from;
        if (tile == 2) {
          WinogradKernel.transformInput(padded, at, phasePlane, rowWidth, length, transformed,
              c * block + i * length, inStride);
        } else {
          Winograd4Kernel.transformInput(padded, at, phasePlane, rowWidth, length, transformed,
              c * block + i * length, inStride);
        }
      }
    }
  }

  /**
   * Adds to {@code accT} ({@link #transformedWeightsSize()}) the gradient of the transformed
   * weights from the first {@code images} images padded in {@code padded} and their output
   * gradients transposed, image i at {@code dyT[i * dyStride]} as
   * {@link DirectConv#transposeGradient} writes them ({@code (outH * outW, outPad)}): backward
   * through {@code Y = A^T (U . V) A}, {@code dU[xi] += sum over tiles of (A dY A^T)[xi] V[xi]},
   * 16 (or with 4x4 tiles 36) GEMMs whose reduction runs over the tiles, on
   * {@link ChannelWeightGradient}'s tiles (vectors over output channels, V broadcast).
   * {@link #addWeightGradient} takes it back to 3x3 weights. {@code transformed} and {@code dm}
   * are scratch of {@link #weightTransformedSize()} and {@link #transformedGradientSize()}.
   * By tiles as the forward pass runs; by channels, see {@link #weightGradientLanes}.
   */
  public void weightGradient(float[] padded, int images, float[] dyT, int dyStride,
      float[] transformed, float[] dm, float[] accT) {
    if (byChannels) {
      weightGradientLanes(padded, images, dyT, 0, dyStride, outW, transformed, dm, accT);
      return;
    }
    for (int part = 0; part < parts; part++) {
      int firstRow = part * partRows;
      int rows = Math.min(partRows, tilesH - firstRow);
      transformBlock(padded, images, firstRow * rowWidth, parts > 1 ? block : imageRun,
          transformed);
      int tiles = 0;
      for (int i = 0; i < images; i++) {
        transformGradient(dyT, i * dyStride, outW, firstRow, rows, dm, tiles);
        tiles += rows * tilesW;
      }
      for (int xi = 0; xi < positions; xi++) {
        ChannelWeightGradient.accumulate(dm, xi * gradientStride, outPad, transformed,
            xi * inChannels, (xi + 1) * inChannels, tapOffsets, tileOffsets[part], tiles,
            accT);
      }
    }
  }

  /**
   * Whether {@link #weightGradientFromLanes} can read this plan's output gradients in
   * {@code layout}: by channels, the layout's pixels the output plane and its lanes this plan's
   * padded output channels. The adjoint's padded input ({@link #paddedInput} of the
   * {@link #adjointByChannels} plan) is such a layout.
   */
  public boolean readsGradientIn(PaddedLanes layout) {
    return byChannels && layout.lanes() == outPad && layout.rows() == outH
        && layout.columns() == outW;
  }

  /**
   * {@link #weightGradient} by channels with the output gradients in {@code layout} (see
   * {@link #readsGradientIn}): image i's at {@code gradients[(slot + i) * layout.imageSize()]},
   * as the adjoint's {@link #pad} writes it to its slot {@code slot + i}. So the backward pass
   * transposes each output gradient once, for its input and its weight gradient both.
   */
  public void weightGradientFromLanes(float[] padded, int images, float[] gradients, int slot,
      PaddedLanes layout, float[] transformed, float[] dm, float[] accT) {
    if (!readsGradientIn(layout)) {
      throw new IllegalArgumentException("a weight gradient of " + outChannels + "x" + outH
          + "x" + outW + (byChannels ? " padded to " + outPad + " lanes" : " by tiles")
          + " cannot read its output gradients in " + layout);
    }
    weightGradientLanes(padded, images, gradients,
        slot * layout.imageSize() + layout.pixel(0, 0), layout.imageSize(), layout.width(),
        transformed, dm, accT);
  }

  /**
   * {@link #weightGradient} by channels: at most {@link #weightChunk} images padded
   * pixel-major as {@link #pad} writes them, each real tile's input transform by vectors over
   * input channels ({@code transformed}: {@link #weightTransformedSize()}, a tile's channels
   * side by side, positions {@code laneWeightStride} apart), then each position's GEMM over all
   * their tiles; no tile overhangs into a run rounded up as by tiles. Image i's output gradient
   * at {@code dy[dyAt + i * dyStride]}, pixel-major, rows {@code rowPixels} pixels apart.
   */
  private void weightGradientLanes(float[] padded, int images, float[] dy, int dyAt,
      int dyStride, int rowPixels, float[] transformed, float[] dm, float[] accT) {
    if (images > laneWeightImages) {
      throw new IllegalStateException(images + " images for a weight gradient by channels;"
          + " this plan takes at most " + laneWeightImages);
    }
    int imageTiles = tilesH * tilesW;
    int rowsAt = CacheLines.lineFrom(transformed, positions * laneWeightStride);
    for (int q = 0; q < images * imageTiles; q++) {
      transformLaneTile(padded, 0, q, transformed, q * inPad, laneWeightStride, rowsAt);
    }
    for (int i = 0; i < images; i++) {
      transformGradient(dy, dyAt + i * dyStride, rowPixels, 0, tilesH, dm, i * imageTiles);
    }
    for (int xi = 0; xi < positions; xi++) {
      ChannelWeightGradient.accumulate(dm, xi * gradientStride, outPad, transformed,
          xi * inChannels, (xi + 1) * inChannels, laneTapOffsets, laneTileOffsets,
          images * imageTiles, accT);
    }
  }

  /**
   * By channels, the input transform of tile {@code q} of the images padded from
   * {@code padded[paddedOff]} (tile {@code q % imageTiles} of image {@code q / imageTiles}) to
   * {@code v[vAt + xi * positionStride + c]}, the rows through {@code v[rowsAt ...]}.
   */
  private void transformLaneTile(float[] padded, int paddedOff, int q, float[] v, int vAt,
      int positionStride, int rowsAt) {
    int imageTiles = tilesH * tilesW;
    int t = q % imageTiles;
    int window = paddedOff + q / imageTiles * paddedImageSize()
        + tile * (t / tilesW * padW + t % tilesW) * inPad;
    if (tile == 2) {
      WinogradLanesKernel.transformInput(padded, window, padW, inPad, v, vAt, positionStride);
    } else {
      WinogradLanesKernel.transformInput4(padded, window, padW, inPad, v, vAt, positionStride,
          rowsAt);
    }
  }

  /**
   * The transformed output gradient of tile rows [firstRow, firstRow + rows) of one image
   * transposed at {@code dyT[dyAt]} (rows {@code rowPixels} pixels apart), into {@code dm} from
   * tile number {@code tiles}.
   */
  private void transformGradient(float[] dyT, int dyAt, int rowPixels, int firstRow, int rows,
      float[] dm, int tiles) {
    if (tile == 2) {
      WinogradKernel.transformGradient(dyT, dyAt, rowPixels, outPad, outH, outW, firstRow,
          rows, tilesW, dm, tiles, gradientStride);
    } else {
      Winograd4Kernel.transformGradient(dyT, dyAt, rowPixels, outPad, outH, outW, firstRow,
          rows, tilesW, dm, tiles, gradientStride);
    }
  }

  /**
   * {@code g[gOff ...] (outChannels, inChannels, 3, 3) +=} {@code G^T dU G} of the accumulated
   * {@code accT} (entry {@code ((xi * inChannels + c) * outPad + o)}): the chain rule through
   * {@code U = G g G^T}. Input channel by input channel, its 16 rows copied out first: read
   * in place, a pair's 16 entries lay {@code inChannels * outPad} floats apart, the same L1
   * set for every power of two, and the loop ran from L2. Run once per piece of a batch, it
   * was 3.0% of a two-thread ResNet-20 training step's samples, now under 0.9%; 32 x 32
   * channels alone 39-60 us (and phases of 90-300) -> 16-19 us.
   */
  public void addWeightGradient(float[] accT, float[] g, int gOff) {
    if (gradientRows == null) {
      gradientRows = new float[positions * outPad];
    }
    float[] rows = gradientRows; // input channel c's rows of accT
    float[] scratch = backTransformScratch;
    for (int c = 0; c < inChannels; c++) {
      for (int xi = 0; xi < positions; xi++) {
        System.arraycopy(accT, (xi * inChannels + c) * outPad, rows, xi * outPad, outPad);
      }
      for (int o = 0; o < outChannels; o++) {
        if (tile == 2) {
          WinogradFilter.addGradient(rows, o, outPad, g, gOff + (o * inChannels + c) * 9);
        } else {
          WinogradFilter.addGradient4(rows, o, outPad, g, gOff + (o * inChannels + c) * 9,
              scratch);
        }
      }
    }
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
