#!/usr/bin/env bash
# Two convolution settings (direct, winograd, im2col) on whole steps of one model, alternated in
# one JVM (A B, then B A, per round), with the ratio B/A per round; not a test.
#   scripts/bench-conv-pair.sh [model, default resnet20] [train|infer] [batch] [A,B, default direct,winograd] [steps 10] [rounds 8]
# SPARKCONV_THREADS applies as everywhere (default 1 thread).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
model=${1:-resnet20}
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" \
  org.sparkconv.engine.bench.StepBenchmark "$SPARKCONV_HOME/conf/models/$model.json" "${2:-train}" \
  "${3:-64}" "${5:-10}" "${6:-8}" --pair "${4:-direct,winograd}"
