# Shared by the scripts in this folder: locate the project, make sure the build and the
# Fashion-MNIST data are there. Source it; do not run it.

SPARKCONV_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPARKCONV_VERSION=0.1.0-SNAPSHOT
FASHION_MNIST_DIR=/usr/share/datasets/fashion-mnist

# One logging configuration for every script: warnings only; INFO with --verbose among the
# arguments or SPARKCONV_LOG_LEVEL=info.
log4j_flags() {
  local level=${SPARKCONV_LOG_LEVEL:-warn}
  for arg in "$@"; do [ "$arg" = --verbose ] && level=info; done
  echo "-Dlog4j2.configurationFile=$SPARKCONV_HOME/conf/log4j2.properties -Dsparkconv.log.level=$level"
}

# Installs Debian's dataset-fashion-mnist when its files are missing (needs root or sudo).
ensure_fashion_mnist() {
  if [ -f "$FASHION_MNIST_DIR/train-images-idx3-ubyte.gz" ]; then
    return 0
  fi
  echo "Fashion-MNIST not found in $FASHION_MNIST_DIR: installing Debian package dataset-fashion-mnist" >&2
  apt_install dataset-fashion-mnist
}

# Installs Debian packages (through sudo unless root), output to standard error; refreshes the
# package lists only when the install fails without them (a fresh machine has none).
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 || {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  }
}

# Native BLAS (Debian's libopenblas0) makes training several times faster; the engine runs
# without it (pure-Java GEMM). Installed when missing and running as root; otherwise one line.
ensure_openblas() {
  # Not "ldconfig -p | grep -q": with pipefail, grep quitting early fails the pipe.
  if compgen -G "/usr/lib/*/libopenblas.so.0" >/dev/null \
      || compgen -G "/usr/lib/libopenblas.so.0" >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -eq 0 ]; then
    echo "native BLAS not found: installing Debian package libopenblas0 (optional, for speed)" >&2
    apt_install libopenblas0 \
      || echo "libopenblas0 could not be installed: using the pure-Java GEMM" >&2
  else
    echo "native BLAS not found: using the pure-Java GEMM (sudo apt-get install libopenblas0" \
      "for speed)" >&2
  fi
}

# PyTorch 1.13 (Debian python3-torch), the reference the benchmark and recipe scripts compare
# against: installed when missing and running as root; otherwise one line, and the caller stops.
ensure_torch() {
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "PyTorch not found for /usr/bin/python3: sudo apt-get install python3-torch" >&2
    return 1
  fi
  echo "PyTorch not found: installing Debian package python3-torch" >&2
  apt_install python3-torch || { echo "python3-torch could not be installed" >&2; return 1; }
}

# The JVM flag that backs the heap with transparent huge pages where the kernel hands them out
# on request (mode "madvise", Debian's and Ubuntu's default); nothing where it gives them to
# every process anyway ("always") or not at all ("never", where the flag would only print a
# warning), or off Linux. ResNet-20 training's activations and gradients (~100 MB) span 25,000
# pages of 4 KB, far more than the TLB holds. Its training at one thread, turn by turn against
# the same JVM without the flag: 1.027-1.053x (three runs), inference 1.015-1.021x; VGG-small
# and LeNet-5 within noise (docs/engine.md: "Huge pages"). Cluster nodes decide for themselves:
# scripts/submit.sh leaves it to the user.
huge_page_flags() {
  local mode
  mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) || return 0
  if [[ $mode == *"[madvise]"* ]]; then
    echo "-XX:+UseTransparentHugePages"
  fi
}

# Builds every module (tests skipped) when a jar is missing or older than any source.
ensure_built() {
  local jar="$SPARKCONV_HOME/spark-trainer/target/sparkconv-spark-trainer-$SPARKCONV_VERSION.jar"
  local stale
  stale=$(find "$SPARKCONV_HOME/engine/src/main" "$SPARKCONV_HOME/spark-trainer/src/main" \
    "$SPARKCONV_HOME/onnx/src/main" "$SPARKCONV_HOME/onnx/pom.xml" \
    "$SPARKCONV_HOME/pom.xml" "$SPARKCONV_HOME/engine/pom.xml" "$SPARKCONV_HOME/spark-trainer/pom.xml" \
    -newer "$jar" -print -quit 2>/dev/null || true)
  if [ ! -f "$jar" ] || [ ! -f "$SPARKCONV_HOME/onnx/target/sparkconv-onnx-$SPARKCONV_VERSION.jar" ] \
    || [ -n "$stale" ]; then
    echo "building sparkconv (mvn package, tests skipped) ..." >&2
    (cd "$SPARKCONV_HOME" && mvn -B -q -ntp -DskipTests package) >&2
    # Maven leaves a jar whose classes did not change as it was: after an engine-only change
    # the spark-trainer jar stayed older than the sources, and every script built again.
    touch "$jar"
  fi
  ENGINE_CLASSPATH="$SPARKCONV_HOME/engine/target/sparkconv-engine-$SPARKCONV_VERSION.jar:$(cat "$SPARKCONV_HOME/engine/target/runtime-classpath.txt")"
  # The Vector API module for the engine's vector kernels, and the JIT setting they need to stay
  # off the API's slow Java fallback (engine/.../math/JitTrapLimit.java says why); huge pages
  # where the kernel gives them on request.
  local huge_pages
  huge_pages=$(huge_page_flags)
  ENGINE_JVM_FLAGS="--add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=100000 $huge_pages"
  # Spark from the Maven jars: no Spark installation needed for local mode.
  SPARK_LOCAL_CLASSPATH="$jar:$(cat "$SPARKCONV_HOME/spark-trainer/target/local-classpath.txt")"
  APP_JAR="$SPARKCONV_HOME/spark-trainer/target/sparkconv-spark-trainer-$SPARKCONV_VERSION-app.jar"
  # The --add-opens list Spark's launcher uses on Java 17, kept once, in spark-trainer/pom.xml.
  SPARK_JVM_FLAGS="$(sed -n 's:.*<spark.jvm.flags>\(.*\)</spark.jvm.flags>.*:\1:p' "$SPARKCONV_HOME/spark-trainer/pom.xml") $huge_pages"
  ensure_openblas_core
}

# Names the core OpenBLAS runs in OPENBLAS_CORETYPE where it is not set: Debian's 0.3.21 takes
# CPUs newer than it (Sapphire Rapids) for a Prescott and runs SSE3 kernels, a fifth of their
# speed, and the engine takes native BLAS over its own GEMM on AVX-512 CPUs only where the
# variable names an AVX-512 core (engine/.../math/GemmSelector.java). Only for this machine's
# processes: a cluster's executors may run on other CPUs (docs/engine.md: "GEMM").
ensure_openblas_core() {
  if [ -n "${OPENBLAS_CORETYPE:-}" ] || ! command -v python3 >/dev/null; then
    return 0
  fi
  local core
  core=$(python3 "$SPARKCONV_HOME/scripts/openblas_kernels.py" core 2>/dev/null || true)
  if [ -n "$core" ]; then
    export OPENBLAS_CORETYPE="$core"
  fi
}
