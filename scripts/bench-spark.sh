#!/usr/bin/env bash
# Spark-path benchmark, not a test. For LeNet-5 and VGG-small on Fashion-MNIST it reports
# training images/s (evaluation excluded) of:
#   - the single-JVM engine vs Spark local[1] with 1 partition  -> overhead of the Spark path
#   - local-cluster with 1 executor JVM vs 2 executor JVMs      -> scaling (1 core each)
# plus each Spark run's per-round time breakdown. Every run uses 1 BLAS thread per task.
#   scripts/bench-spark.sh [training images per run, default 6400] [models, default "lenet5 vgg-small"]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_fashion_mnist
ensure_built

images=${1:-6400}
models=${2:-"lenet5 vgg-small"}
work="$SPARKCONV_HOME/target/bench-spark"
mkdir -p "$work/spark-home/jars" "$work/tmp"
export OPENBLAS_NUM_THREADS=1 SPARK_HOME="$work/spark-home" SPARK_SCALA_VERSION=2.13
common=(--set epochs=1 --set "train_limit=$images" --set progress_seconds=1000
        --set spark.progress_seconds=1000 --output "$work/model.spcv" --overwrite)

rate() { sed -n 's/.*(train \([0-9]*\) img\/s).*/\1/p' "$1" | tail -1; }
breakdown() { sed -n 's/^  per round: //p' "$1" | tail -1; }

single() {
  java -Xmx4g $ENGINE_JVM_FLAGS -cp "$ENGINE_CLASSPATH" org.sparkconv.engine.train.TrainMain \
    --job "$SPARKCONV_HOME/conf/jobs/$1-fashion.json" "${common[@]}" > "$2" 2>&1
}
spark() {
  local job=$1 log=$2 master=$3 partitions=$4
  # shellcheck disable=SC2086
  java -Xmx4g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$work/tmp" -cp "$SPARK_LOCAL_CLASSPATH" \
    org.sparkconv.spark.job.TrainJob --job "$SPARKCONV_HOME/conf/jobs/$job-fashion.json" \
    "${common[@]}" --master "$master" --set "spark.partitions=$partitions" \
    --conf "spark.executor.extraClassPath=$SPARK_LOCAL_CLASSPATH" \
    --conf "spark.executor.extraJavaOptions=$SPARK_JVM_FLAGS -Djava.io.tmpdir=$work/tmp" \
    --conf spark.executorEnv.OPENBLAS_NUM_THREADS=1 --conf spark.driver.host=127.0.0.1 \
    > "$log" 2>&1
}

# Spark's own per-job latency here: the floor under every round's aggregate/schedule time.
# shellcheck disable=SC2086
for master in "local[1] 1" "local-cluster[2,1,1024] 2"; do
  set -- $master
  java -Xmx2g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$work/tmp" -cp "$SPARK_LOCAL_CLASSPATH" \
    org.sparkconv.spark.job.JobLatency "$1" "$2" 62000 \
    --conf "spark.executor.extraClassPath=$SPARK_LOCAL_CLASSPATH" \
    --conf "spark.executor.extraJavaOptions=$SPARK_JVM_FLAGS" \
    --conf spark.driver.host=127.0.0.1 2>/dev/null | grep "job latency"
done
printf '%-10s %12s %12s %9s %16s %16s %8s\n' model "single JVM" "local[1]" overhead \
  "1 executor" "2 executors" speedup
for m in $models; do
  single "$m" "$work/$m-single.log"
  spark "$m" "$work/$m-local1.log" "local[1]" 1
  spark "$m" "$work/$m-cluster1.log" "local-cluster[1,1,3072]" 1
  spark "$m" "$work/$m-cluster2.log" "local-cluster[2,1,3072]" 2
  s=$(rate "$work/$m-single.log"); l=$(rate "$work/$m-local1.log")
  c1=$(rate "$work/$m-cluster1.log"); c2=$(rate "$work/$m-cluster2.log")
  awk -v m="$m" -v s="$s" -v l="$l" -v c1="$c1" -v c2="$c2" 'BEGIN {
    printf "%-10s %8d img/s %8d img/s %8.1f%% %12d img/s %12d img/s %7.2fx\n",
      m, s, l, 100 * (1 - l / s), c1, c2, c2 / c1 }'
  echo "           local[1] round:    $(breakdown "$work/$m-local1.log")"
  echo "           1 executor round:  $(breakdown "$work/$m-cluster1.log")"
  echo "           2 executors round: $(breakdown "$work/$m-cluster2.log")"
done
echo "(training images/s, evaluation excluded; $images images per run; logs in $work)"
