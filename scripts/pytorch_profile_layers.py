#!/usr/bin/python3
"""Where a step of PyTorch at its best goes, operation by operation: the counterpart of
scripts/profile-layers.sh for the same model file. Builds the network as scripts/pytorch_bench.py
does and takes the same fastest candidate (training in NCHW or channels_last; inference eager or
traced, frozen and optimized), or the SETUP named, then runs STEPS steps under PyTorch's profiler
and prints each operation per input shape: milliseconds a step of its own CPU time, calls a step
and share. A frozen network's convolutions run inside its one graph call ("forward"), so for
them per layer name SETUP channels_last. Not a test. The profiler adds a few microseconds a
call; the step time above the table is measured without it. Run it with PyTorch at its best,
as scripts/bench-engine.sh does:

  MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 OMP_NUM_THREADS=1 \\
    /usr/bin/python3 scripts/pytorch_profile_layers.py conf/models/resnet20.json train 64 \\
    [THREADS 1] [STEPS 10] [SETUP: nchw, channels_last or (inference) frozen; with THREADS
    above one, also each on one thread, SETUP@1]

Both sides drift with the machine's phase by more than most differences per layer: run
scripts/profile-layers.sh right before or after and compare shares as well as milliseconds.
"""
import os
import sys
import warnings
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openblas_kernels import ensure_cpu_kernels  # noqa: E402

ensure_cpu_kernels()  # before torch loads OpenBLAS

import torch  # noqa: E402

from pytorch_bench import fastest_step, timed  # noqa: E402

MIN_SHARE = 0.005  # operations below half a percent of the step are summed in one line


def main():
    warnings.filterwarnings("ignore", message="Lazy modules")
    if len(sys.argv) < 4 or sys.argv[2] not in ("train", "infer"):
        sys.exit("usage: pytorch_profile_layers.py MODEL.json train|infer BATCH [THREADS] [STEPS]"
                 " [SETUP]")
    model, mode, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    setup = sys.argv[6] if len(sys.argv) > 6 else None
    torch.set_num_threads(threads)
    spec, chosen, step, _ = fastest_step(model, mode, batch, steps, setup)
    step_ms = 1e3 * batch / timed(step, steps, batch)[0]
    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        for _ in range(steps):
            step()
    rows = prof.key_averages(group_by_input_shape=True)
    self_ms = defaultdict(float)
    calls = defaultdict(int)
    for row in rows:
        key = (row.key, shapes(row.input_shapes))
        self_ms[key] += row.self_cpu_time_total / 1e3 / steps
        calls[key] += row.count
    total = sum(self_ms.values())
    print(f"pytorch {spec['name']} {mode} batch {batch}, {threads} thread(s), {chosen}: "
          f"{step_ms:.2f} ms a step unprofiled, {total:.2f} ms of operations profiled")
    print(f"{'ms/step':>8} {'calls':>6} {'share':>6}  operation (input shapes)")
    rest = 0.0
    for key in sorted(self_ms, key=self_ms.get, reverse=True):
        ms = self_ms[key]
        if ms < MIN_SHARE * total:
            rest += ms
            continue
        print(f"{ms:8.3f} {calls[key] / steps:6.1f} {100 * ms / total:5.1f}%  {key[0]} {key[1]}")
    print(f"{rest:8.3f} {'':6} {100 * rest / total:5.1f}%  the rest")


def shapes(input_shapes):
    """The tensor inputs' shapes, as NxCxHxW, without the empty ones."""
    return " ".join("x".join(map(str, s)) for s in input_shapes if s) or "-"


if __name__ == "__main__":
    main()
