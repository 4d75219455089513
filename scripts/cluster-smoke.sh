#!/usr/bin/env bash
# Starts a real Spark standalone cluster on this machine (a Master and two Workers, each its own
# JVM, on 127.0.0.1), submits the shaded application jar with SparkSubmit exactly as a cluster
# user would call spark-submit, checks the job's test accuracy, and stops the cluster (also on
# failure). No Spark download: Master, Worker and SparkSubmit run from the Maven-resolved jars.
#   scripts/cluster-smoke.sh            LeNet-5 on 12,000 Fashion-MNIST images, needs >= 80%
#   KILL_EXECUTOR_AFTER=25 scripts/cluster-smoke.sh
#                                       the same, with one executor JVM killed (kill -9) 25 s
#                                       into the job: it must still pass; the wall time shows
#                                       what the loss cost
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_fashion_mnist
ensure_built

work="$SPARKCONV_HOME/target/cluster-smoke"
rm -rf "$work"
mkdir -p "$work/spark-home/jars" "$work/logs" "$work/tmp"
# From the root, with package in the same run: the engine module resolves from the reactor, so
# nothing needs to have been installed into ~/.m2 before.
# No -DexcludeGroupIds here: a -D property reaches every goal of the run, and the modules'
# build-classpath files (runtime-classpath.txt, local-classpath.txt) would lose the engine jar,
# picocli and netlib, breaking train-local.sh afterwards. What Spark's own jars would not hold
# (sparkconv, picocli, netlib: the application jar brings them) is removed from the copy instead.
(cd "$SPARKCONV_HOME" && mvn -B -q -ntp -pl spark-trainer -am -DskipTests package \
  dependency:copy-dependencies -DincludeScope=compile \
  -DoutputDirectory="$work/spark-home/jars") >&2
rm -f "$work/spark-home/jars"/sparkconv-*.jar "$work/spark-home/jars"/picocli-*.jar \
  "$work/spark-home/jars"/blas-*.jar
export SPARK_HOME="$work/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
cp="$SPARK_HOME/jars/*"
# shellcheck disable=SC2206
flags=($SPARK_JVM_FLAGS -Djava.io.tmpdir="$work/tmp")
port=$((17000 + RANDOM % 1000))
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

java -Xmx512m "${flags[@]}" -cp "$cp" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$port" --webui-port $((port + 1)) > "$work/logs/master.log" 2>&1 &
pids+=($!)
for w in 1 2; do
  SPARK_WORKER_DIR="$work/worker$w" java -Xmx512m "${flags[@]}" -cp "$cp" \
    org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --webui-port $((port + 1 + w)) \
    --cores 1 --memory 2g "spark://127.0.0.1:$port" > "$work/logs/worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 90); do
  [ "$(grep -c "Registering worker" "$work/logs/master.log" 2>/dev/null)" -ge 2 ] && break
  sleep 1
done
registered=$(grep -c "Registering worker" "$work/logs/master.log" || true)
if [ "$registered" -lt 2 ]; then
  echo "cluster-smoke: only $registered of 2 workers registered; master log:" >&2
  tail -20 "$work/logs/master.log" >&2
  exit 1
fi
echo "cluster-smoke: master and 2 workers up on spark://127.0.0.1:$port" >&2

if [ -n "${KILL_EXECUTOR_AFTER:-}" ]; then
  (
    sleep "$KILL_EXECUTOR_AFTER"
    victim=$(pgrep -f CoarseGrainedExecutorBackend | head -1 || true)
    if [ -n "$victim" ]; then
      kill -9 "$victim" && echo "cluster-smoke: killed executor JVM $victim after ${KILL_EXECUTOR_AFTER} s" >&2
    fi
  ) &
  pids+=($!)
fi
started=$(date +%s.%N)
# The Master and Workers log at INFO (their logs are read above); the job as any script's.
# shellcheck disable=SC2046
java -Xmx2g "${flags[@]}" $(log4j_flags) -cp "$cp" org.apache.spark.deploy.SparkSubmit \
  --master "spark://127.0.0.1:$port" --deploy-mode client \
  --class org.sparkconv.spark.job.TrainJob \
  --conf spark.executor.memory=1500m --conf spark.driver.host=127.0.0.1 \
  --conf spark.executorEnv.OPENBLAS_NUM_THREADS=1 \
  --conf "spark.executor.extraJavaOptions=$SPARK_JVM_FLAGS" \
  "$APP_JAR" --job "$SPARKCONV_HOME/conf/jobs/lenet5-fashion.json" \
  --set train_limit=12000 --set spark.partitions=2 --set spark.progress_seconds=20 \
  --output "$work/lenet5.spcv" 2>&1 | tee "$work/logs/submit.log" | grep -vE "^\s+[0-9]+ " >&2

seconds=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
accuracy=$(sed -n 's/^test accuracy: \([0-9.]*\)%$/\1/p' "$work/logs/submit.log")
# The Master launches each executor (the first two, and any replacing a lost one).
executors=$(grep -c "Launching executor" "$work/logs/master.log" || true)
if [ -z "$accuracy" ]; then
  echo "cluster-smoke: FAILED: the job printed no test accuracy" >&2
  exit 1
fi
if awk -v a="$accuracy" 'BEGIN { exit !(a >= 80) }'; then
  echo "cluster-smoke: passed: test accuracy $accuracy% on a standalone cluster in $seconds s (executors launched: $executors)"
else
  echo "cluster-smoke: FAILED: test accuracy $accuracy% < 80%" >&2
  exit 1
fi
