"""Trains MatMamba-Vision on CIFAR-10 and exports a model directory the Java encoder loads.

Joint (Matryoshka) training runs the levels 1, 2, 4, 8 on the same batch every step and averages their
losses before one backward pass. `--levels 4` trains the independent baseline that only ever runs level 4.

    python3 training/train.py --data data/cifar10.tar.xz --out runs/cifar10 --levels 1,2,4,8 --seed 0 --epochs 17

`--time-budget S` picks the epoch count from the time of the last warm-up epoch instead (the chosen count is
logged and written to metrics.json, so the run can be repeated with `--epochs`).
"""
import argparse
import io
import json
import math
import os
import sys
import tarfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matmamba  # noqa: E402
import safetensors_io  # noqa: E402
from matmamba import MatMambaVision  # noqa: E402

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)


def _decode(item):
    from PIL import Image
    name, raw = item
    return name, np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), dtype=np.uint8)


def load_cifar(archive, cache_dir, workers=8):
    """Decodes the ImageFolder archive once into uint8 arrays (cached as .npz); returns {split: (images, labels)}."""
    cache = os.path.join(cache_dir, "cifar10-decoded.npz")
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


def normalise(x_uint8):
    """(B, 32, 32, 3) uint8 on device -> (B, 3, 32, 32) float, normalised as the exported preprocessing says."""
    x = x_uint8.permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def augment(x, gen):
    """Random crop with 4px reflect padding and horizontal flip, on the device."""
    b = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
    i = torch.randint(0, 9, (b,), device=x.device, generator=gen)
    j = torch.randint(0, 9, (b,), device=x.device, generator=gen)
    rows = (i[:, None] + torch.arange(32, device=x.device))[:, None, :, None].expand(b, 3, 32, 32)
    cols = (j[:, None] + torch.arange(32, device=x.device))[:, None, None, :].expand(b, 3, 32, 32)
    out = padded[torch.arange(b, device=x.device)[:, None, None, None], torch.arange(3, device=x.device)[None, :, None, None],
                 rows, cols]
    flip = torch.rand(b, device=x.device, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def rel_l2(a, b):
    return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-30))


def choose_scan(model, levels, batch, log):
    """On a GPU, torch.compile can fuse the scan's elementwise work over its (B, heads, L, L) tensors. The compiled
    form is used only if, at every head count this run trains, its outputs and gradients match the eager function
    and it is faster; otherwise training stays eager."""
    if not torch.cuda.is_available():
        return
    mixer = model.layers[0].mixer
    L = model.pos_embed.shape[1]
    try:
        compiled = torch.compile(matmamba.quadratic_scan, dynamic=False)
        worst, times = 0.0, {"eager": 0.0, "compiled": 0.0}
        for k in levels:
            h = 2 * model.level_widths(k)[0] // mixer.headdim
            g = torch.Generator(device="cuda").manual_seed(k)
            cum = -torch.rand(batch, h, L, device="cuda", generator=g).mul(0.3).cumsum(-1)
            G = torch.randn(batch, L, L, device="cuda", generator=g).to(torch.bfloat16)
            xdt = torch.randn(batch, h, L, mixer.headdim, device="cuda", generator=g)
            dy = torch.randn(batch, h, L, mixer.headdim, device="cuda", generator=g)
            results = {}
            for name, fn in (("eager", matmamba.quadratic_scan), ("compiled", compiled)):
                for rep in range(6):  # 1 warm-up (compiles), 5 timed
                    inputs = [t.detach().requires_grad_() for t in (cum, G, xdt)]
                    torch.cuda.synchronize()
                    t0 = time.time()
                    with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                        y = fn(*inputs)
                    y.backward(dy.to(y.dtype))
                    torch.cuda.synchronize()
                    if rep:
                        times[name] += time.time() - t0
                results[name] = [y] + [t.grad for t in inputs]
            worst = max(worst, *(rel_l2(c, e) for c, e in zip(results["compiled"], results["eager"])))
        log(f"scan forward+backward at the trained head counts: eager {times['eager'] / 5 * 1000:.1f} ms, "
            f"compiled {times['compiled'] / 5 * 1000:.1f} ms, worst relative L2 difference {worst:.2e}")
        if worst < 2e-2 and times["compiled"] < times["eager"]:
            matmamba.scan = compiled
            log("training with the compiled scan")
    except Exception as e:  # the eager function is always correct; a compiler failure only costs speed
        log(f"compiled scan unavailable ({type(e).__name__}: {e}); training eager")


def make_config(args):
    return {
        "d_model": args.d_model, "n_layer": args.n_layer, "d_intermediate": 0, "n_classes": 10,
        "patch_size": args.patch, "image_size": 32, "ssm_cfg": {"d_state": args.d_state},
        "norm_epsilon": 1e-5, "rms_norm": False, "fused_add_norm": False, "residual_in_fp32": False,
        "pool": "cls", "drop_rate": 0.0, "drop_path_rate": 0.0,
    }


