#!/usr/bin/env bash
# How much of a two-thread step's shortfall is the engine's and how much the machine's; not a
# test. Each round times, one after the other, on cores 0 and 1 (taskset):
#   alone: one single-thread process on core 0;
#   two processes: two single-thread processes at once, one a core (their sum);
#   two threads: one process with SPARKCONV_THREADS=2 on both cores.
# Two processes share nothing but the machine (caches, memory, the host), so "two processes /
# alone" is what the machine lets two cores do, and "two threads / two processes" what the
# engine's sharing of each layer's images between its threads costs beyond that. Rounds
# interleave the three because this machine's speed drifts by minutes; the medians of the
# per-round ratios are printed last.
#   scripts/bench-thread-split.sh [model, default resnet20] [train|infer] [batch 64] [rounds 5]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
command -v taskset >/dev/null \
  || { echo "bench-thread-split: needs taskset (util-linux)" >&2; exit 1; }
(( $(nproc) >= 2 )) \
  || { echo "bench-thread-split: needs two cores, this machine has $(nproc)" >&2; exit 1; }
model=${1:-resnet20}
mode=${2:-train}
batch=${3:-64}
rounds=${4:-5}
[[ -f "$SPARKCONV_HOME/conf/models/$model.json" ]] \
  || { echo "bench-thread-split: no model file conf/models/$model.json" >&2; exit 2; }

# images a second of one StepBenchmark process on cores $1 with $2 threads
rate() {
  SPARKCONV_THREADS=$2 OPENBLAS_NUM_THREADS=1 taskset -c "$1" java -Xmx3g $ENGINE_JVM_FLAGS \
    -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.bench.StepBenchmark \
    "$SPARKCONV_HOME/conf/models/$model.json" "$mode" "$batch" 20 3 2>>"$errors" \
    | sed -n 's/.*: \([0-9]*\) img\/s.*/\1/p' || true # no rate: the caller reports it
}

first=$(mktemp)
second=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$first" "$second" "$errors"' EXIT
ratios=()
for ((r = 1; r <= rounds; r++)); do
  alone=$(rate 0 1)
  rate 0 1 >"$first" &
  rate 1 1 >"$second"
  wait
  pair=$(cat "$first" "$second" | awk '{s += $1; n++} END {if (n == 2) print s}')
  threads=$(rate 0,1 2)
  if [[ -z "$alone" || -z "$pair" || -z "$threads" ]]; then
    echo "bench-thread-split: a StepBenchmark run in round $r printed no rate; its errors:" >&2
    grep -v -e '^WARNING: Using incubator' -e '^sparkconv: GEMM' "$errors" >&2 || true
    exit 1
  fi
  : >"$errors"
  printf 'round %d: alone %s img/s, two processes %s, two threads %s\n' \
    "$r" "$alone" "$pair" "$threads"
  ratios+=("$alone $pair $threads")
done
printf '%s\n' "${ratios[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, line.split())) for line in sys.stdin if line.strip()]
machine = statistics.median(p / (2 * a) for a, p, t in rows)
engine = statistics.median(t / p for a, p, t in rows)
scaling = statistics.median(t / a for a, p, t in rows)
print(f"medians of {len(rows)} rounds: two processes / (2 x alone) {machine:.3f},"
      f" two threads / two processes {engine:.3f}, two threads / alone {scaling:.2f}x")
'
