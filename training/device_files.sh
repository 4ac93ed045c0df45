#!/usr/bin/env bash
# The local side of training/run_device.sh, between GPU calls (everything lands in git-ignored runs/):
#   bash training/device_files.sh collect DIR   files a call returned (DIR: the call's files folder): logs to
#                                               runs/device-logs/, model tars unpacked into runs/models/, checkpoint
#                                               parts (ckpt-NAME/) into runs/device/NAME/checkpoint/ once they verify
#   bash training/device_files.sh ship [NAME..] the finished models (default: all five) into models/ and their
#                                               reference outputs into encoder/src/test/resources/reference/ (for
#                                               ShippedModelsParityTest)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=${PYTHON:-$(for c in python3 /usr/bin/python3; do "$c" -c 'import torch' 2>/dev/null && { echo "$c"; break; }; done)}
names=(cifar10 cifar10-baseline-l1 cifar10-baseline-l2 cifar10-baseline-l4 cifar10-baseline-l8)

case ${1:-} in
collect)
  from=${2:?give the folder of returned files}
  mkdir -p runs/device-logs runs/models runs/device
  [[ -f $from/logs.txt ]] && cp "$from/logs.txt" "runs/device-logs/$(date -u +%Y%m%dT%H%M%S.%N).txt"
  [[ -f $from/baseline.json ]] && cp "$from/baseline.json" runs/models/baseline.json
  for tar in "$from"/*.tar; do
    [[ -e $tar ]] || continue
    tar xf "$tar" -C runs/models && echo "collect: model $(basename "$tar" .tar) -> runs/models/"
  done
  for dir in "$from"/ckpt-*; do
    [[ -d $dir ]] || continue
    name=${dir##*/ckpt-} staged=runs/device/$name/checkpoint.new
    rm -rf "$staged" && mkdir -p "$staged" && cp "$dir"/* "$staged/"
    if "$py" -c "import sys; sys.path.insert(0, 'training'); import checkpoint; m = checkpoint.read_manifest(sys.argv[1]); checkpoint.read(sys.argv[1]); print(f'step {m[\"step\"]} of {m[\"total_steps\"]}')" "$staged"; then
      rm -rf "runs/device/$name/checkpoint" && mv "$staged" "runs/device/$name/checkpoint"
      echo "collect: checkpoint $name -> runs/device/$name/checkpoint"
    else
      rm -rf "$staged"
      echo "collect: checkpoint $name did not verify; the previous one is kept" >&2
    fi
  done
  ;;
ship)
  shift
  (($#)) && names=("$@")
  for name in "${names[@]}"; do
    src=runs/models/$name
    [[ -f $src/metrics.json ]] || { echo "ship: $src is not a finished model folder" >&2; exit 1; }
  done
  for name in "${names[@]}"; do
    src=runs/models/$name
    cp "$src"/{model.safetensors,config.json,preprocessing.json,metrics.json,train_log.txt} "models/$name/"
    cp "$src/reference.safetensors" "encoder/src/test/resources/reference/$name.safetensors"
    echo "ship: $name"
  done
  ;;
*)
  sed -n '2,9p' "$0" >&2
  exit 2
  ;;
esac
