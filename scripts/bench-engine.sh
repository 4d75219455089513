#!/usr/bin/env bash
# Engine speed against PyTorch 1.13 (Debian python3-torch) at its best, not a test: LeNet-5,
# VGG-small and ResNet-20 training steps at batch 64 and inference at batch 256, synthetic data,
# at 1 and 2 threads, on this machine; prints images/s and the ratio sparkconv / PyTorch.
# sparkconv's threads are intra-op workers (SPARKCONV_THREADS, images of a batch split across
# them) with one OpenBLAS thread each; PyTorch's are torch.set_num_threads with
# OPENBLAS_NUM_THREADS equal to it, in-place ReLU, gradients set to None, and glibc kept from
# unmapping each step's activations (without that it loses ~25% here), OpenBLAS on the kernels
# of this CPU (scripts/openblas_kernels.py: Debian's 0.3.21 takes a Sapphire Rapids for a
# Prescott, a fifth of the speed on matrix products), in the fastest of its
# expert setups for the row (channels_last training, a frozen network for inference, ...: see
# pytorch_bench.py; at two threads each setup on one thread too, SETUP@1, where that is
# faster), named in the last column with its CPU time over wall time (which must match the
# threads the setup runs on).
# The two run turn by turn (scripts/bench_turns.py): both processes warm up, one after the other,
# then take PAIRS turns each of at least STEPS steps and SECONDS_PER_TURN, A B then B A, the other
# idle meanwhile, so both are timed in the same phase of a machine whose speed drifts (a whole run
# here moved by 1.6x within minutes, and timing one side's rounds minutes after the other's gave
# ratio ranges of 0.6-1.0 for one row). Each row prints the medians of both and of the per-pair
# ratios, with the lowest and highest ratio, and both medians as shares of this machine's
# multiply-add peak on the row's threads (see below).
# BENCH_ISA=avx2 runs both sides as on an x86 CPU without AVX-512 (most laptops, AMD before
# Zen 4): the JVM with -XX:UseAVX=2, PyTorch's oneDNN and ATen dispatch limited to AVX2
# (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY), OpenBLAS on its Haswell kernels for both.
#   [SECONDS_PER_TURN=1] [BENCH_KEEP_OPENBLAS_CORETYPE=1] [BENCH_ISA=avx2] scripts/bench-engine.sh
#     [steps per turn, default 10] [pairs, default 7] [models...]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
ensure_torch
# PyTorch at its best runs the OpenBLAS kernels of this CPU: a core inherited from the
# environment replaces them only when asked to (BENCH_KEEP_OPENBLAS_CORETYPE=1). A shell here
# exported OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU: half the speed of OpenBLAS's own choice
# on a 2048^3 product, PyTorch's LeNet-5 training 1.03x slower turn by turn.
if [[ -n "${OPENBLAS_CORETYPE:-}" && -z "${BENCH_KEEP_OPENBLAS_CORETYPE:-}" ]]; then
  inherited=$OPENBLAS_CORETYPE
  unset OPENBLAS_CORETYPE
  ensure_openblas_core # common.sh: the core OpenBLAS takes for this CPU, corrected where needed
  if [[ "${OPENBLAS_CORETYPE:-}" != "$inherited" ]]; then
    echo "bench-engine: OPENBLAS_CORETYPE=$inherited from the environment replaced by" \
      "${OPENBLAS_CORETYPE:-nothing}, the core OpenBLAS takes for this CPU" \
      "(BENCH_KEEP_OPENBLAS_CORETYPE=1 keeps it)" >&2
  fi
fi
isa_jvm=""
isa_env=""
case "${BENCH_ISA:-}" in
  "") ;;
  avx2)
    isa_jvm="-XX:UseAVX=2"
    isa_env="OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2"
    echo "bench-engine: both sides on AVX2 (BENCH_ISA=avx2): JVM $isa_jvm; $isa_env" ;;
  *) echo "bench-engine: BENCH_ISA is avx2 or unset; got '$BENCH_ISA'" >&2; exit 2 ;;
