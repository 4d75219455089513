package org.sparkconv.engine.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.LanesConvolution;
import org.sparkconv.engine.layer.Layer;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.Relu;
import org.sparkconv.engine.math.CacheLines;
import org.sparkconv.engine.math.ImageLanesWinograd;
import org.sparkconv.engine.tensor.Shape;

/**
 * A run of consecutive convolutions that {@link Network#infer} computes with a group of
 * images in the vector lanes ({@link LanesConvolution}): the run's input (one node's output,
 * NCHW) converted into lanes once, every convolution of the run (each with the batch norm,
 * residual sum and ReLUs folded into it in inference) from lanes to lanes, and the last one's
 * output converted back once into that node's buffer. Nothing else reads the activations in
 * between: each convolution of the run but the last is read only by later ones.
 *
 * <p>Each image's outputs are the same whatever images share its group: the lanes never mix,
 * every lane goes through the same operations. A group the chunk does not fill is padded with
 * zero images, so that an image's outputs are, bit for bit, the same in any batch.
 *
 * <p>A run goes on through strided convolutions ({@link LanesConvolution#direct}): ResNet-20's
 * whole trunk is one run, its downsampling blocks included (the projection's unit adds the
 * branch). Whole inference steps ran 1.182x as fast as with the three runs between those
 * blocks and the blocks on the engine's kernels, in NCHW (batch 256, one thread, both orders,
 * {@code scripts/bench-builds.sh}; 2026-12-05).
 *
 * <p>Why runs of two or more: a single convolution converted in and out loses to the
 * engine's own kernels (16x28x28 -> 16, 256 images, one thread, JMH: 0.74-0.94x); one
 * residual block of two, converted once, gains 1.21-1.25x (three JVMs,
 * {@code ImageLanesStage 16 1}), and ResNet-20's stage 1, six, 1.23-1.48x
 * (docs/engine-speed-log.md, "A route that does pay on 16 channels").
 *
 * <p>Holds its scratch and its packed weights, allocated at its first pass (a network that
 * only trains holds none): one per network, and each replica has its own.
 */
final class ImageLanesRun {

  /** The fewest convolutions a run takes (see above). */
  static final int MIN_CONVOLUTIONS = 2;
  private static final int LANES = ImageLanesWinograd.LANES;
  private static final int NONE = Integer.MIN_VALUE;

  /** The first node of the run (its first convolution). */
  final int first;
  /** The node after the run's last. */
  final int end;
  /** The node (or {@link Node#INPUT}) whose output, NCHW, the run reads. */
  final int input;
  /** The node whose buffer receives the run's output, NCHW: the last convolution. */
  final int output;
  private final Chain chain;
  private final Layer[] layers;
  private final int inSize; // floats of an image's input and output, NCHW
  private final int outSize;
  // allocated at the first pass:
  private LanesConvolution[] convolutions;
  private int[] slotSizes; // per slot: floats of its plane's activation of the most channels
  private float[][][] groups = new float[0][][]; // per group of LANES images: its slots
  private int[][] slotAt = new int[0][]; // per group and slot: where its activation starts
  private float[] edgeIn; // a group the batch does not fill: its images, then zeros
  private float[] edgeOut;

  /** The run {@code chain} of the network whose nodes are {@code layers}. */
  ImageLanesRun(Chain chain, Layer[] layers) {
    this.chain = chain;
    this.layers = layers;
    this.first = chain.units.get(0).head;
    this.end = chain.end;
    this.input = chain.source;
    this.output = chain.units.get(chain.units.size() - 1).head;
    this.inSize = layers[first].inputShape().size();
    this.outSize = layers[output].outputShape().size();
  }

