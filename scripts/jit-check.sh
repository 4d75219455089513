#!/usr/bin/env bash
# Which of sparkconv's methods the JIT (C2, JDK 17) compiled with Vector API operations left to
# the API's Java fallback, which allocates a vector per operation and runs many times slower; not
# a test. It happens when a compiled method grows too large (the vector kernels are split so that
# it does not), or when its inlined methods' class-check traps add up to -XX:PerMethodTrapLimit
# (ENGINE_JVM_FLAGS raise it: engine/.../math/JitTrapLimit.java), and not in every run, so run it
# a few times after changing a kernel. A third cause, a helper given vectors that C2 did not
# inline, shows no such compile, only the allocation check below; the engine's rule against it
# (engine/.../math/package-info.java) is kept by VectorBoundaryTest. JIT_CHECK_FLAGS adds JVM
# flags (-XX:PerMethodTrapLimit=100 shows the default's failures).
#   scripts/jit-check.sh [model, default vgg-small] [train|infer] [batch] [steps 10]
# Prints each such compile (method, bytecode size) and exits 1 if there is any, or if a step of
# the last timed repeat allocated more than JIT_CHECK_MAX_MB (20).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
model=${1:-vgg-small}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Two compiler threads keep each compile's intrinsic messages next to its compile line.
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} java -Xmx4g $ENGINE_JVM_FLAGS ${JIT_CHECK_FLAGS:-} \
  -XX:+UnlockDiagnosticVMOptions -XX:+PrintIntrinsics -XX:+PrintCompilation -XX:CICompilerCount=2 \
  -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.bench.StepBenchmark \
  "$SPARKCONV_HOME/conf/models/$model.json" "${2:-train}" "${3:-64}" "${4:-10}" 4 > "$log" 2>&1
grep -o "[0-9]* img/s (median of \[[0-9, ]*\])" "$log" || true
found=$(awk '/^ +[0-9]+ +[0-9]+ +[ %sb!n]* 4 / && !/made not entrant/ {last = $0}
  /missing constant/ && last ~ /org\.sparkconv/ {print last}' "$log" | sed 's/^ *[0-9]* *[0-9]* *[%sb!n ]*4 *//' | sort -u)
if [[ -n "$found" ]]; then
  echo "Vector API operations left to the Java fallback in:"
  echo "$found"
  exit 1
fi
# A fallback the compile log does not name (a compiled method past C2's inlining budget calls
# the API's Java code without a "missing constant") still shows in what a step allocates: under
# 0.1 MB for sparkconv's own buffers (0-4 MB before the Winograd packing kept its scratch),
# 85-620 MB where kernels ran on the fallback. On a busy machine the JIT may not have finished
# compiling when the timing starts (22-66 MB a step seen beside a build), so the check takes
# the last of four timed repeats; a compile log that names a method is still worth a second
# run on an idle machine.
# (a number, not an empty match: the compile log can interleave with that line and split it)
allocated=$(grep -o "[0-9][0-9.]* in the last repeat" "$log" | head -1 | awk '{print $1}')
if [[ -n "$allocated" ]] && awk -v a="$allocated" -v max="${JIT_CHECK_MAX_MB:-20}" \
    'BEGIN {exit !(a > max)}'; then
  echo "allocated $allocated MB a step in the last timed repeat, more than" \
    "${JIT_CHECK_MAX_MB:-20} (JIT_CHECK_MAX_MB): a vector kernel left on the Java fallback" \
    "that the compile log does not name"
  exit 1
fi
echo "every Vector API operation in sparkconv's compiled methods is intrinsic" \
  "(allocated ${allocated:-?} MB a step in the last timed repeat)"