esac
steps=${1:-10}
pairs=${2:-7}
shift $(( $# > 2 ? 2 : $# ))
models=("$@")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
[[ ${#models[@]} -gt 0 ]] || models=(lenet5 vgg-small resnet20)
# The ceiling (org.sparkconv.engine.bench.Roofline): this machine's multiply-add peak per
# thread, the best of several rounds of a register-only loop, and each model's multiply-adds
# per image by definition (Winograd's savings not counted). Each row then gives both sides'
# rates as a share of that peak on its threads: what a direct method would need to reach to
# match them (past 100%, only fewer multiplications can).
files=()
for m in "${models[@]}"; do files+=("$SPARKCONV_HOME/conf/models/$m.json"); done
if ! roofline=$(java -Xmx2g $ENGINE_JVM_FLAGS $isa_jvm -cp "$ENGINE_CLASSPATH" \
    org.sparkconv.engine.bench.Roofline 1,2 "${files[@]}" 2>"$log"); then
  echo "bench-engine: the peak and work per image (Roofline) failed:" >&2
  cat "$log" >&2
  exit 1
fi
peak() { awk -v t="$1" '$1 == "peak" && $2 == t { print $3 }' <<< "$roofline"; }
work() { awk -v m="$1" -v c="$2" '$1 == "work" && $2 == m { print (c == "train" ? $4 : $3) }' \
  <<< "$roofline"; }
echo "multiply-add peak per thread: $(peak 1) GMAC/s alone, $(peak 2) with two threads running"
printf '%-10s %-6s %6s %8s %14s %14s %7s %12s %13s  %s\n' model mode batch threads sparkconv \
  pytorch ratio '(range)' 'of peak s/p' 'pytorch as (cpu/wall)'
for m in "${models[@]}"; do
  model="$SPARKCONV_HOME/conf/models/$m.json"
  for case in "train 64" "infer 256"; do
    set -- $case
    for threads in 1 2; do
      sparkconv="$isa_env SPARKCONV_THREADS=$threads OPENBLAS_NUM_THREADS=1 java -Xmx4g \
        $ENGINE_JVM_FLAGS $isa_jvm \
        -cp '$ENGINE_CLASSPATH' org.sparkconv.engine.bench.StepBenchmark '$model' $1 $2 $steps 0 \
        --turns 2>/dev/null"
      pytorch="$isa_env MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 \
        OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads /usr/bin/python3 \
        '$SPARKCONV_HOME/scripts/pytorch_bench.py' '$model' $1 $2 $threads $steps 0 --turns"
      if ! line=$(/usr/bin/python3 "$SPARKCONV_HOME/scripts/bench_turns.py" "$pairs" \
          "${SECONDS_PER_TURN:-1}" "$sparkconv" "$pytorch" 2>"$log"); then
        echo "bench-engine: $m $1 at $threads threads failed:" >&2
        cat "$log" >&2
        exit 1
      fi
      read -r s p ratio lo hi load setup _ <<< "$line"
      # images a second at 100% of the peak on these threads: threads * peak / work
      read -r share_s share_p < <(awk -v w="$(work "$m" "$1")" -v t="$threads" \
        -v g="$(peak "$threads")" -v s="$s" -v p="$p" \
        'BEGIN { c = t * g * 1e9 / w; print 100 * s / c, 100 * p / c }')
      row='%-10s %-6s %6d %8d %8d img/s %8d img/s %6.2fx  (%.2f-%.2f) %5.0f%%/%3.0f%%   %s (%s)\n'
      printf "$row" "$m" "$1" "$2" "$threads" "$s" "$p" "$ratio" "$lo" "$hi" "$share_s" \
        "$share_p" "${setup%;}" "$load"
    done
  done
done
