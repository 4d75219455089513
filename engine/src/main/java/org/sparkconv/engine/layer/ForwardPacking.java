package org.sparkconv.engine.layer;

import java.util.Arrays;

/**
 * A convolution's weights as its forward pass reads them, packed for its kernel (and the
 * wrapped taps' list weights), with the copy of the weights they were packed from: allocated
 * at the first forward, packed again only when the weights differ from that copy. Inference
 * repeats the same weights batch after batch, and packing 64x64 channels for Winograd takes
 * 0.12-0.25 ms (1.25-1.64 ms before the packing ran by vectors), against ~1.3 ms for
 * ResNet-20's 7x7 convolution of 64 images.
 *
 * <p>The single-thread replicas a network infers on (one per thread) read the same weights,
 * so they share one packing instead of holding one each: VGG16 at 224x224 packs 235 MB of
 * Winograd weights and copies 59 MB of weights per replica. Replicas run side by side, so
 * {@link #refresh} compares and packs under this object's lock; the weights do not change
 * while a network infers, so once one replica has packed them in a batch the others find
 * them packed, and the arrays are only read outside the lock.
 */
final class ForwardPacking {

  /** Packs the weights into {@code packed} and, where there are any, {@code list}. */
  @FunctionalInterface
  interface Packer {
    void pack(float[] packed, float[] list);
  }

  private final int packedSize;
  private final int listSize; // 0: no list weights
  private final int weightCount;
  private float[] packed;
  private float[] list;
  private float[] from; // the weights packed holds, once packed
  private boolean valid;

  ForwardPacking(int packedSize, int listSize, int weightCount) {
    this.packedSize = packedSize;
    this.listSize = listSize;
    this.weightCount = weightCount;
  }

  /**
   * Makes {@link #packed} and {@link #list} hold {@code params[offset ...]} ({@code weightCount}
   * floats) packed by {@code packer}: allocates them at the first call, and packs where the
   * weights differ from those it packed last.
   */
  synchronized void refresh(float[] params, int offset, Packer packer) {
    if (packed == null) {
      packed = new float[packedSize];
      list = listSize == 0 ? null : new float[listSize];
      from = new float[weightCount];
    }
    if (valid
        && Arrays.mismatch(params, offset, offset + weightCount, from, 0, weightCount) < 0) {
      return;
    }
    valid = false; // until packed: a packer that throws leaves nothing taken for packed
    System.arraycopy(params, offset, from, 0, weightCount);
    packer.pack(packed, list);
    valid = true;
  }

  /**
   * Makes the next {@link #refresh} pack whatever the weights: what the packing also reads
   * besides them changed (a batch norm's map folded into the packed weights).
   */
  synchronized void invalidate() {
    valid = false;
  }

  /** The packed weights, after a {@link #refresh} on this thread; null before the first. */
  synchronized float[] packed() {
    return packed;
  }

  /** The list weights, after a {@link #refresh} on this thread; null where there are none. */
  synchronized float[] list() {
    return list;
  }

  /** Whether {@code other} packs the same sizes, so that a pass of either may read it. */
  boolean sameSizes(ForwardPacking other) {
    return packedSize == other.packedSize && listSize == other.listSize
        && weightCount == other.weightCount;
  }

  /** Floats it holds once allocated: the packed and list weights and the weights' copy. */
  long floats() {
    return (long) packedSize + listSize + weightCount;
  }
}
