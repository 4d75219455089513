package org.sparkconv.engine.layer;

import java.util.Arrays;
import org.sparkconv.engine.math.ConvGeometry;
import org.sparkconv.engine.math.DirectConv;
import org.sparkconv.engine.math.PaddedLanes;
import org.sparkconv.engine.math.Parallel;
import org.sparkconv.engine.math.StridedAdjoint;
import org.sparkconv.engine.math.WinogradConv;
import org.sparkconv.engine.math.WrappedRowsConv;

/**
 * The passes of an ungrouped {@link Conv2d} computed with {@link DirectConv}. The forward pass
 * never lowers. The backward pass, where the input gradient is a stride-1 convolution that does
 * not multiply mostly padding, computes it as that adjoint convolution of the output gradient,
 * and the weight gradient "by channels": a GEMM whose reduction runs over output pixels, vectors
 * over output channels of the transposed output gradient, taps of the padded image broadcast (a
 * chunk of images at a time into a transposed accumulator, added to the gradient once per
 * worker), or, for at most 16 outputs on large planes, "by pixels"
 * ({@link DirectConv#weightGradientByPixels}: no transpose, lane partial sums). Elsewhere
 * (strided convs; an adjoint that would multiply more than {@link #MAX_ADJOINT_OVERWORK} times
 * the lowered work, as a one-channel output padded to 8 rows) the layer's own im2col backward
 * runs, except that a strided conv whose outputs fill whole vectors still takes its weight
 * gradient by channels here, and, with stride 2 and even sides, its input gradient by phases
 * ({@link StridedAdjoint}): {@link #computesBackward()} and {@link #computesWeightGradient()}
 * say which. Where the context turns Winograd on (the
 * default), stride-1 3x3 convolutions with at least 32 channels each way run the forward pass
 * and the adjoint by {@link WinogradConv} instead, where it multiplies at most
 * {@link #MAX_WINOGRAD_WORK} of what the direct kernel does (not on 7x7 planes, whose 2x2 tiles
 * overhang), and at most {@link #CLOSE_WINOGRAD_WORK} of the definition's unless there are
 * {@link #MIN_WINOGRAD_CHANNEL_PAIRS} pairs of channels; their weight gradient by Winograd too
 * (2x2 tiles, or 4x4 where they multiply at most {@link #MAX_LARGE_WEIGHT_TILE_WORK} of that:
 * on large planes, as the forward pass's 4x4 tiles, {@link #MAX_LARGE_TILE_WORK}). A pass
 * whose outputs fill whole groups of 64 runs Winograd with its GEMMs by channels instead of by
 * tiles, and on 7x7 planes too (see {@code Plan.orByChannels}); where its forward pass does, so
 * does its weight gradient, on real tiles only, and where the adjoint does too, the weight
 * gradient reads the output gradients the adjoint pads pixel-major ({@code
 * Plan.sharesGradients}): each is transposed once a backward pass, not twice.
 * Direct passes by pixels of a "same" convolution (and then its weight gradient by pixels) run
 * on rows that wrap ({@link WrappedRowsConv}) where that multiplies no more. Owns each worker's
 * scratch and the weights packed once per pass.
 */
final class DirectConvPasses {

  /**
   * The adjoint computes the input gradient unless it multiplies this much more than GEMM.
   * LeNet-5's second conv (6x14x14 -> 16, "valid" 5x5: the adjoint pads 10x10 by 4 and rounds
   * 6 output rows to 8, 3.4x the lowered work) still gains: backward 2.40 -> 0.97-1.07 ms a
   * batch of 64, the whole step 4.51 -> 2.89-3.18 ms (one thread, layer profile). A first conv
   * (one input channel: 8x) does not, nor does its weight gradient alone by channels (LeNet-5's
   * 0.43-0.53 -> 0.96 ms, VGG-small's 1.08 -> 2.03 ms: six or 32 outputs padded to 16-lane
   * vectors, 9 or 25 taps).
   */
  private static final double MAX_ADJOINT_OVERWORK = 3.5;
  /** Floats of padded images and transposed gradients held per worker for a weight gradient. */
  private static final int CHUNK_FLOATS = 1 << 18;
  private static final int MAX_CHUNK = 8;
  /**
   * Where the weight gradient runs by Winograd, the input gradient waits for images that fill
   * whole chunks of its own plan (at most this many), not the weight gradient's: one image at a
   * time (64x14x14->64's weight chunk), Winograd by channels ran a 14x14 image's 16 tiles as two
   * 6-tile groups and four one-tile rows.
   */
  private static final int MAX_PENDING_GROUPS = 4;
  /**
   * Winograd runs where its GEMMs take at most this share of the direct kernel's multiply-adds,
   * and on at least {@link #MIN_WINOGRAD_CHANNELS} channels each way: its transforms and data
   * movement cost per channel, its savings per pair of channels. One layer, 64 images, one
   * thread, direct vs Winograd in ms: 32x28x28->32 5.74 vs 4.61, 32x14x14->64 3.08 vs 2.48,
   * 64x14x14->64 5.73 vs 4.35, 32x14x14->32 1.58 vs 1.42; on 16 channels 1.72 vs 1.62 alone
   * and nothing measurable inside ResNet-20; 64x7x7->64, where it would do 0.9 of the direct
   * work, 1.67 vs 2.21. Re-measured on the Zen 5 (2026-12-04) with this gate and the weight
   * gradient's at 16: whole ResNet-20 training steps 0.908x by channels, 0.905x by tiles, 0.966x
   * for the weight gradient alone (one thread, one JVM, both orders).
   */
  static final double MAX_WINOGRAD_WORK = 0.6;
  private static final int MIN_WINOGRAD_CHANNELS = 32;
  /**
   * Above this share of the definition's multiply-adds
   * ({@link WinogradConv#definitionMultiplyAdds}: 0.58 on 14x14 planes, whose tiles overhang to
   * 8x8 runs; 0.51 on 28x28), the forward pass and adjoint take Winograd only with at least
   * {@link #MIN_WINOGRAD_CHANNEL_PAIRS} input-output channel pairs. Inside networks (layer
   * profile, 64 images, one thread, forward direct vs Winograd in ms), 32x14x14->32 lost
   * (1.92-1.97 vs 2.05-2.19, ResNet-20's stage 2) where 32x14x14->64 (3.7-3.8 vs 3.5) and
   * 64x14x14->64 (6.8-6.9 vs 5.7-5.8) won; on 28x28, 32x28x28->32 won (6.6-6.7 vs 5.8-6.0).
   */
  static final double CLOSE_WINOGRAD_WORK = 0.55;
  static final int MIN_WINOGRAD_CHANNEL_PAIRS = 2048;
  /**
   * Where Winograd runs the forward pass or the adjoint, it takes 4x4 tiles (F(4x4, 3x3)) when
   * their GEMMs multiply at most this share of the 2x2 tiles': 0.64 on 28x28 planes; not on
   * 14x14 (1.13: 4x4 tiles overhang to 16x16 and their runs round up further), 7x7, or 12x12
   * (0.75, not measured). Their
   * transforms cost more per tile than F(2x2)'s (larger windows, a 4-way phase split), and on
   * 16 channels each way (ResNet-20's stage 1, direct there) they did not pay (whole training
   * steps 0.93-0.98 of the direct kernels'). VGG-small, whose second conv (32x28x28->32) takes
   * them, whole steps against 2x2 tiles, eight interleaved rounds: training 0.93-1.13 (median
   * 1.075), inference 0.98-1.17 (1.095).
   */
  static final double MAX_LARGE_TILE_WORK = 0.7;
  /**
   * By channels ({@link WinogradConv#forwardByChannels}), 4x4 tiles where their GEMMs multiply
   * at most this share of the 2x2 tiles': 0.56 on 7x7 and 28x28 planes, 0.73 on 14x14, where
   * 64x14x14->64 forward, 64 images, one thread, ran 3.5-4.1 ms against 4.0-4.8 by 2x2 tiles
   * (three rounds alternated).
   */
  static final double MAX_LARGE_LANE_TILE_WORK = 0.75;
  /**
   * The weight gradient by Winograd takes 4x4 tiles where their GEMMs (over real tiles only)
   * multiply at most this share of the 2x2 tiles': 0.56 on 12x12, 28x28 and 56x56 planes, not
   * on 14x14 (0.73). One layer, one thread, weight gradient alone, 2x2 vs 4x4 tiles in ms (runs
   * alternated), 64 images: 32x28x28->32 (VGG-small's second conv) 5.1-5.2 vs 3.7-3.8,
   * 32x12x12->32 1.07-1.09 vs 1.10-1.15 (even); 16 images, VGG-16's shapes: 64x56x56->64
   * 14.8-16.3 vs 10.7-11.3, 128x28x28->128 13.1-13.7 vs 8.7-9.1. On 14x14 4x4 tiles lost:
   * 32x14x14->64 2.0-2.1 vs 2.4-2.5, 64x14x14->64 3.7-3.9 vs 4.4-4.6, 32x14x14->32 1.26-1.31
   * vs 1.6-1.8. Whole VGG-small training steps, new / old turn by turn: 1.044x (15
   * pairs) and 1.022x (11) at one thread, 1.006x (15, 0.89-1.05) at two.
   */
  static final double MAX_LARGE_WEIGHT_TILE_WORK = 0.6;
  /** Output channels of a by-channels GEMM's vector: its outputs fill whole ones. */
  private static final int LANE_VECTOR_CHANNELS = 16;
  /**
   * Output pixels of the largest plane on which Winograd runs by channels (not by tiles):
   * measured up to 28x28. By channels a worker holds a block's whole images pixel-major (the
   * padded input and the result, not blocked for the cache as tiles are): on VGG-16's 224x224
   * planes 3 images, ~77 MB a worker.
   */
  private static final int MAX_LANE_PLANE = 28 * 28;
  /**
   * The weight gradient by Winograd (where the forward pass is direct) from this many channels
   * each way: ResNet-20's 16x28x28->16 convs lost by it (backward 5.0-5.4 vs 4.8-5.1 ms by
   * pixels inside the network), its 32x14x14->32 convs gained (4.0-4.3 vs 4.3-4.5).
   */
  private static final int MIN_WINOGRAD_WEIGHT_CHANNELS = 32;
  /**
   * Floats of a piece's weight-gradient sums from which a thread takes one piece: see
   * {@link #backwardPieces()}.
   */
  private static final int LARGE_PIECE_SUMS = 1 << 16;