  /** The convolutions' passes, their plans (one per sizes: scratch shared) and buffers. */
  private void allocate() {
    List<Unit> units = chain.units;
    convolutions = new LanesConvolution[units.size()];
    Map<String, ImageLanesWinograd> plans = new HashMap<>();
    for (int k = 0; k < units.size(); k++) {
      Unit u = units.get(k);
      Layer conv = layers[u.head];
      Shape in = conv.inputShape();
      int out = conv.outputShape().channels();
      Layer norm = u.norm < 0 ? null : layers[u.norm];
      if (u.direct) {
        convolutions[k] = LanesConvolution.direct(conv, norm);
        continue;
      }
      ImageLanesWinograd plan = plans.computeIfAbsent(in + "->" + out,
          key -> new ImageLanesWinograd(in.channels(), in.height(), in.width(), out));
      convolutions[k] = new LanesConvolution(conv, norm, plan);
    }
    slotSizes = new int[chain.slotCount];
    for (int slot = 0; slot < chain.slotCount; slot++) {
      slotSizes[slot] = Math.toIntExact(chain.slotFloats(slot));
    }
    edgeIn = new float[LANES * inSize];
    edgeOut = new float[LANES * outSize];
  }

  /**
   * The run's convolutions over {@code batch} images: {@code in} the input's outputs, NCHW,
   * image n at {@code n * inSize}; the last one's outputs into {@code out} likewise. Every
   * group is converted in before any is written out, so {@code out} may be {@code in}.
   */
  void infer(float[] in, float[] out, int batch) {
    if (convolutions == null) {
      allocate();
    }
    for (LanesConvolution conv : convolutions) {
      conv.refresh();
    }
    int groupCount = (batch + LANES - 1) / LANES;
    if (groups.length < groupCount) {
      float[][][] more = Arrays.copyOf(groups, groupCount);
      slotAt = Arrays.copyOf(slotAt, groupCount);
      for (int g = groups.length; g < groupCount; g++) {
        more[g] = new float[chain.slotCount][];
        for (int slot = 0; slot < chain.slotCount; slot++) {
          more[g][slot] = new float[slotSizes[slot]];
        }
        slotAt[g] = new int[chain.slotCount];
      }
      groups = more;
    }
    for (int g = 0; g < groupCount; g++) {
      placeSlots(g);
    }
    for (int g = 0; g < groupCount; g++) {
      int count = Math.min(LANES, batch - g * LANES);
      if (count == LANES) {
        convolutions[0].plan().toLanes(in, g * LANES * inSize, inSize, groups[g][0],
            slotAt[g][0]);
      } else {
        System.arraycopy(in, g * LANES * inSize, edgeIn, 0, count * inSize);
        Arrays.fill(edgeIn, count * inSize, edgeIn.length, 0f);
        convolutions[0].plan().toLanes(edgeIn, 0, inSize, groups[g][0], slotAt[g][0]);
      }
    }
    for (int g = 0; g < groupCount; g++) {
      float[][] slots = groups[g];
      int[] at = slotAt[g];
      for (int k = 0; k < convolutions.length; k++) {
        int from = chain.inSlot[k];
        int residual = chain.residualSlot[k];
        int to = chain.outSlot[k];
        convolutions[k].convolve(slots[from], at[from], residual < 0 ? null : slots[residual],
            residual < 0 ? 0 : at[residual], chain.units.get(k).relu, slots[to], at[to]);
      }
    }
    int last = chain.outSlot[convolutions.length - 1];
    ImageLanesWinograd lastPlan = convolutions[convolutions.length - 1].plan();
    for (int g = 0; g < groupCount; g++) {
      int count = Math.min(LANES, batch - g * LANES);
      if (count == LANES) {
        lastPlan.fromLanes(groups[g][last], slotAt[g][last], out, g * LANES * outSize, outSize);
      } else {
        lastPlan.fromLanes(groups[g][last], slotAt[g][last], edgeOut, 0, outSize);
        System.arraycopy(edgeOut, 0, out, g * LANES * outSize, count * outSize);
      }
    }
  }

  /**
   * Starts group g's activations at their slots' first cache lines ({@link CacheLines}), as
   * they are now. A slot whose line moved since its last pass (the collector moved it) is
   * cleared first, since its borders, never written and read as zeros, lie elsewhere now.
   * Where no slot moved (every pass after the first few collections), nothing is written.
   */
  private void placeSlots(int g) {
    float[][] slots = groups[g];
    for (int s = 0; s < slots.length; s++) {
      int line = CacheLines.firstLine(slots[s]);
      if (line != slotAt[g][s]) {
        Arrays.fill(slots[s], 0f);
        slotAt[g][s] = line;
      }
    }
  }

