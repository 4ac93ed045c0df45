"""One training run's moving parts: the batches, their augmentation, the loss over the trained levels, AdamW with a
warm-up + cosine schedule, and the EMA of the weights. Everything a step draws at random comes from state that
training_state.py saves: the epoch order (a function of seed and epoch), the augmentation generator, the
mixup / CutMix numpy generator, and torch's global generators (stochastic depth)."""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import augment
from data import epoch_order, standardise, to_unit


def parse_level_weights(spec, levels, mix=False):
    """--level-weights' K=W pairs as {level: weight} for the trained levels, and with Mix'n'Match samples (mix) the
    pair mix=W as {"mix": weight} for their term; what is not named weighs 1."""
    if len(levels) < 2:
        raise ValueError("for a joint run (two levels or more)")
    weights = dict.fromkeys(levels, 1.0)
    if mix:
        weights["mix"] = 1.0
    for pair in filter(None, spec.split(",")):
        name, sep, weight = pair.partition("=")
        name = int(name) if name.strip().isdigit() else name.strip()
        if not sep or name not in weights:
            raise ValueError(f"'{pair}' is not K=W for a trained level K of {levels}"
                             + (" or mix=W" if mix else " (mix=W is for --mix-samples)"))
        try:
            w = float(weight)
        except ValueError:
            raise ValueError(f"'{pair}': the weight is not a number") from None
        if not (w > 0 and math.isfinite(w)):
            raise ValueError(f"'{pair}': the weight must be a number above 0")
        weights[name] = w
    return weights


class Ema:
    """Exponential moving average of the weights (float32), decay warmed up as min(decay, (1 + t) / (10 + t))."""

    def __init__(self, model, decay):
        self.decay = decay
        self.names = list(model.state_dict())
        self.shadow = [v.detach().float().clone() for v in model.state_dict().values()]

    @torch.no_grad()
    def update(self, model, step):
        d = min(self.decay, (1 + step) / (10 + step))
        torch._foreach_mul_(self.shadow, d)
        torch._foreach_add_(self.shadow, [v.float() for v in model.state_dict().values()], alpha=1 - d)

    def state(self):
        return dict(zip(self.names, self.shadow))


