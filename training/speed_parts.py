"""Where a joint training step's GPU time goes, part by part, forward + backward under bf16 autocast at the shipped
shape: the SSD scan in each form alone, then one layer's mixer, eager and compiled as a region of its own (the seconds
its first call compiles, then its milliseconds), at each level asked for. The second layer's mixer is compiled after
the first's: if it reuses the first one's compiled code, its first call takes well under a second, which is what
compiling each mixer as a region (instead of the whole loss) would rest on. Prints one line a measurement; where
torch has no torch.compile, the compiled lines say so.

    python3 training/speed_parts.py [--batch 1024] [--levels 1,8] [--device cuda]
"""
import argparse

import torch

import fast
import matmamba
from matmamba import MatMambaVision


def first_and_best(fn, device, reps=5):
    """Seconds of fn's first call, then the best of `reps` more (each synchronised)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    return fast.timed(fn, 1, sync)[0], min(fast.timed(fn, reps, sync))


def forward_backward(fn, inputs, autocast):
    def once():
        leaves = [t.detach().requires_grad_() for t in inputs]
        with torch.autocast(device_type=inputs[0].device.type, dtype=torch.bfloat16, enabled=autocast):
            y = fn(*leaves)
        y.float().square().mean().backward()
    return once


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--levels", default="1,8", help="the levels (widths D/k) to measure")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    autocast = device.type == "cuda"
    levels = [int(k) for k in args.levels.split(",")]
    compiles = hasattr(torch, "compile")
    if compiles:
        fast.inductor_without_mix_order_reduction(print)
        torch._dynamo.config.cache_size_limit = 64  # each level and layer may be a graph of its own
    torch.manual_seed(0)
    model = MatMambaVision(256, 6, 10, patch_size=4, image_size=32, d_state=64).to(device)
    L, B = model.pos_embed.shape[1], args.batch
    print(f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}), torch "
          f"{torch.__version__}, batch {B}, {L} tokens, bf16 autocast {autocast}")

    headdim = model.layers[0].mixer.headdim
    for name, form in (("quadratic", matmamba.quadratic_scan), ("chunked", matmamba.chunked_scan)):
        for level in levels:
            h = 2 * model.level_widths(level)[0] // headdim
            cum = -torch.rand(B, h, L, device=device).mul(0.5).cumsum(-1)
            G = torch.randn(B, L, L, device=device)
            xdt = torch.randn(B, h, L, headdim, device=device)
            _, eager = first_and_best(forward_backward(form, (cum, G, xdt), autocast), device)
            line = f"scan {name:9s} level {level} ({h} heads): eager {eager * 1e3:.2f} ms"
            if compiles:
                first, best = first_and_best(forward_backward(torch.compile(form, dynamic=False), (cum, G, xdt), autocast), device)
                line += f", compiled {best * 1e3:.2f} ms (compiling {first:.1f} s)"
            print(line)

    u = torch.randn(B, L, model.d_model, device=device)
    for level in levels:
        width = model.level_widths(level)[0]
        for i, layer in enumerate(model.layers[:2]):
            mixer = layer.mixer
            if i == 0:
                _, eager = first_and_best(forward_backward(lambda x: mixer(x, width), (u,), autocast), device)
                print(f"mixer level {level} (width {width}): eager {eager * 1e3:.2f} ms")
            if not compiles:
                print("mixer compiled: torch has no torch.compile")
                break
            compiled = torch.compile(mixer, dynamic=False)
            first, best = first_and_best(forward_backward(lambda x: compiled(x, width), (u,), autocast), device)
            print(f"mixer level {level} (width {width}), layer {i} compiled: {best * 1e3:.2f} ms (first call {first:.1f} s)")


if __name__ == "__main__":
    main()