  private final Plan plan;
  private final Scratch[] scratch; // per worker thread
  private ForwardPacking packing; // the forward's weights; shared: see sharePackingOf
  private float[] packedAdjointWeights; // with the adjoint only; see reserveBackward
  private float[] adjointListWeights; // the same for the adjoint
  private final int inSize;
  private final int outSize;
  private final int outChannels;
  private int[] chunkPixelOffsets; // a chunk's pixels, by channels; see reserveBackward
  // Per piece of a backward pass: its weight gradient in the kernel's own layout (Winograd's
  // transformed weights, the transposed weights by channels, or the lane partial sums by
  // pixels), summed in piece order and taken to the weights' layout once a pass.
  private float[][] pieceSums;
  private final int pieceCount; // of pieceSums
  private final int weightCount; // the weights' floats
  private volatile boolean forwardReserved; // the forward's buffers: see reserveForward
  private volatile boolean backwardReserved; // the backward's buffers: see reserveBackward

  /** What a geometry computes how, and the scratch it takes; the same for sizing and building. */
  private record Plan(DirectConv forward, DirectConv adjoint, boolean byAdjoint,
      boolean weightsByChannels, boolean weightsByPixels, int chunk, WinogradConv winograd,
      WinogradConv winogradAdjoint, WinogradConv winogradWeights, boolean forwardLanes,
      boolean adjointLanes, StridedAdjoint strided, WrappedRowsConv wrapped,
      WrappedRowsConv wrappedAdjoint) {

    static Plan of(ConvGeometry g, int outChannels, boolean winograd) {
      DirectConv forward = DirectConv.forward(g, outChannels);
      DirectConv adjoint = DirectConv.hasAdjoint(g) ? DirectConv.adjoint(g, outChannels) : null;
      long lowered = (long) g.colRows() * g.colCols() * outChannels;
      boolean byAdjoint = adjoint != null
          && adjoint.multiplyAdds() <= MAX_ADJOINT_OVERWORK * lowered;
      WinogradConv fast = !winograd ? null
          : orByChannels(winogradFor(g, outChannels, forward, false, false), g, outChannels,
              false);
      int perImage = forward.paddedSize() + forward.transposedGradientSize();
      int chunk = Math.max(1, Math.min(MAX_CHUNK, CHUNK_FLOATS / perImage));
      // With the adjoint, the weight gradient goes by channels: on ResNet-20's 7x7 stage too
      // (whole training steps 311/332/455 -> 332/415/459 img/s in three pairs against a GEMM
      // over images lowered side by side, since dropped; against the per-image im2col backward
      // that GEMM also lost on LeNet-5's second conv, 3.25 vs 2.85 ms a batch under JMH).
      boolean forwardLanes = fast == null && channelLanes(forward);
      if (!byAdjoint) {
        boolean byChannels = stridedWeightsByChannels(g, outChannels);
        // the input gradient by phases where the weight gradient is direct too
        return new Plan(forward, null, false, byChannels, false, chunk, fast, null, null,
            forwardLanes, false, byChannels ? StridedAdjoint.of(g, outChannels) : null,
            wrapped(g, outChannels, fast == null && !forwardLanes, forward, false), null);
      }
      WinogradConv fastAdjoint = !winograd ? null
          : orByChannels(winogradFor(g, outChannels, adjoint, true, false), g, outChannels,
              true);
      // the forward plan where there is one: the weight gradient reads the same transforms
      WinogradConv fastWeights = winograd ? weightsPlan(fast, winogradFor(g, outChannels,
          forward, false, true), g, outChannels) : null;
      boolean byPixels = fastWeights == null && weightsByPixels(g, outChannels);
      boolean adjointLanes = fastAdjoint == null && channelLanes(adjoint);
      return new Plan(forward, adjoint, true, fastWeights == null && !byPixels, byPixels, chunk,
          fast, fastAdjoint, fastWeights, forwardLanes, adjointLanes, null,
          wrapped(g, outChannels, fast == null && !forwardLanes, forward, false),
          wrapped(g, outChannels, fastAdjoint == null && !adjointLanes, adjoint, true));
    }

    /**
     * The {@link WrappedRowsConv} plan of {@code direct} (the forward or adjoint convolution,
     * where {@code byPixels}: it runs by the pixel-vector kernel), or null: where it applies
     * and multiplies no more than {@code direct}, its border corrections included (on a 7x7
     * plane it saves no dropped columns: runs of 49 and 63 both round to 64).
     */
    private static WrappedRowsConv wrapped(ConvGeometry g, int outChannels, boolean byPixels,
        DirectConv direct, boolean adjoint) {
      if (!byPixels || !WrappedRowsConv.applies(g)) {
        return null;
      }
      WrappedRowsConv w = adjoint ? WrappedRowsConv.adjoint(g, outChannels)
          : WrappedRowsConv.forward(g, outChannels);
      return w.multiplyAdds() <= direct.multiplyAdds() ? w : null;
    }

    /**
     * Winograd with its GEMMs by channels ({@link WinogradConv#forwardByChannels}: vectors over
     * the pass's output channels, real tiles only) where those outputs fill whole 16-lane
     * vectors, both sides have at least {@link #MIN_WINOGRAD_CHANNELS} channels and the plane
     * has at most {@link #MAX_LANE_PLANE} pixels; else {@code tiled} (the plan by tiles, or
     * null). 4x4 tiles unless they multiply more than {@link #MAX_LARGE_LANE_TILE_WORK} of the
     * 2x2 tiles' GEMM work.
     * <ul>
     *   <li>64 images of 64x7x7->64, one thread, against the direct kernel by channels in the
     *       same JVM: 2x2 tiles 1.24-1.30x, 4x4 tiles 1.80x.
     *   <li>Against the tiled plan, forward pass of one layer alone, one thread, runs
     *       alternated, in ms: 64x14x14->64 (VGG-small's last conv) 23.5, 23.0, 19.5 vs 15.2,
     *       15.3, 16.3 at batch 256; 5.3-5.5, 4.9 vs 3.7-4.0 at 64; 32x14x14->64 11.3-11.5 vs
     *       8.8-9.8 at 256; 64x28x28->64 13.6, 17.8, 14.0 vs 11.1, 11.7-12.1, 10.8 and
     *       32x28x28->64 8.3, 11.2, 8.9-9.9 vs 6.8, 6.5, 8.5 at 64. The tiles of a block by
     *       tiles overhang and round up to whole vectors (49 of 64 columns an image on 14x14).
     *   <li>Whole VGG-small steps (its last two convs by channels, the last one pooling from
     *       its pixel-major result), against the build before, turn by turn, 15 pairs:
     *       inference (batch 256) 1.076x at one thread, 1.203x at two; training 1.016x and
     *       1.043x.
     *   <li>On 32 outputs since 2026-12-04, when the GEMMs on outputs narrower than four
     *       vectors took groups of 12 tiles ({@link WinogradConv}'s lane group): before, their
     *       12-row tiles multiplied 6 real tiles and 6 repeats, and lost (32x14x14->32 0.84x
     *       of the direct kernel). One layer, 64 images, one thread, runs alternated, direct
     *       (or by tiles) vs by channels in ms, forward and whole backward: 32x14x14->32
     *       (ResNet-20's stage 2) 2.31-2.71 vs 1.80-1.91 and 4.46-4.77 vs 3.42-3.99;
     *       32x28x28->32 (VGG-small's second conv, by tiles before) 6.89-7.50 vs 6.33-7.03
     *       and 13.1-13.9 vs 11.8-12.6.
     *   <li>Not on 16 channels: 16x28x28->16 forward 2.78-3.40 vs 2.32-2.34 ms by the direct
     *       kernel, even with 12-tile groups (the transposes to and from pixel-major rows and
     *       the transforms take two thirds of it).
     * </ul>
     */
    private static WinogradConv orByChannels(WinogradConv tiled, ConvGeometry g,
        int outChannels, boolean adjoint) {
      int lanes = adjoint ? g.channels() : outChannels; // the pass's outputs
      if (!WinogradConv.applies(g) || lanes % LANE_VECTOR_CHANNELS != 0
          || g.outH() * g.outW() > MAX_LANE_PLANE
          || Math.min(g.channels(), outChannels) < MIN_WINOGRAD_CHANNELS
          || g.padTop() < 0 || g.padLeft() < 0) {
        return tiled;
      }
      WinogradConv small = adjoint ? WinogradConv.adjointByChannels(g, outChannels, 2)
          : WinogradConv.forwardByChannels(g, outChannels, 2);
      WinogradConv large = adjoint ? WinogradConv.adjointByChannels(g, outChannels, 4)
          : WinogradConv.forwardByChannels(g, outChannels, 4);
      return large.multiplyAdds() <= MAX_LARGE_LANE_TILE_WORK * small.multiplyAdds() ? large
          : small;
    }

    /**
     * Whether {@code d} runs with vectors over output channels
     * ({@link DirectConv#convolveByChannels}) instead of over pixels
     * ({@link DirectConv#channelLanesPay}).
     */
    private static boolean channelLanes(DirectConv d) {
      return DirectConv.channelLanesPay(d.outChannels(), d.pixelShare()) || d.slidingRowsPay();
    }

    /**
     * Whether a stride-1 conv takes its weight gradient by pixels ({@link DirectConv#padGradient},
     * {@link DirectConv#weightGradientByPixels}) instead of by channels: where one vector holds
     * every output channel (16 on 512-bit vectors, 8 on AVX2: {@link
     * DirectConv#weightsByPixelsPay}), so that the by-channels kernel broadcasts 16 taps for
     * each vector of gradients it loads, and the planes are large. 512-bit vectors, 64 images,
     * one thread, by channels vs by pixels in ms: 16x28x28->16 2.30 vs 1.69; elsewhere by
     * pixels lost (32x28x28->32 6.58 vs 7.23, 32x14x14->32 1.49 vs 2.20, 64x7x7->64 1.65 vs
     * 4.90), its runs streaming from L2.
     * Whole ResNet-20 training steps, interleaved in one process, by pixels / by channels per
     * round: 0.96-1.07 (median 1.03) at one thread, 0.95-1.13 (1.03) at two.
     */
    private static boolean weightsByPixels(ConvGeometry g, int outChannels) {
      return DirectConv.weightsByPixelsPay(outChannels, g.outH() * g.outW());
    }

    /**
     * Whether a strided convolution (no stride-1 adjoint: its input gradient lowers) takes its
     * weight gradient by channels from the forward pass's phase planes instead of im2col +
     * GEMM: where the outputs fill whole 16-lane vectors. ResNet-20's downsampling convs, 64
     * images, one thread, weight gradient alone in ms, lowered vs by channels: 16x28x28->32
     * 4.0 vs 1.6-1.9, 32x14x14->64 2.65 vs 1.2-1.3 (the input gradient, lowered, 2.8-3.9).
     */
    private static boolean stridedWeightsByChannels(ConvGeometry g, int outChannels) {
      return g.strideH() * g.strideW() > 1 && outChannels % 16 == 0;
    }

    /**
     * The Winograd plan of {@code direct} (the forward or adjoint convolution), or null; with
     * {@code weightsOnly}, for the weight gradient alone (its own channel minimum, no
     * channel-pair gate).
     */
    private static WinogradConv winogradFor(ConvGeometry g, int outChannels, DirectConv direct,
        boolean adjoint, boolean weightsOnly) {
      int minChannels = weightsOnly ? MIN_WINOGRAD_WEIGHT_CHANNELS : MIN_WINOGRAD_CHANNELS;
      if (!WinogradConv.applies(g) || Math.min(g.channels(), outChannels) < minChannels) {
        return null;
      }
      WinogradConv w = adjoint ? WinogradConv.adjoint(g, outChannels)
          : WinogradConv.forward(g, outChannels);
      boolean close = (double) w.multiplyAdds() / w.definitionMultiplyAdds() > CLOSE_WINOGRAD_WORK
          && g.channels() * outChannels < MIN_WINOGRAD_CHANNEL_PAIRS;
      if (w.multiplyAdds() > MAX_WINOGRAD_WORK * direct.multiplyAdds()
          || (!weightsOnly && close)) {
        return null;
      }
      if (weightsOnly) {
        return w;
      }
      WinogradConv larger = adjoint ? WinogradConv.adjoint(g, outChannels, 4)
          : WinogradConv.forward(g, outChannels, 4);
      return larger.multiplyAdds() <= MAX_LARGE_TILE_WORK * w.multiplyAdds() ? larger : w;
    }

    /**
     * The weight gradient's Winograd plan: the forward pass's where that runs by channels (its
     * tiles', the sums over real tiles only); else {@code small} (2x2 tiles, or null where
     * Winograd does not take the weight gradient) unless 4x4 tiles multiply at most
     * {@link #MAX_LARGE_WEIGHT_TILE_WORK} of its work; the forward pass's plan where it is the
     * one chosen and runs by tiles. By channels, 64 images, one thread, weight gradient alone
     * in ms against the plan before, three runs alternated: 64x7x7->64 (ResNet-20's stage 3,
     * direct by channels before: by tiles, 2x2 tiles overhang to 0.9 of the direct work)
     * 2.32, 2.55, 2.46 vs 1.49, 1.98, 1.92; 64x14x14->64 (VGG-small's last, 2x2 tiles by tiles
     * before) 7.20, 7.13, 7.46 vs 7.17, 7.44, 7.13. Taking it by channels also where the
     * forward pass is direct or by tiles (on at most {@link #MAX_LANE_PLANE} pixels) gained
     * nothing: whole training steps 0.994x (ResNet-20) and 0.987x (VGG-small).
     */
    private static WinogradConv weightsPlan(WinogradConv fast, WinogradConv small,
        ConvGeometry g, int outChannels) {
      if (fast != null && fast.byChannels()) {
        return fast;
      }
      if (small == null) {
        return null;
      }
      WinogradConv large = WinogradConv.forward(g, outChannels, 4);
      WinogradConv chosen = large.weightGradientMultiplyAdds()
          <= MAX_LARGE_WEIGHT_TILE_WORK * small.weightGradientMultiplyAdds() ? large : small;
      return fast != null && !fast.byChannels() && fast.tile() == chosen.tile() ? fast : chosen;
    }

    /** Floats of a chunk of padded images for the weight gradient. */
    int paddedImagesSize() {
      return chunk * forward.paddedSize();
    }

    /** Floats of a chunk of transposed output gradients. */
    int transposedGradientsSize() {
      return chunk * forward.transposedGradientSize();
    }

    /** Per thread: the forward's buffers, and the backward's (else one lowered image). */
    long floatsPerThread(ConvGeometry g) {
      long forwardFloats = forwardFloatsPerThread();
      if (strided != null) {
        return forwardFloats + strided.paddedSize() + strided.resultsSize() + byChannelsFloats();
      }
      if (!byAdjoint) {
        return forwardFloats + g.colSize() + (weightsByChannels ? byChannelsFloats() : 0);
      }
      long inputGradient = winogradAdjoint != null ? scratchFloats(winogradAdjoint)
          - winogradAdjoint.paddedSize() + adjointPaddedFloats()
          : (long) adjointPaddedSize() + adjointResultSize();
      long weightGradient = weightsByPixels ? (long) forwardPaddedSize() // the same layout
          + pixelsGradientSize()
          : winogradWeights != null
          ? WinogradScratch.weightsOwnFloats(winogradWeights, winograd)
              + weightGradientsFloats() + winogradWeights.transformedGradientSize()
          : byChannelsFloats();
      return forwardFloats + inputGradient + weightGradient;
    }

    /**
     * Whether the weight gradient reads the output gradients the adjoint pads, both Winograd by
     * channels ({@link WinogradConv#readsGradientIn}), instead of transposing each again. That
     * transpose was 10% of 32x14x14->32's weight gradient (64 images, one thread, four runs
     * alternated: 1.64-1.95 ms with it, 1.44-1.51 skipped). Whole training steps against the
     * build before, both orders in one JVM: ResNet-20 1.022x and 1.015x at one thread, 1.002x
     * at two; VGG-small 1.023x at one.
     */
    boolean sharesGradients() {
      return winogradWeights != null && winogradAdjoint != null && winogradAdjoint.byChannels()
          && winogradWeights.readsGradientIn(winogradAdjoint.paddedInput());
    }

    /**
     * Images a backward pass that {@link #sharesGradients} pads at a time: whole chunks of the
     * adjoint (whose tiles then fill its GEMMs' groups), as many as one weight chunk holds, or
     * one adjoint chunk where that is more (the weight gradient then takes it in pieces).
     */
    int sharedRound() {
      int adjointChunk = winogradAdjoint.chunk();
      int weightChunk = winogradWeights.weightChunk();
      return weightChunk >= adjointChunk ? weightChunk / adjointChunk * adjointChunk
          : adjointChunk;
    }

    /** Floats of the adjoint's padded output gradients: its chunk, or a shared round. */
    long adjointPaddedFloats() {
      return sharesGradients() ? (long) sharedRound() * winogradAdjoint.paddedImageSize()
          : winogradAdjoint.paddedSize();
    }

    /** Floats of the weight gradient's own transposed output gradients (none where shared). */
    long weightGradientsFloats() {
      return sharesGradients() ? 0
          : (long) winogradWeights.weightChunk() * forward.transposedGradientSize();
    }

    /** Whether the backward computes the weight gradient (per piece, in its own sums). */
    boolean computesWeightGradient() {
      return weightsByChannels || weightsByPixels || winogradWeights != null;
    }

    /** Per thread, the forward pass's buffers alone. */
    long forwardFloatsPerThread() {
      return winograd != null ? scratchFloats(winograd)
          : (long) forwardPaddedSize() + forwardResultSize()
              + (poolsDirect() ? (long) forward.paddedSize() + forward.resultSize() : 0);
    }

    /** Floats of the output gradient the weight gradient by pixels reads. */
    int pixelsGradientSize() {
      return wrapped != null ? wrapped.gradientSize() : forward.paddedGradientSize();
    }

    /** Floats of the sums the weight gradient by pixels adds to. */
    int pixelPartialsSize() {
      return wrapped != null ? wrapped.pixelPartialsSize() : forward.pixelPartialsSize();
    }

    /** Adds the weight gradient by pixels summed in {@code partial} to {@code g[gOff ...]}. */
    void addPixelPartials(float[] partial, float[] g, int gOff) {
      if (wrapped != null) {
        wrapped.addPixelPartials(partial, g, gOff);
      } else {
        forward.addPixelPartials(partial, g, gOff);
      }
    }

    /**
     * Whether a forward pass that writes the 2x2 pool of its output runs on DirectConv's padded
     * rows even though the plan wraps the rows ({@link #wrapped}): with the pool taken as the
     * result is copied out, the wrapped rows save no copy out, only the dropped columns, and
     * their border corrections cost more. LeNet-5's first conv (1x28x28->6, 5x5, pooled),
     * whole inference steps of batch 256 against the build before, turn by turn, 11 pairs:
     * 1.131x at one thread, 1.112x at two; training (no pooled pass) 1.001x. Its own buffers:
     * the wrapped rows' image is laid out differently, and the padded rows' zeros must stay.
     */
    boolean poolsDirect() {
      return wrapped != null && forward.poolsEvenly();
    }

    /** Floats of the forward pass's padded image (direct). */
    int forwardPaddedSize() {
      return wrapped != null ? wrapped.paddedSize() : forward.paddedSize();
    }

    /** Floats of the forward pass's result (direct). */
    int forwardResultSize() {
      return wrapped != null ? wrapped.resultSize() : resultSize(forward, forwardLanes);
    }

    /** Floats of the adjoint's padded output gradient (direct). */
    int adjointPaddedSize() {
      return wrappedAdjoint != null ? wrappedAdjoint.paddedSize() : adjoint.paddedSize();
    }

    /** Floats of the adjoint's result (direct). */
    int adjointResultSize() {
      return wrappedAdjoint != null ? wrappedAdjoint.resultSize()
          : resultSize(adjoint, adjointLanes);
    }

    /** Per thread, the weight gradient by channels: images and gradients. */
    private long byChannelsFloats() {
      return (long) paddedImagesSize() + transposedGradientsSize();
    }

    /**
     * Floats of one piece's weight-gradient sums ({@link #pieceSums}) in the kernel's layout; 0
     * where the weight gradient is not direct.
     */
    int weightSumsSize() {
      return winogradWeights != null ? winogradWeights.transformedWeightsSize()
          : weightsByChannels ? forward.transposedWeightsSize()
          : weightsByPixels ? pixelPartialsSize() : 0;
    }

    long sharedFloats() {
      long adjointWeights = strided != null ? strided.packedWeightsSize()
          : !byAdjoint ? 0 : winogradAdjoint != null
          ? winogradAdjoint.packedWeightsSize() : packedSize(adjoint, adjointLanes);
      return forwardSharedFloats() + adjointWeights
          + (wrappedAdjoint != null ? wrappedAdjoint.listWeightsSize() : 0);
    }

    /** The forward pass's packed weights (and wrapped taps' list weights). */
    long forwardSharedFloats() {
      return (long) forwardPackedSize() + forwardListSize();
    }

    /** Floats of the forward pass's packed weights. */
    int forwardPackedSize() {
      return winograd != null ? winograd.packedWeightsSize() : packedSize(forward, forwardLanes);
    }

    /** Floats of the wrapped taps' list weights of the forward pass (0 where it does not wrap). */
    int forwardListSize() {
      return wrapped != null ? wrapped.listWeightsSize() : 0;
    }

    /** Floats of a direct pass's result scratch, by channels or by pixels. */
    static int resultSize(DirectConv d, boolean lanes) {
      return lanes ? d.channelResultSize() : d.resultSize();
    }

    /** Floats of a direct pass's packed weights, by channels or by pixels. */
    static int packedSize(DirectConv d, boolean lanes) {
      return lanes ? d.channelPackedWeightsSize() : d.packedWeightsSize();
    }

    private static long scratchFloats(WinogradConv w) {
      return (long) w.paddedSize() + w.transformedInputSize() + w.productSize()
          + w.outputScratchSize();
    }
  }

