#!/usr/bin/env bash
# Winograd with images in the vector lanes (engine math/ImageLanesWinograd, not yet a path of
# the network) against the engine as built, on ResNet-20's first stage, one thread; not a
# test. Two measurements, each alternating the two sides round by round in one JVM: one
# convolution with its folded batch norm, shortcut and ReLU (bench/ImageLanesBenchmark's main),
# then the whole stage of six, converted from and to NCHW once a 16-image pass
# (bench/ImageLanesStage). Both run with the engine's JVM flags (without
# -XX:PerMethodTrapLimit the transforms' stores stayed on the Vector API's Java fallback: the
# stage 3.5x slower).
#   [BENCH_ISA=avx2] scripts/bench-image-lanes.sh [rounds, default 40]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
jar="$SPARKCONV_HOME/benchmarks/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$SPARKCONV_HOME/benchmarks/src" \
    "$SPARKCONV_HOME/engine/target/sparkconv-engine-$SPARKCONV_VERSION.jar" -newer "$jar" \
    -print -quit)" ]; then
  echo "building the benchmarks (mvn package -pl benchmarks -am, tests skipped) ..." >&2
  (cd "$SPARKCONV_HOME" && mvn -B -q -ntp -DskipTests package -pl benchmarks -am) >&2
fi
isa=()
case "${BENCH_ISA:-}" in
  avx2) isa=(-XX:UseAVX=2) ;;
  "") ;;
  *) echo "bench-image-lanes: BENCH_ISA is avx2 or unset; got '$BENCH_ISA'" >&2; exit 2 ;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for main in ImageLanesBenchmark ImageLanesStage ImageLanesTrainingPasses; do
  # the JVM's notes (the incubator module's warning) kept from the output, shown on a failure
  # (a set-up that finds the two sides computing different things says where)
  if ! java -Xmx4g $ENGINE_JVM_FLAGS "${isa[@]}" -cp "$jar" "org.sparkconv.bench.$main" \
      "${1:-40}" 2>"$log"; then
    echo "bench-image-lanes: $main failed:" >&2
    cat "$log" >&2
    exit 1
  fi
done
