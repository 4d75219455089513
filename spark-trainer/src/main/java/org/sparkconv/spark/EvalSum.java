package org.sparkconv.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import org.sparkconv.engine.train.Evaluation;

/** An evaluation on the wire: loss sum, count and the flattened confusion matrix. */
public final class EvalSum {

  final int classes;
  double lossSum;
  long count;
  final long[] confusion; // (actual, predicted), row-major

  EvalSum(int classes, double lossSum, long count, long[] confusion) {
    this.classes = classes;
    this.lossSum = lossSum;
    this.count = count;
    this.confusion = confusion;
  }

  static EvalSum of(Evaluation e) {
    int k = e.confusion().length;
    long[] flat = new long[k * k];
    for (int i = 0; i < k; i++) {
      System.arraycopy(e.confusion()[i], 0, flat, i * k, k);
    }
    return new EvalSum(k, e.lossSum(), e.count(), flat);
  }

  Evaluation toEvaluation() {
    long[][] m = new long[classes][classes];
    for (int i = 0; i < classes; i++) {
      System.arraycopy(confusion, i * classes, m[i], 0, classes);
    }
    return new Evaluation(lossSum, count, m);
  }

  static EvalSum merge(EvalSum a, EvalSum b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    for (int i = 0; i < a.confusion.length; i++) {
      a.confusion[i] += b.confusion[i];
    }
    a.lossSum += b.lossSum;
    a.count += b.count;
    return a;
  }

  static final class KryoSerializer extends Serializer<EvalSum> {
    @Override
    public void write(Kryo kryo, Output out, EvalSum e) {
      out.writeInt(e.classes, true);
      out.writeDouble(e.lossSum);
      out.writeLong(e.count);
      out.writeLongs(e.confusion);
    }

    @Override
    public EvalSum read(Kryo kryo, Input in, Class<EvalSum> type) {
      int classes = in.readInt(true);
      double loss = in.readDouble();
      long count = in.readLong();
      return new EvalSum(classes, loss, count, in.readLongs(classes * classes));
    }
  }
}