  /** A worker's buffers for one {@link WinogradConv}: padded chunk, transforms, products. */
  private record WinogradScratch(float[] padded, float[] transformed, float[] products,
      float[] phases) {

    static WinogradScratch of(WinogradConv w) {
      return w == null ? null : of(w, w.paddedSize());
    }

    /** As above, with {@code paddedFloats} of padded images (more than a chunk's). */
    static WinogradScratch of(WinogradConv w, long paddedFloats) {
      return new WinogradScratch(new float[Math.toIntExact(paddedFloats)],
          new float[w.transformedInputSize()], new float[w.productSize()],
          new float[w.outputScratchSize()]);
    }

    /**
     * What the weight gradient by {@code w} needs (a padded chunk and its transforms; it reads
     * nothing else): each of the forward pass's two buffers where it runs the same plan and
     * that buffer is large enough (the passes never overlap), else a new one. By channels the
     * weight gradient pads and transforms more images at once than the forward pass.
     */
    static WinogradScratch forWeights(WinogradConv w, WinogradConv forward,
        WinogradScratch forwardScratch) {
      if (w == null) {
        return forwardScratch;
      }
      return new WinogradScratch(sharesPadded(w, forward) ? forwardScratch.padded()
          : new float[w.weightPaddedSize()], sharesTransformed(w, forward)
          ? forwardScratch.transformed() : new float[w.weightTransformedSize()], null, null);
    }

    /** Floats {@link #forWeights} allocates besides the forward pass's scratch. */
    static long weightsOwnFloats(WinogradConv w, WinogradConv forward) {
      return (sharesPadded(w, forward) ? 0 : (long) w.weightPaddedSize())
          + (sharesTransformed(w, forward) ? 0 : w.weightTransformedSize());
    }

    private static boolean sharesPadded(WinogradConv w, WinogradConv forward) {
      return w == forward && w.weightPaddedSize() <= w.paddedSize();
    }

    private static boolean sharesTransformed(WinogradConv w, WinogradConv forward) {
      return w == forward && w.weightTransformedSize() <= w.transformedInputSize();
    }

    /**
     * {@code out} = the convolution by {@code w} of images [from, to) of {@code in}, a chunk
     * at a time, with {@code after} (if not null) applied by the output transform;
     * {@code outSize} apart (a pooled image's size where {@code after} pools). Where
     * {@code inputs} is not null (by channels), the images are already padded in {@code in}
     * in that layout ({@link WinogradConv#paddedInput}, {@code inputs.imageSize()} apart), and
     * where {@code into} is not null, the output goes in that layout.
     */
    void convolve(WinogradConv w, float[] packed, float[] bias, int biasOffset, float[] in,
        int inSize, float[] out, int outSize, int from, int to, ChannelAffine after,
        PlaneMoments recorded, PaddedLanes inputs, PaddedLanes into) {
      float[] scale = after == null ? null : after.scale();
      float[] shift = after == null ? null : after.shift();
      boolean relu = after != null && after.relu();
      float[] residual = after == null ? null : after.residual();
      boolean pool = after != null && after.pool();
      for (int first = from; first < to; first += w.chunk()) {
        int count = Math.min(w.chunk(), to - first);
        if (inputs == null) {
          for (int i = 0; i < count; i++) {
            w.pad(in, (first + i) * inSize, padded, i);
          }
        }
        if (inputs == null && into == null) {
          w.convolve(padded, count, packed, bias, biasOffset, scale, shift, relu, residual,
              pool, out, first * outSize, outSize, transformed, products, phases);
        } else {
          w.convolveLanes(inputs == null ? padded : in,
              inputs == null ? 0 : first * inputs.imageSize(), count, packed, bias, biasOffset,
              scale, shift, relu, residual, pool, into, out, first * outSize, outSize,
              transformed, products, phases);
        }
        if (recorded != null) {
          recorded.record(out, outSize, first, first + count);
        }
      }
    }
  }

