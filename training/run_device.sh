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
"$py" training/train.py "${common[@]}" --levels 1,2,4,8 --seed 0 --epochs-to "$work/epochs" --out "$work/cifar10" &
for k in 1 2 4 8; do
  "$py" training/train.py "${common[@]}" --levels "$k" --seed "$((100 + k))" --epochs-from "$work/epochs" \
    --out "$work/cifar10-baseline-l$k" &
done
wait
set +e   # pack whatever finished, even if one run failed
"$py" training/baseline_report.py "$work" | tee "$out/baseline.json"
pack() { local name=$1; shift; local have=(); for d in "$@"; do [[ -f "$work/$d/model.safetensors" ]] && have+=("$d"); done
         ((${#have[@]})) && tar cf "$out/$name" -C "$work" "${have[@]}"; }
pack models-a.tar cifar10 cifar10-baseline-l1
pack models-b.tar cifar10-baseline-l2 cifar10-baseline-l4 cifar10-baseline-l8
ls -la "$out"
