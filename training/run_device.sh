#!/usr/bin/env bash
# One GPU call's worth of training for the shipped CIFAR-10 models: the joint model (levels 1,2,4,8, seed 0) and
# the four independent baselines (each only at its own level, seed 100+k, the same epochs and recipe), one process
# each: the joint model alone on GPU 0 and the baselines round-robin on the others (all on GPU 0 with one GPU). Every run stops with a checkpoint before SECONDS are spent
# (SIGTERM at SECONDS as a backstop) and the next call continues it; a run that finishes exports its model folder.
#
#   MODE=start EPOCHS=N OUT=DIR bash training/run_device.sh SECONDS    first call: new runs (refused if any exists);
#                                                                      TRAIN_WITHIN=S instead of EPOCHS: each run picks
#                                                                      its epoch count to train S seconds (train.py)
#   MODE=continue OUT=DIR bash training/run_device.sh SECONDS          later calls: resume every run (refused if any is missing)
#
# Runs live in STATE (default runs/device: git-ignored, so it stays on a held machine between calls, and
# training/device_files.sh can put returned checkpoints back there). Into OUT it packs at most 8 files of at most
# 15 MB (the device's limits): logs.txt, one tar per finished model folder, baseline.json once all baselines are
# done, then the checkpoint parts of unfinished runs while room is left (OUT/ckpt-NAME/).
# RUNS picks models (default all five); INIT_FROM=DIR starts each new run from the weights of its namesake in DIR (a
# fine-tune: INIT_FROM=models trains on from the shipped models); TRAIN_ARGS adds trainer options to new runs,
# RESUME_ARGS to resumed ones (speed options only, e.g. --profile-steps 10: the recipe is the checkpoint's); GPUS
# overrides the GPU count; DATA the archive. A CPU smoke test: MODE=start EPOCHS=2 OUT=/tmp/o STATE=/tmp/s PYTHON=/usr/bin/python3 \
#   TRAIN_ARGS="--d-model 32 --n-layer 2 --d-state 8 --patch 8 --batch 64 --limit 320" bash training/run_device.sh 60
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:?set OUT to the folder that receives the results}
seconds=${1:?give the seconds this call may train}
mode=${MODE:?set MODE=start or MODE=continue}
state=${STATE:-runs/device}
data=${DATA:-data/cifar10.tar.xz}
cache=${CACHE:-runs/cache}   # the decoded dataset, shared with speed_test.sh
py=${PYTHON:-python3}
runs=(${RUNS:-cifar10 cifar10-baseline-l1 cifar10-baseline-l2 cifar10-baseline-l4 cifar10-baseline-l8})
gpus=${GPUS:-$("$py" -c 'import torch; print(max(1, torch.cuda.device_count()))')}
export PYTHONUNBUFFERED=1
mkdir -p "$out" "$state" "$cache"
t0=$(date +%s)

levels_of() { [[ $1 == cifar10 ]] && echo "1,2,4,8 0" || { local k=${1##*-l}; echo "$k $((100 + k))"; }; }
for name in "${runs[@]}"; do
  manifest="$state/$name/checkpoint/manifest.json"
  if [[ $mode == start && -e $manifest ]]; then echo "run_device: $manifest exists; MODE=continue resumes it" >&2; exit 2; fi
  if [[ $mode == continue && ! -e $manifest ]]; then echo "run_device: no checkpoint $manifest to continue (MODE=start begins anew)" >&2; exit 2; fi
done
if [[ $mode == start ]]; then
  [[ -n ${EPOCHS:-} || -n ${TRAIN_WITHIN:-} ]] || { echo "run_device: set EPOCHS or TRAIN_WITHIN for MODE=start" >&2; exit 2; }
  (cd training && "$py" -m unittest test_matmamba 2>&1) | tail -3
fi
"$py" -c "import sys; sys.path.insert(0, 'training'); import data; data.load_cifar('$data', '$cache', workers=16)"

j=0   # the joint model gets GPU 0 to itself when there are several; the baselines share the others round-robin
for name in "${runs[@]}"; do
  if [[ -f $state/$name/metrics.json ]] && grep -q '"finished": true' "$state/$name/checkpoint/manifest.json"; then
    echo "run_device: $name is finished and exported"; continue
  fi
  read -r levels seed <<<"$(levels_of "$name")"
  if [[ $mode == start ]]; then
    args=(--levels "$levels" --seed "$seed" ${EPOCHS:+--epochs "$EPOCHS"} ${TRAIN_WITHIN:+--train-within "$TRAIN_WITHIN"}
      ${INIT_FROM:+--init "$INIT_FROM/$name"} ${TRAIN_ARGS:-})
  else
    args=(--resume "$state/$name/checkpoint" ${RESUME_ARGS:-})
  fi
  left=$((seconds - ($(date +%s) - t0)))
  ((left > 30)) || { echo "run_device: only $left s left of $seconds; $name not started" >&2; continue; }
  if [[ $name == cifar10 || $gpus == 1 ]]; then gpu=0; else gpu=$((1 + j % (gpus - 1))) j=$((j + 1)); fi
  CUDA_VISIBLE_DEVICES=$gpu timeout -s TERM --kill-after=30 "$left" \
    "$py" training/train.py --data "$data" --cache "$cache" --out "$state/$name" \
    --stop-after "$((left - 15))" "${args[@]}" > "$state/$name.stdout" 2>&1 &
  echo "run_device: $name on GPU $gpu, $left s"
done
set +e   # pack whatever there is, even if a run failed
wait

limit_files=8 limit_bytes=$((60 * 1024 * 1024)) files=0 bytes=0
add() { files=$((files + 1)); bytes=$((bytes + $(stat -c %s "$1"))); }
{
  echo "=== device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sort | uniq -c | tr -s ' ')"
  for name in "${runs[@]}"; do
    echo "=== $name: $(grep -o '"step": [0-9]*\|"total_steps": [0-9]*\|"finished": [a-z]*' "$state/$name/checkpoint/manifest.json" 2>/dev/null | tr '\n' ' ')"
    tail -c 2000000 "$state/$name.stdout"   # this call's whole output (a run's whole log is its train_log.txt)
  done
} > "$out/logs.txt"
add "$out/logs.txt"
for name in "${runs[@]}"; do
  if [[ -f $state/$name/metrics.json ]]; then
    tar cf "$out/$name.tar" -C "$state" --exclude "$name/checkpoint" "$name" && add "$out/$name.tar"
  fi
done
if ls "$state"/cifar10-baseline-l{1,2,4,8}/metrics.json >/dev/null 2>&1; then
  "$py" training/baseline_report.py "$state" > "$out/baseline.json" && add "$out/baseline.json"
fi
for name in "${runs[@]}"; do   # checkpoints of unfinished runs, whole or not at all, while the limits allow
  ckpt=$state/$name/checkpoint
  [[ -f $state/$name/metrics.json || ! -f $ckpt/manifest.json ]] && continue
  parts=("$ckpt"/state-*) need=$(cat "$ckpt"/manifest.json "${parts[@]}" | wc -c)
  if ((files + ${#parts[@]} + 1 <= limit_files && bytes + need <= limit_bytes)); then
    mkdir -p "$out/ckpt-$name" && cp "$ckpt"/manifest.json "${parts[@]}" "$out/ckpt-$name/"
    files=$((files + ${#parts[@]} + 1)) bytes=$((bytes + need))
  fi
done
echo "run_device: $(( $(date +%s) - t0 )) s; $files files, $bytes bytes in $out"
cat "$out/logs.txt"