  /**
   * One worker's buffers: the padded image of the forward pass (its border stays zero: nothing
   * else writes it) and its result; for the weight gradient by channels, padded images and
   * transposed gradients; by pixels, one padded image (in {@code paddedImages}) and the output
   * gradient in its rows; by Winograd, its transforms (the sums themselves are a piece's:
   * {@link #pieceSums}); with {@link #computesBackward()}, the padded output gradient and
   * result of the adjoint.
   */
  private record Scratch(float[] image, float[] result, float[] paddedImages,
      float[] transposedGradients, float[] paddedGrad, float[] resultGrad,
      WinogradScratch winograd, WinogradScratch winogradAdjoint,
      WinogradScratch winogradWeights, float[] weightsGradientT, float[] weightsDm,
      float[] gradientRows, float[] stridedPadded, float[] stridedResults,
      float[] pooledImage, float[] pooledResult) {}

  /**
   * Builds the plan. Its buffers come at the first pass that needs them: the forward's at the
   * first forward ({@link #reserveForward}), the backward's at the first backward
   * ({@link #reserveBackward}). So a convolution that only infers holds no backward buffers
   * (VGG16 at 224x224 on two threads: 3.2 of the 6.0 GB its inference networks held), and one
   * whose network infers on replicas ({@code Network.infer} on several threads) no forward
   * buffers either.
   */
  DirectConvPasses(ConvGeometry g, int outChannels, int threads, boolean winograd) {
    this.plan = Plan.of(g, outChannels, winograd);
    this.scratch = new Scratch[threads];
    this.pieceCount = backwardPieces(plan, threads);
    this.weightCount = outChannels * g.colRows();
    this.packing = new ForwardPacking(plan.forwardPackedSize(), plan.forwardListSize(),
        weightCount);
    this.inSize = g.imageSize();
    this.outSize = outChannels * g.colCols();
    this.outChannels = outChannels;
  }

