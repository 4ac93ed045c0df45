"""The full state of a training run as (tensors, JSON-able meta) for checkpoint.py, and its restoration: weights,
AdamW state, EMA weights, the step (which fixes the schedule position and the epoch order), the epoch count, and
every random generator a step draws from (python, numpy global and the mixup / CutMix generator, torch CPU, CUDA
and the augmentation generator). Nothing is pickled: tensors go to safetensors, the rest to JSON. A checkpoint
written on a GPU resumes on the CPU and the other way round: all of it carries over but the augmentation generator,
whose state belongs to its kind of device; that stream restarts from a seed drawn from the saved state, and restore
says so."""
import hashlib
import random

import numpy as np
import torch


def capture(trainer, recipe, finished):
    opt = trainer.opt.state_dict()
    tensors = {f"model.{k}": v for k, v in trainer.model.state_dict().items()}
    if trainer.ema:
        tensors.update({f"ema.{k}": v for k, v in trainer.ema.state().items()})
    for i, state in opt["state"].items():
        tensors.update({f"opt.{i}.{k}": v for k, v in state.items()})
    tensors["epoch_loss"] = trainer.epoch_loss  # the sum so far over the current epoch's steps, for its log line
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors.update({f"rng.cuda.{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    tensors["rng.augment"] = trainer.aug_gen.get_state()
    py_version, py_state, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    meta = {"step": trainer.step, "total_steps": trainer.total_steps, "finished": finished, "epochs": trainer.args.epochs,
            "train_within": trainer.args.train_within,
            "recipe": recipe, "train_seconds": trainer.train_seconds, "torch": torch.__version__,
            "param_groups": opt["param_groups"],
            "rng_python": [py_version, list(py_state), py_gauss],
            "rng_numpy": [np_name, np_keys.tolist(), np_pos, np_has_gauss, np_gauss],
            "rng_mix": trainer.mix_rng.bit_generator.state}
    return tensors, meta


def restore(trainer, tensors, meta):
    """Puts the saved state into `trainer`; returns a note for the log when the run cannot continue bit for bit."""
    device = trainer.device
    trainer.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    if trainer.ema:
        ema = {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}
        trainer.ema.shadow = [ema[name].to(device) for name in trainer.ema.names]
    state = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, i, name = k.split(".", 2)
            state.setdefault(int(i), {})[name] = v
    trainer.opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    cuda = [tensors[f"rng.cuda.{i}"] for i in range(torch.cuda.device_count()) if f"rng.cuda.{i}" in tensors]
    if cuda:
        torch.cuda.set_rng_state_all(cuda)
    note = restore_augment_generator(trainer.aug_gen, tensors["rng.augment"])
    py_version, py_state, py_gauss = meta["rng_python"]
    random.setstate((py_version, tuple(py_state), py_gauss))
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = meta["rng_numpy"]
    np.random.set_state((np_name, np.array(np_keys, dtype=np.uint32), np_pos, np_has_gauss, np_gauss))
    trainer.mix_rng.bit_generator.state = meta["rng_mix"]
    trainer.epoch_loss = tensors["epoch_loss"].to(device)
    trainer.step = meta["step"]
    trainer.train_seconds = meta["train_seconds"]
    return note


def restore_augment_generator(generator, saved):
    """The CPU generator's state (Mersenne Twister, 5056 bytes) and a CUDA one's (Philox seed and offset, 16 bytes)
    do not convert: a state from the other kind of device seeds this one instead."""
    if saved.numel() == generator.get_state().numel():
        generator.set_state(saved)
        return None
    generator.manual_seed(int.from_bytes(hashlib.sha256(saved.numpy().tobytes()).digest()[:8], "little") >> 1)
    return (f"the checkpoint's augmentation generator is another kind of device's ({saved.numel()} bytes of state); "
            f"its stream restarts here from a seed drawn from that state, so the run goes on as a different draw of "
            f"the same recipe, not bit for bit")
