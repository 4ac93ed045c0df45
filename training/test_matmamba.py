"""The trainer's model reproduces the golden vectors computed by the authors' own modules."""
import json
import os
import unittest

import torch

import matmamba
import safetensors_io
from matmamba import MatMambaVision

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GOLDEN = os.path.join(ROOT, "encoder", "src", "test", "resources", "golden")


def rel_l2(a, b):
    return float((a - b).norm() / b.norm())


class GoldenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        spec = json.load(open(os.path.join(GOLDEN, "golden_a.json")))
        cls.spec = spec
        cls.model = MatMambaVision.from_config(spec["config"]).double()
        weights = safetensors_io.load(os.path.join(ROOT, "models", "golden-tiny", "model.safetensors"))
        missing, unexpected = cls.model.load_state_dict({k: v.double() for k, v in weights.items()}, strict=True)
        cls.io = safetensors_io.load(os.path.join(GOLDEN, "golden_a.io.safetensors"))

    def check(self, widths, key):
        with torch.no_grad():
            f, logits = self.model(self.io["input"].double(), widths)
        self.assertLess(rel_l2(f, self.io[f"features.{key}"].double()), 1e-4, key)
        self.assertLess(rel_l2(logits, self.io[f"logits.{key}"].double()), 1e-4, key)

    def test_levels(self):
        for level in self.spec["levels"]:
            self.check(self.model.level_widths(level), f"level{level}")

    def test_mix_n_match(self):
        for i, dims in enumerate(self.spec["mixnmatch_dims"]):
            self.check(dims, f"mix{i}")

    def test_each_image_its_own_width_list_gives_what_its_sliced_submodel_gives(self):
        x = self.io["input"].double()
        cases = [(self.model.level_widths(k), f"level{k}") for k in self.spec["levels"]]
        cases += [(dims, f"mix{i}") for i, dims in enumerate(self.spec["mixnmatch_dims"])]
        for shift in range(len(cases)):  # every image of the batch under every case, the cases mixed within the batch
            chosen = [cases[(i + shift) % len(cases)] for i in range(x.shape[0])]
            with torch.no_grad():
                f, logits = self.model(x, sample_widths=torch.tensor([widths for widths, _ in chosen]))
            for i, (_, key) in enumerate(chosen):
                self.assertLess(rel_l2(f[i], self.io[f"features.{key}"][i].double()), 1e-4, key)
                self.assertLess(rel_l2(logits[i], self.io[f"logits.{key}"][i].double()), 1e-4, key)

    def test_widths_between_the_levels_alike(self):
        # whole heads (headdim 4: every 2 of width) that are no level's, per layer
        x = self.io["input"].double()
        cases = [[126, 66, 34, 18], [18, 34, 66, 126], [98, 98, 50, 50]]
        with torch.no_grad():
            f, logits = self.model(x[:len(cases)], sample_widths=torch.tensor(cases))
            for i, widths in enumerate(cases):
                f_sliced, logits_sliced = self.model(x[i:i + 1], widths)
                self.assertLess(rel_l2(f[i], f_sliced[0]), 1e-6, str(widths))
                self.assertLess(rel_l2(logits[i], logits_sliced[0]), 1e-6, str(widths))

    def test_chunked_scan_reproduces_the_golden_vectors(self):
        matmamba.scan = matmamba.chunked_scan
        try:
            self.test_levels()
            self.test_mix_n_match()
        finally:
            matmamba.scan = matmamba.quadratic_scan

    def test_state_dict_names_match_the_checkpoint_layout(self):
        weights = safetensors_io.load(os.path.join(ROOT, "models", "golden-tiny", "model.safetensors"))
        ours = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in weights.items()}
        self.assertEqual(ours, theirs)


class ScanFormsTest(unittest.TestCase):
    """chunked_scan computes quadratic_scan's sums, and their gradients, also where the decay is steep (the shipped
    model reaches 11 a token; a head's step can grow far beyond in training) and where the chunks do not divide the
    tokens."""

    def test_chunked_equals_quadratic_with_gradients(self):
        g = torch.Generator().manual_seed(0)
        for tokens, steepest in ((65, 0.3), (65, 11.0), (65, 60.0), (197, 3.0), (10, 11.0), (2, 1.0)):
            h, P, N = 6, 4, 8
            cum = torch.cumsum(-torch.rand(3, h, tokens, generator=g, dtype=torch.float64) * steepest, -1)
            G = torch.randn(3, tokens, N, generator=g, dtype=torch.float64) @ torch.randn(3, N, tokens, generator=g, dtype=torch.float64)
            xdt = torch.randn(3, h, tokens, P, generator=g, dtype=torch.float64)
            dy = torch.randn(3, h, tokens, P, generator=g, dtype=torch.float64)
            # 1e-6 in float64: quadratic_scan takes G as float32
            self.assert_chunked_equals_quadratic(cum, G, xdt, dy, 1e-6, f"{tokens} tokens, decay {steepest}")

    def assert_chunked_equals_quadratic(self, cum, G, xdt, dy, tolerance, case):
        """Both forms' outputs and gradients (for the output gradient dy) finite and within tolerance (relative L2)."""
        results = []
        for fn in (matmamba.quadratic_scan, matmamba.chunked_scan):
            inputs = [t.clone().requires_grad_() for t in (cum, G, xdt)]
            y = fn(*inputs)
            y.backward(dy)
            results.append([y] + [t.grad for t in inputs])
        for name, q, c in zip(("y", "d cum", "d G", "d xdt"), *results):
            self.assertTrue(torch.isfinite(c).all(), f"{case}: {name}")
            self.assertLess(rel_l2(c, q), tolerance, f"{case}: {name}")

    def test_auto_takes_the_chunked_form_from_64_heads(self):
        g = torch.Generator().manual_seed(2)
        for heads, form in ((64, matmamba.chunked_scan), (32, matmamba.quadratic_scan), (8, matmamba.quadratic_scan)):
            cum = torch.cumsum(-torch.rand(2, heads, 65, generator=g), -1)
            G = torch.randn(2, 65, 65, generator=g)
            xdt = torch.randn(2, heads, 65, 4, generator=g)
            self.assertTrue(torch.equal(matmamba.auto_scan(cum, G, xdt), form(cum, G, xdt)), heads)

    def test_steep_decays_in_float32_stay_finite_and_exact(self):
        """In the trainer's float32, decays of up to 100 a token (a head whose step grew large in training): no factor
        may overflow, and none may underflow where the true weight does not (an earlier form, which split the decay
        at a chunk's middle token, overflowed into NaN gradients on the GPU at epoch 11 of a run)."""
        g = torch.Generator().manual_seed(1)
        h, P, N, tokens = 8, 4, 8, 65
        for steepest in (20.0, 100.0):
            cum = torch.cumsum(-torch.rand(4, h, tokens, generator=g) * steepest, -1)
            G = torch.randn(4, tokens, N, generator=g) @ torch.randn(4, N, tokens, generator=g)
            xdt = torch.randn(4, h, tokens, P, generator=g)
            dy = torch.randn(4, h, tokens, P, generator=g) * 1e4
            self.assert_chunked_equals_quadratic(cum, G, xdt, dy, 1e-5, f"decay {steepest}")


if __name__ == "__main__":
    unittest.main()
