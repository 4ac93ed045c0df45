"""Minimal safetensors reader/writer (the format is an 8-byte little-endian header length, a JSON header, raw data).

Written here so the trainer, its tests and the fixture scripts need nothing beyond numpy (and PyTorch
where they use tensors). `save` takes numpy arrays or torch tensors (bfloat16 included); `load`
returns torch tensors. `dumps` / `loads` do the same in memory and keep the metadata.
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "U8": np.uint8}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


def load(path):
    """Returns {name: torch.Tensor} (F32, F16, F64, I64, U8; BF16 is widened to float32)."""
    with open(path, "rb") as f:
        return loads(f.read(), path)[0]


def loads(blob, source="safetensors data"):
    """Parses a whole safetensors file held in memory; returns ({name: torch.Tensor}, {metadata key: string})."""
    import torch
    if len(blob) < 8:
        raise ValueError(f"{source}: {len(blob)} bytes is too short for a safetensors header")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{source}: header length {n} runs past the end of the file")
    header = json.loads(blob[8:8 + n])  # a JSONDecodeError is a ValueError
    if not isinstance(header, dict):
        raise ValueError(f"{source}: the header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(meta, dict) and meta.get("dtype") in (*_DTYPES, "BF16") and isinstance(meta.get("shape"), list)
                and isinstance(meta.get("data_offsets"), list) and len(meta["data_offsets"]) == 2):
            raise ValueError(f"{source}: tensor {name} has no valid dtype, shape and data_offsets: {str(meta)[:200]}")
        lo, hi = meta["data_offsets"]
        if not 0 <= lo <= hi <= len(data):
            raise ValueError(f"{source}: tensor {name} lies outside the data ({lo}..{hi} of {len(data)} bytes)")
        raw = data[lo:hi]
        if meta["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=_DTYPES[meta["dtype"]])
        out[name] = torch.from_numpy(arr.reshape(meta["shape"]).copy())
    return out, header.get("__metadata__", {})


def _dtype_and_bytes(value):
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return _NAMES[arr.dtype], list(arr.shape), arr.tobytes()
    t = value.detach().cpu().contiguous()
    if str(t.dtype) == "torch.bfloat16":  # numpy has no bfloat16: write the raw 16-bit patterns
        import torch
        return "BF16", list(t.shape), t.view(torch.int16).numpy().tobytes()
    arr = t.numpy()
    return _NAMES[arr.dtype], list(arr.shape), arr.tobytes()


def save(tensors, path, metadata=None):
    """Writes {name: array or tensor}, in the mapping's order; each keeps its dtype (F32, F16, BF16, F64, I64, U8)."""
    with open(path, "wb") as f:
        f.write(dumps(tensors, metadata))


def dumps(tensors, metadata=None):
    """The bytes `save` writes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, value in tensors.items():
        dtype, shape, raw = _dtype_and_bytes(value)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return b"".join([struct.pack("<Q", len(head)), head] + chunks)
