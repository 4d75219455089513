package org.sparkconv.engine.net;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.math.ComputeContext;
import org.sparkconv.engine.tensor.Shape;
import org.sparkconv.engine.tensor.Tensor;

class InferenceFootprintTest {

  private static final Path MODELS = Path.of("..", "conf", "models");

  /**
   * Against the arrays a built network actually holds after inferring a batch (found by walking
   * its fields), on one and two threads, batches below, at and above a chunk, and a replica's:
   * 0.92-1.0 of them (the index arrays of the kernels' plans are not counted). A network that
   * kept the backward's buffers too would hold about twice the estimate (ResNet-20 on two
   * threads held 119 MB at batch 256 before they were allocated at the first backward; 28
   * then, 23 once its replicas held their packed weights once). Replicas that each packed
   * their own would hold more than the estimate allows (VGG-small at batch 16, two threads:
   * 0.88).
   */
  @Test
  void estimatesTheArraysANetworkHoldsAfterInferring() throws Exception {
    for (String model : new String[] {"lenet5", "vgg-small", "resnet20"}) {
      NetworkSpec spec = SpecJson.read(MODELS.resolve(model + ".json"));
      for (int threads : new int[] {1, 2}) {
        for (int batch : new int[] {1, 16, 100, 256}) {
          float[] images = new float[batch * spec.input().size()];
          Network net = Network.build(spec, ComputeContext.defaults().withThreads(threads));
          net.infer(new Tensor(images, 0, batch, spec.input()));
          long held = arrayBytes(net, images);
          long estimate = InferenceFootprint.bytes(spec, batch, threads);
          String what = String.format(Locale.ROOT, "%s, batch %d, %d threads: estimate %,d"
              + " bytes, held %,d", model, batch, threads, estimate, held);
          assertTrue(estimate >= 0.9 * held, what);
          // on two threads a worker that finishes first may take the other's chunk, whose
          // replica then never allocates: the network can hold less than the estimate
          assertTrue(threads > 1 || estimate <= 1.25 * held, what);
        }
      }
    }
  }

  /**
   * A second twin ({@link Network#twin}) adds what one network holds less what twins share
   * ({@link InferenceFootprint#sharedByTwinsBytes}): not the parameters again, nor the packed
   * weights (16 images, one thread: VGG-small's second twin added 5.9 MB where one network
   * holds 10.8, 3.5 of them parameters and 1.3 packed weights and their copy; ResNet-20's 7.4
   * where one holds 13.9, 1.1 parameters and 4.7 packed).
   */
  @Test
  void aSecondTwinAddsOnlyItsOwnBuffers() throws Exception {
    for (String model : new String[] {"vgg-small", "resnet20"}) {
      NetworkSpec spec = SpecJson.read(MODELS.resolve(model + ".json"));
      int batch = 16;
      float[] images = new float[batch * spec.input().size()];
      Tensor x = new Tensor(images, 0, batch, spec.input());
      Network lead = Network.build(spec, ComputeContext.defaults().withThreads(1));
      Network first = lead.twin();
      first.infer(x);
      long one = arrayBytes(new Object[] {lead, first}, images);
      Network second = lead.twin();
      second.infer(x);
      long added = arrayBytes(new Object[] {lead, first, second}, images) - one;
      long own = InferenceFootprint.bytes(spec, batch, 1)
          - InferenceFootprint.sharedByTwinsBytes(spec, 1);
      String what = String.format(Locale.ROOT, "%s: a second twin added %,d bytes, its own"
          + " buffers are about %,d", model, added, own);
      assertTrue(added <= 1.1 * own && added >= 0.9 * own, what);
    }
  }

  /**
   * A 2x2 max pool inferring values only keeps no switches, where one on an odd width, which
   * infers by its forward pass, keeps one per output: the odd-width network holds (and is
   * estimated to hold) that much more than the even-width one, whose input is one column
   * narrower and whose output is the same (switches kept on an even width too: 0.11 of it).
   */
  @Test
  void aPoolKeepsSwitchesInInferenceOnlyWhereItsInferenceUsesThem() throws Exception {
    int batch = 16;
    long[] held = new long[2];
    long[] estimate = new long[2];
    Shape[] inputs = {new Shape(8, 32, 32), new Shape(8, 32, 33)};
    for (int k = 0; k < 2; k++) {
      NetworkSpec spec = NetworkSpec.sequential("pool", inputs[k],
          List.of(MaxPool2d.Spec.of(2)));
      float[] images = new float[batch * inputs[k].size()];
      Network net = Network.build(spec, ComputeContext.defaults().withThreads(1));
      net.infer(new Tensor(images, 0, batch, inputs[k]));
      held[k] = arrayBytes(net, images);
      estimate[k] = InferenceFootprint.bytes(spec, batch, 1);
    }
    long switches = (long) batch * 8 * 16 * 16 * Integer.BYTES;
    long wider = (long) batch * 8 * 32 * Float.BYTES; // the odd width's one more input column
    String what = String.format(Locale.ROOT, "held %,d and %,d bytes, estimated %,d and %,d;"
        + " the switches take %,d", held[0], held[1], estimate[0], estimate[1], switches);
    assertTrue(Math.abs(held[1] - held[0] - switches - wider) < 0.05 * switches, what);
    assertTrue(Math.abs(estimate[1] - estimate[0] - switches - wider) < 0.05 * switches, what);
  }

  @Test
  void refusesAnEmptyBatch() throws Exception {
    NetworkSpec spec = SpecJson.read(MODELS.resolve("lenet5.json"));
    assertThrows(IllegalArgumentException.class, () -> InferenceFootprint.bytes(spec, 0, 1));
  }

  /**
   * Bytes of the primitive arrays reachable from {@code root} through fields, arrays and
   * collections (each counted once; not through JDK objects, threads or classes), leaving out
   * {@code excluded}.
   */
  static long arrayBytes(Object root, Object excluded) throws IllegalAccessException {
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    seen.add(excluded);
    Deque<Object> pending = new ArrayDeque<>();
    pending.push(root);
    long bytes = 0;
    while (!pending.isEmpty()) {
      Object o = pending.pop();
      if (!seen.add(o)) {
        continue;
      }
      Class<?> type = o.getClass();
      if (type.isArray()) {
        int length = Array.getLength(o);
        if (type.getComponentType().isPrimitive()) {
          bytes += (long) length * elementBytes(type.getComponentType());
        } else {
          for (int i = 0; i < length; i++) {
            push(pending, Array.get(o, i));
          }
        }
      } else if (o instanceof Iterable<?> items) {
        items.forEach(item -> push(pending, item));
      } else if (!type.getName().startsWith("java.") && !type.getName().startsWith("jdk.")) {
        for (Class<?> k = type; !k.getName().startsWith("java."); k = k.getSuperclass()) {
          for (Field f : k.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
              f.setAccessible(true);
              push(pending, f.get(o));
            }
          }
        }
      }
    }
    return bytes;
  }

  private static void push(Deque<Object> pending, Object o) {
    if (o != null && !(o instanceof Thread) && !(o instanceof Class<?>)) {
      pending.push(o);
    }
  }

  private static int elementBytes(Class<?> primitive) {
    return primitive == long.class || primitive == double.class ? 8
        : primitive == byte.class || primitive == boolean.class ? 1
        : primitive == short.class || primitive == char.class ? 2 : 4;
  }
}
