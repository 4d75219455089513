#!/usr/bin/env bash
# Trains a CNN on Fashion-MNIST with Spark in local mode (no Spark installation needed: Spark runs
# from the Maven jars) and prints its test accuracy.
#   scripts/train-local.sh                     LeNet-5, 1 epoch (conf/jobs/lenet5-fashion.json)
#   scripts/train-local.sh --job conf/jobs/vgg-small-fashion.json --set epochs=5
#   scripts/train-local.sh --set spark.mode=parameter --set spark.local_steps=4
#   scripts/train-local.sh --master 'local[4]' --data-dir /path/to/fashion-mnist
#   scripts/train-local.sh --single-jvm ...    the engine alone, without Spark
# Any TrainJob option may follow; --help lists them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

single=false
args=()
job_given=false
data_given=false
master_given=false
help=false
for arg in "$@"; do
  case "$arg" in
    --single-jvm) single=true; continue ;;
    --help|-h) help=true; job_given=true ;;
    --job|--job=*) job_given=true ;;
    --data-dir|--data-dir=*) data_given=true ;;
    --master|--master=*) master_given=true ;;
  esac
  args+=("$arg")
done

if $help; then
  cat <<'USAGE'
scripts/train-local.sh [--single-jvm] [TrainJob options]
  Trains in Spark local mode on this machine's cores and prints the test accuracy; with no
  --job, conf/jobs/lenet5-fashion.json (LeNet-5 on Fashion-MNIST, installed if missing).
      --single-jvm           Train with the engine alone, without Spark
      --job=<job>            Optional here (default conf/jobs/lenet5-fashion.json)
The TrainJob options:
USAGE
fi
$data_given || $help || ensure_fashion_mnist
$help || ensure_openblas
ensure_built
$job_given || args=(--job "$SPARKCONV_HOME/conf/jobs/lenet5-fashion.json" "${args[@]}")

if $single; then
  exec java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.train.TrainMain "${args[@]}"
fi
cores=$(nproc)
$master_given || args+=(--master "local[$cores]")
# One BLAS thread per Spark task: the tasks themselves use the cores.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
tmp="$SPARKCONV_HOME/target/spark-tmp"
mkdir -p "$tmp"
# shellcheck disable=SC2086
exec java -Xmx6g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$tmp" $(log4j_flags "${args[@]}") \
  -cp "$SPARK_LOCAL_CLASSPATH" org.sparkconv.spark.job.TrainJob "${args[@]}"
