package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.sparkconv.engine.train.Evaluation;

/** Counts of a scoring run, aggregated on the executors: images, errors, confusion matrix. */
final class Metrics {

  long images;
  long errors;
  final int classes;
  final long[] confusion; // (label, prediction), labelled and scored images only

  Metrics(long images, long errors, int classes, long[] confusion) {
    this.images = images;
    this.errors = errors;
    this.classes = classes;
    this.confusion = confusion;
  }

  static Metrics add(Metrics m, ScoredImage r, int classes) {
    if (m == null) {
      m = new Metrics(0, 0, classes, new long[classes * classes]);
    }
    m.images++;
    if (r.error() != null) {
      m.errors++;
    } else if (r.label() >= 0 && r.label() < classes) {
      m.confusion[r.label() * classes + r.prediction()]++;
    }
    return m;
  }

  static Metrics merge(Metrics a, Metrics b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    a.images += b.images;
    a.errors += b.errors;
    for (int i = 0; i < a.confusion.length; i++) {
      a.confusion[i] += b.confusion[i];
    }
    return a;
  }

  Evaluation evaluation() {
    long[][] m = new long[classes][classes];
    long count = 0;
    for (int i = 0; i < classes; i++) {
      for (int j = 0; j < classes; j++) {
        m[i][j] = confusion[i * classes + j];
        count += m[i][j];
      }
    }
    return new Evaluation(Double.NaN, count, m);
  }

  static final class KryoSerializer extends Serializer<Metrics> {
    @Override
    public void write(Kryo kryo, Output out, Metrics m) {
      out.writeLong(m.images);
      out.writeLong(m.errors);
      out.writeInt(m.classes, true);
      out.writeLongs(m.confusion);
    }

    @Override
    public Metrics read(Kryo kryo, Input in, Class<Metrics> type) {
      long images = in.readLong();
      long errors = in.readLong();
      int classes = in.readInt(true);
      return new Metrics(images, errors, classes, in.readLongs(classes * classes));
    }
  }
}
