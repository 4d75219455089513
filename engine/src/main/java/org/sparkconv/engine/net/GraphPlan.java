package org.sparkconv.engine.net;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BiPredicate;
import java.util.function.IntPredicate;
import org.sparkconv.engine.layer.Add;
import org.sparkconv.engine.layer.BatchNorm;
import org.sparkconv.engine.layer.Conv2d;
import org.sparkconv.engine.layer.LayerSpec;
import org.sparkconv.engine.layer.MaxPool2d;
import org.sparkconv.engine.layer.Relu;

/**
 * How a network of {@link NetworkSpec} runs, worked out from the spec alone: which activation
 * layers are fused into the layer before them, which gradient buffers backward uses, and which
 * buffers an inference forward writes (training keeps every node's output for backward;
 * inference reuses a buffer as soon as the node that wrote it has no consumer left to run).
 *
 * <p>Backward visits the nodes in reverse. The gradient with respect to a node's output lives
 * in a pooled buffer from the moment its last consumer (the first one backward reaches) writes
 * it until the node itself has been back-propagated; then the buffer is free for another node.
 * A later consumer of the same node (fan-out: a residual shortcut, a dense block's input) writes
 * into a scratch buffer that is then added in, so every layer keeps the simple contract of
 * writing, never accumulating, its input gradient. For a chain this is the usual ping-pong of
 * two buffers; a ResNet needs three. A layer that can write its input gradient over its output
 * gradient (a batch norm, {@link LayerSpec#backwardInPlace}) passes its buffer on instead. A
 * residual sum's two input gradients are one array ({@link #sharesInputGradient}): the sum
 * writes it once, not twice (ResNet-20's stage-1 sums at batch 64: 0.99 -> 0.47 ms each).
 */
final class GraphPlan {

  /** Marks the network output's gradient: the caller's array, not a pooled buffer. */
  static final int EXTERNAL = -2;
  /** In {@link #foldedSumResidual}: no sum folded there. */
  static final int NO_RESIDUAL = Integer.MIN_VALUE;

  final int[][] inputs; // per node: node indices, Node.INPUT for the network input
  final boolean[] fusedIntoPrevious;
  final boolean[] foldedInInference; // computed by the node before it when inferring
  final int[] foldedSumResidual; // per sum folded into the conv two before it: its other input
  final int[] sumInNorm; // per sum the batch norm before it writes in training: its other input
  final boolean[] foldedPool; // per conv: it writes the pool after its folded norm, in inference
  final int[] handedTo; // per conv: the conv its inference output goes to in that one's layout
  final int[] gradientBuffer; // per node whose output is consumed: the pooled buffer, or EXTERNAL
  final int inputGradientBuffer;
  final int[][] inputGradientTarget; // per node, per input: the buffer its gradient ends up in
  final int[][] inputGradientScratch; // per node, per input: scratch buffer to add from, or -1
  final int bufferCount;
  final int scratchCount;
  final int[] forwardBuffer; // per node: its output's buffer in an inference forward
  final int forwardBufferCount;

  GraphPlan(NetworkSpec spec) {
    this(spec, conv -> false);
  }

  /**
   * With {@code infersPooled} saying which nodes (convolutions) can write the 2x2 max pool of
   * their output instead of the output ({@link org.sparkconv.engine.layer.Layer#infersPooled}):
   * such a pool after the batch norm (and its ReLU) folded into one is folded in too.
   */
  GraphPlan(NetworkSpec spec, IntPredicate infersPooled) {
    this(spec, infersPooled, (conv, next) -> false);
  }

