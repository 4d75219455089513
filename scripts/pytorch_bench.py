#!/usr/bin/python3
"""Whole-step throughput of a sparkconv model file's network in PyTorch on synthetic data, the
counterpart of org.sparkconv.engine.bench.StepBenchmark: training steps (forward, cross-entropy,
backward, SGD momentum 0.9) or inference forwards, timed over STEPS steps after warm-up, REPEATS
times. The network is built from the same model file (scripts/pytorch_graph_recipe.py), with
in-place ReLU wherever nothing else reads its input, and gradients set to None between steps.
Run it as scripts/bench-engine.sh does, which keeps glibc from unmapping activations each step
and gives OpenBLAS the same thread count: PyTorch at its best on this machine. Prints the CPU
time over the wall time, which must match the thread count claimed.

  /usr/bin/python3 scripts/pytorch_bench.py MODEL.json train|infer BATCH THREADS [STEPS] [REPEATS]
"""
import json
import statistics
import sys
import time
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pytorch_graph_recipe import Graph  # noqa: E402


def main():
    warnings.filterwarnings("ignore", message="Lazy modules")
    model, mode, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    spec = json.load(open(model))
    net = Graph(spec)
    shape = spec["input"]
    x = torch.randn(batch, shape["channels"], shape["height"], shape["width"])
    y = torch.randint(0, 10, (batch,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()

    def infer_step():
        with torch.no_grad():
            net(x)

    if mode == "train":
        net.train()
        step = train_step
    else:
        net.eval()
        step = infer_step
    for _ in range(max(3, steps // 4)):
        step()
    rates, loads = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        wall = time.perf_counter() - t0
        rates.append(steps * batch / wall)
        loads.append((time.process_time() - c0) / wall)
    print(f"pytorch {spec['name']} {mode} batch {batch}: {statistics.median(rates):.0f} img/s "
          f"(median of {[round(r) for r in rates]}; cpu/wall {statistics.median(loads):.2f})")


if __name__ == "__main__":
    main()