  /** Each group's slots' first cache lines as they are now, for tests to see them move. */
  String slotStarts() {
    StringBuilder starts = new StringBuilder();
    for (float[][] slots : groups) {
      for (float[] slot : slots) {
        starts.append(CacheLines.firstLine(slot)).append(' ');
      }
    }
    return starts.toString().trim();
  }

  /** Convolutions in the run. */
  int size() {
    return chain.units.size();
  }

  /**
   * Floats a network's runs of {@code chains} hold once they have run chunks of
   * {@code chunk} images: per run, each group's slots, the partial group's images in and out,
   * each convolution's packed weights and each of its plans' scratch.
   */
  static long floats(List<Chain> chains, NetworkSpec spec, List<Shape> shapes, int chunk) {
    long floats = 0;
    for (Chain chain : chains) {
      Shape in = inputShape(spec, shapes, chain.units.get(0).head);
      Shape out = shapes.get(chain.units.get(chain.units.size() - 1).head);
      Set<String> plans = new HashSet<>();
      for (Unit u : chain.units) {
        Shape unitIn = inputShape(spec, shapes, u.head);
        Shape unitOut = shapes.get(u.head);
        Conv2d.Spec conv = (Conv2d.Spec) layer(spec, u.head);
        floats += LanesConvolution.floats(unitIn.channels(), unitOut.channels(),
            conv.kernelH() * conv.kernelW());
        if (!u.direct && plans.add(unitIn + "->" + unitOut.channels())) {
          floats += ImageLanesWinograd.inferenceFloats(unitIn.channels(), unitOut.channels());
        }
      }
      long slots = 0;
      for (int slot = 0; slot < chain.slotCount; slot++) {
        slots += chain.slotFloats(slot);
      }
      floats += (long) (chunk + LANES - 1) / LANES * slots
          + (long) LANES * (in.size() + out.size());
    }
    return floats;
  }

  /**
   * The runs of a network of {@code spec} and {@code plan} before its flat tail
   * ({@code flatTail}) that infer in lanes: maximal chains of at least
   * {@link #MIN_CONVOLUTIONS} convolutions that {@link LanesConvolution#applies} to (by
   * Winograd) or {@link LanesConvolution#appliesDirect} to (strided, from their definition;
   * neither first nor last: the run converts from and to NCHW in a Winograd plan's layout),
   * each with nothing folded into it but a batch norm (with its ReLU, or the residual sum
   * after it and that sum's ReLU) or a ReLU, none written pooled, each reading the run's one
   * input or an earlier convolution of the run, and each but the last read by none outside
   * the run; the plane may change at each strided one. Hand-offs ({@link GraphPlan#handedTo})
   * are not looked at: the network plans none into, out of or inside a run ({@link #inRuns}).
   */
  static List<Chain> find(NetworkSpec spec, GraphPlan plan, int flatTail) {
    List<Shape> shapes = spec.shapes();
    int n = spec.nodes().size();
    int[] head = new int[n]; // per node: the first node of its inference unit
    for (int i = 0; i < n; i++) {
      head[i] = i > 0 && (plan.fusedIntoPrevious[i] || plan.foldedInInference[i])
          ? head[i - 1] : i;
    }
    int[] last = new int[n]; // per unit's head: its last node
    for (int i = 0; i < n; i++) {
      last[head[i]] = i;
    }
    List<Chain> chains = new ArrayList<>();
    int h = 0;
    while (h < flatTail) {
      Unit start = unit(spec, shapes, plan, head, last, h);
      if (start == null || start.direct
          || start.residual != NONE && start.residual != start.input) {
        h = last[h] + 1;
        continue;
      }
      List<Unit> units = new ArrayList<>(List.of(start));
      List<Integer> members = new ArrayList<>(List.of(start.input, h));
      int next = last[h] + 1;
      while (next < flatTail) {
        Unit u = unit(spec, shapes, plan, head, last, next);
        if (u == null || !members.contains(u.input)
            || u.residual != NONE && !members.contains(u.residual)) {
          break;
        }
        units.add(u);
        members.add(next);
        next = last[next] + 1;
      }
      // the longest prefix whose convolutions but the last are read only inside it, and whose
      // last runs by Winograd (the run's output converts from a Winograd plan's layout): a
      // prefix cut before a strided convolution can leave an earlier one read outside it
      int length = units.size();
      for (int cut = -1; cut != length; ) {
        cut = length;
        length = readOnlyInside(plan, head, units.subList(0, cut));
        while (length > 0 && units.get(length - 1).direct) {
          length--;
        }
      }
      if (length >= MIN_CONVOLUTIONS) {
        List<Unit> run = List.copyOf(units.subList(0, length));
        int end = last[run.get(length - 1).head] + 1;
        chains.add(new Chain(run, start.input, end, inputShape(spec, shapes, start.head),
            run.stream().map(u -> shapes.get(u.head)).toList()));
        h = end;
      } else {
        h = last[h] + 1;
      }
    }
    return chains;
  }

