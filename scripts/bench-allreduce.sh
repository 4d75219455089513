#!/usr/bin/env bash
# All-reduce vs tree aggregation, a benchmark, not a test. Reports, for LeNet-5 and VGG-small on
# Fashion-MNIST (training images/s, evaluation excluded, medians of REPS interleaved runs):
#   - the single-JVM engine with 2 intra-op threads vs Spark local[2] (2 partitions) with
#     spark.sync=tree and spark.sync=allreduce: what the Spark path keeps of the engine's speed
#   - local-cluster with 1 executor JVM vs 2, both ways (1 core each; the driver shares the
#     machine's 2 cores), with the per-round split
#   - the ring all-reduce itself between two executor JVMs: per step for 62 K and 1 M floats,
#     and the cost of one barrier job with its rendezvous
#   scripts/bench-allreduce.sh [lenet5 images, 6400] [vgg-small images, 1280]   (REPS=3;
#   CLUSTER=0 skips the local-cluster part)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_fashion_mnist
ensure_built

lenet_images=${1:-6400}
vgg_images=${2:-1280}
reps=${REPS:-3}
work="$SPARKCONV_HOME/target/bench-allreduce"
mkdir -p "$work/spark-home/jars" "$work/tmp"
export OPENBLAS_NUM_THREADS=1 SPARK_HOME="$work/spark-home" SPARK_SCALA_VERSION=2.13
cluster_conf=(--conf "spark.executor.extraClassPath=$SPARK_LOCAL_CLASSPATH"
  --conf "spark.executor.extraJavaOptions=$SPARK_JVM_FLAGS -Djava.io.tmpdir=$work/tmp"
  --conf spark.executorEnv.OPENBLAS_NUM_THREADS=1 --conf spark.driver.host=127.0.0.1)

rate() { sed -n 's/.*(train \([0-9]*\) img\/s).*/\1/p' "$1" | tail -1; }
breakdown() { sed -n 's/^  per round: //p' "$1" | tail -1; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
common() { echo --set epochs=1 --set "train_limit=$1" --set progress_seconds=1000 \
  --set spark.progress_seconds=1000 --output "$work/model.spcv" --overwrite; }

single() {  # model images log
  # shellcheck disable=SC2046,SC2086
  java -Xmx4g $ENGINE_JVM_FLAGS -Dsparkconv.threads=2 -cp "$ENGINE_CLASSPATH" \
    org.sparkconv.engine.train.TrainMain --job "$SPARKCONV_HOME/conf/jobs/$1-fashion.json" \
    $(common "$2") > "$3" 2>&1
}
spark() {  # model images log master partitions sync
  # shellcheck disable=SC2046,SC2086
  java -Xmx4g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$work/tmp" -cp "$SPARK_LOCAL_CLASSPATH" \
    org.sparkconv.spark.job.TrainJob --job "$SPARKCONV_HOME/conf/jobs/$1-fashion.json" \
    $(common "$2") --master "$4" --set "spark.partitions=$5" --set "spark.sync=$6" \
    "${cluster_conf[@]}" > "$3" 2>&1
}

# shellcheck disable=SC2086
java -Xmx2g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$work/tmp" -cp "$SPARK_LOCAL_CLASSPATH" \
  org.sparkconv.spark.job.AllReduceLatency "local-cluster[2,1,1024]" 2 62000,1000000 \
  "${cluster_conf[@]}" 2>/dev/null | grep "all-reduce,"

printf '%-10s %14s %14s %14s %10s %10s\n' model "engine 2 thr" "local[2] tree" \
  "local[2] allr" "tree/eng" "allr/eng"
for m in lenet5 vgg-small; do
  images=$lenet_images
  [ "$m" = vgg-small ] && images=$vgg_images
  s=""; t=""; a=""
  for r in $(seq 1 "$reps"); do
    single "$m" "$images" "$work/$m-single-$r.log"; s="$s $(rate "$work/$m-single-$r.log")"
    spark "$m" "$images" "$work/$m-tree-$r.log" "local[2]" 2 tree
    t="$t $(rate "$work/$m-tree-$r.log")"
    spark "$m" "$images" "$work/$m-allreduce-$r.log" "local[2]" 2 allreduce
    a="$a $(rate "$work/$m-allreduce-$r.log")"
  done
  ms=$(echo "$s" | median); mt=$(echo "$t" | median); ma=$(echo "$a" | median)
  awk -v m="$m" -v s="$ms" -v t="$mt" -v a="$ma" 'BEGIN {
    printf "%-10s %8d img/s %8d img/s %8d img/s %9.0f%% %9.0f%%\n", m, s, t, a,
      100 * t / s, 100 * a / s }'
  echo "           runs: engine [$s ], tree [$t ], all-reduce [$a ]"
  echo "           local[2] tree round:       $(breakdown "$work/$m-tree-$reps.log")"
  echo "           local[2] all-reduce round: $(breakdown "$work/$m-allreduce-$reps.log")"
done

[ "${CLUSTER:-1}" = 0 ] && exit 0
printf '%-10s %-10s %14s %14s %8s\n' model sync "1 executor" "2 executors" speedup
for m in lenet5 vgg-small; do
  images=$lenet_images
  [ "$m" = vgg-small ] && images=$vgg_images
  for sync in tree allreduce; do
    spark "$m" "$images" "$work/$m-$sync-c1.log" "local-cluster[1,1,3072]" 1 "$sync"
    spark "$m" "$images" "$work/$m-$sync-c2.log" "local-cluster[2,1,3072]" 2 "$sync"
    c1=$(rate "$work/$m-$sync-c1.log"); c2=$(rate "$work/$m-$sync-c2.log")
    awk -v m="$m" -v s="$sync" -v c1="$c1" -v c2="$c2" 'BEGIN {
      printf "%-10s %-10s %8d img/s %8d img/s %7.2fx\n", m, s, c1, c2, c2 / c1 }'
    echo "           1 executor round:  $(breakdown "$work/$m-$sync-c1.log")"
    echo "           2 executors round: $(breakdown "$work/$m-$sync-c2.log")"
  done
done
echo "(training images/s, evaluation excluded; logs in $work)"
