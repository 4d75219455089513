#!/usr/bin/env bash
# Two builds of the engine (their jars) timed against each other in one JVM
# (org.sparkconv.engine.bench.BuildPair), in both orders, since the build loaded second reads
# 1.5-3.5% faster with the two equal; prints each order's line and A's speedup over B, the
# geometric mean of the two orders' ratios. Not a test. Builds need StepBenchmark.newStep
# (commits from 2026-12-03 on). A jar of another commit, for instance:
#   git worktree add /tmp/old REV && (cd /tmp/old && mvn -q -o package -pl engine -DskipTests)
#   then /tmp/old/engine/target/sparkconv-engine-*.jar
#   scripts/bench-builds.sh JAR_A JAR_B [model, default resnet20] [train|infer] [batch 64]
#     [rounds 40] [steps 4] [threads 1]
# BENCH_ISA=avx2 runs both builds as on an x86 CPU without AVX-512 (-XX:UseAVX=2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
[[ $# -ge 2 ]] || { sed -n 2,10p "${BASH_SOURCE[0]}" >&2; exit 2; }
a=$1 b=$2 model=${3:-resnet20} mode=${4:-train} batch=${5:-64}
rest=("${6:-40}" "${7:-4}" "${8:-1}")
case "${BENCH_ISA:-}" in
  avx2) isa=-XX:UseAVX=2 ;;
  "") isa= ;;
  *) echo "bench-builds: BENCH_ISA is avx2 or unset; got '$BENCH_ISA'" >&2; exit 2 ;;
esac
pair() {
  OPENBLAS_NUM_THREADS=1 java -Xmx6g $ENGINE_JVM_FLAGS $isa -cp "$ENGINE_CLASSPATH" \
    org.sparkconv.engine.bench.BuildPair "$1" "$2" "$SPARKCONV_HOME/conf/models/$model.json" \
    "$mode" "$batch" "${rest[@]}" 2>/dev/null | grep 'per round'
}
first=$(pair "$a" "$b")
echo "A first: $first"
second=$(pair "$b" "$a")
echo "B first: $second"
# first: time of B over A; second: time of A over B
r1=$(sed -E 's/.*median ([0-9.]+).*/\1/' <<<"$first")
r2=$(sed -E 's/.*median ([0-9.]+).*/\1/' <<<"$second")
awk -v r1="$r1" -v r2="$r2" -v m="$model $mode" 'BEGIN {
  printf "%s: A %.3fx as fast as B (%.3f with A loaded first, %.3f with B first)\n",
    m, sqrt(r1 / r2), r1, 1 / r2 }'
