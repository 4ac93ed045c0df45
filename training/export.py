"""What a finished run leaves in its model directory: F16 weights, config, preprocessing, reference outputs for the
Java parity test, and metrics.json, whose figures are all computed from the exported (rounded) weights in float32;
and the way back: a model directory's weights loaded into a model of its shape (a fine-tune's start, train.py --init)."""
import hashlib
import json
import os

import torch
import torch.nn.functional as F

import safetensors_io
from data import MEAN, STD, normalise
from matmamba import MatMambaVision


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


# config keys that only training reads: a model directory of another drop rate still has this model's shape
TRAINING_ONLY = ("drop_rate", "drop_path_rate")


def load_exported(model, config, directory):
    """Loads `directory`'s model.safetensors into `model` (built from `config`); returns the file's sha256. Refuses
    (SystemExit, before the run writes anything) a directory whose config.json has another shape or whose weights do
    not match the model's names and shapes one for one, or are not finite."""
    def refuse(why):
        raise SystemExit(f"--init {directory}: {why}")
    try:
        with open(os.path.join(directory, "config.json")) as f:
            theirs = json.load(f)
        with open(os.path.join(directory, "model.safetensors"), "rb") as f:
            blob = f.read()
    except (OSError, ValueError) as e:
        refuse(f"not a model directory ({e})")
    if not isinstance(theirs, dict):
        refuse("config.json is not a JSON object")
    differ = {k: (theirs.get(k), v) for k, v in config.items() if k not in TRAINING_ONLY and theirs.get(k) != v}
    if differ:
        refuse(f"its shape differs from this run's (its config, this run's): {differ}")
    try:
        tensors, _ = safetensors_io.loads(blob, os.path.join(directory, "model.safetensors"))
    except ValueError as e:
        refuse(str(e))
    for name, v in tensors.items():
        if not bool(torch.isfinite(v).all()):
            refuse(f"{name} holds values that are not finite")
    try:  # strict: every name and shape must be the model's (PyTorch lists what differs)
        model.load_state_dict({k: v.float() for k, v in tensors.items()})
    except RuntimeError as e:
        refuse(f"its tensors are not this model's: {e}")
    return hashlib.sha256(blob).hexdigest()


def export(state, config, out, train, test, levels, device, reference_images, facts):
    """Writes the model directory `out` from the float32 `state`; returns metrics (facts plus per-level figures).
    Also saves the test-set embeddings per level and the training-set embeddings at the widest trained level
    next to `out` (for training/baseline_report.py)."""
    train_x, train_y = train
    test_x, test_y, test_names = test
    half = {k: v.detach().to(torch.float16).cpu() for k, v in state.items()}
    safetensors_io.save(half, os.path.join(out, "model.safetensors"))
    config = dict(config)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "preprocessing.json"), "w") as f:
        json.dump({"crop_ratio": 1.0, "mean": list(MEAN), "std": list(STD)}, f, indent=2)

    model = MatMambaVision.from_config(config)
    model.load_state_dict({k: v.float() for k, v in half.items()})
    model.eval()
    ref_x = normalise(torch.from_numpy(test_x[:reference_images]))  # reference outputs: CPU float32
    ref = {"input": ref_x}
    with torch.no_grad():
        for k in (1, 2, 4, 8):
            f_, lg = model(ref_x, model.level_widths(k))
            ref[f"features.level{k}"], ref[f"logits.level{k}"] = f_, lg
    safetensors_io.save(ref, os.path.join(out, "reference.safetensors"),
                        metadata={"images": ",".join(test_names[:reference_images])})

    model.to(device)
    db_level = min(levels)
    db, _ = encode(model, train_x, model.level_widths(db_level), device)
    ty = torch.from_numpy(test_y).to(device)
    dby = torch.from_numpy(train_y).to(device)
    metrics = dict(facts, database_level=db_level, per_level={})
    run_name = os.path.basename(os.path.normpath(out))
    cache_dir = os.path.dirname(os.path.abspath(out))
    for k in (1, 2, 4, 8):
        q, lg = encode(model, test_x, model.level_widths(k), device)
        metrics["per_level"][f"level{k}"] = {"head_top1": float((lg.argmax(1) == ty).float().mean()),
                                             "nn1_top1": nn1_top1(db, dby, q, ty)}
        safetensors_io.save({"embeddings": q.cpu(), "labels": ty.cpu()}, os.path.join(cache_dir, f"{run_name}.test.level{k}.safetensors"))
    safetensors_io.save({"embeddings": db.cpu(), "labels": dby.cpu()},
                        os.path.join(cache_dir, f"{run_name}.train.level{db_level}.safetensors"))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    return metrics