  /**
   * Reads and packs the forward pass's weights in {@code other}'s packing from now on (its
   * arrays not yet allocated, or this one's dropped): for the single-thread replicas of one
   * network, which run side by side on the same weights. Both must pack the same sizes.
   */
  void sharePackingOf(DirectConvPasses other) {
    if (!packing.sameSizes(other.packing)) {
      throw new IllegalArgumentException("a convolution's forward packing can only be shared"
          + " with one that packs the same sizes: " + packing.floats() + " against "
          + other.packing.floats() + " floats");
    }
    packing = other.packing;
  }

  /** Whether this pass reads its forward weights from {@code other}'s packing. */
  boolean sharesPackingOf(DirectConvPasses other) {
    return packing == other.packing;
  }

  /**
   * Allocates the forward pass's buffers, once: each worker's padded image and result (or its
   * Winograd transforms). The packed weights come at the first {@link ForwardPacking#refresh}.
   */
  void reserveForward() {
    if (forwardReserved) {
      return;
    }
    synchronized (this) {
      if (forwardReserved) {
        return;
      }
      DirectConv f = plan.forward();
      boolean directForward = plan.winograd() == null;
      for (int t = 0; t < scratch.length; t++) {
        scratch[t] = new Scratch(directForward ? new float[plan.forwardPaddedSize()] : null,
            directForward ? new float[plan.forwardResultSize()] : null, null, null, null, null,
            WinogradScratch.of(plan.winograd()), null, null, null, null, null, null, null,
            plan.poolsDirect() ? new float[f.paddedSize()] : null,
            plan.poolsDirect() ? new float[f.resultSize()] : null);
      }
      forwardReserved = true;
    }
  }

