"""CIFAR-10 for the trainer: the ImageFolder archive decoded once into uint8 arrays (cached), the normalisation the
exported preprocessing.json records, and the order in which a run visits the training images."""
import io
import os
import tarfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


def _decode(item):
    from PIL import Image
    name, raw = item
    return name, np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), dtype=np.uint8)


def load_cifar(archive, cache_dir, workers=8):
    """Decodes the ImageFolder archive once into uint8 arrays (cached as .npz in cache_dir); returns
    {split: (images, labels, names)}."""
    name = os.path.basename(archive).split(".")[0]  # keyed by the archive's name and size: one cache folder serves several
    cache = os.path.join(cache_dir, f"{name}-{os.path.getsize(archive)}-decoded.npz")
    if not os.path.exists(cache):
        items = []
        with tarfile.open(archive) as tar:
            for m in tar:
                parts = m.name.strip("./").split("/")
                if m.isfile() and len(parts) >= 3 and parts[-3] in ("train", "test"):
                    items.append((m.name, tar.extractfile(m).read()))
        items.sort()
        with ProcessPoolExecutor(workers) as pool:
            decoded = list(pool.map(_decode, items, chunksize=512))
        arrays = {}
        for split in ("train", "test"):
            sel = [(n, a) for n, a in decoded if n.strip("./").split("/")[-3] == split]
            arrays[f"{split}_x"] = np.stack([a for _, a in sel])
            arrays[f"{split}_y"] = np.array([CLASSES.index(n.strip("./").split("/")[-2]) for n, _ in sel], dtype=np.int64)
            arrays[f"{split}_names"] = np.array([n.strip("./") for n, _ in sel])
        os.makedirs(cache_dir, exist_ok=True)
        np.savez(cache + ".tmp.npz", **arrays)
        os.replace(cache + ".tmp.npz", cache)
    z = np.load(cache)
    return {s: (z[f"{s}_x"], z[f"{s}_y"], z[f"{s}_names"]) for s in ("train", "test")}


def to_unit(x_uint8):
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float in [0, 1]."""
    return x_uint8.permute(0, 3, 1, 2).float().div_(255)


def standardise(x):
    """[0, 1] pixels -> the model's input: per-channel (x - mean) / std, as the exported preprocessing says."""
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def normalise(x_uint8):
    """(B, 32, 32, 3) uint8 -> (B, 3, 32, 32) model input."""
    return standardise(to_unit(x_uint8))


def epoch_order(seed, epoch, n):
    """The order of the n training images in `epoch`: a permutation that depends only on (seed, epoch), so a resumed
    run takes the same batches from the step count alone. Each epoch uses n // batch whole batches of it."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
