#!/usr/bin/env python3
"""The benchmark rows of several cuda jars measured in one call on one machine, side by side (bin/gpu-run's ab.txt).

Usage: gpu-ab.py THIS.json BASELINE1.json COMMIT1 [BASELINE2.json COMMIT2 ...]
Each row: images/s of every baseline in the order given, then this tree's; each one's ratio to the one before it (so
that a change made of several commits shows what each commit gave); and this tree's ratio to the first baseline. A
row missing from a baseline (its benchmark cut short) is left blank there."""
import json
import sys


def key(row):
    return row["shape"], row["precision"], row["scan"], row["level"], row["batch"]


def main(args):
    if len(args) < 3 or len(args) % 2 == 0:
        sys.exit(__doc__)
    this = json.load(open(args[0]))
    baselines = [(json.load(open(args[i])), args[i + 1][:7]) for i in range(1, len(args), 2)]
    columns = [({key(r): r["img_per_s"] for r in b["rows"]}, commit) for b, commit in baselines]
    names = [commit for _, commit in columns] + ["this"]
    print(f"images/s of each cuda jar, one machine, one call: {this.get('device', '')}")
    print("baselines in the order measured: " + ", ".join(names[:-1]) + "; ratios: each to the one before it, and this"
          " tree to the first")
    steps = [f"{b}/{a}" for a, b in zip(names, names[1:])]
    print(f"{'shape':6} {'prec':5} {'scan':10} {'level':>5} " + " ".join(f"{n:>10}" for n in names) + " "
          + " ".join(f"{s:>16}" for s in steps) + f" {'this/' + names[0]:>16}")
    for r in this["rows"]:
        values = [c.get(key(r)) for c, _ in columns] + [r["img_per_s"]]
        cells = " ".join(f"{v:>10.0f}" if v else f"{'':>10}" for v in values)
        ratios = " ".join(f"{b / a:>16.3f}" if a and b else f"{'':>16}" for a, b in zip(values, values[1:]))
        overall = f"{values[-1] / values[0]:>16.3f}" if values[0] else f"{'':>16}"
        print(f"{r['shape']:6} {r['precision']:5} {r['scan']:10} {r['level']:>5} {cells} {ratios} {overall}")


if __name__ == "__main__":
    main(sys.argv[1:])
