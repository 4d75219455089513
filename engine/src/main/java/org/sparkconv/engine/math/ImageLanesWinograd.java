package org.sparkconv.engine.math;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A stride-1 3x3 convolution zero-padded by one on each side (the output as large as the
 * input) by Winograd's F(4x4, 3x3), with a group of {@link #LANES} images in the vector lanes:
 * every float of an activation is one image's, the images side by side, so that a pixel of a
 * channel is one whole vector ({@code [channel][row][column][image]}, "image lanes"). Inference
 * runs chains of small convolutions this way ({@code LanesConvolution});
 * docs/engine-speed-log.md measures it ("A route that does pay on 16 channels" and after).
 *
 * <p>Why the lanes hold images: on 16 channels (ResNet-20's first stage) neither layout the
 * engine has makes Winograd pay. By channels ({@link WinogradLanesKernel}) a GEMM position's
 * product is one vector of 16 output channels, each multiply-add with a broadcast of its own;
 * by tiles ({@link WinogradConv}) a plane's tiles are gathered into phase planes and back.
 * With images in the lanes every step of the transforms is whole vectors at their own
 * addresses, and each position's GEMM is {@link DirectConvKernel}'s 8 x 3 tile over a run of
 * tiles times images (8 broadcasts and 3 loads a 24 multiply-adds).
 *
 * <p>A block of {@link #blockTiles} tiles at a time, in row order across the plane: its input
 * transform ({@link WinogradLanesKernel#transformInput4}, a tile and channel a call, a
 * channel's tiles in turn) into {@code transformed} ({@code [position][channel][tile][image]}),
 * the 36 GEMMs into {@code products} ({@code [position][output channel][tile][image]}), then
 * per output channel the output transform of the whole block, each tile's 16 outputs
 * written in place as its columns are transformed ({@link #transformOutputs}). A channel's
 * tiles in turn, each call writes the line after the last one's in each of the 36 positions;
 * a tile's channels in turn, each call wrote a channel's run further on, 384-448 bytes
 * (16x28x28 -> 16, a group 16 times: 3.70 -> 3.33 ms). The activations stay padded in this
 * layout from one convolution to the next (the output is written where the next one reads
 * it); {@link #toLanes} and {@link #fromLanes} convert a group from and to the engine's NCHW
 * images. For training, the same plan with {@link #packAdjointWeights} is the input gradient,
 * and {@link #accumulateWeightGradient} / {@link #addWeightGradient} the weight gradient.
 *
 * <p>Every vector here is a whole 64-byte cache line, so each call starts its scratch (the
 * transformed block and the products) at the arrays' first line ({@link CacheLines}), and the
 * activations may start anywhere (their {@code At} indices), where their caller puts them on
 * lines too ({@code ImageLanesRun}). Whole ResNet-20 inference steps ran 1.041x as fast with
 * the scratch on lines (batch 256, one thread, {@code scripts/bench-builds.sh}, both orders).
 *
 * <p>Holds its scratch: one instance per thread.
 */
public final class ImageLanesWinograd {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  /** Images per group: one per vector lane. */
  public static final int LANES = SPECIES.length();
  private static final int POSITIONS = 36;
  private static final int TILE = 4;
  private static final int MR = DirectConvKernel.ROWS;
  /** Floats between positions past their data: see {@link #inPosition}. */
  private static final int SKEW = 16;
  /**
   * Tiles a block goes through the transforms and GEMMs: 48 floats of a channel's position, one
   * run of the GEMM tile's 3 vectors at 16 lanes (3 tiles), two at 8 (6 tiles). Its input
   * transform is 110 KB on 16 channels, 221 KB on 32, so that it and the block's products
   * leave L2 (1 MB a core here) to the group's activations, whose three slots pass L2 anyway
   * (922 KB each on 16 channels). At 16 lanes, blocks of 3 tiles against 6 made whole ResNet-20
   * inference steps 1.025x and 1.024x faster on 16 channels (batch 256,
   * {@code scripts/bench-builds.sh}, both orders, two runs; 2026-12-05), though 6, 7 (a tile
   * row of 28x28) and 8 measured the same on 16 channels alone (16x28x28 -> 16, a group 16
   * times, best of three rounds per JVM, three JVMs each: 3.30-3.72, 3.38-3.78, 3.45-3.66 ms);
   * on 32 channels 6 tiles (442 KB) made ResNet-20's second stage in lanes lose (whole inference
   * steps 0.984x against the build without it, blocks of 3: 1.025x). At 8 lanes (AVX2) blocks
   * of 3 tiles on 32 channels made inference steps 0.956x as fast as blocks of 6 (both orders).
   * A plane's blocks are made even at up to this many tiles ({@link #blockTiles}): a 7x7
   * plane's 4 tiles as 2 + 2 rather than 3 + 1 (64x7x7 -> 64, 16 groups: 1.95-1.99 ms against
   * 2.06-2.11, two JVMs each).
   */
  private static final int BLOCK_TILES = 48 / LANES;

  /**
   * The most floats of a weight-gradient block's two transforms (36 x (inChannels +
   * outChannels) vectors a tile): ~1 MB, 14 tiles of 16 -> 16 channels at 16 lanes. Its lane
   * partial sums are loaded and stored once a block, 36 x outChannels x inChannels x LANES
   * floats, as many as a block of 8 or 16 tiles holds: against the forward pass's blocks of
   * then (6 and 3 tiles), blocks of 13 read 1.09-1.22x faster on 16x28x28 -> 16 and blocks of 6-8
   * 1.30-1.39x on 32x14x14 -> 32 (64 images, one thread, the sizes alternated in one JVM,
   * three JVMs); the whole plane (49 tiles) lost again on 16 channels.
   */
  private static final int MAX_GRADIENT_BLOCK_FLOATS = 36 * 32 * 14 * 16;

  private final int inChannels;
  private final int outChannels;
  private final int height;
  private final int width;
  // Rows and columns of a padded channel: the tiles' whole extent plus one on each side (sides
  // that are not multiples of 4 end in part tiles, whose extra rows and columns stay zero)
  private final int padH;
  private final int padW;
  private final int tilesW; // tiles in a tile row
  private final int tiles; // tiles in a plane
  private final int blockTiles; // tiles a block: BLOCK_TILES at most, the blocks even
  private final int run; // floats of a block's channel in the GEMMs: its tiles x images
  private final int packedPosition; // floats of a position's packed weights
  /**
   * Floats of a position's transformed block, a cache line more than its data: the input
   * transform writes 36 positions a tile, 6 KB apart for 16 channels, which without the skew
   * fall on 2 of L1's 64 sets (with blocks of a 28-wide tile row, 7 KB and 4 sets: a group 16
   * times in 3.77-4.56 ms against 3.80-3.84 skewed).
   */
  private final int inPosition;
  private final int outPosition; // floats of a position's products
  // per position: per input channel, its run in transformed (position 0's: from the block),
  // counted from offsetsAt
  private final int[][] offsets;
  private int offsetsAt;
  private final float[] transformed; // the block's input transform, then row scratch
  private final float[] products;
  private final int gradientTiles; // tiles a block of the weight gradient
  private final int gradientInPosition; // floats of a position's input transform there, skewed
  private final int gradientOutPosition; // and of its output gradient transform
  // The weight gradient's, allocated at its first block (a plan that only infers holds none):
  private float[] gradientInputs; // a block's input transform, tile by tile
  private float[] gradients; // a block's output gradient transform, tile by tile
  private final float[] rowScratch; // the gradient transform's rows: 4 x 6 vectors
  private final float[] narrow; // LANES pixels' vectors, for rows narrower than a vector
  private float[][] weightPartials; // per position: (o, c) lane partial sums, a vector each

  /**
   * The plan for {@code (inChannels, height, width) -> (outChannels, height, width)}, a plane
   * of at least {@link #LANES} pixels.
   */
  public ImageLanesWinograd(int inChannels, int height, int width, int outChannels) {
    if (!applies(height, width) || inChannels < 1 || outChannels < 1) {
      throw new IllegalArgumentException("Winograd with images in lanes takes " + inChannels
          + "x" + height + "x" + width + " -> " + outChannels + " channels: expected channels"
          + " >= 1 and a plane of at least one vector's pixels (" + LANES
          + " lanes, of 8 or 16)");
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.height = height;
    this.width = width;
    int tilesH = (height + TILE - 1) / TILE;
    this.tilesW = (width + TILE - 1) / TILE;
    this.padH = TILE * tilesH + 2;
    this.padW = TILE * tilesW + 2;
    this.tiles = tilesW * tilesH;
    int blocks = (tiles + BLOCK_TILES - 1) / BLOCK_TILES;
    this.blockTiles = (tiles + blocks - 1) / blocks;
    this.run = blockTiles * LANES;
    int rows = roundUp(outChannels, MR);
    this.packedPosition = rows * inChannels;
    this.inPosition = inChannels * run + SKEW;
    this.outPosition = rows * run + SKEW;
    this.offsets = new int[POSITIONS][inChannels];
    for (int xi = 0; xi < POSITIONS; xi++) {
      for (int c = 0; c < inChannels; c++) {
        offsets[xi][c] = xi * inPosition + c * run;
      }
    }
    int cap = Math.max(1, MAX_GRADIENT_BLOCK_FLOATS / (POSITIONS * (inChannels + outChannels)
        * LANES));
    int gradientBlocks = (tiles + cap - 1) / cap; // blocks of even size: 49 tiles as 4 x 13
    this.gradientTiles = (tiles + gradientBlocks - 1) / gradientBlocks;
    this.gradientInPosition = inChannels * gradientTiles * LANES + SKEW;
    this.gradientOutPosition = outChannels * gradientTiles * LANES + SKEW;
    // a line more than they use: their data starts at the first line (CacheLines)
    this.transformed = new float[POSITIONS * inPosition + WinogradLanesKernel.ROW_SCRATCH
        + CacheLines.FLOATS];
    this.products = new float[POSITIONS * outPosition + CacheLines.FLOATS];
    this.rowScratch = new float[TILE * 6 * LANES];
    this.narrow = new float[LANES * LANES];
  }

  /**
   * Whether a plane of {@code height x width} can be planned on this machine's vectors: at
   * least {@link #LANES} pixels. Sides that are not multiples of 4 end in part tiles, computed
   * whole: {@link #tileArea} over the plane's area is the work that costs.
   */
  public static boolean applies(int height, int width) {
    return height > 0 && width > 0 && height * width >= LANES && LaneTranspose.APPLIES;
  }

  /** Pixels the tiles of a {@code height x width} plane cover, part tiles whole. */
  public static int tileArea(int height, int width) {
    return roundUp(height, TILE) * roundUp(width, TILE);
  }

  /**
   * Rows (or columns) of a padded channel in this layout for a plane {@code side} pixels high
   * (or wide): the tiles' extent plus a border of one on each side.
   */
  public static int paddedSide(int side) {
    return roundUp(side, TILE) + 2;
  }

  /** Floats of a group's padded activation of {@code channels} channels. */
  public int lanesSize(int channels) {
    return Math.toIntExact(lanesSize(channels, height, width));
  }

  /** {@link #lanesSize} of a plan of {@code height x width} planes. */
  public static long lanesSize(int channels, int height, int width) {
    return (long) channels * (roundUp(height, TILE) + 2) * (roundUp(width, TILE) + 2) * LANES;
  }

  /** Floats of the packed weights ({@link #packWeights}). */
  public int packedSize() {
    return packedSize(inChannels, outChannels);
  }

  /** {@link #packedSize} of a plan of {@code inChannels -> outChannels}. */
  public static int packedSize(int inChannels, int outChannels) {
    return POSITIONS * roundUp(outChannels, MR) * inChannels;
  }

  /**
   * Floats a plan of {@code inChannels -> outChannels} holds for inference: its scratch (the
   * activations and packed weights are its caller's). One that also computes a weight
   * gradient holds its partial sums ({@code 36 x outChannels x inChannels x LANES}) and a block of
   * both transforms of up to {@link #MAX_GRADIENT_BLOCK_FLOATS} besides.
   */
  public static long inferenceFloats(int inChannels, int outChannels) {
    long run = (long) BLOCK_TILES * LANES;
    return POSITIONS * (inChannels * run + SKEW) + WinogradLanesKernel.ROW_SCRATCH
        + POSITIONS * (roundUp(outChannels, MR) * run + SKEW) + TILE * 6 * LANES
        + LANES * LANES + 2 * CacheLines.FLOATS;
  }

  /**
   * Packs the weights {@code w[wOff + (o * inChannels + c) * 9 + 3i + j]} as each position's
   * GEMM reads them: {@code U = G g G^T} per kernel ({@link WinogradFilter}), position
   * {@code xi}'s entry for (o, c) at {@code packed[xi * (outChannels rounded up to 8) *
   * inChannels + (o / 8 * inChannels + c) * 8 + o % 8]}, the rows past outChannels zero.
   */
  public void packWeights(float[] w, int wOff, float[] packed) {
    packWeights(w, wOff, null, packed);
  }

  /**
   * As {@link #packWeights(float[], int, float[])} with output channel o's kernels times
   * {@code scale[o]} where scale is not null: a batch norm's scale folded in for inference
   * (its shift then the bias of {@link #convolve(float[], float[], float[], float[], boolean,
   * float[])}).
   */
  public void packWeights(float[] w, int wOff, float[] scale, float[] packed) {
    pack(w, wOff, scale, false, packed);
  }

  /**
   * Packs, for this plan as the adjoint of a convolution of {@code outChannels} inputs to
   * {@code inChannels} outputs (its input gradient: the output gradient convolved with each
   * kernel turned by 180 degrees, inputs and outputs swapped; "same" on both sides), that
   * convolution's weights {@code w[wOff + (k * outChannels + c) * 9 + 3i + j]} for its output
   * k and input c.
   */
  public void packAdjointWeights(float[] w, int wOff, float[] packed) {
    pack(w, wOff, null, true, packed);
  }

  private void pack(float[] w, int wOff, float[] scale, boolean adjoint, float[] packed) {
    float[] g = new float[9];
    float[] u = new float[POSITIONS];
    Arrays.fill(packed, 0, packedSize(), 0f);
    for (int o = 0; o < outChannels; o++) {
      for (int c = 0; c < inChannels; c++) {
        if (adjoint) {
          int kernel = wOff + (c * outChannels + o) * 9;
          for (int k = 0; k < 9; k++) {
            g[k] = w[kernel + 8 - k]; // (i, j) from (2 - i, 2 - j)
          }
        } else {
          System.arraycopy(w, wOff + (o * inChannels + c) * 9, g, 0, 9);
        }
        if (scale != null) {
          for (int k = 0; k < 9; k++) {
            g[k] *= scale[o];
          }
        }
        WinogradFilter.transform(TILE, g, u);
        int at = (o / MR * inChannels + c) * MR + o % MR;
        for (int xi = 0; xi < POSITIONS; xi++) {
          packed[xi * packedPosition + at] = u[xi];
        }
      }
    }
  }

  /**
   * Copies {@link #LANES} images of {@code (inChannels, height, width)}, image n at
   * {@code x[xOff + n * imageStride]}, into {@code lanes} (of {@link #lanesSize} for the input
   * channels): pixel (y, x) of channel c, image n at
   * {@code lanes[((c * padH + y + 1) * padW + x + 1) * LANES + n]}, {@code padH} and
   * {@code padW} the tiles' extent plus two. The rest is left as it is (zero when allocated).
   * {@link #LANES} pixels at a time by {@link LaneTranspose}, the last block overlapping the
   * one before where they do not divide the row (28 = 16 + 12: columns 12-15 are written
   * twice, the same values): a row's columns, or where rows are narrower than that, the
   * plane's pixels in turn, through a block of scratch.
   */
  public void toLanes(float[] x, int xOff, int imageStride, float[] lanes) {
    toLanes(x, xOff, imageStride, lanes, 0);
  }

  /**
   * As {@link #toLanes(float[], int, int, float[])} into the activation that starts at
   * {@code lanes[lanesAt]} (of {@link #lanesSize} past it): every index above plus lanesAt,
   * as {@link #convolve(float[], int, float[], float[], float[], int, boolean, float[], int)}
   * reads it from there.
   */
  public void toLanes(float[] x, int xOff, int imageStride, float[] lanes, int lanesAt) {
    int plane = height * width;
    for (int c = 0; c < inChannels; c++) {
      int source = xOff + c * plane;
      if (width < LANES) {
        for (int first = 0; first < plane; first += LANES) {
          int p = Math.min(first, plane - LANES); // the last block overlapping
          LaneTranspose.block(x, source + p, imageStride, narrow, 0, LANES);
          for (int l = 0; l < LANES; l++) {
            System.arraycopy(narrow, l * LANES, lanes,
                lanesAt + pixel(c, (p + l) / width, (p + l) % width), LANES);
          }
        }
        continue;
      }
      for (int y = 0; y < height; y++) {
        for (int col = 0; col < width; col += LANES) {
          int at = Math.min(col, width - LANES); // the last block overlapping
          LaneTranspose.block(x, source + y * width + at, imageStride, lanes,
              lanesAt + pixel(c, y, at), LANES);
        }
      }
    }
  }

  /**
   * The inverse of {@link #toLanes} for the output channels: image n's
   * {@code (outChannels, height, width)} at {@code y[yOff + n * imageStride]}.
   */
  public void fromLanes(float[] lanes, float[] y, int yOff, int imageStride) {
    fromLanes(lanes, 0, y, yOff, imageStride);
  }

  /** As {@link #fromLanes(float[], float[], int, int)} from the activation at lanesAt. */
  public void fromLanes(float[] lanes, int lanesAt, float[] y, int yOff, int imageStride) {
    int plane = height * width;
    for (int o = 0; o < outChannels; o++) {
      int target = yOff + o * plane;
      if (width < LANES) {
        for (int first = 0; first < plane; first += LANES) {
          int p = Math.min(first, plane - LANES);
          for (int l = 0; l < LANES; l++) {
            System.arraycopy(lanes, lanesAt + pixel(o, (p + l) / width, (p + l) % width),
                narrow, l * LANES, LANES);
          }
          LaneTranspose.block(narrow, 0, LANES, y, target + p, imageStride);
        }
        continue;
      }
      for (int row = 0; row < height; row++) {
        for (int col = 0; col < width; col += LANES) {
          int at = Math.min(col, width - LANES);
          LaneTranspose.block(lanes, lanesAt + pixel(o, row, at), LANES, y,
              target + row * width + at, imageStride);
        }
      }
    }
  }

  /** Where pixel (row, col) of channel c starts in a group's padded activation. */
  private int pixel(int c, int row, int col) {
    return pixel(height, width, c, row, col);
  }

  /**
   * Where pixel (row, col) of channel c starts in the layout of a {@code height x width} plane,
   * row and col from -1 (the border) to the tiles' extent: rows of {@link #paddedSide} pixels.
   */
  static int pixel(int height, int width, int c, int row, int col) {
    return ((c * paddedSide(height) + row + 1) * paddedSide(width) + col + 1) * LANES;
  }

  /**
   * The convolution of a group's padded input {@code in} ({@link #toLanes}'s layout) with
   * weights packed by {@link #packWeights}, into the interior of {@code out}, of
   * {@link #lanesSize} for the output channels in the same layout (its border, and past the
   * plane where it ends in part tiles, not written: the input's must be zero there).
   */
  public void convolve(float[] in, float[] packed, float[] out) {
    convolve(in, 0, packed, null, null, 0, false, out, 0);
  }

  /**
   * As {@link #convolve(float[], float[], float[])}, with output channel o's {@code bias[o]}
   * added where bias is not null, then {@code residual} (a group's activation of the output
   * channels in the same layout) where that is not null, then {@code max(0, .)} if
   * {@code relu}: a residual block's convolution with its batch norm folded in, as each
   * block's outputs are put in place ({@code residual} may be {@code out}: each float is read
   * where it is then written). {@code out} must not be {@code in}.
   */
  public void convolve(float[] in, float[] packed, float[] bias, float[] residual, boolean relu,
      float[] out) {
    convolve(in, 0, packed, bias, residual, 0, relu, out, 0);
  }

  /**
   * As {@link #convolve(float[], float[], float[], float[], boolean, float[])} with each
   * activation starting at its own index ({@link #toLanes(float[], int, int, float[], int)}):
   * {@code in[inAt]}, {@code residual[residualAt]}, {@code out[outAt]}. Any start gives the
   * same results; where it is a cache line's ({@link CacheLines}), no vector of the
   * activation straddles two lines.
   */
  public void convolve(float[] in, int inAt, float[] packed, float[] bias, float[] residual,
      int residualAt, boolean relu, float[] out, int outAt) {
    if (in == out) {
      throw new IllegalArgumentException("the output cannot be the input: a block's outputs"
          + " are written before later blocks' windows read the rows they overlap");
    }
    int transformedAt = CacheLines.firstLine(transformed);
    int productsAt = CacheLines.firstLine(products);
    if (transformedAt != offsetsAt) {
      for (int[] position : offsets) {
        for (int c = 0; c < inChannels; c++) {
          position[c] += transformedAt - offsetsAt;
        }
      }
      offsetsAt = transformedAt;
    }
    for (int first = 0; first < tiles; first += blockTiles) {
      int count = Math.min(blockTiles, tiles - first);
      transformInputs(in, inAt, first, count, transformed, transformedAt, inPosition, false);
      int length = count * LANES;
      for (int xi = 0; xi < POSITIONS; xi++) {
        DirectConvKernel.run(packed, xi * packedPosition, outChannels, inChannels, offsets[xi],
            transformed, products, productsAt + xi * outPosition, length, run);
      }
      for (int o = 0; o < outChannels; o++) {
        transformOutputs(o, first, count, productsAt, bias == null ? 0f : bias[o], residual,
            residualAt - outAt, relu, out, outAt);
      }
    }
  }

  /**
   * Adds a group's share of the weight gradient to this plan's partial sums: {@code in} the
   * group's padded input as {@link #convolve} read it, {@code dOut} the gradient of its output
   * in the output's layout (its tiles read whole: zero past the plane where it ends in part
   * tiles, as {@link #toLanes} and {@link #convolve} leave it). Through the transforms: per
   * position, {@code dU = sum over tiles and images of (A dY A^T) (B^T d B)}, the output
   * gradient's tiles transformed as the products were and the input's as for the forward
   * pass, each position's sums over a block's tiles times images by
   * {@link LanesWeightGradientKernel} (both transforms laid out tile by tile, partial sums per
   * lane).
   * {@link #addWeightGradient} takes them to the kernels.
   */
  public void accumulateWeightGradient(float[] in, float[] dOut) {
    if (weightPartials == null) {
      gradientInputs = new float[POSITIONS * gradientInPosition
          + WinogradLanesKernel.ROW_SCRATCH];
      gradients = new float[POSITIONS * gradientOutPosition];
      weightPartials = new float[POSITIONS][outChannels * inChannels * LANES];
    }
    for (int first = 0; first < tiles; first += gradientTiles) {
      int count = Math.min(gradientTiles, tiles - first);
      transformInputs(in, 0, first, count, gradientInputs, 0, gradientInPosition, true);
      for (int k = 0; k < count; k++) {
        for (int o = 0; o < outChannels; o++) {
          transformGradient(dOut, o, first + k, (k * outChannels + o) * LANES);
        }
      }
      for (int xi = 0; xi < POSITIONS; xi++) {
        LanesWeightGradientKernel.accumulate(gradients, xi * gradientOutPosition, outChannels,
            gradientInputs, xi * gradientInPosition, inChannels, count, weightPartials[xi]);
      }
    }
  }

  /**
   * {@code g[gOff + (o * inChannels + c) * 9 + 3i + j] +=} the weight gradient the partial
   * sums hold ({@code G^T dU G}, {@link WinogradFilter#addGradient4}), which are then zero.
   */
  public void addWeightGradient(float[] g, int gOff) {
    if (weightPartials == null) {
      return; // nothing accumulated
    }
    float[] du = new float[POSITIONS];
    float[] h = new float[18];
    for (int o = 0; o < outChannels; o++) {
      for (int c = 0; c < inChannels; c++) {
        int at = (o * inChannels + c) * LANES;
        for (int xi = 0; xi < POSITIONS; xi++) {
          du[xi] = FloatVector.fromArray(SPECIES, weightPartials[xi], at)
              .reduceLanes(VectorOperators.ADD);
        }
        WinogradFilter.addGradient4(du, 0, 1, g, gOff + (o * inChannels + c) * 9, h);
      }
    }
    for (float[] partials : weightPartials) {
      Arrays.fill(partials, 0f);
    }
  }

  /**
   * The input transform of tiles [first, first + count) into {@code to}, its positions
   * {@code position} floats apart (the rows' scratch after the last): a position's channels
   * one after another, each its run of tiles ({@code [channel][tile][image]}, as the forward
   * pass's GEMMs read it), or where {@code byTile} a tile's channels side by side
   * ({@code [tile][channel][image]}, as {@link LanesWeightGradientKernel} reads it).
   */
  private void transformInputs(float[] in, int inAt, int first, int count, float[] to,
      int toAt, int position, boolean byTile) {
    for (int c = 0; c < inChannels; c++) {
      for (int k = 0; k < count; k++) {
        int ty = (first + k) / tilesW;
        int tx = (first + k) % tilesW;
        WinogradLanesKernel.transformInput4(in,
            inAt + ((c * padH + TILE * ty) * padW + TILE * tx) * LANES, padW, LANES, to,
            toAt + (byTile ? k * inChannels + c : c * blockTiles + k) * LANES, position,
            toAt + POSITIONS * position);
      }
    }
  }

  /**
   * {@code A dY A^T} of output channel o's gradient at tile t, position {@code 6i + j} into
   * {@code gradients[xi * gradientOutPosition + at]}: along each of the tile's 4 rows into
   * {@link #rowScratch}, then down the 6 columns.
   */
  private void transformGradient(float[] dOut, int o, int t, int at) {
    int ty = t / tilesW;
    int tx = t % tilesW;
    int corner = pixel(o, TILE * ty, TILE * tx);
    for (int r = 0; r < TILE; r++) {
      int row = corner + r * padW * LANES;
      Winograd4Kernel.gradientSix(dOut, row, LANES, 4, rowScratch, 6 * r * LANES, LANES);
    }
    for (int j = 0; j < 6; j++) {
      Winograd4Kernel.gradientSix(rowScratch, j * LANES, 6 * LANES, 4, gradients,
          j * gradientOutPosition + at, 6 * gradientOutPosition);
    }
  }

  /**
   * The output transform of channel o's products for tiles [first, first + count), into
   * place in {@code out}: {@code (A^T m A)[a][b] + bias}, plus the residual there where it is
   * not null, then {@code max(0, .)} if {@code relu}. The rows times A in place in the
   * products ({@link Winograd4Kernel#transformOutputRow}), then each tile's four columns times
   * A^T straight into the output, no phases written and read back between (ResNet-20's stem
   * and stage 1 in inference, 256 images, one thread: measured in docs/engine-speed-log.md).
   */
  private void transformOutputs(int o, int first, int count, int productsAt, float bias,
      float[] residual, int residualShift, boolean relu, float[] out, int outAt) {
    int at = productsAt + o * run;
    int length = count * LANES;
    for (int i = 0; i < 6; i++) {
      for (int t = 0; t < length; t += LANES) {
        Winograd4Kernel.transformOutputRow(products, at + 6 * i * outPosition + t, outPosition);
      }
    }
    float lowest = relu ? 0f : Float.NEGATIVE_INFINITY; // max(v, -inf) is v, NaN included
    int rowStride = padW * LANES;
    for (int k = 0; k < count; k++) {
      int ty = (first + k) / tilesW;
      int tx = (first + k) % tilesW;
      int corner = outAt + pixel(o, TILE * ty, TILE * tx);
      int rows = Math.min(TILE, height - TILE * ty); // a part tile's rows and columns only
      int columns = Math.min(TILE, width - TILE * tx);
      for (int b = 0; b < columns; b++) {
        outputColumn(at + b * outPosition + k * LANES, bias, residual, residualShift, lowest,
            out, corner + b * LANES, rowStride, rows);
      }
    }
  }

  /**
   * A column of six at {@code products[at + 6 i * outPosition]} times A^T, plus bias, plus
   * the residual {@code residualShift} past the output's index where it is not null, then at
   * least {@code lowest}: output row a into {@code out[to + a * rowStride]}.
   */
  private void outputColumn(int at, float bias, float[] residual, int residualShift,
      float lowest, float[] out, int to, int rowStride, int rows) {
    int stride = 6 * outPosition;
    FloatVector m0 = FloatVector.fromArray(SPECIES, products, at);
    FloatVector m1 = FloatVector.fromArray(SPECIES, products, at + stride);
    FloatVector m2 = FloatVector.fromArray(SPECIES, products, at + 2 * stride);
    FloatVector m3 = FloatVector.fromArray(SPECIES, products, at + 3 * stride);
    FloatVector m4 = FloatVector.fromArray(SPECIES, products, at + 4 * stride);
    FloatVector m5 = FloatVector.fromArray(SPECIES, products, at + 5 * stride);
    FloatVector sum12 = m1.add(m2);
    FloatVector dif12 = m1.sub(m2);
    FloatVector sum34 = m3.add(m4);
    FloatVector dif34 = m3.sub(m4);
    FloatVector y0 = m0.add(sum12).add(sum34).add(bias);
    FloatVector y1 = dif12.add(dif34.mul(2f)).add(bias);
    FloatVector y2 = sum12.add(sum34.mul(4f)).add(bias);
    FloatVector y3 = dif12.add(dif34.mul(8f)).add(m5).add(bias);
    if (residual != null) { // read past a part tile's rows too: the padding, zero
      int r = to + residualShift;
      y0 = y0.add(FloatVector.fromArray(SPECIES, residual, r));
      y1 = y1.add(FloatVector.fromArray(SPECIES, residual, r + rowStride));
      y2 = y2.add(FloatVector.fromArray(SPECIES, residual, r + 2 * rowStride));
      y3 = y3.add(FloatVector.fromArray(SPECIES, residual, r + 3 * rowStride));
    }
    y0.max(lowest).intoArray(out, to);
    if (rows == TILE) {
      y1.max(lowest).intoArray(out, to + rowStride);
      y2.max(lowest).intoArray(out, to + 2 * rowStride);
      y3.max(lowest).intoArray(out, to + 3 * rowStride);
      return;
    }
    if (rows > 1) {
      y1.max(lowest).intoArray(out, to + rowStride);
    }
    if (rows > 2) {
      y2.max(lowest).intoArray(out, to + 2 * rowStride);
    }
  }

  private static int roundUp(int x, int multiple) {
    return (x + multiple - 1) / multiple * multiple;
  }
}
