"""The compiled loss is used only when its loss and gradients match the eager ones. The checker is exercised with
stand-ins for torch.compile (a faithful one and one that is off by half), since this machine's PyTorch may have no
torch.compile; where it has one, the whole joint loss of a small model is compiled for real (on the GPU when there
is one) and must pass the same check: the failure that mix-order reduction caused would show here."""
import unittest
from unittest import mock

import torch

import fast
from matmamba import MatMambaVision


def small_loss(device):
    torch.manual_seed(0)
    model = MatMambaVision(64, 2, 10, patch_size=8, image_size=32, d_state=16).to(device)
    widths = [model.level_widths(k) for k in (1, 2, 4, 8)]

    def loss_fn(x, targets):
        total = 0
        for w in widths:
            total = total + -(targets * torch.log_softmax(model(x, w)[1].float(), -1)).sum(-1).mean()
        return total / len(widths)
    x = torch.randn(8, 3, 32, 32, device=device)
    targets = torch.softmax(torch.randn(8, 10, device=device), -1)
    return model, loss_fn, x, targets


class CompiledLossCheckTest(unittest.TestCase):
    def check(self, stand_in):
        model, loss_fn, x, targets = small_loss("cpu")
        lines = []
        with mock.patch.object(torch, "compile", stand_in, create=True):
            chosen = fast.compiled_loss(model, loss_fn, (x, targets), "default", lines.append)
        self.assertTrue(all(p.grad is None for p in model.parameters()), "the check leaves no gradients behind")
        return chosen, loss_fn, lines

    def test_a_compiled_loss_that_differs_is_refused(self):
        chosen, eager, lines = self.check(lambda fn, mode=None: (lambda x, t: fn(x, t) * 1.5))
        self.assertIs(chosen, eager)
        self.assertTrue(any("training eager" in line for line in lines), lines)

    def test_a_faithful_compiled_loss_is_taken(self):
        chosen, eager, lines = self.check(lambda fn, mode=None: (lambda x, t: fn(x, t)))
        self.assertIsNot(chosen, eager)
        self.assertTrue(any("worst relative L2 difference to eager" in line for line in lines), lines)

    def test_a_compiler_error_leaves_the_eager_loss(self):
        def broken(fn, mode=None):
            raise RuntimeError("invalid gradient shape")
        chosen, eager, lines = self.check(broken)
        self.assertIs(chosen, eager)
        self.assertTrue(any("invalid gradient shape" in line for line in lines), lines)


@unittest.skipUnless(hasattr(torch, "compile"), f"torch {torch.__version__} has no torch.compile: the real compile is not tried")
class RealCompileTest(unittest.TestCase):
    def test_the_whole_joint_loss_compiles_and_matches_eager(self):
        device = "cuda" if torch.cuda.is_available() else "cpu"
        model, loss_fn, x, targets = small_loss(device)
        lines = []
        chosen = fast.compiled_loss(model, loss_fn, (x, targets), "default", lines.append)
        print("\n" + "\n".join(lines))
        self.assertIsNot(chosen, loss_fn, lines)


if __name__ == "__main__":
    unittest.main()
