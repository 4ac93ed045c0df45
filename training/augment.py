"""Data augmentation for the trainer, in plain PyTorch on whole batches (no torchvision, no per-image loops, no
host synchronisation), so it runs on the GPU next to the model.

Per-image randomness comes from a torch.Generator on the batch's device; batch-level draws (the mixup / cutmix
coefficient and box) from a numpy Generator. The trainer saves both states in its checkpoints, so a resumed run
draws the same augmentations as an uninterrupted one.

Images are (B, 3, H, W) floats: `crop_flip` and `trivial_augment` / `rand_augment` take pixels in [0, 1];
`random_erasing` and `mix` take normalised pixels. `mix` returns soft targets (each row sums to 1).
"""
import math

import torch
import torch.nn.functional as F

OPS = ("identity", "shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness", "color", "contrast",
       "sharpness", "posterize", "solarize", "autocontrast", "equalize")
SIGNED = {"shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness", "color", "contrast", "sharpness"}
# Strength at full magnitude: shear (tan), translate (fraction of the side), rotate (degrees), enhance (factor - 1),
# posterize (bits removed), solarize (threshold drop). TrivialAugment uses the wide ranges, RandAugment the standard ones.
WIDE = {"shear": 0.99, "translate": 1.0, "rotate": 135.0, "enhance": 0.99, "posterize": 6, "solarize": 1.0}
STANDARD = {"shear": 0.3, "translate": 150 / 331, "rotate": 30.0, "enhance": 0.9, "posterize": 4, "solarize": 1.0}
_GRAY = (0.299, 0.587, 0.114)


def crop_flip(x, gen, pad=4):
    """Random crop with `pad` px reflect padding and a horizontal flip with probability 1/2."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    i = torch.randint(0, 2 * pad + 1, (b,), device=x.device, generator=gen)
    j = torch.randint(0, 2 * pad + 1, (b,), device=x.device, generator=gen)
    rows = (i[:, None] + torch.arange(h, device=x.device))[:, None, :, None].expand(b, c, h, w)
    cols = (j[:, None] + torch.arange(w, device=x.device))[:, None, None, :].expand(b, c, h, w)
    out = padded[torch.arange(b, device=x.device)[:, None, None, None], torch.arange(c, device=x.device)[None, :, None, None],
                 rows, cols]
    flip = torch.rand(b, device=x.device, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def _gray(x):
    return _GRAY[0] * x[:, 0:1] + _GRAY[1] * x[:, 1:2] + _GRAY[2] * x[:, 2:3]


def _blend(base, x, factor):
    return (base + factor[:, None, None, None] * (x - base)).clamp(0, 1)


def _affine(x, op, strength, ranges):
    """One nearest-neighbour affine warp for the whole batch: each image's matrix is its shear, translation or
    rotation (the identity for images whose op is not geometric); uncovered pixels are 0, as torchvision fills."""
    b, _, h, w = x.shape
    pick = lambda name: strength * (op == OPS.index(name)).to(x.dtype)  # noqa: E731
    angle = pick("rotate") * math.radians(ranges["rotate"])
    cos, sin = torch.cos(angle), torch.sin(angle)
    shx, shy = pick("shear_x") * ranges["shear"], pick("shear_y") * ranges["shear"]
    tx, ty = 2 * pick("translate_x") * ranges["translate"], 2 * pick("translate_y") * ranges["translate"]
    theta = torch.stack([torch.stack([cos, -sin + shx, tx], 1), torch.stack([sin + shy, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _sharpen_base(x):
    """PIL's SMOOTH filter (centre 5, neighbours 1, over 13) on the interior; the border keeps its pixels."""
    k = torch.ones(3, 1, 3, 3, dtype=x.dtype, device=x.device)
    k[:, :, 1, 1] = 5
    blurred = F.conv2d(x, k / 13, groups=3)
    return F.pad(blurred, (1, 1, 1, 1)) + x - F.pad(x[:, :, 1:-1, 1:-1], (1, 1, 1, 1))


