"""The trainer's resumable checkpoints: every tensor of the training state in one safetensors payload (no pickle),
split into parts of at most PART_BYTES each, with a manifest that lists each part's size and sha256.

    DIR/manifest.json                 {"format", "step", "total_steps", "finished", "bytes", "sha256", "parts": [...]}
    DIR/state-<step>.part<i>          the payload's bytes, in order

Parts stay under the 16 MiB a file may have when it comes back from the GPU machine, so a checkpoint travels as
it is. A new checkpoint's parts are written first and the manifest last (atomically), then the parts it no longer
names are removed: a crash leaves the previous checkpoint readable. Reading checks every part's size before it
reads it, then every sha256, then the whole payload's.
"""
import hashlib
import json
import os

import safetensors_io

FORMAT = "mmr-train-checkpoint/1"
PART_BYTES = 15_000_000
MANIFEST = "manifest.json"


def write(directory, tensors, meta, part_bytes=PART_BYTES):
    """Writes {name: tensor} and the JSON-able `meta` (it must hold step, total_steps and finished) to `directory`."""
    os.makedirs(directory, exist_ok=True)
    payload = safetensors_io.dumps(tensors, {"meta": json.dumps(meta)})
    parts = []
    for i, lo in enumerate(range(0, len(payload), part_bytes)):
        chunk = payload[lo:lo + part_bytes]
        name = f"state-{meta['step']:07d}.part{i}"
        with open(os.path.join(directory, name + ".tmp"), "wb") as f:
            f.write(chunk)
        os.replace(os.path.join(directory, name + ".tmp"), os.path.join(directory, name))
        parts.append({"name": name, "bytes": len(chunk), "sha256": hashlib.sha256(chunk).hexdigest()})
    manifest = {"format": FORMAT, "step": meta["step"], "total_steps": meta["total_steps"], "finished": meta["finished"],
                "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest(), "parts": parts}
    tmp = os.path.join(directory, MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, os.path.join(directory, MANIFEST))
    keep = {p["name"] for p in parts} | {MANIFEST}
    for name in os.listdir(directory):
        if name not in keep and name.startswith("state-"):
            os.remove(os.path.join(directory, name))
    return manifest


def read_manifest(directory):
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        raise ValueError(f"{directory}: no checkpoint here ({MANIFEST} is missing)")
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def read(directory):
    """Returns ({name: tensor}, meta) of the checkpoint in `directory`; raises ValueError if any part is missing,
    of the wrong size or altered."""
    manifest = read_manifest(directory)
    chunks = []
    for part in manifest["parts"]:
        name = os.path.basename(part["name"])
        path = os.path.join(directory, name)
        if name != part["name"] or not os.path.isfile(path):
            raise ValueError(f"{directory}: part {part['name']!r} is missing")
        size = os.path.getsize(path)
        if size != part["bytes"]:
            raise ValueError(f"{path}: {size} bytes, the manifest says {part['bytes']}")
        with open(path, "rb") as f:
            chunk = f.read()
        if hashlib.sha256(chunk).hexdigest() != part["sha256"]:
            raise ValueError(f"{path}: sha256 differs from the manifest's")
        chunks.append(chunk)
    payload = b"".join(chunks)
    if len(payload) != manifest["bytes"] or hashlib.sha256(payload).hexdigest() != manifest["sha256"]:
        raise ValueError(f"{directory}: the joined parts differ from the manifest's payload")
    tensors, metadata = safetensors_io.loads(payload, directory)
    return tensors, json.loads(metadata["meta"])