  /** Per node of a network of {@code n} nodes: whether it is a convolution of {@code chains}. */
  static boolean[] inRuns(List<Chain> chains, int n) {
    boolean[] in = new boolean[n];
    for (Chain chain : chains) {
      for (Unit u : chain.units) {
        in[u.head] = true;
      }
    }
    return in;
  }

  /**
   * How many of {@code units} (from the first) make a run: the longest prefix in which every
   * convolution but the last is read by none outside the prefix.
   */
  private static int readOnlyInside(GraphPlan plan, int[] head, List<Unit> units) {
    int length = units.size();
    boolean trimmed = true;
    while (trimmed) {
      trimmed = false;
      List<Integer> heads = units.subList(0, length).stream().map(Unit::head).toList();
      for (int j = 0; j < plan.inputs.length && !trimmed; j++) {
        if (heads.contains(head[j])) {
          continue;
        }
        for (int ref : plan.inputs[j]) {
          int k = ref >= 0 ? heads.indexOf(head[ref]) : -1;
          if (k >= 0 && k < length - 1) {
            length = k + 1;
            trimmed = true;
            break;
          }
        }
      }
    }
    return length;
  }

  /**
   * The inference unit at {@code h} (a node that starts one) as a convolution in lanes, or
   * null where it is none: what is folded into it must be nothing, a batch norm (with its
   * ReLU, or the sum after it with that sum's ReLU), or a ReLU.
   */
  private static Unit unit(NetworkSpec spec, List<Shape> shapes, GraphPlan plan, int[] head,
      int[] last, int h) {
    boolean direct = !LanesConvolution.applies(layer(spec, h), inputShape(spec, shapes, h));
    if (head[h] != h || plan.inputs[h].length != 1 || plan.foldedPool[h] || direct
        && !LanesConvolution.appliesDirect(layer(spec, h), inputShape(spec, shapes, h))) {
      return null;
    }
    int k = h + 1;
    int end = last[h];
    int norm = -1;
    boolean relu = false;
    int residual = NONE;
    if (k <= end && plan.foldedInInference[k] && layer(spec, k) instanceof BatchNorm.Spec) {
      norm = k++;
      if (k <= end && plan.fusedIntoPrevious[k] && layer(spec, k) instanceof Relu.Spec) {
        relu = true;
        k++;
      } else if (k <= end && plan.foldedSumResidual[k] != GraphPlan.NO_RESIDUAL) {
        residual = resolve(head, plan.foldedSumResidual[k++]);
        if (k <= end && plan.fusedIntoPrevious[k] && layer(spec, k) instanceof Relu.Spec) {
          relu = true;
          k++;
        }
      }
    } else if (k <= end && plan.foldedInInference[k] && layer(spec, k) instanceof Relu.Spec) {
      relu = true;
      k++;
    }
    return k == end + 1
        ? new Unit(h, resolve(head, plan.inputs[h][0]), norm, residual, relu, direct) : null;
  }

  private static LayerSpec layer(NetworkSpec spec, int node) {
    return spec.nodes().get(node).layer();
  }

