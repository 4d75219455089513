#!/usr/bin/env bash
# Engine speed against PyTorch 1.13 (Debian python3-torch) at its best, not a test: LeNet-5,
# VGG-small and ResNet-20 training steps at batch 64 and inference at batch 256, synthetic data,
# at 1 and 2 threads, back to back on this machine; prints images/s and the ratio
# sparkconv / PyTorch. sparkconv's threads are intra-op workers (SPARKCONV_THREADS, images of a
# batch split across them) with one OpenBLAS thread each; PyTorch's are torch.set_num_threads
# with OPENBLAS_NUM_THREADS equal to it, in-place ReLU, gradients set to None, and glibc kept
# from unmapping each step's activations (without that it loses ~25% here), in the fastest of
# its expert setups for the row (channels_last training, a frozen network for inference, ...:
# see pytorch_bench.py), named in the last column.
# The machine this was written on is shared and noisy (ratios moved by 0.3 between runs), so
# ROUNDS=N runs the whole table N times, rounds after one another, and ends with each row's
# median of sparkconv, of PyTorch and of the per-round ratios, with the lowest and highest ratio.
#   [ROUNDS=3] scripts/bench-engine.sh [steps per timing, default 20] [repeats, default 5] [models...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
steps=${1:-20}
repeats=${2:-5}
rate() { sed -n 's/.*: \([0-9]*\) img\/s.*/\1/p'; }
rounds=${ROUNDS:-1}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
shift $(( $# > 2 ? 2 : $# ))
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(lenet5 vgg-small resnet20)
cases=()
for m in "${models[@]}"; do cases+=("$m train 64" "$m infer 256"); done
printf '%-5s %-10s %-6s %6s %8s %14s %14s %7s  %s\n' round model mode batch threads sparkconv pytorch ratio 'pytorch as'
for round in $(seq 1 "$rounds"); do
  for case in "${cases[@]}"; do
    set -- $case
    for threads in 1 2; do
      s=$(SPARKCONV_THREADS=$threads OPENBLAS_NUM_THREADS=1 java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" \
        org.sparkconv.engine.bench.StepBenchmark "$SPARKCONV_HOME/conf/models/$1.json" "$2" "$3" \
        "$steps" "$repeats" 2>/dev/null | rate)
      line=$(MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 \
        OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        /usr/bin/python3 "$SPARKCONV_HOME/scripts/pytorch_bench.py" \
        "$SPARKCONV_HOME/conf/models/$1.json" "$2" "$3" "$threads" "$steps" "$repeats")
      p=$(rate <<< "$line")
      setup=$(sed -n 's/.*cpu\/wall [0-9.]*; \([a-z_]*\);.*/\1/p' <<< "$line") # PyTorch's fastest setup
      echo "$1 $2 $3 $threads $s $p" >> "$results"
      awk -v r="$round" -v m="$1" -v mode="$2" -v b="$3" -v t="$threads" -v s="$s" -v p="$p" \
        -v setup="$setup" 'BEGIN {
        printf "%-5d %-10s %-6s %6d %8d %8d img/s %8d img/s %6.2fx  %s\n", r, m, mode, b, t, s, p, s / p, setup }'
    done
  done
done
if (( rounds > 1 )); then
  echo
  echo "median of $rounds rounds (lowest and highest ratio in brackets):"
  printf '%-10s %-6s %6s %8s %14s %14s %7s\n' model mode batch threads sparkconv pytorch ratio
  awk '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { key = $1 " " $2 " " $3 " " $4
      if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
      s[key] = s[key] " " $5; p[key] = p[key] " " $6; r[key] = r[key] " " $5 / $6
      if (!(key in lo) || $5 / $6 < lo[key]) lo[key] = $5 / $6
      if (!(key in hi) || $5 / $6 > hi[key]) hi[key] = $5 / $6 }
    END { for (i = 1; i <= rows; i++) { k = order[i]; split(k, f, " ")
      printf "%-10s %-6s %6d %8d %8d img/s %8d img/s %6.2fx (%.2f-%.2f)\n", f[1], f[2], f[3], f[4],
        median(s[k]), median(p[k]), median(r[k]), lo[k], hi[k] } }' "$results"
fi
