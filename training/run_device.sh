#!/usr/bin/env bash
# Trains every shipped CIFAR-10 model on one GPU in one go: the joint model (levels 1,2,4,8) and the four
# independent baselines (each only at its own level, own seed, as many epochs as the joint model), in
# parallel processes; checks the golden vectors first; packs the model directories into $OUT.
# TRAIN_ARGS adds options to every run (a smoke test: TRAIN_ARGS="--d-model 64 --n-layer 2 --batch 64 --limit 640").
#   OUT=runs/out bash training/run_device.sh [TRAIN_SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:?set OUT to the folder that receives the results}
budget=${1:-90}
work=${WORK:-/tmp/mmr-train}
mkdir -p "$work" "$out"
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
(cd training && "$py" -m unittest test_matmamba 2>&1) | tee "$out/golden.log" || echo "golden vectors NOT reproduced: see golden.log"
"$py" -c "import sys; sys.path.insert(0, 'training'); import train; train.load_cifar('data/cifar10.tar.xz', '$work', workers=16)"
common=(--data data/cifar10.tar.xz --cache "$work" --time-budget "$budget" ${TRAIN_ARGS:-})
# RUNS=joint or RUNS=baselines splits the job over two calls (each run then has the GPU to itself or shares it
# with the three other baselines); the baselines of a split job take the joint run's epoch count as EPOCHS.
runs=${RUNS:-all}
if [[ $runs != baselines ]]; then
  "$py" training/train.py "${common[@]}" --levels 1,2,4,8 --seed 0 --epochs-to "$work/epochs" --out "$work/cifar10" &
fi
if [[ $runs != joint ]]; then
  if [[ $runs == baselines ]]; then count=(--epochs "${EPOCHS:?set EPOCHS to the epoch count of the joint run}"); else count=(--epochs-from "$work/epochs"); fi
  for k in 1 2 4 8; do
    "$py" training/train.py "${common[@]}" --levels "$k" --seed "$((100 + k))" "${count[@]}" --out "$work/cifar10-baseline-l$k" &
  done
fi
wait
set +e   # pack whatever finished, even if one run failed
[[ $runs != joint ]] && "$py" training/baseline_report.py "$work" | tee "$out/baseline.json"
for d in cifar10 cifar10-baseline-l1 cifar10-baseline-l2 cifar10-baseline-l4 cifar10-baseline-l8; do  # one tar a model: each under 16 MB
  [[ -f "$work/$d/model.safetensors" ]] && tar cf "$out/$d.tar" -C "$work" "$d"
done
ls -la "$out"
