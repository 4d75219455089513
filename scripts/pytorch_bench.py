#!/usr/bin/python3
"""Whole-step throughput of a sparkconv model file's network in PyTorch on synthetic data, the
counterpart of org.sparkconv.engine.bench.StepBenchmark: training steps (forward, cross-entropy,
backward, SGD momentum 0.9) or inference forwards, timed over STEPS steps after warm-up, REPEATS
times. The network is built from the same model file (scripts/pytorch_graph_recipe.py), with
in-place ReLU wherever nothing else reads its input, and gradients set to None between steps.
Run it as scripts/bench-engine.sh does, which keeps glibc from unmapping activations each step
and gives OpenBLAS the same thread count; it runs itself again with OPENBLAS_CORETYPE set when
OpenBLAS does not know the CPU (scripts/openblas_kernels.py): PyTorch at its best here. Prints
the CPU time over the wall time, which must match the threads the chosen setup runs on.

The memory layout and execution mode are the ones expert CPU users pick, whichever is fastest
for the row: training in NCHW or channels_last (oneDNN's blocked kernels; 22-30% faster on
VGG-small and ResNet-20 at one thread, 2026-11-30); inference eager, channels_last, or traced,
frozen and optimized for inference (BatchNorm folded into the convolutions, oneDNN layouts;
ResNet-20 1,785 -> 2,790 img/s, VGG-small 3,561 -> 4,343 at one thread). The candidates are
warmed up and timed in turns, five rounds, and the one with the best median is measured; with
THREADS above one, every setup runs on one thread too (named SETUP@1), as an expert with that
many cores would run it where that is faster; a frozen network must give the eager
one's outputs (within 1e-3) or the run stops. The line printed names the one measured.

  /usr/bin/python3 scripts/pytorch_bench.py MODEL.json train|infer BATCH THREADS [STEPS] [REPEATS]

With --turns after REPEATS it chooses and warms up as above, prints "ready" and the setup chosen,
then for each line "go S" read on standard input times at least STEPS steps and S seconds and prints
"rate R cpu/wall L", until "stop" or the end of input: one side of scripts/bench_turns.py, as
StepBenchmark --turns is the other.
"""
import copy
import ctypes
import json
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openblas_kernels import ensure_cpu_kernels  # noqa: E402

ensure_cpu_kernels()  # before torch loads OpenBLAS

import torch  # noqa: E402
import torch.nn.functional as F

from pytorch_graph_recipe import Graph  # noqa: E402


def main():
    warnings.filterwarnings("ignore", message="Lazy modules")
    model, mode, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    repeats = int(sys.argv[6]) if len(sys.argv) > 6 else 5
    torch.set_num_threads(threads)
    spec, chosen, step, trial = fastest_step(model, mode, batch, steps)
    if sys.argv[7:] == ["--turns"]:
        take_turns(step, steps, batch, chosen, trial)
        return
    rates, loads = [], []
    for _ in range(repeats):
        rate, load = timed(step, steps, batch)
        rates.append(rate)
        loads.append(load)
    print(f"pytorch {spec['name']} {mode} batch {batch}: {statistics.median(rates):.0f} img/s "
          f"(median of {[round(r) for r in rates]}; cpu/wall {statistics.median(loads):.2f}; "
          f"{chosen}; trial {', '.join(f'{k} {v:.0f}' for k, v in trial.items())})")


def fastest_step(model, mode, batch, steps, only=None):
    """The network of model file MODEL on synthetic data, and of its candidate steps for MODE
    (train or infer) the fastest, or the one named ONLY, warmed up: the spec, the candidate's
    name, its step and every candidate's images a second."""
    torch.manual_seed(7)
    spec = json.load(open(model))
    net = Graph(spec)
    shape = spec["input"]
    x = torch.randn(batch, shape["channels"], shape["height"], shape["width"])
    y = torch.randint(0, 10, (batch,))
    with torch.no_grad():
        net(x)  # materializes the lazy layers before they are copied
    candidates = train_steps(net, x, y) if mode == "train" else infer_steps(net, x)
    candidates = within_budget(candidates, torch.get_num_threads())
    if only is not None:
        if only not in candidates:
            sys.exit(f"setup {only!r} for {mode}: one of {', '.join(candidates)}")
        candidates = {only: candidates[only]}
    return (spec,) + fastest(candidates, steps, batch)


TRIAL_ROUNDS = 5  # rounds of the trial, every candidate timed once a round
TRIAL_SECONDS = 0.5  # each candidate's turn in a round lasts at least this long


