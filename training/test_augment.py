"""Each augmentation keeps shapes, ranges and labels right: crops and ops leave images in [0, 1], identity ops change
nothing, random erasing replaces one rectangle, mixup / CutMix targets sum to 1 and match the pixels mixed, and
stochastic depth acts only where a training step draws it."""
import unittest

import numpy as np
import torch
import torch.nn.functional as F

import augment
from matmamba import MatMambaVision


def images(b=16, seed=0):
    """Random images on the 1/255 grid, as decoded uint8 pixels give."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, 3, 32, 32), generator=g).float() / 255


def gen(seed=1):
    return torch.Generator().manual_seed(seed)


class CropFlipTest(unittest.TestCase):
    def test_without_padding_each_image_is_itself_or_its_mirror(self):
        x = images()
        y = augment.crop_flip(x, gen(), pad=0)
        for a, b in zip(x, y):
            self.assertTrue(torch.equal(a, b) or torch.equal(a.flip(2), b))

    def test_with_padding_each_image_is_a_window_of_the_padded_one(self):
        x = images(4)
        y = augment.crop_flip(x, gen(), pad=4)
        padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
        for i in range(4):
            windows = [padded[i, :, r:r + 32, c:c + 32] for r in range(9) for c in range(9)]
            self.assertTrue(any(torch.equal(w, y[i]) or torch.equal(w.flip(2), y[i]) for w in windows))


class OpsTest(unittest.TestCase):
    def run_op(self, name, magnitude, x=None):
        x = images() if x is None else x
        op = torch.full((len(x),), augment.OPS.index(name))
        return x, augment.apply_ops(x, op, torch.full((len(x),), float(magnitude)), augment.WIDE)

    def test_every_op_keeps_shape_and_range(self):
        for name in augment.OPS:
            for m in (-1.0, -0.3, 0.5, 1.0):
                x, y = self.run_op(name, m)
                self.assertEqual(y.shape, x.shape, name)
                self.assertGreaterEqual(float(y.min()), 0.0, name)
                self.assertLessEqual(float(y.max()), 1.0, name)

    def test_zero_magnitude_changes_nothing_for_magnitude_ops(self):
        for name in ("identity", "shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness", "color",
                     "contrast", "sharpness", "posterize"):
            x, y = self.run_op(name, 0.0)
            self.assertTrue(torch.allclose(x, y, atol=1e-6), name)

    def test_ops_at_full_strength(self):
        x, y = self.run_op("solarize", 1.0)  # threshold 0: every pixel inverted
        self.assertTrue(torch.allclose(y, 1 - x))
        x, y = self.run_op("brightness", -1.0)  # factor 0.01
        self.assertTrue(torch.allclose(y, x * (1 - 0.99), atol=1e-6))
        x, y = self.run_op("posterize", 1.0)  # 6 bits removed: multiples of 64
        levels = torch.unique((y * 255).round())
        self.assertTrue(set(levels.tolist()) <= {0.0, 64.0, 128.0, 192.0})
        x, y = self.run_op("translate_x", 0.5)  # half the image moves out: a band of zeros
        self.assertEqual(int((y == 0).flatten(0, 2).all(0).sum()), 16)

    def test_autocontrast_and_equalize(self):
        x = images() * 0.5 + 0.25
        _, y = self.run_op("autocontrast", 0.0, x)
        self.assertTrue(torch.allclose(y.amin((2, 3)), torch.zeros(16, 3)))
        self.assertTrue(torch.allclose(y.amax((2, 3)), torch.ones(16, 3)))
        _, y = self.run_op("equalize", 0.0, x)
        self.assertEqual(float(y.amax()), 1.0)
        self.assertLess(float(y.amin((2, 3)).max()), 0.1)  # the range is spread over all levels
        flat = torch.full((2, 3, 32, 32), 0.5)
        _, y = self.run_op("equalize", 0.0, flat)  # one level: PIL leaves it as it is
        self.assertTrue(torch.equal(y, flat))

    def test_policies_are_reproducible_from_the_generator(self):
        for policy in (augment.trivial_augment, augment.rand_augment):
            x = images()
            a, b, c = policy(x, gen(5)), policy(x, gen(5)), policy(x, gen(6))
            self.assertTrue(torch.equal(a, b))
            self.assertFalse(torch.equal(a, c))
            self.assertEqual(a.shape, x.shape)
            self.assertTrue(0 <= float(a.min()) and float(a.max()) <= 1)


class ErasingTest(unittest.TestCase):
    def test_each_image_gets_one_rectangle_of_noise_or_none(self):
        x = images(64) - 0.5
        self.assertTrue(torch.equal(augment.random_erasing(x, gen(), p=0.0), x))
        y = augment.random_erasing(x, gen(), p=1.0)
        changed = (y != x).any(1)  # (B, H, W)
        for mask in changed:
            rows, cols = mask.any(1).nonzero(), mask.any(0).nonzero()
            area = int(mask.sum())
            self.assertGreater(area, 0)
            self.assertEqual(area, (int(rows.max() - rows.min()) + 1) * (int(cols.max() - cols.min()) + 1))
            self.assertLessEqual(area, 1024 * 0.45)  # at most a third of the image, plus rounding
        half = augment.random_erasing(x, gen(), p=0.5)
        erased = int((half != x).flatten(1).any(1).sum())
        self.assertTrue(16 <= erased <= 48, erased)


class MixTest(unittest.TestCase):
    def setUp(self):
        self.x = images(32) - 0.5
        self.y = torch.randint(0, 10, (32,), generator=gen())

    def test_targets_are_distributions_over_at_most_two_labels(self):
        for seed in range(20):
            x, t = augment.mix(self.x, self.y, 10, np.random.default_rng(seed), smoothing=0.1)
            self.assertEqual(x.shape, self.x.shape)
            self.assertTrue(torch.allclose(t.sum(1), torch.ones(32)))
            self.assertTrue(bool((t >= 0).all()))
            self.assertTrue(bool((t > 0.01 + 1e-6).sum(1).le(2).all()))

    def test_mixup_targets_match_the_pixel_weights(self):
        x, t = augment.mix(self.x, self.y, 10, np.random.default_rng(0), mixup_alpha=0.8, cutmix_alpha=0.0)
        lam = float(t[0, self.y[0]]) if self.y[0] != self.y[-1] else None
        if lam is not None:
            self.assertTrue(torch.allclose(x[0], lam * self.x[0] + (1 - lam) * self.x[-1], atol=1e-6))

    def test_cutmix_targets_match_the_pasted_area(self):
        for seed in range(10):
            x, t = augment.mix(self.x, self.y, 10, np.random.default_rng(seed), mixup_alpha=0.0, cutmix_alpha=1.0)
            i = next(i for i in range(32) if self.y[i] != self.y[31 - i])
            pasted = float((x[i] != self.x[i]).any(0).float().mean())
            self.assertAlmostEqual(float(t[i, self.y[31 - i]]), pasted, places=5)
            self.assertAlmostEqual(float(t[i, self.y[i]]), 1 - pasted, places=5)

    def test_without_mixing_targets_are_smoothed_one_hot(self):
        x, t = augment.mix(self.x, self.y, 10, np.random.default_rng(0), mixup_alpha=0.0, cutmix_alpha=0.0, smoothing=0.1)
        self.assertTrue(torch.equal(x, self.x))
        logits = torch.randn(32, 10, generator=gen())
        soft = -(t * F.log_softmax(logits, -1)).sum(1).mean()
        self.assertAlmostEqual(float(soft), float(F.cross_entropy(logits, self.y, label_smoothing=0.1)), places=5)


class StochasticDepthTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = MatMambaVision(32, 4, 10, patch_size=8, image_size=32, d_state=8, drop_path_rate=0.5)
        self.plain = MatMambaVision(32, 4, 10, patch_size=8, image_size=32, d_state=8)
        self.plain.load_state_dict(self.model.state_dict())
        self.x = images(8) - 0.5

    def test_only_with_draws(self):
        self.assertEqual(self.model.drop_path, [0.0, 0.5 / 3, 1.0 / 3, 0.5])
        self.assertIsNone(self.plain.depth_keeps(2, 8, "cpu"))
        keeps = self.model.depth_keeps(2, 8, "cpu", torch.Generator().manual_seed(0))
        self.assertEqual(keeps.shape, (2, 4, 8))
        with torch.no_grad():
            self.assertTrue(torch.equal(self.model(self.x)[1], self.plain(self.x)[1]))
            a, b = (self.model(self.x, depth_keep=k)[1] for k in keeps)
        self.assertFalse(torch.equal(a, b))

    def test_draws_keep_each_layer_at_its_rate_and_scale_the_kept(self):
        keeps = self.model.depth_keeps(1000, 64, "cpu", torch.Generator().manual_seed(1)).float().mean((0, 2))
        self.assertEqual(float(keeps[0]), 1.0, "the first layer is never dropped")
        for kept, p in zip(keeps[1:].tolist(), self.model.drop_path[1:]):
            self.assertAlmostEqual(kept, 1 - p, delta=0.01)
        # every sample keeping every layer: each mixer's output scaled by 1 / (1 - p), which layer 0 (p 0) is not
        scaled = MatMambaVision(32, 4, 10, patch_size=8, image_size=32, d_state=8)
        scaled.load_state_dict(self.model.state_dict())
        with torch.no_grad():
            for layer, p in zip(scaled.layers, self.model.drop_path):
                layer.mixer.out_proj.weight /= 1 - p
            all_kept = torch.ones(4, 8, dtype=torch.bool)
            self.assertTrue(torch.allclose(self.model(self.x, depth_keep=all_kept)[1], scaled(self.x)[1], atol=1e-5))

if __name__ == "__main__":
    unittest.main()
