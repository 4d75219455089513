#!/usr/bin/env python3
"""Per-step time of synchronous data-parallel training on N executors, all-reduce vs tree,
from constants measured on this machine (see docs/allreduce-scaling.md for where each comes
from). Weak scaling: each executor (one core) takes b images per step, so the global batch is
b * N. Prints a markdown table of images/s and efficiency (images/s over N times the
one-executor compute-only rate). A model on paper, not a measurement.

    /usr/bin/python3 scripts/scaling_model.py
"""
import math

B = 32                      # images per executor per step
K = 50                      # rounds per all-reduce job (spark.rounds_per_job default)
ALPHA_MS = 2.9              # per ring step (latency), 2 executor JVMs here
BETA_MS_PER_MB = 2.5        # per MB moved by one peer in the ring
BARRIER_JOB_MS = 187.0      # barrier job that meets and sums one float, less per-task part
TASK_MS = 2.0               # per task launched by the driver (assumed, both ways)
TREE_JOB_MS = 122.0         # tree round's job, aggregation and broadcast fixed part (fitted)
TREE_MS_PER_MB = 13.0       # per MB of each vector moved up the tree (fitted)

MODELS = [  # name, parameters, ms of compute per training image on one core
    ("LeNet-5", 61_706, 0.33),
    ("VGG-small", 871_018, 4.7),
    ("ResNet-50-sized", 25_600_000, 250.0),  # assumed: ~12 GFLOP per image at ~50 GFLOP/s
]


def allreduce_ms(n, mb, compute):
    ring = 2 * (n - 1) * ALPHA_MS + 2 * (n - 1) / n * mb * BETA_MS_PER_MB
    return compute + ring + (BARRIER_JOB_MS + TASK_MS * n) / K


def tree_ms(n, mb, compute):
    # treeAggregate of depth 2: about sqrt(N) vectors arrive at each level; plus the broadcast.
    moved = 2 * math.ceil(math.sqrt(n)) + math.log2(n + 1)
    return compute + TREE_JOB_MS + TASK_MS * n + TREE_MS_PER_MB * mb * moved


def main():
    ns = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    for name, params, ms_per_image in MODELS:
        mb = 4 * params / 1e6
        compute = B * ms_per_image
        ideal = B / compute * 1000
        print(f"\n**{name}** ({params:,} parameters, {mb:.2f} MB; {compute:.0f} ms compute"
              f" per step at {B} images)\n")
        print("| N | all-reduce ms/step | img/s | efficiency | tree ms/step | img/s | efficiency |")
        print("|---|---|---|---|---|---|---|")
        for n in ns:
            a = allreduce_ms(n, mb, compute)
            t = tree_ms(n, mb, compute)
            print(f"| {n} | {a:.0f} | {B * n / a * 1000:,.0f} | {B * n / a * 1000 / (ideal * n):.0%}"
                  f" | {t:.0f} | {B * n / t * 1000:,.0f} | {B * n / t * 1000 / (ideal * n):.0%} |")


if __name__ == "__main__":
    main()
