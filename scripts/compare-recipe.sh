#!/usr/bin/env bash
# Trains one job's model and recipe with sparkconv (Spark local mode) and then with PyTorch (the
# same model file and recipe, scripts/pytorch_graph_recipe.py, at its best on this machine),
# back to back, and prints each one's per-epoch test accuracy.
#   scripts/compare-recipe.sh conf/jobs/resnet20-fashion.json [--epochs N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
job=${1:?usage: scripts/compare-recipe.sh JOB.json [--epochs N]}
ensure_torch
shift
epochs=()
if [[ "${1:-}" == "--epochs" ]]; then
  epochs=(--epochs "$2")
  sparkconv_epochs=(--set "epochs=$2")
else
  sparkconv_epochs=()
fi
threads=$(nproc)
echo "== sparkconv, Spark local[$threads]"
"$SPARKCONV_HOME/scripts/train-local.sh" --job "$job" "${sparkconv_epochs[@]}" \
  --set "output=$SPARKCONV_HOME/target/models/compare-$(basename "$job" .json).spcv" --overwrite \
  | grep -E '^epoch [0-9]+/[0-9]+ done|test accuracy'
echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $threads threads"
# PyTorch at its best here: glibc keeps activations mapped between steps, one BLAS thread pool.
MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000 \
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
  /usr/bin/python3 "$SPARKCONV_HOME/scripts/pytorch_graph_recipe.py" --job "$job" \
  --threads "$threads" "${epochs[@]}"
