#!/usr/bin/env bash
# Submits a training (or, with --score, a scoring) job to a cluster with spark-submit (YARN,
# Kubernetes or standalone). The application jar (spark-trainer/target/*-app.jar) holds
# sparkconv and its libraries and leaves Spark and Hadoop to the cluster. Model and job files are
# read by the driver.
#
#   scripts/submit.sh --master yarn --deploy-mode client -- \
#       --job conf/jobs/lenet5-fashion.json --data-dir hdfs:///datasets/fashion-mnist
#   scripts/submit.sh --master spark://host:7077 --executor-memory 4g -- --job ...
#   scripts/submit.sh --score --master yarn -- --model hdfs:///ckpt/lenet5 \
#       --input hdfs:///images --output hdfs:///predictions
#
# Arguments before "--" go to spark-submit, after it to TrainJob (ScoreJob with --score).
# In cluster deploy mode the driver runs on a cluster node and sees none of this machine's
# files: the job file (and the spec it names), and every output, must be Hadoop URIs
# (hdfs://, s3a://, ...) or absolute paths on the cluster's default file system (fs.defaultFS);
# files of this machine are refused here, before anything is submitted.
# SPARK_SUBMIT names the spark-submit to use (default: spark-submit on PATH, else
# $SPARK_HOME/bin/spark-submit).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

main=org.sparkconv.spark.job.TrainJob
submit_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  if [ "$1" = "--score" ]; then main=org.sparkconv.spark.job.ScoreJob; shift; continue; fi
  submit_args+=("$1"); shift
done
[ $# -gt 0 ] && shift

cluster_mode=false
for ((i = 0; i < ${#submit_args[@]}; i++)); do
  case "${submit_args[$i]}" in
    --deploy-mode=cluster) cluster_mode=true ;;
    --deploy-mode) [ "${submit_args[$((i + 1))]:-}" = cluster ] && cluster_mode=true ;;
  esac
done
if $cluster_mode; then
  args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[$i]}" in
      --job|--output|--model|--input|--data-dir)
        value="${args[$((i + 1))]:-}"
        # A URI, or an absolute path that is not a file here (in cluster mode the driver
        # reads it from the cluster's default file system), is left to the driver.
        if [ -n "$value" ] && [[ "$value" != *://* ]] \
            && { [[ "$value" != /* ]] || [ -e "$value" ]; }; then
          if [ "${args[$i]}" = --output ]; then
            echo "error: --output $value is a local path: in cluster deploy mode it would be" \
              "written to the driver container's disk and lost with it; give a URI" \
              "(--output hdfs:///user/${USER:-me}/models/x.spcv)" >&2
          else
            echo "error: ${args[$i]} $value is a local path, but in cluster deploy mode the" \
              "driver runs on a cluster node and cannot see it: copy it to a shared file system" \
              "(for example hdfs dfs -put -f conf hdfs:///user/${USER:-me}/sparkconv/) and pass" \
              "its URI (${args[$i]} hdfs:///user/${USER:-me}/sparkconv/...)" >&2
          fi
          exit 2
        fi
        ;;
    esac
  done
fi
ensure_built

submit=${SPARK_SUBMIT:-}
if [ -z "$submit" ]; then
  if command -v spark-submit >/dev/null 2>&1; then submit=spark-submit
  elif [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then submit="$SPARK_HOME/bin/spark-submit"
  else
    echo "error: no spark-submit found: put it on PATH, set SPARK_HOME, or set SPARK_SUBMIT" >&2
    exit 2
  fi
fi
# Defaults first, so a user's own --conf of the same key (later on the line) wins. The Vector API
# module lets the engine use its vector kernels, and the trap limit keeps the JIT from leaving them
# on the API's slow Java fallback in some runs (engine/.../math/JitTrapLimit.java).
vector_flags="--add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=100000"
# In client mode the driver runs here: the project's logging (warnings only) unless the user
# gives driver options of their own.
log_args=()
if ! $cluster_mode && [[ " ${submit_args[*]} " != *" --driver-java-options "* ]]; then
  log_args=(--driver-java-options "$(log4j_flags "$@")")
fi
exec $submit --class "$main" "${log_args[@]}" \
  --conf spark.executorEnv.OPENBLAS_NUM_THREADS=1 \
  --conf "spark.executor.extraJavaOptions=$vector_flags" \
  --conf "spark.driver.extraJavaOptions=$vector_flags" \
  "${submit_args[@]}" "$APP_JAR" "$@"
