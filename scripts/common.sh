# Shared by the scripts in this folder: locate the project, make sure the build and the
# Fashion-MNIST data are there. Source it; do not run it.

SPARKCONV_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FASHION_MNIST_DIR=/usr/share/datasets/fashion-mnist

# Installs Debian's dataset-fashion-mnist when its files are missing (needs root or sudo).
ensure_fashion_mnist() {
  if [ -f "$FASHION_MNIST_DIR/train-images-idx3-ubyte.gz" ]; then
    return 0
  fi
  echo "Fashion-MNIST not found in $FASHION_MNIST_DIR: installing Debian package dataset-fashion-mnist" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
}

# Builds the engine jar and its runtime classpath when missing or older than any source.
ensure_engine_built() {
  local jar="$SPARKCONV_HOME/engine/target/sparkconv-engine-0.1.0-SNAPSHOT.jar"
  local cp="$SPARKCONV_HOME/engine/target/runtime-classpath.txt"
  if [ ! -f "$jar" ] || [ ! -f "$cp" ] || [ -n "$(find "$SPARKCONV_HOME/engine/src/main" "$SPARKCONV_HOME/engine/pom.xml" "$SPARKCONV_HOME/pom.xml" -newer "$jar" -print -quit)" ]; then
    echo "building sparkconv (mvn package, tests skipped) ..." >&2
    (cd "$SPARKCONV_HOME" && mvn -B -q -ntp -DskipTests package -pl engine -am) >&2
  fi
  ENGINE_CLASSPATH="$jar:$(cat "$cp")"
}