@torch.no_grad()
def encode(model, images_uint8, widths, device, batch=1000):
    feats, logits = [], []
    for i in range(0, len(images_uint8), batch):
        x = normalise(torch.from_numpy(images_uint8[i:i + batch]).to(device))
        f, lg = model(x, widths)  # float32, as the shipped encoder computes
        feats.append(f.float())
        logits.append(lg.float())
    return torch.cat(feats), torch.cat(logits)


def nn1_top1(db, db_y, q, q_y):
    """1-NN label accuracy with cosine similarity (exact search)."""
    db, q = F.normalize(db, dim=1), F.normalize(q, dim=1)
    hits = 0
    for i in range(0, len(q), 2000):
        nearest = (q[i:i + 2000] @ db.t()).argmax(1)
        hits += int((db_y[nearest] == q_y[i:i + 2000]).sum())
    return hits / len(q)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="CIFAR-10 ImageFolder archive (.tar.xz)")
    ap.add_argument("--out", required=True, help="model directory to write")
    ap.add_argument("--cache", default=None, help="where the decoded dataset is cached (default: OUT/..)")
    ap.add_argument("--levels", default="1,2,4,8", help="levels trained every step; one level = an independent baseline")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=6)
    ap.add_argument("--d-state", type=int, default=64)
    ap.add_argument("--patch", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--warmup-epochs", type=float, default=2.0, help="linear warm-up; at least 1 when the count comes from --time-budget")
    ap.add_argument("--epochs", type=int, default=None, help="epochs; or give --time-budget")
    ap.add_argument("--time-budget", type=float, default=None, help="seconds for the whole run from start-up; the epoch count is fixed from the last warm-up epoch's time")
    ap.add_argument("--epochs-to", default=None, help="with --time-budget: write the chosen epoch count to this file")
    ap.add_argument("--epochs-from", default=None, help="take the epoch count from this file once another run writes it "
                    "(baselines train as many epochs as the joint model)")
    ap.add_argument("--limit", type=int, default=None, help="use only this many training images, and a fifth as many test images (smoke tests)")
    ap.add_argument("--reference-images", type=int, default=8, help="test images whose outputs are exported for parity tests")
    args = ap.parse_args()

    t_begin = time.time()  # --time-budget counts from here: loading and the scan check are part of it
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    levels = [int(v) for v in args.levels.split(",")]
    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "train_log.txt")
    log_file = open(log_path, "w")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(f"{os.path.basename(args.out)}: {line}", flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    cache_dir = args.cache or os.path.dirname(os.path.abspath(args.out))
    run_name = os.path.basename(os.path.normpath(args.out))
    data = load_cifar(args.data, cache_dir)
    train_x, train_y, _ = data["train"]
    test_x, test_y, test_names = data["test"]
    if args.limit:  # a random subset of both splits (the archive is sorted by class)
        rng = np.random.default_rng(args.seed)
        keep = np.sort(rng.permutation(len(train_x))[:args.limit])
        train_x, train_y = train_x[keep], train_y[keep]
        keep = np.sort(rng.permutation(len(test_x))[:max(args.reference_images, args.limit // 5)])
        test_x, test_y, test_names = test_x[keep], test_y[keep], test_names[keep]
    gx = torch.from_numpy(train_x).to(device)
    gy = torch.from_numpy(train_y).to(device)
    config = make_config(args)
    model = MatMambaVision.from_config(config).to(device)
    widths = {k: model.level_widths(k) for k in levels}
    choose_scan(model, levels, args.batch, log)
    params = sum(p.numel() for p in model.parameters())
    log(f"model {params / 1e6:.2f}M params, levels {levels}, device {device}, {len(train_x)} training images")

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or name.endswith(("A_log", "dt_bias", "D")) or "embed" in name or "cls" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99))
    steps_per_epoch = len(train_x) // args.batch
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)

    def step(lr):
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, len(gx), (args.batch,), device=device, generator=gen)
        x = augment(normalise(gx[idx]), gen)
        y = gy[idx]
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = sum(F.cross_entropy(model(x, widths[k])[1].float(), y, label_smoothing=args.label_smoothing)
                       for k in levels) / len(levels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    def write_epochs(n):
        if args.epochs_to:
            with open(args.epochs_to + ".tmp", "w") as f:
                f.write(str(n))
            os.replace(args.epochs_to + ".tmp", args.epochs_to)

    # The epoch count: given (--epochs); or, with --time-budget, fixed at the end of the warm-up from the time of its
    # last whole epoch (the first one also pays for the GPU's warm-up: 25.6 s against 10.2 s later in the shipped run);
    # or read from the joint run's file (--epochs-from) once the warm-up is over. The warm-up does not depend on the
    # count, so no run waits before it.
    epochs = args.epochs
    if epochs is None and not (args.time_budget or args.epochs_from):
        ap.error("give --epochs, --time-budget or --epochs-from")
    if epochs is None and (args.warmup_epochs < 1 or args.warmup_epochs != int(args.warmup_epochs)):
        ap.error("--warmup-epochs must be a whole number of at least 1 when the epoch count is measured or waited for")
    warmup = max(1, int(args.warmup_epochs * steps_per_epoch))
    warmup_epochs = math.ceil(warmup / steps_per_epoch)
    t_start = t_epoch = time.time()
    hard_stop = t_begin + 1.05 * args.time_budget if args.time_budget else float("inf")
    model.train()
    s = done = 0
    while epochs is None or s < epochs * steps_per_epoch:
        if time.time() > hard_stop:
            log(f"stopped at step {s} of {epochs * steps_per_epoch if epochs else '?'}: past 1.05x the time budget")
            break
        if epochs is None and s == warmup and args.time_budget and not args.epochs_from:
            epoch_s, left = time.time() - t_epoch, args.time_budget - (time.time() - t_begin)
            epochs = max(warmup_epochs, warmup_epochs + int(0.92 * left / epoch_s))
            log(f"the last warm-up epoch took {epoch_s:.1f} s, {left:.0f} s of the budget left -> {epochs} epochs")
            write_epochs(epochs)
        if epochs is None and s == warmup and args.epochs_from:
            while not os.path.exists(args.epochs_from) and time.time() < hard_stop:
                time.sleep(0.2)
            if not os.path.exists(args.epochs_from):
                sys.exit(f"{args.epochs_from} was not written within the time budget")
            epochs = int(open(args.epochs_from).read())
            log(f"epochs from {args.epochs_from}: {epochs}")
        total = epochs * steps_per_epoch if epochs else None
        lr = args.lr * (s + 1) / warmup if s < warmup else \
            0.5 * args.lr * (1 + math.cos(math.pi * (s - warmup) / max(1, total - warmup)))
        loss = step(lr)
        s = done = s + 1
        if done % steps_per_epoch == 0 and done < warmup:
            t_epoch = time.time()
        if done % steps_per_epoch == 0:
            log(f"epoch {done // steps_per_epoch}/{epochs or '?'} loss {float(loss):.4f} lr {lr:.2e} {time.time() - t_start:.0f}s")
    if epochs is None:  # stopped before the count was fixed: the epochs actually run are the count
        epochs = max(1, done // steps_per_epoch)
        write_epochs(epochs)
    total = epochs * steps_per_epoch
    train_seconds = time.time() - t_start
    model.eval()
    matmamba.scan = matmamba.quadratic_scan  # every exported figure comes from the eager function

    # Export: F16 weights, config, preprocessing; then every figure is computed from the exported (rounded) weights.
    state = {k: v.detach().to(torch.float16).cpu() for k, v in model.state_dict().items()}
    safetensors_io.save(state, os.path.join(args.out, "model.safetensors"))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "preprocessing.json"), "w") as f:
        json.dump({"crop_ratio": 1.0, "mean": list(MEAN), "std": list(STD)}, f, indent=2)

    # Reference outputs for the Java parity test: float32 on the exported weights.
    model_ref = MatMambaVision.from_config(config)
    model_ref.load_state_dict({k: v.float() for k, v in state.items()})
    ref_x = normalise(torch.from_numpy(test_x[:args.reference_images]))
    ref = {"input": ref_x}
    with torch.no_grad():
        for k in (1, 2, 4, 8):
            f_, lg = model_ref(ref_x, model_ref.level_widths(k))
            ref[f"features.level{k}"], ref[f"logits.level{k}"] = f_, lg
    safetensors_io.save(ref, os.path.join(args.out, "reference.safetensors"),
                        metadata={"images": ",".join(test_names[:args.reference_images])})

    # Figures: head top-1 per level on the test set; 1-NN top-1 against the training set at this model's widest level.
    db_level = min(levels)
    db, _ = encode(model, train_x, widths[db_level], device)
    ty = torch.from_numpy(test_y).to(device)
    dby = torch.from_numpy(train_y).to(device)
    metrics = {"params": params, "levels_trained": levels, "epochs": epochs, "steps": done, "planned_steps": total, "batch": args.batch,
               "train_seconds": round(train_seconds, 1),
               "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20) if device.type == "cuda" else None, "database_level": db_level, "per_level": {}}
    for k in (1, 2, 4, 8):
        q, lg = encode(model, test_x, model.level_widths(k), device)
        metrics["per_level"][f"level{k}"] = {
            "head_top1": float((lg.argmax(1) == ty).float().mean()),
            "nn1_top1": nn1_top1(db, dby, q, ty)}
        torch.save({"embeddings": q.cpu(), "labels": ty.cpu()}, os.path.join(cache_dir, f"{run_name}.test.level{k}.pt"))
    torch.save({"embeddings": db.cpu(), "labels": dby.cpu()}, os.path.join(cache_dir, f"{run_name}.train.level{db_level}.pt"))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    log(json.dumps(metrics))


if __name__ == "__main__":
    main()
