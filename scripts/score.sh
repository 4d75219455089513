#!/usr/bin/env bash
# Scores images with a trained model using Spark in local mode (no Spark installation needed).
#   scripts/score.sh --model target/models/lenet5-fashion.spcv --input DIR --output predictions
#   scripts/score.sh --model hdfs:///ckpt/lenet5 --input hdfs:///images --output hdfs:///preds \
#       --output-format csv --top-k 5
# DIR holds PNG/JPEG files, optionally in one sub-folder per class (then accuracy is reported).
# --format parquet|idx|cifar reads other inputs; --help lists every option. For a cluster, run
# org.sparkconv.spark.job.ScoreJob from the -app jar with spark-submit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_built
args=("$@")
master_given=false
for arg in "$@"; do
  case "$arg" in --master|--master=*|--help|-h) master_given=true ;; esac
done
$master_given || args+=(--master "local[$(nproc)]")
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
tmp="$SPARKCONV_HOME/target/spark-tmp"
mkdir -p "$tmp"
# shellcheck disable=SC2086
exec java -Xmx6g $SPARK_JVM_FLAGS -Djava.io.tmpdir="$tmp" $(log4j_flags "${args[@]}") \
  -cp "$SPARK_LOCAL_CLASSPATH" org.sparkconv.spark.job.ScoreJob "${args[@]}"
