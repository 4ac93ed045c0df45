"""PyTorch CPU eager throughput of training/matmamba.py at the shapes of `bin/mmr bench-encoder`.

Run from the project root:  python3 encoder/src/test/python/bench_torch.py [--shapes 35M,135M] [--batches 1,16]
Random weights (the model's own initialisation); images/s per uniform level, best of the timed runs,
with torch.set_num_threads(2) by default and, in the same run, torch's float32 matmul GFLOP/s on the
model's full-width in_proj + out_proj shapes.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "training"))
from matmamba import MatMambaVision  # noqa: E402

SHAPES = {"35M": 512, "135M": 1024}


def best_seconds(fn, warmup, iterations):
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(max(1, iterations)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_gflops(d, d_state, tokens, batch, warmup, iterations):
    rows, di, heads = batch * tokens, 2 * d, 64
    in_rows = 2 * di + 2 * d_state + heads
    u, w_in = torch.randn(rows, d), torch.randn(in_rows, d)
    y, w_out = torch.randn(rows, di), torch.randn(d, di)
    seconds = best_seconds(lambda: (u @ w_in.t(), y @ w_out.t()), warmup, iterations)
    return 2.0 * rows * d * (in_rows + di) / seconds / 1e9


def matmul_work_gflop(d, layers, width, patch, image, d_state, classes):
    tokens = (image // patch) ** 2 + 1
    di, heads = 2 * width, 2 * width // (d // 32)
    macs = (tokens - 1) * 3 * patch * patch * d + d * classes
    macs += layers * tokens * d * (2 * di + 2 * d_state + heads + di)
    return 2.0 * macs / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", default="35M,135M")
    p.add_argument("--batches", default="1,16")
    p.add_argument("--levels", default="1,2,4,8")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--layers", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iterations", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    batches = [int(b) for b in a.batches.split(",")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, eager, float32; "
          f"best of {a.iterations} timed runs after {a.warmup} warm-up")
    for name in a.shapes.split(","):
        d = SHAPES[name]
        model = MatMambaVision(d, a.layers, 1000, 16, a.image_size, d_state=128).eval()
        tokens = (a.image_size // 16) ** 2 + 1
        peak = matmul_gflops(d, 128, tokens, max(batches), a.warmup, a.iterations)
        print(f"\n{name} shape: d_model {d}, {a.layers} layers, {a.image_size}px; "
              f"torch float32 matmul (in_proj + out_proj shapes, batch {max(batches)}): {peak:.1f} GFLOP/s")
        print(f"{'shape':6} {'batch':>5} {'width':7} {'ms/batch':>10} {'images/s':>9} {'of peak':>8}")
        for batch in batches:
            x = torch.randn(batch, 3, a.image_size, a.image_size)
            for level in [int(v) for v in a.levels.split(",")]:
                widths = model.level_widths(level)
                with torch.inference_mode():
                    seconds = best_seconds(lambda: model(x, widths), a.warmup, a.iterations)
                work = matmul_work_gflop(d, a.layers, d // level, 16, a.image_size, 128, 1000)
                rate = batch / seconds
                print(f"{name:6} {batch:5d} {'level' + str(level):7} {seconds * 1e3:10.1f} {rate:9.2f} "
                      f"{100 * rate * work / peak:7.0f}%", flush=True)


if __name__ == "__main__":
    main()
