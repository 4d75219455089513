#!/usr/bin/env bash
# Engine speed against PyTorch 1.13 (Debian python3-torch) at its best, not a test: LeNet-5,
# VGG-small and ResNet-20 training steps at batch 64 and inference at batch 256, synthetic data,
# at 1 and 2 threads, back to back on this machine; prints images/s and the ratio
# sparkconv / PyTorch. sparkconv's threads are intra-op workers (SPARKCONV_THREADS, images of a
# batch split across them) with one OpenBLAS thread each; PyTorch's are torch.set_num_threads
# with OPENBLAS_NUM_THREADS equal to it, in-place ReLU, gradients set to None, and glibc kept
# from unmapping each step's activations (without that it loses ~25% here).
#   scripts/bench-engine.sh [steps per timing, default 20] [repeats, default 5] [models...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
steps=${1:-20}
repeats=${2:-5}
rate() { sed -n 's/.*: \([0-9]*\) img\/s.*/\1/p'; }
printf '%-10s %-6s %6s %8s %14s %14s %7s\n' model mode batch threads sparkconv pytorch ratio
shift $(( $# > 2 ? 2 : $# ))
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(lenet5 vgg-small resnet20)
cases=()
for m in "${models[@]}"; do cases+=("$m train 64" "$m infer 256"); done
for case in "${cases[@]}"; do
  set -- $case
  for threads in 1 2; do
    s=$(SPARKCONV_THREADS=$threads OPENBLAS_NUM_THREADS=1 java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" \
      org.sparkconv.engine.bench.StepBenchmark "$SPARKCONV_HOME/conf/models/$1.json" "$2" "$3" \
      "$steps" "$repeats" 2>/dev/null | rate)
    p=$(MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 \
      OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
      /usr/bin/python3 "$SPARKCONV_HOME/scripts/pytorch_bench.py" \
      "$SPARKCONV_HOME/conf/models/$1.json" "$2" "$3" "$threads" "$steps" "$repeats" | rate)
    awk -v m="$1" -v mode="$2" -v b="$3" -v t="$threads" -v s="$s" -v p="$p" 'BEGIN {
      printf "%-10s %-6s %6d %8d %8d img/s %8d img/s %6.2fx\n", m, mode, b, t, s, p, s / p }'
  done
done
