"""Writes the encoder's checkpoint test fixtures from models/golden-tiny with PyTorch (1.13 or newer).

Run from the repository root:  python3 encoder/src/test/python/make_fixtures.py
Outputs under encoder/src/test/resources/checkpoints/:
  golden-tiny-bin/    config.json, preprocessing.json, pytorch_model.bin: torch.save of the golden-tiny state dict as
                      multi-GPU training saves it (OrderedDict with _metadata, every key prefixed "module.", float32).
  golden-tiny-half/   the same weights as model.safetensors in half precision: the large matrices (in_proj, out_proj,
                      patch embedding, head) as BF16, every other tensor as F16, so one file exercises both.
  dtypes.safetensors  edge values (subnormals, signed zero, extremes, inf, nan) as F16 and BF16 beside PyTorch's float32
                      reading of them ("<name>.f32").
  torch-views.bin     a torch.save of tensors that are views (a transpose, a slice with a storage offset, two tensors
                      sharing one storage) and half/bfloat16 storages; torch-views.expected.safetensors holds their
                      contiguous float32 values.
  hostile/os-system.bin, hostile/builtins-eval.bin   torch-layout zips whose data.pkl names os.system / builtins.eval.
"""
import collections
import json
import os
import shutil
import sys
import zipfile

import torch

sys.path.insert(0, os.path.join(os.getcwd(), "training"))
import safetensors_io  # noqa: E402  (the project's one safetensors writer)

ROOT = os.getcwd()
SRC = os.path.join(ROOT, "models", "golden-tiny")
OUT = os.path.join(ROOT, "encoder", "src", "test", "resources", "checkpoints")



def model_dir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in ("config.json", "preprocessing.json"):
        shutil.copy(os.path.join(SRC, f), os.path.join(d, f))
    return d


def golden_bin(weights):
    state = collections.OrderedDict(("module." + k, v) for k, v in weights.items())
    # What nn.Module.state_dict() attaches; torch.save pickles it through OrderedDict's BUILD.
    state._metadata = collections.OrderedDict([("module", {"version": 1})])
    torch.save(state, os.path.join(model_dir("golden-tiny-bin"), "pytorch_model.bin"))


def golden_half(weights):
    big = ("in_proj.weight", "out_proj.weight", "patch_embed.proj.weight", "head.weight")
    half = collections.OrderedDict(
        (k, v.to(torch.bfloat16 if k.endswith(big) else torch.float16)) for k, v in weights.items())
    safetensors_io.save(half, os.path.join(model_dir("golden-tiny-half"), "model.safetensors"))


def dtype_edges():
    values = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.1035e-05, 5.96e-08, 3.0e-06, 1e-3, 3.14159,
                           float("inf"), float("-inf"), float("nan"), 1e30, -1e-30, 3.3895e38])
    out = collections.OrderedDict()
    for name, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        v = values.to(dtype)
        out[name] = v
        out[name + ".f32"] = v.float()
    safetensors_io.save(out, os.path.join(OUT, "dtypes.safetensors"))


def torch_views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    shared = torch.linspace(-3, 3, 10)
    views = collections.OrderedDict([
        ("transposed", base.t()),                       # strides (1, 6)
        ("sliced", base[1:3, 2:5]),                     # storage offset 8, strides (6, 1)
        ("shared.head", shared[:4]),                    # two tensors over one storage
        ("shared.tail", shared[6:]),
        ("half", torch.tensor([[0.5, -1.25], [1024.0, 6.1035e-05]], dtype=torch.float16)),
        ("bfloat", torch.tensor([1.0, -3.140625, 1e20], dtype=torch.bfloat16)),
        ("scalar", torch.tensor(7.5)),
    ])
    torch.save(views, os.path.join(OUT, "torch-views.bin"))
    safetensors_io.save(collections.OrderedDict((k, v.float().contiguous()) for k, v in views.items()),
                        os.path.join(OUT, "torch-views.expected.safetensors"))


def hostile_pickle(path, module, name):
    # protocol 2: GLOBAL module.name, the argument tuple ("id",), REDUCE, STOP: what an attacker's __reduce__ yields.
    pickle = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle)
        z.writestr("archive/version", "3\n")


def main():
    weights = safetensors_io.load(os.path.join(SRC, "model.safetensors"))
    os.makedirs(os.path.join(OUT, "hostile"), exist_ok=True)
    golden_bin(weights)
    golden_half(weights)
    dtype_edges()
    torch_views()
    hostile_pickle(os.path.join(OUT, "hostile", "os-system.bin"), "os", "system")
    hostile_pickle(os.path.join(OUT, "hostile", "builtins-eval.bin"), "builtins", "eval")


if __name__ == "__main__":
    main()
