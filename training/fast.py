"""How the trainer's step runs on a GPU: eager, the scan alone compiled, or the whole loss (every trained level's
forward pass and, through autograd, its backward pass) compiled by torch.compile, with CUDA graphs when the mode
asks for them ("reduce-overhead"). Whatever is compiled is first checked against the eager code on one batch
(outputs and every parameter's gradient); on a mismatch or a compiler error the run stays eager and says why.

Inductor's mix-order reduction (on by default from PyTorch 2.10) is switched off before anything is compiled. It
is what made the whole-model compile fail ("invalid gradient shape" for cls_token): it fuses the batch reductions
of broadcast parameters' gradients (cls_token and pos_embed, shape (1, n, D), summed over the batch) into one
kernel whose output loses the parameter's leading size-1 dimensions (pytorch/pytorch#178080). The same fused
reduction also drops writes when the reduced gradients are slices of one shared buffer (pytorch/pytorch#193061),
which is this model's nested widths exactly (every level's weights are slices of the full matrices), and would
give silently wrong gradients even where the shapes happen to fit.
"""
import time

import torch

import matmamba


def inductor_without_mix_order_reduction(log):
    try:
        import torch._inductor.config as inductor_config
    except ImportError:
        log(f"inductor: not in torch {torch.__version__}")
        return
    if hasattr(inductor_config, "triton") and hasattr(inductor_config.triton, "mix_order_reduction"):
        inductor_config.triton.mix_order_reduction = False
        log("inductor: mix-order reduction off")
    else:
        log(f"inductor: no mix-order reduction in torch {torch.__version__}")


def rel_l2(a, b):
    return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-30))


def timed(fn, reps, sync):
    """Seconds of each of `reps` calls of fn, synchronised before and after each."""
    times = []
    for _ in range(reps):
        sync()
        t0 = time.time()
        fn()
        sync()
        times.append(time.time() - t0)
    return times


def compiled_loss(model, loss_fn, example, mode, log, tolerance=2e-2):
    """Returns torch.compile(loss_fn) if its loss and gradients on the arguments `example` match loss_fn's within `tolerance`
    (relative L2, worst over the parameters; bf16 autocast makes them differ a little), else loss_fn. The check leaves
    no gradients behind. Given arguments alike to a training step's (random draws among them), the graph it compiles
    is the one training then runs: a fresh machine compiles once (minutes) instead of twice."""
    if not hasattr(torch, "compile"):
        log(f"torch {torch.__version__} has no torch.compile; training eager")
        return loss_fn
    inductor_without_mix_order_reduction(log)
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        compiled = torch.compile(loss_fn, mode=None if mode == "default" else mode)
        if hasattr(torch, "_logging"):  # a step that compiles another graph says so, with the guard that failed
            torch._logging.set_logs(recompiles=True)
        results = {}
        for name, fn in (("eager", loss_fn), ("compiled", compiled)):
            def once():
                model.zero_grad(set_to_none=True)
                loss = fn(*example)
                loss.backward()
                return loss
            t0 = time.time()
            loss = once()
            first = time.time() - t0
            times = timed(once, 3, torch.cuda.synchronize if example[0].is_cuda else (lambda: None))
            results[name] = [loss.detach().clone()] + [p.grad.detach().clone() for p in params]
            log(f"loss forward+backward {name}: first call {first:.1f} s, then {min(times) * 1000:.1f} ms")
        worst = max(rel_l2(c, e) for c, e in zip(results["compiled"], results["eager"]))
        log(f"compiled loss ({mode}): worst relative L2 difference to eager over the loss and {len(params)} gradients {worst:.2e}")
        if worst < tolerance:
            return compiled
        log(f"compiled loss differs from eager by more than {tolerance}: training eager")
    except Exception as e:  # the eager function is always correct; a compiler failure only costs speed
        log(f"compiled loss unavailable ({type(e).__name__}: {str(e)[:500]}); training eager")
    finally:
        model.zero_grad(set_to_none=True)
    return loss_fn


def choose_scan(model, levels, batch, log):
    """The scan alone compiled: used only if, at every head count this run trains, its outputs and gradients match
    the eager function and it is faster; otherwise the scan stays eager."""
    if not torch.cuda.is_available() or not hasattr(torch, "compile"):
        log("compiled scan needs a GPU and torch.compile; scan stays eager")
        return
    inductor_without_mix_order_reduction(log)
    mixer = model.layers[0].mixer
    L = model.pos_embed.shape[1]
    try:
        eager = matmamba.scan  # the form --scan chose
        compiled = torch.compile(eager, dynamic=False)
        worst, times = 0.0, {"eager": 0.0, "compiled": 0.0}
        for k in levels:
            h = 2 * model.level_widths(k)[0] // mixer.headdim
            g = torch.Generator(device="cuda").manual_seed(k)
            cum = -torch.rand(batch, h, L, device="cuda", generator=g).mul(0.3).cumsum(-1)
            G = torch.randn(batch, L, L, device="cuda", generator=g).to(torch.bfloat16)
            xdt = torch.randn(batch, h, L, mixer.headdim, device="cuda", generator=g)
            dy = torch.randn(batch, h, L, mixer.headdim, device="cuda", generator=g)
            results = {}
            for name, fn in (("eager", eager), ("compiled", compiled)):
                def once():
                    inputs = [t.detach().requires_grad_() for t in (cum, G, xdt)]
                    with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                        y = fn(*inputs)
                    y.backward(dy.to(y.dtype))
                    results[name] = [y] + [t.grad for t in inputs]
                once()  # warm-up (compiles)
                times[name] += sum(timed(once, 5, torch.cuda.synchronize)) / 5
            worst = max(worst, *(rel_l2(c, e) for c, e in zip(results["compiled"], results["eager"])))
        log(f"scan forward+backward at the trained head counts: eager {times['eager'] * 1000:.1f} ms, "
            f"compiled {times['compiled'] * 1000:.1f} ms, worst relative L2 difference {worst:.2e}")
        if worst < 2e-2 and times["compiled"] < times["eager"]:
            matmamba.scan = compiled
            log("training with the compiled scan")
    except Exception as e:
        log(f"compiled scan unavailable ({type(e).__name__}: {str(e)[:500]}); training eager")


class StepProfile:
    """`steps` training steps of this process under torch.profiler, from its second step on (the first compiles the
    training graph, minutes that the profiler would record and slow further), then a log of the operations that took
    the most time (on the GPU: their kernels' time; on the CPU: their own). Nothing when steps is 0. Profiling changes
    no result; the epoch the steps fall in is slower by the profiler's overhead."""

    ROWS = 25

    def __init__(self, steps, device, log):
        self.left, self.steps, self.device, self.log = steps, steps, device, log
        self.profile = None
        self.started = False

    def stepped(self):
        """After each training step: the first starts the profile, the last profiled one ends it and logs its table."""
        if self.left <= 0:
            return
        if not self.started:
            self.started = True
            activities = [torch.profiler.ProfilerActivity.CPU]
            if self.device.type == "cuda":
                torch.cuda.synchronize()
                activities.append(torch.profiler.ProfilerActivity.CUDA)
            self.profile = torch.profiler.profile(activities=activities)
            self.profile.__enter__()
            return
        self.left -= 1
        if self.left > 0:
            return
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        self.profile.__exit__(None, None, None)
        key = "self_cuda_time_total" if self.device.type == "cuda" else "self_cpu_time_total"
        table = self.profile.key_averages().table(sort_by=key, row_limit=self.ROWS)
        self.profile = None
        self.log(f"profile of {self.steps} training steps, by {key}:\n{table}")