  /**
   * As above, with {@code handsOff} saying which convolution (first) can write its inference
   * output in the input layout of which convolution (second) reads it
   * ({@link org.sparkconv.engine.layer.Layer#handsInferenceTo}).
   */
  GraphPlan(NetworkSpec spec, IntPredicate infersPooled,
      BiPredicate<Integer, Integer> handsOff) {
    List<Node> nodes = spec.nodes();
    int n = nodes.size();
    inputs = new int[n][];
    int[] consumers = new int[n];
    for (int i = 0; i < n; i++) {
      inputs[i] = nodes.get(i).inputs().stream().mapToInt(Integer::intValue).toArray();
      for (int ref : inputs[i]) {
        if (ref >= 0) {
          consumers[ref]++;
        }
      }
    }
    // A layer that passes its input through (a flatten) is fused into any layer before it: it
    // only names the same buffer (and passes the gradient on as it is), instead of copying.
    fusedIntoPrevious = new boolean[n];
    for (int i = 0; i + 1 < n; i++) {
      LayerSpec layer = nodes.get(i).layer();
      LayerSpec next = nodes.get(i + 1).layer();
      fusedIntoPrevious[i + 1] = !fusedIntoPrevious[i] && nodes.get(i + 1).isChained(i + 1)
          && consumers[i] == 1 && (next.passesInputThrough() || layer.fusesNext(next));
    }
    foldedInInference = new boolean[n];
    for (int i = 0; i + 1 < n; i++) {
      foldedInInference[i + 1] = !fusedIntoPrevious[i] && !foldedInInference[i]
          && !fusedIntoPrevious[i + 1] && nodes.get(i + 1).isChained(i + 1)
          && consumers[i] == 1
          && nodes.get(i).layer().foldsNextInInference(nodes.get(i + 1).layer());
    }
    // A two-input sum whose first or second input is a batch norm folded into the convolution
    // before it (a residual block's branch) folds into that convolution too: it adds the other
    // input as it writes each image, and the sum's pass disappears.
    foldedSumResidual = new int[n];
    Arrays.fill(foldedSumResidual, NO_RESIDUAL);
    for (int j = 2; j < n; j++) {
      int[] in = inputs[j];
      if (!(nodes.get(j).layer() instanceof Add.Spec) || in.length != 2
          || !(nodes.get(j - 1).layer() instanceof BatchNorm.Spec)
          || !foldedInInference[j - 1] || foldedInInference[j] || fusedIntoPrevious[j]
          || consumers[j - 1] != 1 || in[0] == in[1]) {
        continue;
      }
      int other = in[0] == j - 1 ? in[1] : in[1] == j - 1 ? in[0] : NO_RESIDUAL;
      if (other != NO_RESIDUAL) {
        foldedSumResidual[j] = other;
        foldedInInference[j] = true;
      }
    }

    // A kept (training) forward: a two-input sum right after a batch norm that only it reads
    // (a residual block's branch) is written by that norm's output pass, which adds the other
    // input; the norm's output is never written, and the sum has no pass of its own forward.
    sumInNorm = new int[n];
    Arrays.fill(sumInNorm, NO_RESIDUAL);
    for (int j = 1; j < n; j++) {
      int[] in = inputs[j];
      if (nodes.get(j).layer() instanceof Add.Spec && in.length == 2 && in[0] != in[1]
          && nodes.get(j - 1).layer() instanceof BatchNorm.Spec && consumers[j - 1] == 1
          && !fusedIntoPrevious[j - 1] && !fusedIntoPrevious[j]) {
        sumInNorm[j] = in[0] == j - 1 ? in[1] : in[1] == j - 1 ? in[0] : NO_RESIDUAL;
      }
    }

    // A 2x2 max pool at stride 2 right after a batch norm folded into a convolution (its ReLU
    // fused in or not), or a ReLU folded into one, each the only consumer of the one before:
    // the convolution writes the pool's output, and neither the norm's (ReLU's) output nor the
    // pool's pass exists.
    foldedPool = new boolean[n];
    for (int j = 2; j < n; j++) {
      int norm = fusedIntoPrevious[j - 1] ? j - 2 : j - 1;
      int conv = norm - 1;
      if (conv < 0 || !(nodes.get(j).layer() instanceof MaxPool2d.Spec pool)
          || !pool.pairWindows() || !nodes.get(j).isChained(j) || fusedIntoPrevious[j]
          || foldedInInference[j] || !(nodes.get(norm).layer() instanceof BatchNorm.Spec
              || nodes.get(norm).layer() instanceof Relu.Spec)
          || !foldedInInference[norm] || consumers[j - 1] != 1 || consumers[norm] != 1
          || !infersPooled.test(conv)) {
        continue;
      }
      foldedPool[conv] = true;
      foldedInInference[j] = true;
    }

    // A convolution whose inference unit (itself, the norm or ReLU folded into it and the ReLU
    // fused into that; no pool, no sum) is read by the convolution right after it alone writes
    // its output in that convolution's input layout, where the two can: the layout lives only
    // in the buffer between them.
    handedTo = new int[n];
    Arrays.fill(handedTo, -1);
    for (int i = 0; i < n; i++) {
      if (fusedIntoPrevious[i] || foldedInInference[i] || foldedPool[i]
          || !(nodes.get(i).layer() instanceof Conv2d.Spec)) {
        continue;
      }
      int last = i;
      boolean sum = false;
      while (last + 1 < n && (fusedIntoPrevious[last + 1] || foldedInInference[last + 1])) {
        last++;
        sum |= foldedSumResidual[last] != NO_RESIDUAL;
      }
      int next = last + 1;
      if (sum || next >= n || consumers[last] != 1 || !nodes.get(next).isChained(next)
          || fusedIntoPrevious[next] || foldedInInference[next]
          || !(nodes.get(next).layer() instanceof Conv2d.Spec) || !handsOff.test(i, next)) {
        continue;
      }
      handedTo[i] = next;
    }

    gradientBuffer = new int[n];
    Arrays.fill(gradientBuffer, -1);
    gradientBuffer[n - 1] = EXTERNAL;
    inputGradientTarget = new int[n][];
    inputGradientScratch = new int[n][];
    TreeSet<Integer> free = new TreeSet<>();
    int created = 0;
    int inputGradient = -1;
    int maxScratch = 0;
    boolean[] keepsGradient = new boolean[n]; // its buffer is also an earlier node's
    for (int head = n - 1; head >= 0; head--) {
      if (fusedIntoPrevious[head]) {
        continue;
      }
      int[] refs = inputs[head];
      inputGradientTarget[head] = new int[refs.length];
      inputGradientScratch[head] = new int[refs.length];
      int scratch = 0;
      int shared = sharesInputGradient(nodes, head, consumers);
      int own = gradientBuffer[tail(head)];
      boolean inPlace = inPlace(nodes, head, own, keepsGradient);
      if (shared >= 0) { // refs[1 - shared]'s gradient is the same array: the sum's dOut
        int other = refs[1 - shared];
        gradientBuffer[other] = free.isEmpty() ? created++ : free.pollFirst();
        gradientBuffer[refs[shared]] = gradientBuffer[other];
        keepsGradient[refs[shared]] = true;
      }
      for (int k = 0; k < refs.length; k++) {
        int target = refs[k] == Node.INPUT ? inputGradient : gradientBuffer[refs[k]];
        if (shared >= 0) {
          inputGradientScratch[head][k] = -1;
          inputGradientTarget[head][k] = target;
          continue;
        }
        if (target == -1) {
          target = inPlace ? own : free.isEmpty() ? created++ : free.pollFirst();
          if (refs[k] == Node.INPUT) {
            inputGradient = target;
          } else {
            gradientBuffer[refs[k]] = target;
          }
          inputGradientScratch[head][k] = -1;
        } else {
          inputGradientScratch[head][k] = scratch++;
        }
        inputGradientTarget[head][k] = target;
      }
      maxScratch = Math.max(maxScratch, scratch);
      if (own >= 0 && !keepsGradient[tail(head)] && !inPlace) {
        free.add(own);
      }
    }
    inputGradientBuffer = inputGradient;
    bufferCount = created;
    scratchCount = maxScratch;

    // Inference: a unit's output takes a free buffer; its inputs' buffers are free again once
    // their last consumer has run. The output never is. A node folded into the one before it
    // shares that one's buffer, as a fused activation does.
    forwardBuffer = new int[n];
    int[] remaining = consumers.clone();
    free.clear();
    created = 0;
    for (int i = 0; i < n; i++) {
      if (fusedIntoPrevious[i] || foldedInInference[i]) {
        forwardBuffer[i] = forwardBuffer[i - 1];
        int residual = foldedSumResidual[i]; // read by the convolution two nodes back
        if (residual >= 0 && --remaining[residual] == 0) {
          free.add(forwardBuffer[residual]);
        }
        continue;
      }
      forwardBuffer[i] = free.isEmpty() ? created++ : free.pollFirst();
      for (int ref : inputs[i]) {
        if (ref >= 0 && --remaining[ref] == 0) {
          free.add(forwardBuffer[ref]);
        }
      }
    }
    forwardBufferCount = created;
  }