def _equalize(x):
    """Per image and channel histogram equalisation on 256 levels (PIL's ImageOps.equalize, vectorised)."""
    b, c, h, w = x.shape
    levels = (x * 255).round().long().view(b * c, h * w)
    hist = torch.zeros(b * c, 256, dtype=torch.long, device=x.device).scatter_add_(1, levels, torch.ones_like(levels))
    last_nonzero = torch.where(hist > 0, torch.arange(256, device=x.device), -1).max(1).values
    step = (h * w - hist.gather(1, last_nonzero[:, None]).squeeze(1)) // 255
    lut = (hist.cumsum(1) - hist + (step // 2)[:, None]) // step.clamp_min(1)[:, None]
    out = lut.clamp(max=255).gather(1, levels).to(x.dtype) / 255
    return torch.where((step > 0)[:, None], out, x.view(b * c, h * w)).view(b, c, h, w)


def apply_ops(x, op, magnitude, ranges):
    """Applies op[i] (an index into OPS) at magnitude[i] in [0, 1] to image i; signed ops take a random sign from the
    caller (pass magnitude * sign). x: (B, 3, H, W) in [0, 1]."""
    x = _affine(x, op, magnitude, ranges)
    mag = magnitude.abs()
    factor = 1 + magnitude * ranges["enhance"]
    gray = _gray(x)
    candidates = {
        "brightness": lambda: _blend(torch.zeros_like(x), x, factor),
        "color": lambda: _blend(gray, x, factor),
        "contrast": lambda: _blend(gray.mean((2, 3), keepdim=True), x, factor),
        "sharpness": lambda: _blend(_sharpen_base(x), x, factor),
        "posterize": lambda: _posterize(x, (mag * ranges["posterize"]).round()),
        "solarize": lambda: torch.where(x >= (1 - mag * ranges["solarize"])[:, None, None, None], 1 - x, x),
        "autocontrast": lambda: _autocontrast(x),
        "equalize": lambda: _equalize(x),
    }
    out = x
    for name, fn in candidates.items():
        out = torch.where((op == OPS.index(name))[:, None, None, None], fn(), out)
    return out


def _posterize(x, bits_removed):
    scale = (2 ** bits_removed)[:, None, None, None]
    return torch.floor((x * 255).round() / scale) * scale / 255


def _autocontrast(x):
    lo, hi = x.amin((2, 3), keepdim=True), x.amax((2, 3), keepdim=True)
    return torch.where(hi > lo, (x - lo) / (hi - lo).clamp_min(1e-12), x)


def _signed(op, magnitude, gen):
    signed = torch.zeros(len(OPS), dtype=torch.bool, device=op.device)
    signed[[OPS.index(n) for n in SIGNED]] = True
    sign = torch.where(torch.rand(op.shape, device=op.device, generator=gen) < 0.5, -1.0, 1.0)
    return torch.where(signed[op], magnitude * sign, magnitude)


def trivial_augment(x, gen, bins=31):
    """TrivialAugment (wide): one op per image, uniformly chosen, at a uniformly chosen magnitude bin."""
    b = x.shape[0]
    op = torch.randint(0, len(OPS), (b,), device=x.device, generator=gen)
    magnitude = torch.randint(0, bins, (b,), device=x.device, generator=gen).to(x.dtype) / (bins - 1)
    return apply_ops(x, op, _signed(op, magnitude, gen), WIDE)


def rand_augment(x, gen, n=2, m=9, bins=31):
    """RandAugment: n ops per image, each uniformly chosen, all at magnitude m of bins - 1."""
    for _ in range(n):
        op = torch.randint(0, len(OPS), (x.shape[0],), device=x.device, generator=gen)
        magnitude = torch.full((x.shape[0],), m / (bins - 1), dtype=x.dtype, device=x.device)
        x = apply_ops(x, op, _signed(op, magnitude, gen), STANDARD)
    return x


def random_erasing(x, gen, p=0.25, area=(0.02, 1 / 3), ratio=(0.3, 3.3)):
    """With probability p per image, one rectangle (area fraction and log-uniform aspect as given) is replaced by
    standard normal noise (x is normalised, so that is noise of the data's own scale)."""
    b, c, h, w = x.shape
    u = torch.rand(b, 5, device=x.device, generator=gen)
    target = h * w * (area[0] + u[:, 0] * (area[1] - area[0]))
    aspect = torch.exp(math.log(ratio[0]) + u[:, 1] * (math.log(ratio[1]) - math.log(ratio[0])))
    eh = (target * aspect).sqrt().round().clamp(1, h)
    ew = (target / aspect).sqrt().round().clamp(1, w)
    top = (u[:, 2] * (h - eh + 1)).floor()
    left = (u[:, 3] * (w - ew + 1)).floor()
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    inside = ((rows >= top[:, None]) & (rows < (top + eh)[:, None]))[:, :, None] & \
             ((cols >= left[:, None]) & (cols < (left + ew)[:, None]))[:, None, :]
    erase = inside & (u[:, 4] < p)[:, None, None]
    noise = torch.randn(x.shape, device=x.device, generator=gen, dtype=x.dtype)
    return torch.where(erase[:, None], noise, x)


def soft_targets(y, classes, smoothing):
    """One-hot targets with label smoothing: (1 - s) on the label plus s / classes everywhere."""
    return F.one_hot(y, classes).to(torch.float32) * (1 - smoothing) + smoothing / classes


def mix(x, y, classes, rng, mixup_alpha=0.8, cutmix_alpha=1.0, cutmix_prob=0.5, smoothing=0.0):
    """Mixup or CutMix (one per batch, CutMix with probability cutmix_prob) between the batch and its reverse.
    Returns (images, soft targets): targets = lam * t(y) + (1 - lam) * t(y reversed), lam the kept fraction of each
    image (for CutMix the exact pasted area), t the smoothed one-hot. With both alphas 0 the batch is unchanged."""
    t = soft_targets(y, classes, smoothing)
    use_cutmix = cutmix_alpha > 0 and (mixup_alpha <= 0 or rng.random() < cutmix_prob)
    if not use_cutmix and mixup_alpha <= 0:
        return x, t
    lam = float(rng.beta(cutmix_alpha, cutmix_alpha) if use_cutmix else rng.beta(mixup_alpha, mixup_alpha))
    if use_cutmix:
        h, w = x.shape[2:]
        cut = math.sqrt(1 - lam)
        ch, cw = int(h * cut), int(w * cut)
        cy, cx = int(rng.integers(h)), int(rng.integers(w))
        y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
        x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, w)
        x = x.clone()
        x[:, :, y0:y1, x0:x1] = x.flip(0)[:, :, y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    else:
        x = x * lam + x.flip(0) * (1 - lam)
    return x, t * lam + t.flip(0) * (1 - lam)
