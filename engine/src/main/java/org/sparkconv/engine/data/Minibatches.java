package org.sparkconv.engine.data;

import java.util.SplittableRandom;
import org.sparkconv.engine.tensor.Shape;

/**
 * Seeded epoch order and minibatch assembly. Epoch {@code e}'s order is a Fisher-Yates
 * permutation drawn from {@code SplittableRandom(seed + e)}, and augmentation of example
 * {@code i} of step {@code s} from a generator seeded by (seed, s, i): both are pure functions of
 * their coordinates, so a run resumed at any step sees exactly the data it would have seen.
 */
public final class Minibatches {

  private final ImageSet set;
  private final Normalization normalization;
  private final Augmentation augmentation;
  private final long seed;
  private final float[] scratch;

  public Minibatches(ImageSet set, Normalization normalization, Augmentation augmentation,
      long seed) {
    if (normalization.mean().length != set.shape().channels()) {
      throw new IllegalArgumentException("normalisation has " + normalization.mean().length
          + " channels but " + set.source() + " has " + set.shape().channels());
    }
    this.set = set;
    this.normalization = normalization;
    this.augmentation = augmentation;
    this.seed = seed;
    this.scratch = new float[set.shape().size()];
  }

  public ImageSet set() {
    return set;
  }

  /** The order in which epoch {@code epoch} visits the examples. */
  public int[] epochOrder(int epoch) {
    return Shuffle.permutation(set.count(),
        new SplittableRandom(seed + epoch * 0x9E3779B97F4A7C15L));
  }

  /**
   * Writes examples {@code order[from, from + count)} normalised (and augmented when
   * {@code step >= 0}) into {@code images} (N, C, H, W) and their labels into {@code labels}.
   */
  public void assemble(int[] order, int from, int count, long step, float[] images,
      int[] labels) {
    int size = set.shape().size();
    for (int k = 0; k < count; k++) {
      int n = order[from + k];
      labels[k] = set.labels()[n];
      prepare(set.pixels(), n * size, set.shape(), normalization, step < 0 ? Augmentation.NONE
          : augmentation, seed, step, k, images, k * size, scratch);
    }
  }

  /**
   * Normalises one 8-bit example and, unless {@code augmentation} is NONE, crops and flips it
   * with a generator seeded by (seed, step, position in the batch): the same example at the same
   * place of the same step is always prepared the same way, on any machine.
   * {@code scratch} holds one example.
   */
  public static void prepare(byte[] pixels, int srcOff, Shape shape,
      Normalization normalization, Augmentation augmentation, long seed, long step,
      int position, float[] dst, int dstOff, float[] scratch) {
    if (augmentation.isNone()) {
      normalization.apply(pixels, srcOff, shape, dst, dstOff);
      return;
    }
    normalization.apply(pixels, srcOff, shape, scratch, 0);
    SplittableRandom rng = new SplittableRandom(seed ^ (step * 0xBF58476D1CE4E5B9L) ^ position);
    int pad = augmentation.cropPadding();
    int dy = pad == 0 ? 0 : rng.nextInt(2 * pad + 1) - pad;
    int dx = pad == 0 ? 0 : rng.nextInt(2 * pad + 1) - pad;
    boolean flip = augmentation.horizontalFlip() && rng.nextBoolean();
    Augmentation.shiftAndFlip(scratch, 0, dst, dstOff, shape.channels(), shape.height(),
        shape.width(), dy, dx, flip);
  }

  /** Examples in order 0..count-1, no augmentation (evaluation). */
  public void assembleInOrder(int from, int count, float[] images, int[] labels) {
    int size = set.shape().size();
    for (int k = 0; k < count; k++) {
      labels[k] = set.labels()[from + k];
      normalization.apply(set, from + k, images, k * size);
    }
  }
}
