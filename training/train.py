"""Trains MatMamba-Vision on CIFAR-10 and exports a model directory the Java encoder loads.

Joint (Matryoshka) training runs the levels 1, 2, 4, 8 on the same batch every step and averages their
losses before one backward pass. `--levels 4` trains the independent baseline that only ever runs level 4.

    python3 training/train.py --data data/cifar10.tar.xz --out runs/cifar10 --levels 1,2,4,8 --seed 0 --epochs 200

A run can span several processes: it writes a full checkpoint (training_state.py) every --checkpoint-every
epochs, when --stop-after seconds are nearly spent, at --stop-at-step, and on SIGTERM; `--resume DIR` continues
from one exactly where it stopped (same batches, augmentations and schedule), with the checkpoint's recipe and
epoch count (giving a different value is refused). Only a finished run exports.

`--init MODEL_DIR` starts a new run from an exported model's weights instead of random ones (a fine-tune: its own
optimiser, warm-up + cosine schedule and EMA, which starts at those weights), e.g. the shipped joint model trained on
with the Mix'n'Match options at a quarter of the learning rate:

    python3 training/train.py --data data/cifar10.tar.xz --out runs/cifar10-tuned --init models/cifar10 --epochs 80 \
        --lr 5e-4 --warmup-epochs 2 --distill 0.5 --mix-samples 512 --mix-order monotone
"""
import argparse
import json
import os
import random
import signal
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkpoint  # noqa: E402
import fast  # noqa: E402
import training_state  # noqa: E402
from data import load_cifar  # noqa: E402
from export import export, load_exported  # noqa: E402
import matmamba  # noqa: E402
from matmamba import MatMambaVision  # noqa: E402
from steps import Trainer, parse_level_weights  # noqa: E402

