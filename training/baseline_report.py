"""1-NN top-1 of the independent baselines: baseline-lk's test embeddings as queries against the training-set
embeddings of baseline-l1 (the largest baseline), the paper's baseline protocol. Prints JSON.

    python3 training/baseline_report.py WORK    (WORK: the folder holding the cifar10-baseline-l* run folders)"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from export import nn1_top1  # noqa: E402

work = sys.argv[1]
db = safetensors_io.load(os.path.join(work, "cifar10-baseline-l1.train.level1.safetensors"))
report = {}
for k in (1, 2, 4, 8):
    q = safetensors_io.load(os.path.join(work, f"cifar10-baseline-l{k}.test.level{k}.safetensors"))
    report[f"baseline-l{k}_vs_baseline-l1_db"] = nn1_top1(db["embeddings"], db["labels"], q["embeddings"], q["labels"])
for name in ["cifar10"] + [f"cifar10-baseline-l{k}" for k in (1, 2, 4, 8)]:
    path = os.path.join(work, name, "metrics.json")
    if os.path.exists(path):
        report[name] = json.load(open(path))
print(json.dumps(report, indent=1))