  private static Shape inputShape(NetworkSpec spec, List<Shape> shapes, int node) {
    return spec.shapeOf(spec.nodes().get(node).inputs().get(0), shapes);
  }

  /** The unit whose buffer holds node reference {@code ref}'s output, or the input. */
  private static int resolve(int[] head, int ref) {
    return ref >= 0 ? head[ref] : ref;
  }

  /**
   * A convolution of a run: its node, the values (unit heads, or {@link Node#INPUT}) it reads
   * and adds ({@link #NONE}: none), the batch norm folded into it (its node, or -1), whether a
   * ReLU ends it, whether it runs from its definition (strided) rather than by Winograd.
   */
  record Unit(int head, int input, int norm, int residual, boolean relu, boolean direct) {}

  /**
   * A run's convolutions, the value it reads ({@code source}), the node after it
   * ({@code end}), and the activations a group holds: slot 0 the input converted, each
   * convolution's output in a slot no value still to be read holds (as the inference pool
   * assigns buffers: three for a chain of residual blocks). A slot holds activations of one
   * plane size only: each layout's borders, never written, stay zero.
   */
  static final class Chain {
    final List<Unit> units;
    final int source;
    final int end;
    final int[] inSlot;
    final int[] outSlot;
    final int[] residualSlot; // or -1
    final int slotCount;
    private final List<Shape> slotShapes; // per slot: its plane, and the most channels it holds

    /**
     * The run {@code units} from {@code source} (of shape {@code sourceShape}) to the node
     * before {@code end}, unit k's output of shape {@code shapes.get(k)}.
     */
    Chain(List<Unit> units, int source, int end, Shape sourceShape, List<Shape> shapes) {
      this.units = units;
      this.source = source;
      this.end = end;
      int n = units.size();
      this.inSlot = new int[n];
      this.outSlot = new int[n];
      this.residualSlot = new int[n];
      List<Shape> slotShapes = new ArrayList<>(List.of(sourceShape));
      Map<Integer, Integer> remaining = new HashMap<>(); // value -> its readers in the run
      for (Unit u : units) {
        remaining.merge(u.input, 1, Integer::sum);
        if (u.residual != NONE) {
          remaining.merge(u.residual, 1, Integer::sum);
        }
      }
      Map<Integer, Integer> slotOf = new HashMap<>(Map.of(source, 0));
      TreeSet<Integer> free = new TreeSet<>();
      for (int k = 0; k < n; k++) {
        Unit u = units.get(k);
        inSlot[k] = slotOf.get(u.input);
        residualSlot[k] = u.residual == NONE ? -1 : slotOf.get(u.residual);
        Shape shape = shapes.get(k);
        Integer slot = free.stream().filter(f -> samePlane(slotShapes.get(f), shape))
            .findFirst().orElse(null);
        if (slot == null) {
          slot = slotShapes.size();
          slotShapes.add(shape);
        } else {
          free.remove(slot);
          Shape held = slotShapes.get(slot);
          slotShapes.set(slot, new Shape(Math.max(held.channels(), shape.channels()),
              shape.height(), shape.width()));
        }
        outSlot[k] = slot;
        slotOf.put(u.head, outSlot[k]);
        release(u.input, remaining, slotOf, free);
        if (u.residual != NONE) {
          release(u.residual, remaining, slotOf, free);
        }
      }
      this.slotCount = slotShapes.size();
      this.slotShapes = List.copyOf(slotShapes);
    }

    /** Floats of a group's slot: its plane's padded activation of its most channels. */
    long slotFloats(int slot) {
      Shape shape = slotShapes.get(slot);
      return ImageLanesWinograd.lanesSize(shape.channels(), shape.height(), shape.width())
          + CacheLines.FLOATS;
    }

    private static boolean samePlane(Shape a, Shape b) {
      return a.height() == b.height() && a.width() == b.width();
    }

    private static void release(int value, Map<Integer, Integer> remaining,
        Map<Integer, Integer> slotOf, TreeSet<Integer> free) {
      if (remaining.merge(value, -1, Integer::sum) == 0) {
        free.add(slotOf.get(value));
      }
    }
  }
}