RECIPE = ("levels", "seed", "d_model", "n_layer", "d_state", "patch", "batch", "lr", "weight_decay", "label_smoothing",
          "warmup_epochs", "augment", "rand_n", "rand_m", "mixup", "cutmix", "cutmix_prob", "erase", "ema_decay",
          "drop_path", "level_weights", "align", "distill", "mix_samples", "mix_widths", "mix_order", "limit", "init")


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a = ap.add_argument
    a("--data", required=True, help="CIFAR-10 ImageFolder archive (.tar.xz)")
    a("--out", required=True, help="model directory to write")
    a("--cache", default=None, help="where the decoded dataset is cached (default: OUT/..)")
    a("--levels", default="1,2,4,8", help="levels trained every step; one level = an independent baseline")
    a("--seed", type=int, default=0)
    a("--epochs", type=int, default=None, help="epochs (the schedule's length); a resumed run keeps its checkpoint's")
    a("--train-within", type=float, default=None, metavar="SECONDS",
      help="instead of --epochs: the schedule's length is chosen during the warm-up (at the second epoch's end) so that "
      "training, over all the run's processes, ends within SECONDS at that epoch's pace")
    a("--init", default=None, metavar="MODEL_DIR",
      help="start from this exported model directory's weights (of this run's shape) instead of random ones: a fine-tune")
    a("--limit", type=int, default=None, help="use only this many training images, and a fifth as many test images (smoke tests)")
    a("--reference-images", type=int, default=8, help="test images whose outputs are exported for parity tests")
    m = ap.add_argument_group("model")
    m.add_argument("--d-model", type=int, default=256)
    m.add_argument("--n-layer", type=int, default=6)
    m.add_argument("--d-state", type=int, default=64)
    m.add_argument("--patch", type=int, default=4)
    m.add_argument("--drop-path", type=float, default=0.1, help="stochastic depth rate of the last layer (linear from 0)")
    o = ap.add_argument_group("optimisation")
    o.add_argument("--batch", type=int, default=1024)
    o.add_argument("--lr", type=float, default=2e-3)
    o.add_argument("--weight-decay", type=float, default=0.05)
    o.add_argument("--warmup-epochs", type=float, default=5.0, help="linear warm-up, then cosine decay to 0")
    o.add_argument("--ema-decay", type=float, default=0.999, help="EMA of the weights (exported when > 0); 0 = off")
    o.add_argument("--level-weights", default="", metavar="K=W,...",
                   help="joint training: the weight of level K's terms in the loss's weighted mean (W > 0; levels not "
                   "named weigh 1), e.g. 8=2 to favour the narrowest submodel; with --mix-samples, mix=W weighs the "
                   "Mix'n'Match samples' term (1 unless named)")
    o.add_argument("--align", type=float, default=0.0,
                   help="joint training: weight of a term pulling each narrower level's features towards the widest "
                   "level's (cosine distance to them, held fixed), so that its queries land near the database's vectors")
    o.add_argument("--distill", type=float, default=0.0, metavar="W",
                   help="joint training: each narrower level learns from a blend of the batch's targets (1 - W) and the "
                   "widest level's predictions (W, held fixed): in-place distillation from the full width")
    o.add_argument("--mix-samples", type=int, default=0, metavar="N",
                   help="joint training: N images of each batch also go through a Mix'n'Match submodel of their own, each "
                   "layer's width drawn from the trained levels' widths (computed at full width, the rest of each layer's "
                   "channels held at zero), as one more term of the mean")
    o.add_argument("--mix-widths", choices=("levels", "heads"), default="levels",
                   help="with --mix-samples, the widths a sample's layers are drawn from: the trained levels' (levels), or "
                   "every width from the narrowest trained level's to the widest's in whole heads (heads: Mix'n'Match "
                   "widths between the levels, such as the eval's pyramids, are then trained too)")
    o.add_argument("--mix-order", choices=("independent", "monotone"), default="independent",
                   help="with --mix-samples, how a sample's layer widths are ordered: each drawn on its own "
                   "(independent), or sorted, widest layer first or, for half the samples, narrowest first (monotone: "
                   "submodels shaped as the eval's pyramids are, their width changing in one direction)")
    g = ap.add_argument_group("augmentation (after a random crop with 4 px reflect padding and a flip)")
    g.add_argument("--augment", choices=("none", "trivial", "rand"), default="trivial", help="TrivialAugment (wide) or RandAugment")
    g.add_argument("--rand-n", type=int, default=2, help="RandAugment: ops per image")
    g.add_argument("--rand-m", type=int, default=9, help="RandAugment: magnitude of 30")
    g.add_argument("--erase", type=float, default=0.25, help="random erasing probability per image")
    g.add_argument("--mixup", type=float, default=0.8, help="mixup Beta alpha; 0 = off")
    g.add_argument("--cutmix", type=float, default=1.0, help="CutMix Beta alpha; 0 = off")
    g.add_argument("--cutmix-prob", type=float, default=0.5, help="share of batches mixed by CutMix when both are on")
    g.add_argument("--label-smoothing", type=float, default=0.1)
    s = ap.add_argument_group("speed (GPU)")
    s.add_argument("--scan", choices=("auto", "chunked", "quadratic"), default="auto",
                   help="the SSD scan's form (the same sums): a product a chunk of tokens over all heads at once "
                   "(matmamba.chunked_scan), one (L x L) decay matrix a head (the reference), or at each width the "
                   "faster of the two (chunked from 64 heads)")
    s.add_argument("--compile", choices=("none", "scan", "model"), default="model",
                   help="torch.compile nothing, the scan alone, or every level's forward+backward (checked against eager first; "
                   "if that fails, the scan alone)")
    s.add_argument("--compile-mode", choices=("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"),
                   default="default", help="torch.compile mode for --compile model (reduce-overhead = CUDA graphs)")
    s.add_argument("--precision", choices=("bf16", "fp32"), default="bf16", help="autocast dtype on the GPU (the CPU trains in fp32)")
    s.add_argument("--fused-adam", action=argparse.BooleanOptionalAction, default=True, help="fused AdamW kernel on the GPU")
    s.add_argument("--profile-steps", type=int, default=0, metavar="N",
                   help="profile this process's first N training steps (torch.profiler) and log where their time went")
    r = ap.add_argument_group("checkpoints")
    r.add_argument("--checkpoint-dir", default=None, help="where checkpoints are written (default: OUT/checkpoint)")
    r.add_argument("--checkpoint-every", type=int, default=10, help="epochs between checkpoints")
    r.add_argument("--resume", default=None, help="continue the run whose checkpoint is in this directory")
    r.add_argument("--stop-after", type=float, default=None,
                   help="seconds from start-up after which the run checkpoints and stops (leaving --stop-reserve for that)")
    r.add_argument("--stop-reserve", type=float, default=20.0, help="seconds kept for the checkpoint (and the export, when the last step is done)")
    r.add_argument("--stop-at-step", type=int, default=None, help="checkpoint and stop before this step (tests)")
    r.add_argument("--export-now", action="store_true",
                   help="with --resume: export the checkpoint's weights as they are, training no further (a run seen part-way, "
                   "or one whose last steps need more memory than this machine has); metrics.json's steps and total_steps "
                   "say how far it got, and the checkpoint is left as it was")
    args = ap.parse_args(argv)
    if args.export_now and not args.resume:
        ap.error("--export-now: for --resume (it exports a checkpoint's weights)")
    if args.resume and args.train_within is not None:
        ap.error("--train-within: a resumed run keeps its checkpoint's schedule")
    if not args.resume and (args.epochs is None) == (args.train_within is None):
        ap.error("give --epochs or --train-within (or --resume a checkpoint, which holds the schedule)")
    if args.mix_samples and (args.mix_samples > args.batch or len(args.levels.split(",")) < 2):
        ap.error("--mix-samples: a joint run (two levels or more) and at most --batch images")
    if args.mix_widths != "levels" and not args.mix_samples:
        ap.error("--mix-widths: for --mix-samples")
    if args.mix_order != "independent" and not args.mix_samples:
        ap.error("--mix-order: for --mix-samples")
    if args.distill and not (0 < args.distill <= 1 and len(args.levels.split(",")) >= 2):
        ap.error("--distill: a weight in (0, 1], for a joint run (two levels or more)")
    if args.level_weights:
        try:
            parse_level_weights(args.level_weights, [int(v) for v in args.levels.split(",")], mix=args.mix_samples > 0)
        except ValueError as e:
            ap.error(f"--level-weights {args.level_weights}: {e}")
    if args.train_within is not None and args.train_within <= 0:
        ap.error("--train-within: a number of seconds above 0")
    if args.train_within is not None and args.warmup_epochs < 2:
        ap.error("--train-within chooses the epoch count at the end of epoch 2, inside the warm-up: --warmup-epochs must be at least 2")
    tokens = {t.split("=")[0] for t in (sys.argv[1:] if argv is None else argv)}
    args.given = {a.dest for a in ap._actions if tokens & set(a.option_strings)}
    return args


