"""Writes a model directory with random weights of any MatMamba-Vision shape (numpy only).

For benchmarks that need a real checkpoint of a given shape before trained weights exist, e.g. the
shape the trainer ships for CIFAR-10:

    python3 training/random_model.py --out /tmp/cifar-shape --d-model 256 --n-layer 6 --d-state 64 --patch 4 --image-size 32

Initialisation follows the trainer (uniform fan-in scaling for projections, Mamba2's A and dt ranges),
so activations stay in the range a trained model sees. The weights retrieve nothing.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def tensors(d, n_layer, n_state, patch, size, classes, rng):
    def uniform(shape, fan_in):
        bound = 1 / math.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape)
    heads, d_inner, d_conv = 64, 2 * d, 4
    conv_dim = d_inner + 2 * n_state
    t = {"patch_embed.proj.weight": uniform((d, 3, patch, patch), 3 * patch * patch),
         "patch_embed.proj.bias": uniform((d,), 3 * patch * patch),
         "cls_token": rng.normal(0, 0.02, (1, 1, d)),
         "pos_embed": rng.normal(0, 0.02, (1, (size // patch) ** 2 + 1, d)),
         "norm_f.weight": np.ones(d), "norm_f.bias": np.zeros(d),
         "head.weight": uniform((classes, d), d), "head.bias": uniform((classes,), d)}
    for i in range(n_layer):
        p = f"layers.{i}."
        dt = np.exp(rng.uniform(math.log(1e-3), math.log(1e-1), heads))
        t.update({p + "norm.weight": np.ones(d), p + "norm.bias": np.zeros(d),
                  p + "mixer.in_proj.weight": uniform((2 * d_inner + 2 * n_state + heads, d), d),
                  p + "mixer.conv1d.weight": uniform((conv_dim, 1, d_conv), d_conv),
                  p + "mixer.conv1d.bias": uniform((conv_dim,), d_conv),
                  p + "mixer.dt_bias": dt + np.log(-np.expm1(-dt)),
                  p + "mixer.A_log": np.log(rng.uniform(1, 16, heads)),
                  p + "mixer.D": np.ones(heads),
                  p + "mixer.norm.weight": np.ones(d_inner),
                  p + "mixer.out_proj.weight": uniform((d, d_inner), d_inner)})
    return {k: v.astype(np.float32) for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=6)
    ap.add_argument("--d-state", type=int, default=64)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    weights = tensors(a.d_model, a.n_layer, a.d_state, a.patch, a.image_size, a.classes, np.random.default_rng(a.seed))
    safetensors_io.save(dict(sorted(weights.items())), os.path.join(a.out, "model.safetensors"))
    config = {"d_model": a.d_model, "n_layer": a.n_layer, "d_intermediate": 0, "n_classes": a.classes,
              "patch_size": a.patch, "image_size": a.image_size, "ssm_cfg": {"d_state": a.d_state},
              "norm_epsilon": 1e-5, "rms_norm": False, "fused_add_norm": False, "residual_in_fp32": False, "pool": "cls"}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(a.out, "preprocessing.json"), "w") as f:
        json.dump({"crop_ratio": 1.0, "mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.2435, 0.2616]}, f, indent=2)


if __name__ == "__main__":
    main()