class Trainer:
    def __init__(self, model, args, device, train_x, train_y, log):
        self.model, self.args, self.device, self.log = model, args, device, log
        self.levels = [int(v) for v in args.levels.split(",")]
        self.widths = [model.level_widths(k) for k in sorted(self.levels)]  # the widest first
        weights = parse_level_weights(args.level_weights, sorted(self.levels), mix=args.mix_samples > 0) \
            if args.level_weights else {}
        self.level_weights = [weights.get(k, 1.0) for k in sorted(self.levels)]  # each width's, in self.widths' order
        self.mix_weight = weights.get("mix", 1.0)
        # the widths a Mix'n'Match sample's layers are drawn from: the trained levels', or (--mix-widths heads) every
        # width from the narrowest level's to the widest's whose 2w channels are whole heads
        drawn = [w[0] for w in self.widths]
        if args.mix_widths == "heads":
            headdim = model.layers[0].mixer.headdim
            drawn = list(range(min(drawn), max(drawn) + 1, headdim // math.gcd(2, headdim)))
        self.layer_widths = torch.tensor(drawn, device=device)
        self.params = sum(p.numel() for p in model.parameters())
        self.gx = torch.from_numpy(train_x).to(device)
        self.gy = torch.from_numpy(train_y).to(device)
        self.steps_per_epoch = len(train_x) // args.batch
        if self.steps_per_epoch == 0:
            raise SystemExit(f"--batch {args.batch} is larger than the {len(train_x)} training images")
        # None until chosen, when the run was given a time budget (--train-within) instead of an epoch count
        self.total_steps = args.epochs * self.steps_per_epoch if args.epochs is not None else None
        self.warmup = max(1, int(args.warmup_epochs * self.steps_per_epoch))
        self.autocast = device.type == "cuda" and args.precision == "bf16"
        decay, no_decay = [], []
        for name, p in model.named_parameters():
            skip = p.ndim < 2 or name.endswith(("A_log", "dt_bias", "D")) or "embed" in name or "cls" in name
            (no_decay if skip else decay).append(p)
        fused = {"fused": True} if device.type == "cuda" and args.fused_adam else {}
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                      {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.99), **fused)
        self.ema = Ema(model, args.ema_decay) if args.ema_decay > 0 else None
        self.aug_gen = torch.Generator(device=device)
        self.aug_gen.manual_seed(args.seed)
        self.mix_rng = np.random.default_rng(args.seed)
        self.step = 0
        self.steps_this_process = 0
        self.train_seconds = 0.0
        self.slowest_step = 0.0
        self.loss_fn = self.joint_loss
        self._order = (None, None)
        self.epoch_loss = torch.zeros((), device=device)
        self._epoch_start = time.time()
        self._steps_since_epoch_start = 0
        self.epochs_ended_this_process = 0
        self.last_epoch_seconds = None  # a whole epoch's seconds at the last epoch's pace

    def joint_loss(self, x, targets, mix=None, depth=None):
        """Mean over the trained levels, weighted by --level-weights, of the soft-target cross-entropy (targets carry
        smoothing and mixing), each narrower level's plus --align times the mean cosine distance of its features to the
        widest level's (detached: the narrow levels move towards the full-width space, which the database is encoded
        in, not the reverse), and with --distill W each narrower level's targets a blend, (1 - W) x the batch's + W x
        the widest level's softmax (detached: in-place distillation, the full width teaching its submodels).
        mix: None, or the width lists (n, layers) of the batch's first n images' Mix'n'Match submodels: one more
        term, alike. depth: None, or stochastic depth's draws for each of those forward passes (the levels', then the
        Mix'n'Match samples', of which its first n columns count)."""
        def term(features, logits, targets, widest):
            loss = -(targets * F.log_softmax(logits.float(), dim=-1)).sum(-1).mean()
            if widest is not None and self.args.align > 0:
                loss = loss + self.args.align * (1 - F.cosine_similarity(features.float(), widest, dim=-1)).mean()
            return loss

        with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            total, widest, narrow_targets = 0, None, targets
            for i, (w, weight) in enumerate(zip(self.widths, self.level_weights)):
                features, logits = self.model(x, w, depth_keep=None if depth is None else depth[i])
                total = total + weight * term(features, logits, targets if widest is None else narrow_targets, widest)
                if widest is None:
                    widest = features.detach().float()
                    if self.args.distill > 0:
                        teacher = F.softmax(logits.detach().float(), dim=-1)
                        narrow_targets = (1 - self.args.distill) * targets + self.args.distill * teacher
            if mix is None:
                return total / sum(self.level_weights)
            n = mix.shape[0]
            features, logits = self.model(x[:n], sample_widths=mix, depth_keep=None if depth is None else depth[-1, :, :n])
            return (total + self.mix_weight * term(features, logits, narrow_targets[:n], widest[:n])) / (
                sum(self.level_weights) + self.mix_weight)

    def draw_mix(self, generator):
        """--mix-samples width lists: each layer's width drawn uniformly from --mix-widths' (None when off); with
        --mix-order monotone each list then sorted, widest layer first or (half of them, drawn) narrowest first."""
        if not self.args.mix_samples:
            return None
        shape = (self.args.mix_samples, self.model.n_layer)
        widths = self.layer_widths[torch.randint(len(self.layer_widths), shape, device=self.device, generator=generator)]
        if self.args.mix_order == "monotone":
            widths = widths.sort(dim=1, descending=True).values
            narrowest_first = torch.rand((shape[0], 1), device=self.device, generator=generator) < 0.5
            widths = torch.where(narrowest_first, widths.flip(1), widths)
        return widths

    def draw_depth(self, generator=None):
        """Stochastic depth for a step's forward passes (one a trained level, one more with --mix-samples), from torch's
        global generator unless another is given; None without stochastic depth."""
        passes = len(self.widths) + (1 if self.args.mix_samples else 0)
        return self.model.depth_keeps(passes, self.args.batch, self.device, generator)

    def lr(self, s):
        a = self.args
        if s < self.warmup:
            return a.lr * (s + 1) / self.warmup
        if self.total_steps is None:
            raise RuntimeError(f"step {s} is past the warm-up but the schedule's length is not chosen yet")
        return 0.5 * a.lr * (1 + math.cos(math.pi * (s - self.warmup) / max(1, self.total_steps - self.warmup)))

    def batch_indices(self, s):
        epoch, j = divmod(s, self.steps_per_epoch)
        if self._order[0] != epoch:
            self._order = (epoch, epoch_order(self.args.seed, epoch, len(self.gx)).to(self.device))
        return self._order[1][j * self.args.batch:(j + 1) * self.args.batch]

    def augmented_batch(self, idx):
        a = self.args
        x = augment.crop_flip(to_unit(self.gx[idx]), self.aug_gen)
        if a.augment == "trivial":
            x = augment.trivial_augment(x, self.aug_gen)
        elif a.augment == "rand":
            x = augment.rand_augment(x, self.aug_gen, a.rand_n, a.rand_m)
        x = standardise(x)
        if a.erase > 0:
            x = augment.random_erasing(x, self.aug_gen, a.erase)
        return augment.mix(x, self.gy[idx], 10, self.mix_rng, a.mixup, a.cutmix, a.cutmix_prob, a.label_smoothing)

    def check_batch(self):
        """The loss's arguments for checking a compiled loss against the eager one: a fixed, unaugmented batch, and
        Mix'n'Match width lists and stochastic depth from a generator of its own (the run's generators draw nothing).
        They are what a training step passes, alike in shape, dtype and layout, so the graph compiled for the check is
        the one training runs."""
        idx = torch.arange(self.args.batch, device=self.device)
        fixed = torch.Generator(device=self.device)
        fixed.manual_seed(0)
        return (standardise(to_unit(self.gx[idx])).contiguous(),
                augment.soft_targets(self.gy[idx], 10, self.args.label_smoothing), self.draw_mix(fixed),
                self.draw_depth(fixed))

    def train_step(self):
        t0 = time.time()
        x, targets = self.augmented_batch(self.batch_indices(self.step))
        for g in self.opt.param_groups:
            g["lr"] = self.lr(self.step)
        if hasattr(torch, "compiler") and hasattr(torch.compiler, "cudagraph_mark_step_begin"):
            torch.compiler.cudagraph_mark_step_begin()
        loss = self.loss_fn(x, targets, self.draw_mix(self.aug_gen), self.draw_depth())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        if self.ema:
            self.ema.update(self.model, self.step)
        self.epoch_loss += loss.detach()
        self.step += 1
        self.steps_this_process += 1
        self._steps_since_epoch_start += 1
        elapsed = time.time() - t0
        self.train_seconds += elapsed
        if self.steps_this_process > 2:  # the first steps of a process pay for compiling and warm-up
            self.slowest_step = max(self.slowest_step, elapsed)

    def log_epoch(self, epoch):
        loss = float(self.epoch_loss) / self.steps_per_epoch  # the one host synchronisation of an epoch
        seconds = time.time() - self._epoch_start
        steps, self._steps_since_epoch_start = self._steps_since_epoch_start, 0  # fewer in a resumed process's first epoch
        images = steps * self.args.batch
        self.log(f"epoch {epoch}/{self.args.epochs or '?'} loss {loss:.4f} lr {self.lr(self.step - 1):.2e} "
                 f"epoch {seconds:.2f} s ({images / seconds:.0f} images/s), trained {self.train_seconds:.0f} s")
        if not math.isfinite(loss):
            raise SystemExit(f"training diverged: epoch {epoch}'s loss is {loss}; stopping before any checkpoint of it, "
                             f"so the last checkpoint written is the last finite state")
        self.epoch_loss.zero_()
        self._epoch_start = time.time()
        self.epochs_ended_this_process += 1
        self.last_epoch_seconds = seconds * self.steps_per_epoch / steps

    def should_choose_epochs(self):
        """A run given a time budget fixes its schedule's length at an epoch boundary: the second one this process
        reaches (the first epoch of a process pays for compiling), or earlier if the next epoch would leave the
        warm-up, the only part of the schedule that does not depend on its length."""
        return self.total_steps is None and (self.epochs_ended_this_process >= 2
                                             or self.step + self.steps_per_epoch > self.warmup)

    def choose_epochs(self, budget_seconds):
        """Epochs so that training ends within budget_seconds of training (the steps' time, over every process of the
        run), at the last epoch's pace: the epochs done, then as many more as the rest of the budget holds."""
        done = self.step // self.steps_per_epoch
        more = int(max(0.0, budget_seconds - self.train_seconds) // self.last_epoch_seconds)
        self.args.epochs = done + more
        self.total_steps = self.args.epochs * self.steps_per_epoch
        self.log(f"schedule: {self.args.epochs} epochs ({done} done, {self.train_seconds:.0f} s of the {budget_seconds:.0f} s "
                 f"budget trained, then {more} at {self.last_epoch_seconds:.2f} s an epoch)")

    def export_state(self):
        """The weights a finished run exports: the EMA when on, else the trained weights (float32)."""
        return self.ema.state() if self.ema else {k: v.float() for k, v in self.model.state_dict().items()}
