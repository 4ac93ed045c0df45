#!/usr/bin/env bash
# Epoch time of the joint model (levels 1,2,4,8, full CIFAR-10 training set) under each speed option: every variant
# trains 3 epochs of a 100-epoch schedule and stops; the table gives epochs 2 and 3 (epoch 1 pays for compiling
# and warm-up) and what the trainer said about compiling. Variants run one per GPU at a time, round-robin.
#   OUT=DIR bash training/speed_test.sh [VARIANT...]        (default: all; names below)
# LIMIT caps each variant's seconds (default 300; a variant stopped by it shows "-"); GPUS and FIRST_GPU pick GPUs.
# "before" is the trainer the shipped model was made with: the quadratic scan compiled alone, crop + flip only, no
# EMA, unfused AdamW, batch 1024; the "light" variants keep that recipe and change only the speed options (the
# default auto scan among them); "full" ones add the default recipe's augmentation, EMA and stochastic depth (their
# cost on the GPU). "joint-next-auto" is the next joint run's recipe (the default plus --align 1 --mix-samples 256),
# 10 steps profiled (the table is in its log), "joint-next-chunked" and "joint-next" the same with the chunked and the
# quadratic scan, "joint-next-graphs" the default with CUDA graphs. Each variant's log goes to OUT too. A fresh
# machine compiles each variant's graph for minutes (333.8 s on an H200 for the next joint run's recipe), so give
# LIMIT 480 or more to such a variant, one variant a call. First,
# test_fast compiles a small model's joint loss for real and checks it against eager (compile_test.txt).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:?set OUT to the folder that receives the table}
py=${PYTHON:-python3}
work=${WORK:-runs/speed}
cache=${CACHE:-runs/cache}   # the decoded dataset, shared with run_device.sh
light=(--augment none --mixup 0 --cutmix 0 --erase 0 --ema-decay 0 --drop-path 0)
declare -A variants=(
  [before]="--compile scan --scan quadratic ${light[*]} --no-fused-adam"
  [eager]="--compile none ${light[*]} --no-fused-adam"
  [model]="--compile model ${light[*]}"
  [model-graphs]="--compile model --compile-mode reduce-overhead ${light[*]}"
  [model-autotune]="--compile model --compile-mode max-autotune-no-cudagraphs ${light[*]}"
  [model-graphs-2048]="--compile model --compile-mode reduce-overhead --batch 2048 ${light[*]}"
  [model-full]="--compile model"
  [model-graphs-full]="--compile model --compile-mode reduce-overhead"
  [joint-next]="--compile model --align 1 --mix-samples 256 --scan quadratic --profile-steps 10"
  [joint-next-graphs]="--compile model --compile-mode reduce-overhead --align 1 --mix-samples 256"
  [joint-next-chunked]="--compile model --align 1 --mix-samples 256 --scan chunked --profile-steps 10"
  [joint-next-auto]="--compile model --align 1 --mix-samples 256 --profile-steps 10"
)
names=("$@")
((${#names[@]})) || names=(before eager model model-graphs model-autotune model-graphs-2048 model-full model-graphs-full)
gpus=${GPUS:-$("$py" -c 'import torch; print(max(1, torch.cuda.device_count()))')}
mkdir -p "$out" "$work" "$cache"
export PYTHONUNBUFFERED=1
(cd training && "$py" -m unittest -v test_fast 2>&1) > "$out/compile_test.txt"   # the real whole-model compile, small model
"$py" -c "import sys; sys.path.insert(0, 'training'); import data; data.load_cifar('data/cifar10.tar.xz', '$cache', workers=16)"

run() {
  local name=$1 gpu=$2 batch=1024
  [[ ${variants[$name]} == *"--batch 2048"* ]] && batch=2048
  rm -rf "$work/$name"
  CUDA_VISIBLE_DEVICES=$gpu timeout -s TERM "${LIMIT:-300}" "$py" training/train.py --data data/cifar10.tar.xz --cache "$cache" --out "$work/$name" \
    --epochs 100 --stop-at-step $((50000 / batch * 3)) ${variants[$name]} > "$work/$name.log" 2>&1
}
i=0
for name in "${names[@]}"; do
  [[ -n ${variants[$name]:-} ]] || { echo "speed_test: unknown variant $name" >&2; exit 2; }
  run "$name" $((${FIRST_GPU:-0} + i % gpus)) &
  i=$((i + 1))
  ((i % gpus == 0)) && wait
done
wait

{
  echo "torch $("$py" -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")')"
  printf '%-20s %10s %10s  %s\n' variant "epoch 2 s" "epoch 3 s" "options"
  for name in "${names[@]}"; do
    read -r e2 e3 <<<"$(grep -o 'epoch [23]/100 .* epoch [0-9.]* s' "$work/$name.log" | awk '{print $(NF-1)}' | tr '\n' ' ')"
    printf '%-20s %10s %10s  %s\n' "$name" "${e2:--}" "${e3:--}" "${variants[$name]}"
  done
  for name in "${names[@]}"; do
    echo "--- $name"
    grep -E 'compiled|inductor|scan|Error|error|peak' "$work/$name.log" | cut -c1-400
  done
} | tee "$out/speed.txt"
for name in "${names[@]}"; do cp "$work/$name.log" "$out/$name.log"; done
