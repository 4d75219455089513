#!/usr/bin/env bash
# Where a training step's time goes, layer by layer (forward and backward medians, share of the
# step), on synthetic data; not a test.
#   scripts/profile-layers.sh [model, default vgg-small] [batch, default 64] [steps, default 30] [train|infer]
# SPARKCONV_THREADS and SPARKCONV_GEMM apply as everywhere (default 1 thread, best GEMM).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
model=${1:-vgg-small}
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" \
  org.sparkconv.engine.bench.LayerProfile "$SPARKCONV_HOME/conf/models/$model.json" "${2:-64}" "${3:-30}" "${4:-train}"
