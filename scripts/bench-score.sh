#!/usr/bin/env bash
# Scoring benchmark, not a test: images/s of ScoreJob in Spark local[1] against the engine's own
# inference on one JVM, both with one BLAS thread, on the 10,000 Fashion-MNIST test images.
#   scripts/bench-score.sh [model file]   default: target/models/vgg-small-fashion.spcv, trained
#                                          briefly (1 epoch on 6,400 images) when missing
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_fashion_mnist
ensure_built
model=${1:-$SPARKCONV_HOME/target/models/vgg-small-fashion.spcv}
work="$SPARKCONV_HOME/target/bench-score"
mkdir -p "$work/tmp"
export OPENBLAS_NUM_THREADS=1
if [ ! -f "$model" ]; then
  echo "no model at $model: training VGG-small briefly for the benchmark" >&2
  java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.train.TrainMain \
    --job "$SPARKCONV_HOME/conf/jobs/vgg-small-fashion.json" --set epochs=1 \
    --set train_limit=6400 --set progress_seconds=1000 --output "$model" --overwrite \
    > "$work/train.log"
fi
images="$FASHION_MNIST_DIR/t10k-images-idx3-ubyte.gz"
labels="$FASHION_MNIST_DIR/t10k-labels-idx1-ubyte.gz"
engine=$(java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.bench.InferenceBenchmark \
  "$model" "$images" "$labels" 256 3 | tee "$work/engine.log" | sed -n 's/^engine inference: \([0-9]*\) img.*/\1/p')
spark_rates=()
for run in 1 2 3; do
  rm -rf "$work/predictions" "$work/predictions.metrics.json"
  # shellcheck disable=SC2086
  java -Xmx4g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$work/tmp" -cp "$SPARK_LOCAL_CLASSPATH" \
    org.sparkconv.spark.job.ScoreJob --master 'local[1]' --model "$model" --format idx \
    --input "$images" --labels "$labels" --output "$work/predictions" --batch-size 256 \
    --partitions 1 > "$work/score-$run.log" 2>&1
  spark_rates+=("$(sed -n 's/^scored .* s, \([0-9]*\) img\/s.*/\1/p' "$work/score-$run.log")")
done
spark=$(printf '%s\n' "${spark_rates[@]}" | sort -n | sed -n 2p)
awk -v e="$engine" -v s="$spark" -v all="${spark_rates[*]}" 'BEGIN {
  printf "engine inference (1 thread):   %6d img/s\n", e
  printf "ScoreJob, Spark local[1]:      %6d img/s (median of runs: %s)\n", s, all
  printf "Spark path overhead:           %6.1f%%\n", 100 * (1 - s / e) }'
grep -h "^accuracy" "$work/score-1.log" || true