  /**
   * Allocates the backward passes' buffers, once: each worker's (the weight gradient's images
   * and gradients, the adjoint's padded gradient and result, their Winograd transforms), the
   * pieces' weight-gradient sums, the adjoint's packed weights and the by-channels weight
   * gradient's table of a chunk's pixels. Every backward entry calls it; the first allocates.
   */
  void reserveBackward() {
    if (backwardReserved) {
      return;
    }
    reserveForward(); // the weight gradient may share the forward's Winograd scratch
    synchronized (this) {
      if (backwardReserved) {
        return;
      }
      DirectConv f = plan.forward();
      DirectConv b = plan.adjoint();
      boolean directAdjoint = plan.byAdjoint() && plan.winogradAdjoint() == null;
      WinogradConv ww = plan.winogradWeights();
      boolean byChannels = plan.weightsByChannels();
      boolean byPixels = plan.weightsByPixels();
      for (int t = 0; t < scratch.length; t++) {
        Scratch s = scratch[t];
        scratch[t] = new Scratch(s.image(), s.result(),
            byChannels ? new float[plan.paddedImagesSize()]
                : byPixels ? new float[plan.forwardPaddedSize()] : null,
            byChannels ? new float[plan.transposedGradientsSize()] : null,
            directAdjoint ? new float[plan.adjointPaddedSize()] : null,
            directAdjoint ? new float[plan.adjointResultSize()] : null,
            s.winograd(), plan.winogradAdjoint() == null ? null
                : WinogradScratch.of(plan.winogradAdjoint(), plan.adjointPaddedFloats()),
            WinogradScratch.forWeights(ww, plan.winograd(), s.winograd()),
            ww != null && !plan.sharesGradients()
                ? new float[Math.toIntExact(plan.weightGradientsFloats())] : null,
            ww != null ? new float[ww.transformedGradientSize()] : null,
            byPixels ? new float[plan.pixelsGradientSize()] : null,
            plan.strided() != null ? new float[plan.strided().paddedSize()] : null,
            plan.strided() != null ? new float[plan.strided().resultsSize()] : null,
            s.pooledImage(), s.pooledResult());
      }
      int sums = plan.weightSumsSize();
      pieceSums = new float[sums > 0 ? pieceCount : 0][sums];
      packedAdjointWeights = plan.strided() != null
          ? new float[plan.strided().packedWeightsSize()] : !plan.byAdjoint() ? null
          : new float[directAdjoint ? Plan.packedSize(b, plan.adjointLanes())
              : plan.winogradAdjoint().packedWeightsSize()];
      adjointListWeights = plan.wrappedAdjoint() == null ? null
          : new float[plan.wrappedAdjoint().listWeightsSize()];
      // an index table of the backward only, which an inferring network need not hold
      chunkPixelOffsets = byChannels ? f.chunkPixelOffsets(plan.chunk()) : null;
      backwardReserved = true;
    }
  }

  /** Whether the forward pass runs on rows that wrap ({@link WrappedRowsConv}). */
  boolean runsWrappedRows() {
    return plan.wrapped() != null;
  }

  /** Whether the forward pass runs {@link WinogradConv}. */
  boolean runsWinograd() {
    return plan.winograd() != null;
  }

  /**
   * Floats an image takes in {@link #paddedInput} of the plan Winograd on would choose for
   * {@code g}, or 0 where it has none.
   */
  static long paddedInputFloats(ConvGeometry g, int outChannels) {
    WinogradConv w = Plan.of(g, outChannels, true).winograd();
    return w != null && w.paddedInput() != null ? w.paddedInput().imageSize() : 0;
  }

  /**
   * The padded layout the forward pass reads (Winograd by channels), which a convolution
   * before can write ({@link #writesInto}); else null.
   */
  PaddedLanes paddedInput() {
    return plan.winograd() != null ? plan.winograd().paddedInput() : null;
  }

  /** Whether the forward pass can write its output in {@code layout} (Winograd by channels). */
  boolean writesInto(PaddedLanes layout) {
    return plan.winograd() != null && plan.winograd().writesInto(layout);
  }

  /**
   * Whether {@link #forward} can write the 2x2 max pool (stride 2) of its output instead of the
   * output ({@link ChannelAffine#pooled}): where the output's sides are even and Winograd runs
   * it by tiles (each pooling window inside one tile), or a direct kernel (the pool taken as
   * its result is copied out: {@link DirectConv#convolvePooled} by pixels,
   * {@link DirectConv#convolveByChannelsPooled} by channels).
   */
  boolean writesPooled() {
    return plan.winograd() != null ? plan.winograd().writesPooled()
        : plan.forward().poolsEvenly();
  }

  /**
   * Outputs per side of the forward pass's Winograd tiles (2 or 4; the adjoint's are chosen the
   * same way), 0 where it runs no Winograd.
   */
  int winogradTile() {
    return plan.winograd() == null ? 0 : plan.winograd().tile();
  }

  /** Whether the forward pass runs Winograd with its GEMMs by channels. */
  boolean runsWinogradByChannels() {
    return plan.winograd() != null && plan.winograd().byChannels();
  }

  /**
   * Whether the weight gradient reads the output gradients the adjoint pads pixel-major, each
   * transposed once a backward pass.
   */
  boolean sharesOutputGradients() {
    return plan.sharesGradients();
  }

  /** Whether the adjoint runs Winograd with its GEMMs by channels. */
  boolean runsAdjointWinogradByChannels() {
    return plan.winogradAdjoint() != null && plan.winogradAdjoint().byChannels();
  }

  /**
   * Whether the forward pass (and the adjoint, where it has one) runs with vectors over output
   * channels ({@link DirectConv#convolveByChannels}).
   */
  boolean runsChannelLanes() {
    return plan.forwardLanes();
  }

  /** Whether the weight gradient runs by pixels ({@link DirectConv#weightGradientByPixels}). */
  boolean runsWeightsByPixels() {
    return plan.weightsByPixels();
  }

  /**
   * The most pieces a backward pass is split into ({@link Parallel#forPieces(int, int,
   * Parallel.Piece)}): one per thread where a piece's weight-gradient sums hold at least
   * {@link #LARGE_PIECE_SUMS} floats, else {@link Parallel#maxPieces}. Each piece zeroes its
   * sums and they are added once a pass, so four pieces a thread moved 590 KB each on 64x64
   * channels by 4x4 tiles. 64x7x7->64's backward, 64 images, two threads, in ms, three runs
   * alternated: 2.9-3.3 with 8 pieces, 1.9-2.3 with 2.
   */
  int backwardPieces() {
    return pieceCount;
  }

  private static int backwardPieces(Plan plan, int threads) {
    return plan.weightSumsSize() >= LARGE_PIECE_SUMS ? threads : Parallel.maxPieces(threads);
  }

  /** Whether the weight gradient runs {@link WinogradConv}. */
  boolean runsWinogradWeights() {
    return plan.winogradWeights() != null;
  }

  /** Whether the weight gradient runs Winograd by channels (the forward pass's plan). */
  boolean runsWinogradWeightsByChannels() {
    return plan.winogradWeights() != null && plan.winogradWeights().byChannels();
  }

  /** The tile side of the weight gradient's Winograd plan: 2 or 4, or 0 without one. */
  int winogradWeightsTile() {
    return plan.winogradWeights() == null ? 0 : plan.winogradWeights().tile();
  }

  /**
   * Whether {@link #backward} computes the whole backward pass (else the layer lowers by
   * im2col, at least for the input gradient).
   */
  boolean computesBackward() {
    return plan.byAdjoint() || plan.strided() != null;
  }

  /** Whether the input gradient of this strided convolution runs by phases. */
  boolean runsStridedAdjoint() {
    return plan.strided() != null;
  }

  /**
   * Whether {@link #backward} computes the weight gradient: with the whole backward pass, and
   * for strided convolutions whose input gradient the layer lowers (call it with no
   * {@code dIn}).
   */
  boolean computesWeightGradient() {
    return plan.computesWeightGradient();
  }

  /** {@link #computesWeightGradient} of the passes built for {@code g}. */
  static boolean computesWeightGradient(ConvGeometry g, int outChannels, boolean winograd) {
    return Plan.of(g, outChannels, winograd).computesWeightGradient();
  }

  /**
   * Whether these passes compute a convolution of geometry {@code g} with {@code groups}: not
   * grouped, and not 1x1, whose lowering is the image itself or (strided) a quarter of it; the
   * direct kernel would copy the whole image into phase planes for that (ResNet-20's stride-2
   * projection: 0.5 -> 1.8 ms forward).
   */
  static boolean applies(ConvGeometry g, int groups) {
    return groups == 1 && g.kernelH() * g.kernelW() > 1 && DirectConv.supports(g);
  }

  /**
   * The floats {@link #DirectConvPasses} allocates for {@code threads} workers, the weight
   * gradient's sums of each piece a pass may take (and the copy of the weights it packed last),
   * and the lowered image per worker the layer's im2col backward needs where
   * {@link #computesBackward()} is false.
   */
  static long workspaceFloats(ConvGeometry g, int outChannels, int threads, boolean winograd) {
    Plan plan = Plan.of(g, outChannels, winograd);
    long sums = plan.weightSumsSize() == 0 ? 0
        : (long) backwardPieces(plan, threads) * plan.weightSumsSize();
    return threads * plan.floatsPerThread(g) + plan.sharedFloats() + sums
        + (long) outChannels * g.colRows();
  }

