"""A run stopped and resumed (twice, once mid-epoch) ends bit-identical to the same run uninterrupted, on the CPU:
weights, AdamW state, EMA weights, every random generator, and the exported model. Damaged checkpoints and a
changed recipe are refused; a run whose weights turn NaN stops without overwriting its last finite checkpoint; a
GPU's checkpoint resumes on the CPU, saying that its augmentation stream starts anew; --export-now exports a paused
run's weights and leaves its checkpoint as it was. --init starts a run from an exported model's weights (and resumes
as any run does); a model directory of another shape, or damaged, is refused before any work.
Checkpoint parts of the shipped model's shape stay under the 16 MiB a file may have."""
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import unittest
from unittest import mock

import numpy as np
import torch

import checkpoint
import safetensors_io
import train
from data import CLASSES
from matmamba import MatMambaVision
from steps import Trainer


def write_archive(path, per_class, seed=0):
    """A small ImageFolder archive laid out like data/cifar10.tar.xz: random 32x32 PNGs per split and class."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    with tarfile.open(path, "w:xz") as tar:
        for split, n in per_class.items():
            for c in CLASSES:
                for i in range(n):
                    buf = io.BytesIO()
                    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, "PNG")
                    info = tarfile.TarInfo(f"cifar10/{split}/{c}/{i:04d}.png")
                    info.size = len(buf.getvalue())
                    tar.addfile(info, io.BytesIO(buf.getvalue()))


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="resume-test-")
        cls.archive = os.path.join(cls.tmp, "tiny.tar.xz")
        write_archive(cls.archive, {"train": 8, "test": 2})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_trainer(self, out, *extra):
        """Runs the trainer's main() on the tiny archive (80 training images, batch 16: 5 steps an epoch)."""
        argv = ["--data", self.archive, "--cache", self.tmp, "--out", os.path.join(self.tmp, out), "--d-model", "32",
                "--n-layer", "2", "--d-state", "8", "--patch", "8", "--batch", "16", "--warmup-epochs", "1",
                "--reference-images", "4", "--checkpoint-every", "2", *extra]
        with contextlib.redirect_stdout(io.StringIO()):
            return train.main(argv)

    def checkpoint_of(self, out):
        return checkpoint.read(os.path.join(self.tmp, out, "checkpoint"))

    def assert_same_run(self, a, b, meta_may_differ=()):
        (ta, ma), (tb, mb) = self.checkpoint_of(a), self.checkpoint_of(b)
        self.assertEqual(sorted(ta), sorted(tb))
        for name in ta:
            self.assertTrue(torch.equal(ta[name], tb[name]), f"{name} differs after resume")
        skip = {"train_seconds", *meta_may_differ}
        self.assertEqual({k: v for k, v in ma.items() if k not in skip}, {k: v for k, v in mb.items() if k not in skip})
        for f in ("model.safetensors", "reference.safetensors"):
            with open(os.path.join(self.tmp, a, f), "rb") as fa, open(os.path.join(self.tmp, b, f), "rb") as fb:
                self.assertEqual(fa.read(), fb.read(), f)

    def test_stop_and_resume_gives_the_uninterrupted_run_bit_for_bit(self):
        # the default recipe: TrivialAugment, random erasing, mixup/CutMix, label smoothing, EMA, stochastic depth
        self.assertEqual(self.run_trainer("whole", "--epochs", "4"), "finished")
        ckpt = os.path.join(self.tmp, "split", "checkpoint")
        self.assertEqual(self.run_trainer("split", "--epochs", "4", "--stop-at-step", "7"), "paused")  # mid-epoch 2
        self.assertEqual(checkpoint.read_manifest(ckpt)["step"], 7)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "split", "model.safetensors")), "a paused run exports nothing")
        self.assertEqual(self.run_trainer("split", "--resume", ckpt, "--stop-at-step", "10"), "paused")  # an epoch boundary
        self.assertEqual(self.run_trainer("split", "--resume", ckpt), "finished")
        self.assertTrue(checkpoint.read_manifest(ckpt)["finished"])
        self.assert_same_run("whole", "split")
        with open(os.path.join(self.tmp, "split", "train_log.txt")) as log:
            self.assertNotIn("another kind of device", log.read())
        (tensors, meta) = self.checkpoint_of("whole")
        self.assertIn("ema.head.weight", tensors)
        self.assertFalse(torch.equal(tensors["ema.head.weight"], tensors["model.head.weight"]))

    def test_a_diverged_run_stops_and_keeps_its_last_finite_checkpoint(self):
        train_step = Trainer.train_step

        def poisoned(trainer):  # a weight turns NaN at step 7, in epoch 2 (5 steps an epoch)
            train_step(trainer)
            if trainer.step == 7:
                with torch.no_grad():
                    trainer.model.head.weight.fill_(float("nan"))
        for stop_at in ([], ["--stop-at-step", "8"]):
            out = f"diverged{len(stop_at)}"
            with mock.patch.object(Trainer, "train_step", poisoned), self.assertRaises(SystemExit) as stopped:
                self.run_trainer(out, "--epochs", "4", "--checkpoint-every", "1", *stop_at)
            self.assertIn("training diverged", str(stopped.exception))
            self.assertEqual(checkpoint.read_manifest(os.path.join(self.tmp, out, "checkpoint"))["step"], 5, stop_at)
            tensors, _ = self.checkpoint_of(out)
            self.assertTrue(all(bool(torch.isfinite(t).all()) for t in tensors.values() if t.is_floating_point()))

    def assert_split_at_step_3_equals_whole(self, name, opts, resume_opts=()):
        """The run of `opts` uninterrupted, and stopped at step 3 then resumed (with `resume_opts`), end the same."""
        self.run_trainer(f"{name}-whole", *opts)
        self.run_trainer(f"{name}-split", *opts, "--stop-at-step", "3")
        self.run_trainer(f"{name}-split", "--resume", os.path.join(self.tmp, f"{name}-split", "checkpoint"), *resume_opts)
        self.assert_same_run(f"{name}-whole", f"{name}-split")

    def test_resume_with_randaugment_and_no_ema(self):
        self.assert_split_at_step_3_equals_whole(
            "rand", ["--epochs", "2", "--augment", "rand", "--ema-decay", "0", "--mixup", "0", "--drop-path", "0"])

    def test_resume_with_mix_n_match_samples_and_align(self):
        self.assert_split_at_step_3_equals_whole("mix", ["--epochs", "2", "--mix-samples", "5", "--align", "0.5"])

    def test_profiled_steps_change_nothing_and_the_log_says_where_their_time_went(self):
        # the resumed half of the run profiles 3 steps after its first, across an epoch boundary (steps 4 to 6, 5 an epoch)
        self.assert_split_at_step_3_equals_whole("prof", ["--epochs", "2", "--augment", "none", "--mixup", "0"],
                                                 ["--profile-steps", "3"])
        with open(os.path.join(self.tmp, "prof-split", "train_log.txt")) as f:
            log = f.read()
        self.assertIn("profile of 3 training steps, by self_cpu_time_total:", log)
        self.assertRegex(log, r"aten::\w+")  # the table's rows name the operations
        self.assertEqual(log.count("profile of"), 1)

    def test_a_time_budget_fixes_the_epoch_count_in_the_warm_up_and_trains_as_that_count_would(self):
        budget = ["--train-within", "2", "--warmup-epochs", "2"]
        self.assertEqual(self.run_trainer("budget", *budget), "finished")
        epochs = self.checkpoint_of("budget")[1]["epochs"]
        self.assertGreaterEqual(epochs, 2)
        self.assertEqual(self.run_trainer("counted", "--epochs", str(epochs), "--warmup-epochs", "2"), "finished")
        self.assert_same_run("budget", "counted", meta_may_differ={"train_within"})

        # stopped before the count is chosen (mid-epoch 1): the checkpoint holds the budget, the resumed process chooses
        ckpt = os.path.join(self.tmp, "budget-split", "checkpoint")
        self.assertEqual(self.run_trainer("budget-split", *budget, "--stop-at-step", "3"), "paused")
        _, meta = self.checkpoint_of("budget-split")
        self.assertEqual((meta["epochs"], meta["train_within"]), (None, 2.0))
        with self.assertRaises(SystemExit):
            self.run_trainer("budget-split", "--resume", ckpt, "--train-within", "5")
        self.assertEqual(self.run_trainer("budget-split", "--resume", ckpt, "--warmup-epochs", "2"), "finished")
        epochs = self.checkpoint_of("budget-split")[1]["epochs"]
        self.assertEqual(self.run_trainer("counted-split", "--epochs", str(epochs), "--warmup-epochs", "2"), "finished")
        self.assert_same_run("budget-split", "counted-split", meta_may_differ={"train_within"})

    def test_sigterm_stops_at_the_next_step_with_a_checkpoint(self):
        out = os.path.join(self.tmp, "term")
        cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.py"), "--data", self.archive,
               "--cache", self.tmp, "--out", out, "--d-model", "32", "--n-layer", "2", "--d-state", "8", "--patch", "8",
               "--batch", "16", "--epochs", "100000"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            if "epoch 1/" in line:
                proc.send_signal(signal.SIGTERM)
                break
        rest = proc.stdout.read()
        self.assertEqual(proc.wait(timeout=60), 0, rest)
        self.assertIn("SIGTERM", rest)
        manifest = checkpoint.read_manifest(os.path.join(out, "checkpoint"))
        self.assertFalse(manifest["finished"])
        self.assertGreaterEqual(manifest["step"], 5)

    def test_a_checkpoint_from_a_gpu_resumes_on_the_cpu_with_a_new_augmentation_stream(self):
        self.run_trainer("crossed", "--epochs", "2", "--stop-at-step", "3")
        ckpt = os.path.join(self.tmp, "crossed", "checkpoint")
        tensors, meta = checkpoint.read(ckpt)
        philox = torch.tensor([7, 0], dtype=torch.int64).view(torch.uint8)  # what a CUDA generator's get_state() holds
        checkpoint.write(ckpt, {**tensors, "rng.augment": philox}, meta)
        self.assertEqual(self.run_trainer("crossed", "--resume", ckpt), "finished")
        with open(os.path.join(self.tmp, "crossed", "train_log.txt")) as log:
            resumed = [line for line in log if "resumed from" in line]
        self.assertEqual(len(resumed), 1)
        self.assertIn("another kind of device's (16 bytes of state)", resumed[0])
        self.assertIn("not bit for bit", resumed[0])
        self.assertTrue(checkpoint.read_manifest(ckpt)["finished"])

    def test_export_now_exports_a_paused_run_and_leaves_its_checkpoint_to_finish_as_before(self):
        self.run_trainer("early-whole", "--epochs", "2")
        self.run_trainer("early", "--epochs", "2", "--stop-at-step", "3")
        ckpt = os.path.join(self.tmp, "early", "checkpoint")
        self.assertEqual(self.run_trainer("early", "--resume", ckpt, "--export-now"), "exported")
        with open(os.path.join(self.tmp, "early", "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual((metrics["steps"], metrics["total_steps"]), (3, 10))
        self.assertEqual((checkpoint.read_manifest(ckpt)["step"], checkpoint.read_manifest(ckpt)["finished"]), (3, False))
        self.assertEqual(self.run_trainer("early", "--resume", ckpt), "finished")
        self.assert_same_run("early-whole", "early")
        with self.assertRaises(SystemExit):
            train.parse(["--data", "-", "--out", "-", "--epochs", "1", "--export-now"])

    def test_init_starts_from_an_exported_models_weights_and_resumes_as_any_run(self):
        self.assertEqual(self.run_trainer("init-base", "--epochs", "1"), "finished")
        base = os.path.join(self.tmp, "init-base")
        exported = safetensors_io.load(os.path.join(base, "model.safetensors"))
        self.assertEqual(self.run_trainer("init-step0", "--epochs", "2", "--init", base, "--stop-at-step", "0"), "paused")
        tensors, meta = self.checkpoint_of("init-step0")
        for name, v in exported.items():  # the model and its EMA both start at the exported (F16) weights
            self.assertTrue(torch.equal(tensors[f"model.{name}"], v.float()), name)
            self.assertTrue(torch.equal(tensors[f"ema.{name}"], v.float()), name)
        with open(os.path.join(base, "model.safetensors"), "rb") as f:
            sha256 = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual((meta["recipe"]["init"], meta["recipe"]["init_sha256"]), (base, sha256))
        # stopped and resumed, a fine-tune ends as it would uninterrupted (the resumed process takes the checkpoint's
        # weights, not the model directory's), and its metrics name the weights it started from
        self.assert_split_at_step_3_equals_whole("init", ["--epochs", "2", "--init", base])
        with open(os.path.join(self.tmp, "init-split", "metrics.json")) as f:
            self.assertEqual(json.load(f)["recipe"]["init_sha256"], sha256)
        self.assertFalse(torch.equal(exported["head.weight"].float(), self.checkpoint_of("init-whole")[0]["model.head.weight"]),
                         "the fine-tune trained")

    def test_init_refuses_another_shape_or_a_damaged_model_directory_before_any_work(self):
        self.assertEqual(self.run_trainer("init-ok", "--epochs", "1"), "finished")
        good = os.path.join(self.tmp, "init-ok")

        def variant(name, edit):
            d = os.path.join(self.tmp, name)
            shutil.copytree(good, d, ignore=shutil.ignore_patterns("checkpoint"))
            edit(d)
            return d

        def truncate(d):
            with open(os.path.join(d, "model.safetensors"), "r+b") as f:
                f.truncate(1000)

        def rename_a_tensor(d):
            weights = safetensors_io.load(os.path.join(d, "model.safetensors"))
            weights["head.renamed"] = weights.pop("head.weight")
            safetensors_io.save(weights, os.path.join(d, "model.safetensors"))

        def poison(d):
            weights = safetensors_io.load(os.path.join(d, "model.safetensors"))
            weights["head.weight"][0, 0] = float("inf")
            safetensors_io.save(weights, os.path.join(d, "model.safetensors"))
        cases = {"its shape differs": variant("init-wide", lambda d: None),  # this run asks for --d-model 48
                 "runs past the end": variant("init-cut", truncate),
                 "not this model's": variant("init-renamed", rename_a_tensor),
                 "not finite": variant("init-inf", poison),
                 "not a model directory": os.path.join(self.tmp, "no-such-model")}
        for why, directory in cases.items():
            shape = ["--d-model", "48"] if why == "its shape differs" else []
            with self.subTest(why), self.assertRaises(SystemExit) as refused:
                self.run_trainer(f"refused-{why}", "--epochs", "1", "--init", directory, *shape)
            self.assertIn(f"--init {directory}", str(refused.exception))
            self.assertIn(why, str(refused.exception))
            self.assertFalse(os.path.exists(os.path.join(self.tmp, f"refused-{why}")), "a refused --init writes nothing")

    def test_resume_refuses_a_changed_recipe_or_epoch_count(self):
        self.run_trainer("changed", "--epochs", "3", "--stop-at-step", "2")
        ckpt = os.path.join(self.tmp, "changed", "checkpoint")
        with self.assertRaises(SystemExit) as e:
            self.run_trainer("changed", "--resume", ckpt, "--lr", "0.001")
        self.assertIn("recipe differs", str(e.exception))
        with self.assertRaises(SystemExit) as e:
            self.run_trainer("changed", "--resume", ckpt, "--epochs", "5")
        self.assertIn("schedule has 3", str(e.exception))
        self.assertEqual(checkpoint.read_manifest(ckpt)["step"], 2, "a refused resume changes nothing")


class ChosenEpochsTest(unittest.TestCase):
    def test_the_rest_of_the_budget_at_the_last_epochs_pace(self):
        args = train.parse(["--data", "-", "--out", "-", "--train-within", "100", "--batch", "2", "--d-model", "32",
                            "--n-layer", "2", "--d-state", "8", "--patch", "8"])
        images = np.zeros((10, 32, 32, 3), dtype=np.uint8)
        trainer = Trainer(MatMambaVision.from_config(train.make_config(args)), args, torch.device("cpu"), images,
                          np.zeros(10, dtype=np.int64), lambda m: None)
        self.assertIsNone(trainer.total_steps)
        with self.assertRaisesRegex(RuntimeError, "not chosen"):
            trainer.lr(trainer.warmup)
        trainer.step, trainer.train_seconds, trainer.last_epoch_seconds = 2 * trainer.steps_per_epoch, 10.0, 3.0
        trainer.choose_epochs(100)
        self.assertEqual((args.epochs, trainer.total_steps), (32, 32 * 5))  # 2 done + 90 s / 3 s
        with self.assertRaises(SystemExit):  # the count is chosen inside the warm-up, so the warm-up must outlast epoch 2
            train.parse(["--data", "-", "--out", "-", "--train-within", "100", "--warmup-epochs", "1"])
        with self.assertRaises(SystemExit):
            train.parse(["--data", "-", "--out", "-", "--train-within", "100", "--epochs", "3"])
        with self.assertRaises(SystemExit):
            train.parse(["--data", "-", "--out", "-", "--train-within", "0"])


class CheckpointFilesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ckpt-test-")
        self.tensors = {"a": torch.randn(1000, 30), "b": torch.arange(7), "c": torch.zeros(3, dtype=torch.uint8)}
        self.meta = {"step": 3, "total_steps": 9, "finished": False, "note": "x"}

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_split_into_parts_and_joined_back(self):
        manifest = checkpoint.write(self.dir, self.tensors, self.meta, part_bytes=50_000)
        self.assertEqual(len(manifest["parts"]), 3)
        self.assertTrue(all(p["bytes"] <= 50_000 for p in manifest["parts"]))
        tensors, meta = checkpoint.read(self.dir)
        self.assertEqual(meta, self.meta)
        for k, v in self.tensors.items():
            self.assertTrue(torch.equal(tensors[k], v), k)
        checkpoint.write(self.dir, self.tensors, dict(self.meta, step=4), part_bytes=50_000)
        self.assertEqual(sorted(os.listdir(self.dir)), ["manifest.json"] + [f"state-0000004.part{i}" for i in range(3)])

    def test_damaged_parts_are_refused(self):
        checkpoint.write(self.dir, self.tensors, self.meta, part_bytes=50_000)
        part = os.path.join(self.dir, "state-0000003.part1")
        blob = open(part, "rb").read()
        with open(part, "wb") as f:
            f.write(blob[:-1] + bytes([blob[-1] ^ 1]))
        with self.assertRaisesRegex(ValueError, "sha256"):
            checkpoint.read(self.dir)
        with open(part, "wb") as f:
            f.write(blob[:-10])
        with self.assertRaisesRegex(ValueError, "bytes, the manifest says"):
            checkpoint.read(self.dir)
        os.remove(part)
        with self.assertRaisesRegex(ValueError, "missing"):
            checkpoint.read(self.dir)
        os.remove(os.path.join(self.dir, "manifest.json"))
        with self.assertRaisesRegex(ValueError, "no checkpoint"):
            checkpoint.read(self.dir)


class ShippedShapeTest(unittest.TestCase):
    def test_checkpoint_of_the_shipped_shape_travels_in_parts_under_16_mib(self):
        """d_model 256, 6 layers: weights + AdamW moments + EMA in float32, after one real step on two images."""
        args = train.parse(["--data", "-", "--out", "-", "--epochs", "1", "--batch", "2", "--augment", "none",
                            "--mixup", "0", "--cutmix", "0", "--erase", "0"])
        model = MatMambaVision.from_config(train.make_config(args))
        images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
        trainer = Trainer(model, args, torch.device("cpu"), images, np.array([3, 5]), lambda m: None)
        trainer.train_step()
        import training_state
        tmp = tempfile.mkdtemp(prefix="ckpt-shape-")
        try:
            manifest = checkpoint.write(tmp, *training_state.capture(trainer, {}, False))
            print(f"\nshipped shape: {trainer.params} parameters, checkpoint {manifest['bytes']} bytes in "
                  f"{len(manifest['parts'])} parts of at most {max(p['bytes'] for p in manifest['parts'])} bytes")
            self.assertGreater(manifest["bytes"], 4 * 4 * trainer.params)  # weights, exp_avg, exp_avg_sq, EMA
            self.assertTrue(all(p["bytes"] <= 16 * 2**20 for p in manifest["parts"]))
            self.assertTrue(all(os.path.getsize(os.path.join(tmp, p["name"])) == p["bytes"] for p in manifest["parts"]))
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
