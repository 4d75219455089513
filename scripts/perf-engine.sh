#!/usr/bin/env bash
# Where an engine step's CPU time goes, by compiled method, sampled by Linux perf (Debian
# linux-perf) rather than JFR; not a test. JFR samples a thread only where the JIT left debug
# information, so it credits a kernel's time to whichever inlined call is nearest: on this
# project's machine it put 8% of VGG-small inference in Objects.checkIndex and 6% in the dense
# layer's weight transposes, where perf put the same time in the loops around them. perf's
# samples are CPU-clock ticks attributed through the JIT's symbol map (-XX:+DumpPerfMapAtExit),
# one row per compiled method: what the JIT inlined into it is counted in it.
#   scripts/perf-engine.sh [model, default vgg-small] [train|infer] [batch] [steps, default 40]
# SPARKCONV_THREADS applies as everywhere. Only the last 60% of the run is counted (the first
# part is JIT warm-up). PERF_CALLERS=1 adds, for the five largest rows (PERF_CALLERS_ROWS=N: the N
# largest), their callers (the JVM then keeps frame pointers, which costs a few percent).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
command -v perf >/dev/null || { echo "perf-engine: needs perf (apt-get install -y linux-perf)" >&2; exit 1; }
model=${1:-vgg-small}
mode=${2:-train}
batch=${3:-$([[ $mode == infer ]] && echo 256 || echo 64)}
data=$(mktemp)
trap 'rm -f "$data"' EXIT
graph=()
frames=()
if [[ -n "${PERF_CALLERS:-}" ]]; then
  graph=(-g)
  frames=(-XX:+PreserveFramePointer)
fi
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} perf record -q -e cpu-clock -F 1999 "${graph[@]}" \
  -o "$data" -- java -Xmx4g $ENGINE_JVM_FLAGS "${frames[@]}" -XX:+UnlockDiagnosticVMOptions \
  -XX:+DumpPerfMapAtExit -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.bench.StepBenchmark \
  "$SPARKCONV_HOME/conf/models/$model.json" "$mode" "$batch" "${4:-40}" 2>&1 | grep 'img/s' || true
echo "share of CPU samples, last 60% of the run, by compiled method:"
perf report -i "$data" --no-children --sort symbol -g none --time 40%-100% 2>/dev/null \
  | grep '%' | grep -v '^#' | sed -e 's/([^)]*)//g; s/  *-  *-  *$//; s/ *$//' | awk 'NR <= 25'
if [[ -n "${PERF_CALLERS:-}" ]]; then
  perf script -i "$data" -F time,ip,sym 2>/dev/null | python3 -c '
import collections, os, re, sys
blocks = [b for b in sys.stdin.read().split("\n\n") if b.strip()]
stamp = lambda b: float(re.match(r"\s*([\d.]+):", b).group(1))
first, last = stamp(blocks[0]), stamp(blocks[-1])
blocks = [b for b in blocks if stamp(b) >= first + 0.4 * (last - first)]
def name(line):
    line = re.sub(r"\(.*", "", re.sub(r"^\s*[0-9a-f]+\s+", "", line.strip()))
    return ".".join(line.split(".")[-2:]) if "sparkconv" in line else line[:40]
top, callers = collections.Counter(), collections.defaultdict(collections.Counter)
for b in blocks:
    frames = b.strip().split("\n")[1:]
    if frames:
        top[name(frames[0])] += 1
        callers[name(frames[0])][" < ".join(name(f) for f in frames[1:4])] += 1
for method, n in top.most_common(int(os.environ.get("PERF_CALLERS_ROWS", "5"))):
    print(f"{100 * n / len(blocks):5.1f}% {method}, called from:")
    for path, k in callers[method].most_common(4):
        print(f"        {100 * k / len(blocks):5.1f}% {path}")
'
fi