  /**
   * What of {@link #workspaceFloats} a convolution that only infers holds: each worker's
   * forward buffers, the forward's packed weights and the copy of the weights they came from
   * ({@link #reserveBackward} allocates the rest).
   */
  static long inferenceWorkspaceFloats(ConvGeometry g, int outChannels, int threads,
      boolean winograd) {
    Plan plan = Plan.of(g, outChannels, winograd);
    return threads * plan.forwardFloatsPerThread() + packingFloats(plan, g, outChannels);
  }

  /**
   * What of {@link #inferenceWorkspaceFloats} is its {@link ForwardPacking}, which the
   * replicas of one network share ({@link #sharePackingOf}): the packed weights and the copy
   * of the weights they came from.
   */
  static long sharedInferenceFloats(ConvGeometry g, int outChannels, boolean winograd) {
    return packingFloats(Plan.of(g, outChannels, winograd), g, outChannels);
  }

  private static long packingFloats(Plan plan, ConvGeometry g, int outChannels) {
    return plan.forwardSharedFloats() + (long) outChannels * g.colRows();
  }

  /**
   * {@code out} = the convolution of every image in {@code in}, plus the bias if any, then
   * {@code after} (if not null) on each image or chunk as it is written; where {@code after}
   * is {@link ChannelAffine#pooled} (only where {@link #writesPooled}), its 2x2 max pool. Each
   * image or chunk is then recorded in {@code recorded} if not null (never with a pool).
   */
  void forward(Parallel parallel, float[] params, int weightOffset, float[] bias, int biasOffset,
      float[] in, float[] out, int batch, ChannelAffine after, PlaneMoments recorded) {
    forward(parallel, params, weightOffset, bias, biasOffset, in, out, batch, after, recorded,
        false, null);
  }

  /**
   * As above; with {@code paddedIn}, {@code in} holds the images already in
   * {@link #paddedInput}'s layout, and where {@code into} is not null (see
   * {@link #writesInto}) the output is written in that layout instead of planes.
   */
  void forward(Parallel parallel, float[] params, int weightOffset, float[] bias, int biasOffset,
      float[] in, float[] out, int batch, ChannelAffine after, PlaneMoments recorded,
      boolean paddedIn, PaddedLanes into) {
    if (paddedIn && paddedInput() == null) {
      throw new IllegalStateException("this convolution reads no padded input layout: its"
          + " forward pass is not Winograd by channels");
    }
    if (into != null && !writesInto(into)) {
      throw new IllegalStateException("this convolution cannot write its output into " + into);
    }
    boolean pool = after != null && after.pool();
    if (pool && (!writesPooled() || recorded != null)) {
      throw new IllegalStateException("this convolution does not write pooled planes"
          + (recorded != null ? " whose moments are recorded" : ""));
    }
    reserveForward();
    WinogradConv w = plan.winograd();
    DirectConv f = plan.forward();
    boolean lanes = plan.forwardLanes();
    WrappedRowsConv wrapped = plan.wrapped();
    packing.refresh(params, weightOffset, (packed, list) -> {
      if (w != null) {
        w.packWeights(params, weightOffset, packed, parallel);
        return;
      }
      if (lanes) {
        f.packWeightsByChannels(params, weightOffset, packed);
      } else {
        f.packWeights(params, weightOffset, packed);
      }
      if (wrapped != null) {
        wrapped.packListWeights(packed, list);
      }
    });
    float[] packedWeights = packing.packed();
    float[] listWeights = packing.list();
    if (w != null) {
      int imageSize = into != null ? into.imageSize() : pool ? outSize / 4 : outSize;
      PaddedLanes inputs = paddedIn ? paddedInput() : null;
      parallel.forRange(batch, (t, from, to) -> scratch[t].winograd().convolve(w, packedWeights,
          bias, biasOffset, in, inSize, out, imageSize, from, to, after, recorded, inputs,
          into));
      return;
    }
    float[] scale = after == null ? null : after.scale();
    float[] shift = after == null ? null : after.shift();
    boolean relu = after != null && after.relu();
    float[] residual = after == null ? null : after.residual();
    if (pool) {
      int pooledSize = outSize / 4;
      parallel.forRange(batch, (t, from, to) -> {
        Scratch s = scratch[t];
        // padded rows even where the plan wraps, in buffers of their own
        boolean own = plan.poolsDirect();
        float[] image = own ? s.pooledImage() : s.image();
        float[] result = own ? s.pooledResult() : s.result();
        for (int n = from; n < to; n++) {
          f.pad(in, n * inSize, image, 0);
          if (lanes) {
            f.convolveByChannelsPooled(image, packedWeights, bias, biasOffset, out,
                n * pooledSize, result, scale, shift, relu);
          } else {
            f.convolvePooled(image, packedWeights, bias, biasOffset, out, n * pooledSize,
                result, scale, shift, relu);
          }
        }
      });
      return;
    }
    parallel.forRange(batch, (t, from, to) -> {
      Scratch s = scratch[t];
      for (int n = from; n < to; n++) {
        if (wrapped != null) {
          wrapped.pad(in, n * inSize, s.image());
          wrapped.convolve(s.image(), packedWeights, listWeights, bias, biasOffset, out,
              n * outSize, s.result(), scale, shift, relu, residual);
        } else {
          f.pad(in, n * inSize, s.image(), 0);
          if (lanes) {
            f.convolveByChannels(s.image(), packedWeights, bias, biasOffset, out, n * outSize,
                s.result(), scale, shift, relu, residual);
          } else {
            f.convolve(s.image(), packedWeights, bias, biasOffset, out, n * outSize,
                s.result(), scale, shift, relu, residual);
          }
        }
        if (recorded != null) {
          recorded.record(out, outSize, n, n + 1);
        }
      }
    });
  }

  /**
   * Packs the weights the input gradient needs (Winograd's over {@code parallel}'s workers);
   * call once per backward pass, before the images.
   */
  void prepareBackward(Parallel parallel, float[] params, int weightOffset) {
    reserveBackward();
    if (plan.strided() != null) {
      plan.strided().packWeights(params, weightOffset, packedAdjointWeights);
    } else if (plan.winogradAdjoint() != null) {
      plan.winogradAdjoint().packAdjointWeights(params, weightOffset, packedAdjointWeights,
          parallel);
    } else if (plan.adjointLanes()) {
      plan.adjoint().packAdjointWeightsByChannels(params, weightOffset, packedAdjointWeights);
    } else if (plan.byAdjoint()) {
      plan.adjoint().packAdjointWeights(params, weightOffset, packedAdjointWeights);
    }
    if (plan.wrappedAdjoint() != null) {
      plan.wrappedAdjoint().packListWeights(packedAdjointWeights, adjointListWeights);
    }
  }

  /**
   * Worker t's share of a backward pass over images [from, to), piece {@code piece} of the
   * pass (only where {@link #computesWeightGradient()}): sums their weight gradient into the
   * piece's own sums, which {@link #addWeightGradient} adds once every piece has run, and,
   * when {@code dIn} is not null (only where {@link #computesBackward()}), writes their input
   * gradient.
   */
  void backward(int t, int piece, float[] in, float[] dOut, float[] dIn, int from, int to) {
    if (dIn != null && !computesBackward()) {
      throw new IllegalStateException("no direct input gradient for this convolution");
    }
    reserveBackward();
    Scratch s = scratch[t];
    float[] sums = pieceSums[piece];
    Arrays.fill(sums, 0f);
    WinogradConv ww = plan.winogradWeights();
    if (plan.sharesGradients()) {
      backwardSharingGradients(s, in, dOut, dIn, from, to, sums);
      return;
    }
    if (ww != null) {
      // the input gradient of the images done so far, once they fill whole chunks of its own
      int group = plan.winogradAdjoint() == null ? 1 : plan.winogradAdjoint().chunk();
      int pending = from;
      for (int first = from; first < to; first += ww.weightChunk()) {
        int count = Math.min(ww.weightChunk(), to - first);
        weightGradientByWinograd(s, in, dOut, first, count, sums);
        int done = first + count - pending;
        if (done % group == 0 || done >= MAX_PENDING_GROUPS * group || first + count == to) {
          inputGradient(s, dOut, dIn, pending, done);
          pending = first + count;
        }
      }
      return;
    }
    if (plan.weightsByPixels()) {
      for (int n = from; n < to; n++) {
        backwardByPixels(s, in, dOut, dIn, n, sums);
      }
      return;
    }
    for (int first = from; first < to; first += plan.chunk()) {
      backwardByChannels(s, in, dOut, dIn, first, Math.min(plan.chunk(), to - first), sums);
    }
  }

