#!/usr/bin/python3
"""Whole-step throughput of LeNet-5 / VGG-small in PyTorch on synthetic data, the counterpart of
org.sparkconv.engine.bench.StepBenchmark: training steps (forward, cross-entropy, backward, SGD
momentum 0.9) or inference forwards, timed over STEPS steps after warm-up, REPEATS times.

  /usr/bin/python3 scripts/pytorch_bench.py lenet5|vgg-small train|infer BATCH THREADS [STEPS] [REPEATS]
"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pytorch_reference import lenet5, vgg_small  # noqa: E402


def main():
    model, mode, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    net = lenet5() if model == "lenet5" else vgg_small()
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def train_step():
        opt.zero_grad()
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
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps * batch / (time.perf_counter() - t0))
    print(f"pytorch {model} {mode} batch {batch}: {statistics.median(rates):.0f} img/s "
          f"(median of {[round(r) for r in rates]})")


if __name__ == "__main__":
    main()
