package org.sparkconv.spark.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.sparkconv.engine.train.Evaluation;

/**
 * Counts of a model run over labelled images, summed on their way to the driver: images seen,
 * images that could not be scored, the loss sum (NaN when nobody computed one, as in scoring),
 * and the confusion matrix of the labelled, scored ones ({@code (actual, predicted)},
 * row-major). Training's test evaluation and batch scoring both add up these.
 */
public final class ConfusionCounts implements java.io.Serializable {

  private final int classes;
  private long images;
  private long errors;
  private double lossSum;
  private final long[] confusion;

  private ConfusionCounts(int classes, long images, long errors, double lossSum,
      long[] confusion) {
    this.classes = classes;
    this.images = images;
    this.errors = errors;
    this.lossSum = lossSum;
    this.confusion = confusion;
  }

  /** Nothing counted yet, for scoring (no loss). */
  public static ConfusionCounts empty(int classes) {
    return new ConfusionCounts(classes, 0, 0, Double.NaN, new long[classes * classes]);
  }

  /** An engine evaluation of a partition, to be summed with the others. */
  public static ConfusionCounts of(Evaluation e) {
    int k = e.confusion().length;
    long[] flat = new long[k * k];
    for (int i = 0; i < k; i++) {
      System.arraycopy(e.confusion()[i], 0, flat, i * k, k);
    }
    return new ConfusionCounts(k, e.count(), 0, e.lossSum(), flat);
  }

  /** Counts one scored row: an error, or (when labelled) a cell of the confusion matrix. */
  public static ConfusionCounts add(ConfusionCounts m, ScoredImage r, int classes) {
    ConfusionCounts counts = m != null ? m : empty(classes);
    counts.images++;
    if (r.error() != null) {
      counts.errors++;
    } else if (r.label() >= 0 && r.label() < classes) {
      counts.confusion[r.label() * classes + r.prediction()]++;
    }
    return counts;
  }

  /** {@code a + b}, reusing {@code a}; either may be null (the lazy zero of treeAggregate). */
  public static ConfusionCounts merge(ConfusionCounts a, ConfusionCounts b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    for (int i = 0; i < a.confusion.length; i++) {
      a.confusion[i] += b.confusion[i];
    }
    a.images += b.images;
    a.errors += b.errors;
    a.lossSum = Double.isNaN(a.lossSum) ? b.lossSum : Double.isNaN(b.lossSum) ? a.lossSum
        : a.lossSum + b.lossSum;
    return a;
  }

  public long images() {
    return images;
  }

  public long errors() {
    return errors;
  }

  /** The engine's view: loss over all images, accuracy over the labelled, scored ones. */
  public Evaluation toEvaluation() {
    long[][] m = new long[classes][classes];
    long labelled = 0;
    for (int i = 0; i < classes; i++) {
      System.arraycopy(confusion, i * classes, m[i], 0, classes);
      for (long v : m[i]) {
        labelled += v;
      }
    }
    return new Evaluation(lossSum, Double.isNaN(lossSum) ? labelled : images, m);
  }

  static final class KryoSerializer extends Serializer<ConfusionCounts> {
    @Override
    public void write(Kryo kryo, Output out, ConfusionCounts c) {
      out.writeInt(c.classes, true);
      out.writeLong(c.images);
      out.writeLong(c.errors);
      out.writeDouble(c.lossSum);
      out.writeLongs(c.confusion);
    }

    @Override
    public ConfusionCounts read(Kryo kryo, Input in, Class<ConfusionCounts> type) {
      int classes = in.readInt(true);
      long images = in.readLong();
      long errors = in.readLong();
      double loss = in.readDouble();
      return new ConfusionCounts(classes, images, errors, loss,
          in.readLongs(classes * classes));
    }
  }
}
