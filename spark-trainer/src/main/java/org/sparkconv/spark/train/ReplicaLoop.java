package org.sparkconv.spark.train;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.sparkconv.engine.net.Network;
import org.sparkconv.engine.optim.Optimizer;
import org.sparkconv.spark.allreduce.ExchangePool;
import org.sparkconv.spark.allreduce.ExchangeSecurity;
import org.sparkconv.spark.allreduce.PeerExchange;
import org.sparkconv.spark.allreduce.Rendezvous;
import org.sparkconv.spark.allreduce.RingAllReduce;
import org.sparkconv.spark.wire.Contribution;
import org.sparkconv.spark.wire.ModelVector;
import org.sparkconv.spark.wire.ReplicaReport;
import org.sparkconv.spark.wire.Shard;
import org.sparkconv.spark.worker.TrainingRun;
import org.sparkconv.spark.worker.Worker;

/**
 * One task of an all-reduce job, on an executor: opens its end of the ring, learns its
 * neighbours at the driver's {@link Rendezvous}, then for each round computes its
 * shard's contribution as the synchronisation rule says, sums it with every other replica's
 * (the ring), and applies the sum to its own model and optimizer exactly as the driver would.
 * All replicas start from the same broadcast and apply the same sums, so they stay identical;
 * each reports a checksum to prove it, and partition 0 sends the model back.
 */
final class ReplicaLoop {

  private ReplicaLoop() {}

  static ReplicaReport run(Shard shard, TrainingRun run, SyncRule sync, ModelVector start,
      int epoch, int firstRound, int rounds, String rendezvous, long job, long timeoutMillis) {
    BarrierTaskContext context = BarrierTaskContext.get();
    BarrierTaskInfo[] tasks = context.getTaskInfos();
    int rank = context.partitionId();
    if (shard.partition() != rank) {
      throw new IllegalStateException("barrier task " + rank + " got the shard of partition "
          + shard.partition());
    }
    String address = tasks[rank].address();
    String host = address.substring(0, address.lastIndexOf(':'));
    long meeting = job + Math.min(context.stageAttemptNumber(), Rendezvous.ATTEMPTS - 1);
    PeerExchange ring = ExchangePool.borrow(rendezvous, host, ExchangeSecurity::ofSpark,
        timeoutMillis);
    // When a peer fails elsewhere Spark kills this task: stop waiting for it at once.
    ring.cancelWhen(context::killTaskIfInterrupted);
    boolean ended = false;
    try {
      String[] contacts = ring.meet(rendezvous, meeting, rank, tasks.length);
      ring.connectTo(contacts[(rank + 1) % tasks.length]);
      ReplicaReport report = Worker.withModel(run.specJson(), start, true, w -> rounds(w, ring,
          rank, tasks.length, meeting, shard, run, sync, start, epoch, firstRound, rounds));
      ended = true;
      return report;
    } finally {
      if (ended) {
        ExchangePool.giveBack(rendezvous, ring);
      } else {
        ring.close();
      }
    }
  }

  private static ReplicaReport rounds(Worker worker, PeerExchange ring, int rank, int peers,
      long meeting, Shard shard, TrainingRun run, SyncRule sync, ModelVector start, int epoch,
      int firstRound, int rounds) {
    Network net = worker.network();
    Optimizer optimizer = worker.optimizer(run.optimizer(), start);
    int dataRounds = run.plan().roundsPerEpoch();
    double[] lossSums = new double[rounds];
    long[] counts = new long[rounds];
    long[] correct = new long[rounds];
    long computeNanos = 0;
    long reduceNanos = 0;
    int round = firstRound;
    for (int j = 0; j < rounds; j++) {
      int steps = Math.min(sync.stepsPerRound(), dataRounds - round);
      long t0 = System.nanoTime();
      long stepsBefore = optimizer.steps();
      Contribution mine = sync.compute(worker, optimizer, shard, run, epoch, round, steps);
      // Local steps (parameter averaging) advanced the count; the rule's apply, written for
      // the driver's optimizer that took none, adds them again.
      optimizer.steps(stepsBefore);
      long t1 = System.nanoTime();
      // The rule's vector with the loss sum and the counts behind it, summed in one go.
      float[] mineSums = mine.sums();
      float[] v = java.util.Arrays.copyOf(mineSums, mineSums.length + 3);
      v[mineSums.length] = (float) mine.lossSum();
      v[mineSums.length + 1] = mine.count();
      v[mineSums.length + 2] = mine.correct();
      // Collectives numbered apart for every job and attempt: nothing stale can match.
      RingAllReduce.sum(v, rank, peers, ring, (meeting << 20) + j);
      long t2 = System.nanoTime();
      Contribution all = new Contribution(v, v[mineSums.length],
          (long) v[mineSums.length + 1], (long) v[mineSums.length + 2], 0);
      sync.apply(all, net, optimizer, steps, run.rate(run.step(epoch, round)));
      computeNanos += (t1 - t0) + (System.nanoTime() - t2);
      reduceNanos += t2 - t1;
      lossSums[j] = all.lossSum();
      counts[j] = all.count();
      correct[j] = all.correct();
      round += steps;
    }
    ModelVector end = rank == 0 ? copy(net, optimizer) : null;
    return new ReplicaReport(rank, lossSums, counts, correct, computeNanos, reduceNanos,
        checksum(net, optimizer), end);
  }

  private static ModelVector copy(Network net, Optimizer optimizer) {
    float[][] slots = new float[optimizer.slots().length][];
    for (int k = 0; k < slots.length; k++) {
      slots[k] = optimizer.slots()[k].clone();
    }
    return new ModelVector(net.params().clone(), net.state().clone(), slots, optimizer.steps());
  }

  /** A hash of every bit of the replica's model and optimizer state. */
  static long checksum(Network net, Optimizer optimizer) {
    long h = optimizer.steps();
    h = mix(h, net.params());
    h = mix(h, net.state());
    for (float[] slot : optimizer.slots()) {
      h = mix(h, slot);
    }
    return h;
  }

  private static long mix(long h, float[] values) {
    for (float x : values) {
      h = h * 0x9E3779B97F4A7C15L + Float.floatToRawIntBits(x);
    }
    return h * 0x9E3779B97F4A7C15L + values.length;
  }
}
