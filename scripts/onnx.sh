#!/usr/bin/env bash
# ONNX both ways:
#   scripts/onnx.sh export MODEL.spcv OUT.onnx            a trained model for ONNX Runtime, TensorRT, ...
#   scripts/onnx.sh import MODEL.onnx OUT.spcv [--spec-out SPEC.json]
#                                                         e.g. a torch.onnx.export model, to fine-tune
#                                                         or score on Spark like any sparkconv model
# --overwrite replaces existing outputs; --help lists the options.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
onnx_jar="$SPARKCONV_HOME/onnx/target/sparkconv-onnx-$SPARKCONV_VERSION.jar"
exec java -Xmx4g $ENGINE_JVM_FLAGS \
  -cp "$onnx_jar:$(cat "$SPARKCONV_HOME/onnx/target/runtime-classpath.txt")" \
  org.sparkconv.onnx.OnnxTool "$@"