  /**
   * Adds the weight gradient the first {@code pieces} pieces of a backward pass summed to
   * {@code g[gOff ...]}: their sums added in piece order, whichever worker ran them (the same
   * result for a thread count), then taken to the weights' layout once. Each piece did that
   * itself before, at two threads eight times a pass. ResNet-20's weight gradients alone, 64
   * images, one and two threads alternated in one JVM: 64x7x7->64 (by channels) at two
   * threads 0.892 -> 0.796 ms (1.51x -> 1.72x of one thread), 32x14x14->32 (by Winograd)
   * 0.709 -> 0.698; whole ResNet-20 training steps at two threads against the build before
   * 0.985x and 1.045x (two runs, each both orders: noise). One thread: the same sums.
   */
  void addWeightGradient(Parallel parallel, int pieces, float[] g, int gOff) {
    reserveBackward();
    float[] total = pieceSums[0];
    parallel.addPieces(pieceSums, pieces, 0, total.length, total, 0);
    WinogradConv ww = plan.winogradWeights();
    if (ww != null) {
      ww.addWeightGradient(total, g, gOff);
    } else if (plan.weightsByPixels()) {
      plan.addPixelPartials(total, g, gOff);
    } else {
      plan.forward().addTransposedWeights(total, g, gOff);
    }
  }

  /**
   * The backward pass of images [from, to) where the weight gradient reads the output
   * gradients the adjoint pads ({@code Plan.sharesGradients}): a round of images at a time,
   * each output gradient padded pixel-major once, into the adjoint's buffer; the round's
   * weight gradient from there (a weight chunk of images at a time), then its input gradient
   * (a chunk of the adjoint at a time).
   */
  private void backwardSharingGradients(Scratch s, float[] in, float[] dOut, float[] dIn,
      int from, int to, float[] sums) {
    WinogradConv ww = plan.winogradWeights();
    WinogradConv wa = plan.winogradAdjoint();
    PaddedLanes layout = wa.paddedInput();
    WinogradScratch weights = s.winogradWeights();
    WinogradScratch adjoint = s.winogradAdjoint();
    float[] gradients = adjoint.padded();
    int round = plan.sharedRound();
    for (int first = from; first < to; first += round) {
      int count = Math.min(round, to - first);
      for (int i = 0; i < count; i++) {
        wa.pad(dOut, (first + i) * outSize, gradients, i);
      }
      for (int done = 0; done < count; done += ww.weightChunk()) {
        int images = Math.min(ww.weightChunk(), count - done);
        for (int i = 0; i < images; i++) {
          ww.pad(in, (first + done + i) * inSize, weights.padded(), i);
        }
        ww.weightGradientFromLanes(weights.padded(), images, gradients, done, layout,
            weights.transformed(), s.weightsDm(), sums);
      }
      for (int done = 0; dIn != null && done < count; done += wa.chunk()) {
        wa.convolveLanes(gradients, done * layout.imageSize(), Math.min(wa.chunk(),
            count - done), packedAdjointWeights, null, 0, null, null, false, null, false, null,
            dIn, (first + done) * inSize, inSize, adjoint.transformed(), adjoint.products(),
            adjoint.phases());
      }
    }
  }

  /** Weight gradient by Winograd for a chunk of images. */
  private void weightGradientByWinograd(Scratch s, float[] in, float[] dOut, int first,
      int count, float[] sums) {
    DirectConv f = plan.forward();
    WinogradConv ww = plan.winogradWeights();
    WinogradScratch ws = s.winogradWeights();
    int dyStride = f.transposedGradientSize();
    for (int i = 0; i < count; i++) {
      ww.pad(in, (first + i) * inSize, ws.padded(), i);
      f.transposeGradient(dOut, (first + i) * outSize, s.weightsGradientT(), i * dyStride);
    }
    ww.weightGradient(ws.padded(), count, s.weightsGradientT(), dyStride, ws.transformed(),
        s.weightsDm(), sums);
  }

  /**
   * Weight gradient by pixels for one image (its runs stay in L1 and L2: a chunk's streamed
   * from L2 and ran slower, 16x28x28->16 3.00 vs 1.69 ms), on wrapping rows where the forward
   * pass runs on them; the input gradient as elsewhere.
   */
  private void backwardByPixels(Scratch s, float[] in, float[] dOut, float[] dIn, int n,
      float[] sums) {
    WrappedRowsConv wrapped = plan.wrapped();
    if (wrapped != null) {
      wrapped.pad(in, n * inSize, s.paddedImages());
      boolean inPlace = wrapped.readsGradientInPlace();
      if (!inPlace) {
        wrapped.padGradient(dOut, n * outSize, s.gradientRows());
      }
      wrapped.weightGradientByPixels(s.paddedImages(), inPlace ? dOut : s.gradientRows(),
          inPlace ? n * outSize : 0, s.gradientRows(), sums);
    } else {
      DirectConv f = plan.forward();
      f.pad(in, n * inSize, s.paddedImages(), 0);
      f.padGradient(dOut, n * outSize, s.gradientRows(), 0);
      f.weightGradientByPixels(s.paddedImages(), s.gradientRows(), 1, sums);
    }
    inputGradient(s, dOut, dIn, n, 1);
  }

  private void backwardByChannels(Scratch s, float[] in, float[] dOut, float[] dIn, int first,
      int count, float[] sums) {
    DirectConv f = plan.forward();
    for (int i = 0; i < count; i++) {
      int n = first + i;
      f.pad(in, n * inSize, s.paddedImages(), i * f.paddedSize());
      f.transposeGradient(dOut, n * outSize, s.transposedGradients(),
          i * f.transposedGradientSize());
    }
    f.weightGradientByChannels(s.paddedImages(), s.transposedGradients(), count,
        chunkPixelOffsets, sums);
    inputGradient(s, dOut, dIn, first, count);
  }

  /** The input gradient of images [first, first + count), if asked for: Winograd or direct. */
  private void inputGradient(Scratch s, float[] dOut, float[] dIn, int first, int count) {
    if (dIn == null) {
      return;
    }
    StridedAdjoint strided = plan.strided();
    if (strided != null) {
      for (int n = first; n < first + count; n++) {
        strided.inputGradient(dOut, n * outSize, packedAdjointWeights, s.stridedPadded(),
            s.stridedResults(), dIn, n * inSize);
      }
      return;
    }
    WinogradConv w = plan.winogradAdjoint();
    if (w != null) {
      s.winogradAdjoint().convolve(w, packedAdjointWeights, null, 0, dOut, outSize, dIn, inSize,
          first, first + count, null, null, null, null);
      return;
    }
    for (int n = first; n < first + count; n++) {
      inputGradientByAdjoint(s, dOut, dIn, n);
    }
  }

  private void inputGradientByAdjoint(Scratch s, float[] dOut, float[] dIn, int n) {
    WrappedRowsConv wrapped = plan.wrappedAdjoint();
    if (wrapped != null) {
      wrapped.pad(dOut, n * outSize, s.paddedGrad());
      wrapped.convolve(s.paddedGrad(), packedAdjointWeights, adjointListWeights, null, 0, dIn,
          n * inSize, s.resultGrad(), null, null, false, null);
      return;
    }
    DirectConv b = plan.adjoint();
    b.pad(dOut, n * outSize, s.paddedGrad(), 0);
    if (plan.adjointLanes()) {
      b.convolveByChannels(s.paddedGrad(), packedAdjointWeights, null, 0, dIn, n * inSize,
          s.resultGrad(), null, null, false, null);
    } else {
      b.convolve(s.paddedGrad(), packedAdjointWeights, null, 0, dIn, n * inSize,
          s.resultGrad());
    }
  }
}