  /**
   * Whether the unit at {@code head} writes its input's gradient over its own ({@code own}):
   * where its layer can ({@link LayerSpec#backwardInPlace}), it is that input's only consumer
   * (no gradient of it assigned yet), and its own gradient is a pooled buffer no other node
   * keeps. A batch norm's gradient then stays in the buffer the layer after it wrote, the lines
   * its sums just read: VGG-small's second norm and pool backward, alone, 64 images, caches
   * flushed, 1.52-1.61 -> 1.22-1.30 ms; whole VGG-small training steps turn by turn 1.013 and
   * 1.005 at one thread, 1.016 at two; ResNet-20 0.996.
   */
  private boolean inPlace(List<Node> nodes, int head, int own, boolean[] keepsGradient) {
    int[] refs = inputs[head];
    return nodes.get(head).layer().backwardInPlace() && refs.length == 1 && refs[0] >= 0
        && gradientBuffer[refs[0]] == -1 && own >= 0 && !keepsGradient[tail(head)];
  }

  /**
   * For a two-input sum at {@code head} whose inputs get their gradients from it first (both
   * buffers still unassigned when backward reaches it): the index k of the input whose
   * gradient buffer can be the other's. A sum's two input gradients are equal (its output's,
   * masked by a fused ReLU), so one array serves both and is written once. Input k must be the
   * later node, a convolution or batch norm (whose backward only reads its output's gradient)
   * consumed by the sum alone; the other, earlier one keeps the array as its own, and its
   * other consumers (reached later) add theirs into it, after input k's backward has read it.
   * -1 where this does not hold.
   */
  private int sharesInputGradient(List<Node> nodes, int head, int[] consumers) {
    int[] refs = inputs[head];
    if (!(nodes.get(head).layer() instanceof Add.Spec) || refs.length != 2
        || refs[0] < 0 || refs[1] < 0 || refs[0] == refs[1]
        || gradientBuffer[refs[0]] != -1 || gradientBuffer[refs[1]] != -1) {
      return -1;
    }
    int later = refs[0] > refs[1] ? 0 : 1;
    int node = refs[later];
    int unitHead = fusedIntoPrevious[node] ? node - 1 : node;
    LayerSpec layer = nodes.get(unitHead).layer();
    boolean readsOnly = layer instanceof BatchNorm.Spec || layer instanceof Conv2d.Spec;
    return readsOnly && consumers[node] == 1 ? later : -1;
  }

  /**
   * Whether node {@code i} is a batch norm that writes the sum after it in a kept forward
   * ({@link #sumInNorm}): its own output is then neither written nor held.
   */
  boolean normWritesSum(int i) {
    return i + 1 < sumInNorm.length && sumInNorm[i + 1] != NO_RESIDUAL;
  }

  /** The last node of the unit that starts at {@code head}: itself or its fused activation. */
  int tail(int head) {
    return head + 1 < fusedIntoPrevious.length && fusedIntoPrevious[head + 1] ? head + 1 : head;
  }
}
