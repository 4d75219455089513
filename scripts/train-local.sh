#!/usr/bin/env bash
# Trains a CNN on Fashion-MNIST and prints its test accuracy.
#   scripts/train-local.sh                       LeNet-5, 1 epoch (conf/jobs/lenet5-fashion.json)
#   scripts/train-local.sh --job conf/jobs/vgg-small-fashion.json --set epochs=5
#   scripts/train-local.sh --set optimizer.lr=0.02 --data-dir /path/to/fashion-mnist
# Any TrainMain option may follow; --help lists them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

job_given=false
for arg in "$@"; do
  case "$arg" in --job|--job=*|--help|-h) job_given=true ;; esac
done
data_given=false
for arg in "$@"; do
  case "$arg" in --data-dir|--data-dir=*) data_given=true ;; esac
done

$data_given || ensure_fashion_mnist
ensure_engine_built
args=("$@")
$job_given || args=(--job "$SPARKCONV_HOME/conf/jobs/lenet5-fashion.json" "${args[@]}")
exec java -Xmx4g -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.train.TrainMain "${args[@]}"
