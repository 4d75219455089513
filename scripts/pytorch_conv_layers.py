#!/usr/bin/python3
"""One 3x3 convolution layer at a time in PyTorch 1.13 at its best on this machine (inference,
no bias), the per-shape counterpart of scripts/profile-layers.sh's in-network figures: for each
shape, eager NCHW, eager channels_last (oneDNN's blocked kernels) and traced-frozen-optimized,
the best of REPEATS timings of STEPS forwards each, in ms a batch and GMAC/s. Not a test.
Run with one thread and glibc kept from unmapping, as scripts/bench-engine.sh runs PyTorch:

  MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 OMP_NUM_THREADS=1 \\
    /usr/bin/python3 scripts/pytorch_conv_layers.py [BATCH 256] [THREADS 1] [STEPS 5] [REPEATS 5]

Shapes: ResNet-20's and VGG-small's stride-1 3x3 convolutions (in channels, side, out channels).

A single frozen layer converts its input to oneDNN's blocked layout and its output back on
every call, which a frozen network does only at its ends. So for shapes whose input and output
channels match, "in network" is what one more layer adds inside a frozen stack: (the time of
STACK convolution + batch norm + ReLU layers - the time of one) / (STACK - 1), batch norm
folded in and ReLU fused as in a frozen ResNet or VGG.
"""
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openblas_kernels import ensure_cpu_kernels  # noqa: E402

ensure_cpu_kernels()  # before torch loads OpenBLAS

import torch  # noqa: E402

STACK = 7
SHAPES = [(16, 28, 16), (32, 14, 32), (64, 7, 64), (32, 28, 32), (32, 14, 64), (64, 14, 64)]


def best_ms(model, x, steps, repeats):
    with torch.no_grad():
        for _ in range(3):
            model(x)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps):
                model(x)
            best = min(best, (time.perf_counter() - t0) / steps)
    return best * 1e3


def main():
    warnings.filterwarnings("ignore")
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    print(f"pytorch {torch.__version__}, {threads} thread(s), batch {batch}: ms a batch (GMAC/s)")
    for c, side, k in SHAPES:
        conv = torch.nn.Conv2d(c, k, 3, padding=1, bias=False).eval()
        x = torch.randn(batch, c, side, side)
        last = torch.nn.Conv2d(c, k, 3, padding=1, bias=False).eval()
        last.load_state_dict(conv.state_dict())
        last = last.to(memory_format=torch.channels_last)
        with torch.no_grad():
            frozen = torch.jit.optimize_for_inference(
                torch.jit.freeze(torch.jit.trace(torch.nn.Sequential(conv).eval(), x)))
        times = {
            "nchw": best_ms(conv, x, steps, repeats),
            "channels_last": best_ms(last, x.to(memory_format=torch.channels_last), steps,
                                     repeats),
            "frozen": best_ms(frozen, x, steps, repeats),
        }
        macs = k * c * 9 * side * side * batch
        best = min(times, key=times.get)
        inside = ""
        if c == k:
            stacked = [best_ms(frozen_stack(c, n, x), x, steps, repeats) for n in (1, STACK)]
            added = (stacked[1] - stacked[0]) / (STACK - 1)
            inside = f"; in network {added:.2f} ({macs / added / 1e6:.0f} GMAC/s)"
        print(f"{c}x{side}x{side}->{k}: best {times[best]:.2f} ms ({macs / times[best] / 1e6:.0f}"
              f" GMAC/s, {best}); " + ", ".join(f"{n} {t:.2f}" for n, t in times.items())
              + inside)


def frozen_stack(channels, layers, x):
    """LAYERS of convolution + batch norm + ReLU on CHANNELS, traced, frozen and optimized."""
    modules = []
    for _ in range(layers):
        modules += [torch.nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                    torch.nn.BatchNorm2d(channels), torch.nn.ReLU(inplace=True)]
    with torch.no_grad():
        return torch.jit.optimize_for_inference(
            torch.jit.freeze(torch.jit.trace(torch.nn.Sequential(*modules).eval(), x)))


if __name__ == "__main__":
    main()