def make_config(args):
    return {"d_model": args.d_model, "n_layer": args.n_layer, "d_intermediate": 0, "n_classes": 10,
            "patch_size": args.patch, "image_size": 32, "ssm_cfg": {"d_state": args.d_state},
            "norm_epsilon": 1e-5, "rms_norm": False, "fused_add_norm": False, "residual_in_fp32": False,
            "pool": "cls", "drop_rate": 0.0, "drop_path_rate": args.drop_path}


def main(argv=None):
    t_begin = time.time()
    args = parse(argv)
    recipe = {k: getattr(args, k) for k in RECIPE}
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    resumed = None
    if args.resume:
        tensors, meta = checkpoint.read(args.resume)  # a missing or damaged checkpoint stops here, before any work
        changed = {k: (meta["recipe"].get(k), v) for k, v in recipe.items() if k in args.given and meta["recipe"].get(k) != v}
        if changed:
            sys.exit(f"--resume {args.resume}: the recipe differs from the checkpoint's (checkpoint, now): {changed}")
        if args.epochs is not None and args.epochs != meta["epochs"]:
            sys.exit(f"--resume {args.resume}: --epochs {args.epochs}, the checkpoint's schedule has {meta['epochs']}")
        recipe = meta["recipe"]  # options not given take the checkpoint's values
        vars(args).update(recipe)
        args.epochs, args.train_within, resumed = meta["epochs"], meta["train_within"], (tensors, meta)

    config = make_config(args)
    matmamba.scan = {"quadratic": matmamba.quadratic_scan, "chunked": matmamba.chunked_scan,
                     "auto": matmamba.auto_scan}[args.scan]
    model = MatMambaVision.from_config(config)
    if args.init and not resumed:  # before anything is written, so a bad directory stops at once, changing nothing; the
        # recipe keeps the weights' hash, so that the metrics of a run resumed and exported later still name them
        recipe["init_sha256"] = load_exported(model, config, args.init)

    os.makedirs(args.out, exist_ok=True)
    ckpt_dir = args.checkpoint_dir or os.path.join(args.out, "checkpoint")
    log_file = open(os.path.join(args.out, "train_log.txt"), "a" if args.resume else "w")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(f"{os.path.basename(os.path.normpath(args.out))}: {line}", flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    data = load_cifar(args.data, args.cache or os.path.dirname(os.path.abspath(args.out)), workers=min(8, os.cpu_count()))
    train_x, train_y, _ = data["train"]
    test_x, test_y, test_names = data["test"]
    if args.limit:  # a random subset of both splits (the archive is sorted by class)
        rng = np.random.default_rng(args.seed)
        keep = np.sort(rng.permutation(len(train_x))[:args.limit])
        train_x, train_y = train_x[keep], train_y[keep]
        keep = np.sort(rng.permutation(len(test_x))[:max(args.reference_images, args.limit // 5)])
        test_x, test_y, test_names = test_x[keep], test_y[keep], test_names[keep]

    model.to(device)
    trainer = Trainer(model, args, device, train_x, train_y, log)
    if resumed:
        note = training_state.restore(trainer, *resumed)
        said = f": {note}" if note and not args.export_now else ""  # the note speaks of the steps to come
        log(f"resumed from {args.resume} at step {trainer.step} of {trainer.total_steps}{said}")
    log(f"model {trainer.params / 1e6:.2f}M params, levels {trainer.levels}, device {device}, {len(train_x)} training images, "
        f"{args.epochs or f'(a count chosen to train {args.train_within:.0f} s)'} epochs of {trainer.steps_per_epoch} steps, recipe {json.dumps(recipe)}")
    def training_left():
        return not args.export_now and (trainer.total_steps is None or trainer.step < trainer.total_steps)
    if device.type == "cuda" and training_left() and args.compile == "scan":
        fast.choose_scan(model, trainer.levels, args.batch, log)
    if device.type == "cuda" and training_left() and args.compile == "model":
        trainer.loss_fn = fast.compiled_loss(model, trainer.loss_fn, trainer.check_batch(), args.compile_mode, log)
        if trainer.loss_fn == trainer.joint_loss:  # the whole model did not compile correctly: the scan alone may
            fast.choose_scan(model, trainer.levels, args.batch, log)

    profile = fast.StepProfile(args.profile_steps, device, log)
    stop = {"signal": False}
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop.update(signal=True))

    def save(finished):
        if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
            raise SystemExit(f"training diverged: weights are not finite at step {trainer.step}; nothing saved, so the last "
                             f"checkpoint written is the last finite state")
        t0 = time.time()
        manifest = checkpoint.write(ckpt_dir, *training_state.capture(trainer, recipe, finished))
        log(f"checkpoint at step {manifest['step']}: {len(manifest['parts'])} part(s), {manifest['bytes'] / 1e6:.1f} MB, "
            f"{time.time() - t0:.1f} s, in {ckpt_dir}")

    try:
        while training_left():
            left = (args.stop_after - (time.time() - t_begin)) if args.stop_after else float("inf")
            if stop["signal"] or trainer.step == args.stop_at_step or left < args.stop_reserve + 2 * trainer.slowest_step:
                save(False)
                log(f"stopped at step {trainer.step} of {trainer.total_steps} ({'SIGTERM' if stop['signal'] else 'time or step limit'}); "
                    f"continue with --resume {ckpt_dir}")
                log_file.close()
                return "paused"
            trainer.train_step()
            profile.stepped()
            if trainer.step % trainer.steps_per_epoch == 0:
                epoch = trainer.step // trainer.steps_per_epoch
                trainer.log_epoch(epoch)
                if trainer.should_choose_epochs():
                    trainer.choose_epochs(args.train_within)
                if epoch % args.checkpoint_every == 0 and training_left():
                    save(False)
        if not args.export_now and not (resumed and resumed[1]["finished"]):
            save(True)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)

    model.eval()
    facts = {"params": trainer.params, "levels_trained": trainer.levels, "epochs": args.epochs,
             "epochs_chosen_to_train_seconds": args.train_within, "steps": trainer.step,
             "total_steps": trainer.total_steps,
             "batch": args.batch, "train_seconds": round(trainer.train_seconds, 1), "recipe": recipe,
             "exported_weights": "ema" if trainer.ema else "raw",
             "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20) if device.type == "cuda" else None}
    metrics = export(trainer.export_state(), config, args.out, (train_x, train_y), (test_x, test_y, test_names),
                     trainer.levels, device, args.reference_images, facts)
    log(json.dumps(metrics))
    log_file.close()
    return "exported" if args.export_now else "finished"


if __name__ == "__main__":
    main()
