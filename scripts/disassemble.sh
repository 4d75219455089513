#!/usr/bin/env bash
# The machine code the JIT (C2) made of one engine method inside a real step, decoded, with the
# instructions of each loop counted by kind; not a test. For kernel work: how much of a loop
# is the vector arithmetic and how much is index arithmetic, bounds checks and spills.
#   scripts/disassemble.sh CLASS::METHOD [model, default resnet20] [train|infer] [batch] [steps]
# CLASS may be given without its package (WinogradLanesKernel::transformInput4). It needs
# nothing beyond binutils' objdump (Debian binutils): without the hsdis plugin the JDK prints
# the code as hex, which scripts/jit_disassembly.py lays out and objdump decodes. The counts
# are instructions, not time: the VM here has no hardware counters, so what limits a loop has
# to be measured (JMH, scripts/bench-builds.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ $# -ge 1 && $1 == *::* ]] || {
  echo "usage: scripts/disassemble.sh CLASS::METHOD [model] [train|infer] [batch] [steps]" >&2
  exit 2
}
command -v objdump >/dev/null \
  || { echo "disassemble: needs objdump (apt-get install -y binutils)" >&2; exit 1; }
ensure_built
method=$1
if [[ ${method%%::*} != *.* ]]; then
  source_file=$(find "$SPARKCONV_HOME/engine/src/main/java" -name "${method%%::*}.java" | head -1)
  [[ -n $source_file ]] \
    || { echo "disassemble: no engine class ${method%%::*} (give its package)" >&2; exit 1; }
  package=$(sed -n 's/^package \(.*\);/\1/p' "$source_file")
  method="$package.$method"
fi
model=${2:-resnet20}
mode=${3:-train}
batch=${4:-$([[ $mode == infer ]] && echo 256 || echo 64)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
java -Xmx4g $ENGINE_JVM_FLAGS -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=quiet \
  "-XX:CompileCommand=print,$method" -cp "$ENGINE_CLASSPATH" \
  org.sparkconv.engine.bench.StepBenchmark "$SPARKCONV_HOME/conf/models/$model.json" "$mode" \
  "$batch" "${5:-20}" 3 >"$log" 2>&1 || { tail -5 "$log" >&2; exit 1; }
python3 "$SPARKCONV_HOME/scripts/jit_disassembly.py" "$method" <"$log"