def within_budget(candidates, threads):
    """CANDIDATES (name -> step) as they run on THREADS threads, and, with more than one, each
    also on one thread (named NAME@1): an expert with two cores runs PyTorch on one where that
    is faster, as LeNet-5 here is (2026-12-02, turn by turn: training 8,527 img/s on one
    thread, 5,820 on two). Each step sets torch's threads and OpenBLAS's when they differ from
    its own."""
    if threads == 1:
        return candidates
    try:
        openblas = ctypes.CDLL("libopenblas.so.0")
    except OSError as e:
        sys.exit(f"pytorch_bench: {threads} threads need OpenBLAS's thread count settable "
                 f"(libopenblas.so.0, Debian libopenblas0): {e}")

    def on(step, n):
        def run():
            if torch.get_num_threads() != n:
                torch.set_num_threads(n)
                openblas.openblas_set_num_threads(n)
            step()
        return run

    budget = {name: on(step, threads) for name, step in candidates.items()}
    budget.update({f"{name}@1": on(step, 1) for name, step in candidates.items()})
    return budget


def fastest(candidates, steps, batch):
    """The fastest of CANDIDATES (name -> step), warmed up: its name, its step and every
    candidate's images a second. Each is warmed up, then timed in TRIAL_ROUNDS rounds of at
    least half of STEPS steps and TRIAL_SECONDS each, the candidates in turn, starting one
    later each round, and judged by its median. On this machine, whose speed moves by 2x
    within seconds, one timing of STEPS steps each chose at random: LeNet-5 inference at two
    threads, four runs in a row, took channels_last twice, NCHW and the frozen graph, with
    trial rates of one setup from 13,000 to 56,000 img/s. With turns of 0.2 s the two-thread
    frozen graph still once won against the same on one thread, which then ran 1.3x faster."""
    warm = max(3, steps // 4)
    for step in candidates.values():
        for _ in range(warm):
            step()
    names = list(candidates)
    rates = {name: [] for name in names}
    for r in range(TRIAL_ROUNDS):
        for name in names[r % len(names):] + names[:r % len(names)]:
            rate, _ = timed(candidates[name], max(1, steps // 2), batch, TRIAL_SECONDS)
            rates[name].append(rate)
    trial = {name: statistics.median(rates[name]) for name in names}
    chosen = max(trial, key=trial.get)
    for _ in range(warm):
        candidates[chosen]()
    return chosen, candidates[chosen], trial


def timed(step, steps, batch, seconds=0.0):
    """Images a second over at least STEPS steps and SECONDS, and the CPU time over the wall
    time."""
    done = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while done < steps or time.perf_counter() - t0 < seconds:
        step()
        done += 1
    wall = time.perf_counter() - t0
    return done * batch / wall, (time.process_time() - c0) / wall


def take_turns(step, steps, batch, chosen, trial):
    """The --turns protocol in the module comment."""
    print(f"ready {chosen}; trial {', '.join(f'{k} {v:.0f}' for k, v in trial.items())}",
          flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            break
        go = line.split()
        if len(go) != 2 or go[0] != "go":
            sys.exit(f"expected 'go SECONDS' or 'stop', got {line.strip()!r}")
        rate, load = timed(step, steps, batch, float(go[1]))
        print(f"rate {rate:.1f} cpu/wall {load:.2f}", flush=True)


def train_steps(net, x, y):
    """A training step in NCHW and one in channels_last, each with its own optimizer."""
    steps = {}
    for layout in ("nchw", "channels_last"):
        model = copy.deepcopy(net).train()
        xs = x if layout == "nchw" else x.to(memory_format=torch.channels_last)
        if layout == "channels_last":
            model = model.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step(model=model, xs=xs, opt=opt):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(xs), y).backward()
            opt.step()

        steps[layout] = step
    return steps


def infer_steps(net, x):
    """Inference eager in NCHW, eager in channels_last, and traced, frozen and optimized."""
    net.eval()
    last = copy.deepcopy(net).to(memory_format=torch.channels_last)
    x_last = x.to(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = net(x)
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(net, x)))
        got = frozen(x)
    if not torch.allclose(got, expected, rtol=1e-3, atol=1e-3):
        sys.exit(f"frozen network's outputs differ from eager by "
                 f"{(got - expected).abs().max().item():.3g}")

    def run(model, xs):
        def step():
            with torch.no_grad():
                model(xs)
        return step

    return {"nchw": run(net, x), "channels_last": run(last, x_last),
            "frozen": run(frozen, x)}


if __name__ == "__main__":
    main()
