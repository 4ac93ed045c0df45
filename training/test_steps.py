"""The joint loss: the mean of the levels' cross-entropies, plus --align times each narrower level's cosine distance
to the widest level's features, through which no gradient reaches the widest level; --distill blends the narrower
levels' targets with the widest level's softmax, held fixed too; with --mix-samples, one more
term for the batch's first images, each through a Mix'n'Match submodel of its own drawn from the trained widths."""
import unittest

import numpy as np
import torch
import torch.nn.functional as F

import train
from matmamba import MatMambaVision
from steps import Trainer


def trainer_for(*options):
    args = train.parse(["--data", "-", "--out", "-", "--epochs", "1", "--batch", "4", "--d-model", "32", "--n-layer", "2",
                        "--d-state", "8", "--patch", "8", "--drop-path", "0", *options])
    torch.manual_seed(0)
    model = MatMambaVision.from_config(train.make_config(args))
    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    return Trainer(model, args, torch.device("cpu"), images, np.arange(4) % 10, lambda m: None)


class JointLossTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(1)
        self.x = torch.randn(4, 3, 32, 32)
        self.targets = torch.softmax(torch.randn(4, 10), -1)

    def cross_entropies(self, trainer):
        return [-(self.targets * F.log_softmax(trainer.model(self.x, w)[1], -1)).sum(-1).mean() for w in trainer.widths]

    def test_without_align_the_mean_of_the_levels_cross_entropies(self):
        trainer = trainer_for("--levels", "8,1,4,2")
        self.assertEqual([w[0] for w in trainer.widths], [32, 16, 8, 4], "the widest level first")
        expected = torch.stack(self.cross_entropies(trainer)).mean()
        self.assertAlmostEqual(float(trainer.joint_loss(self.x, self.targets)), float(expected), places=5)

    def test_align_adds_each_narrower_levels_cosine_distance_to_the_widest_features(self):
        trainer = trainer_for("--levels", "1,2,4,8", "--align", "0.5")
        widest = trainer.model(self.x, trainer.widths[0])[0]
        distances = [(1 - F.cosine_similarity(trainer.model(self.x, w)[0], widest, dim=-1)).mean() for w in trainer.widths[1:]]
        self.assertTrue(all(float(d) > 1e-3 for d in distances), "an untrained model's levels disagree")
        expected = (torch.stack(self.cross_entropies(trainer)).sum() + 0.5 * torch.stack(distances).sum()) / 4
        self.assertAlmostEqual(float(trainer.joint_loss(self.x, self.targets)), float(expected), places=5)

    def assert_the_term_leaves_the_widest_levels_gradient_alone(self, option):
        """With option (a joint-only term at weight 1) against without: out_proj's columns past level 8's 2 * 4
        channels serve the widest level alone, and a term that holds the widest level's outputs fixed leaves their
        gradient as it is, while it adds to the level-8 columns'."""
        grads = []
        for trainer in (trainer_for("--levels", "1,8"), trainer_for("--levels", "1,8", option, "1")):
            trainer.model.zero_grad()
            trainer.joint_loss(self.x, self.targets).backward()
            grads.append(trainer.model.get_parameter("layers.1.mixer.out_proj.weight").grad.clone())
        plain_out, with_term = grads
        self.assertTrue(torch.allclose(plain_out[:, 8:], with_term[:, 8:], rtol=0, atol=1e-7), option)
        self.assertFalse(torch.allclose(plain_out[:, :8], with_term[:, :8], rtol=0, atol=1e-6), option)

    def test_the_align_term_sends_no_gradient_through_the_widest_level(self):
        self.assert_the_term_leaves_the_widest_levels_gradient_alone("--align")

    def test_distill_blends_each_narrower_levels_targets_with_the_widest_levels_softmax(self):
        trainer = trainer_for("--levels", "1,2,4,8", "--distill", "0.25")
        teacher = F.softmax(trainer.model(self.x, trainer.widths[0])[1], -1)
        blend = 0.75 * self.targets + 0.25 * teacher
        terms = [-(t * F.log_softmax(trainer.model(self.x, w)[1], -1)).sum(-1).mean()
                 for t, w in zip([self.targets, blend, blend, blend], trainer.widths)]
        expected = torch.stack(terms).mean()
        plain = torch.stack(self.cross_entropies(trainer)).mean()
        self.assertGreater(abs(float(expected) - float(plain)), 1e-3, "an untrained model's softmax is not the targets")
        self.assertAlmostEqual(float(trainer.joint_loss(self.x, self.targets)), float(expected), places=5)

    def test_the_distill_term_sends_no_gradient_through_the_widest_level(self):
        self.assert_the_term_leaves_the_widest_levels_gradient_alone("--distill")

    def test_distill_is_refused_for_a_single_level_baseline_and_outside_0_to_1(self):
        for options in (["--levels", "4", "--distill", "0.5"], ["--levels", "1,8", "--distill", "1.5"]):
            with self.assertRaises(SystemExit, msg=str(options)):
                trainer_for(*options)

    def test_level_weights_weigh_each_levels_terms_in_the_mean(self):
        trainer = trainer_for("--levels", "8,1,4,2", "--level-weights", "8=3,2=0.5")
        self.assertEqual(trainer.level_weights, [1.0, 0.5, 1.0, 3.0], "in the widths' order, the widest level first")
        terms = self.cross_entropies(trainer)
        expected = (terms[0] + 0.5 * terms[1] + terms[2] + 3 * terms[3]) / 5.5
        self.assertGreater(abs(float(expected) - float(torch.stack(terms).mean())), 1e-4, "the levels' terms differ")
        self.assertAlmostEqual(float(trainer.joint_loss(self.x, self.targets)), float(expected), places=5)

    def test_level_weights_of_one_leave_the_loss_as_it_was(self):
        plain, named = trainer_for("--levels", "1,8"), trainer_for("--levels", "1,8", "--level-weights", "1=1,8=1")
        self.assertEqual(float(plain.joint_loss(self.x, self.targets)), float(named.joint_loss(self.x, self.targets)))

    def test_level_weights_are_refused_unless_positive_and_for_a_trained_level_of_a_joint_run(self):
        for options in (["--levels", "4", "--level-weights", "4=2"], ["--levels", "1,8", "--level-weights", "2=2"],
                        ["--levels", "1,8", "--level-weights", "8=0"], ["--levels", "1,8", "--level-weights", "8=x"],
                        ["--levels", "1,8", "--level-weights", "8"], ["--levels", "1,8", "--level-weights", "8=nan"]):
            with self.assertRaises(SystemExit, msg=str(options)):
                trainer_for(*options)

    def test_a_single_level_baseline_is_unchanged_by_align(self):
        a, b = trainer_for("--levels", "4"), trainer_for("--levels", "4", "--align", "1")
        self.assertEqual(float(a.joint_loss(self.x, self.targets)), float(b.joint_loss(self.x, self.targets)))


class MixNMatchSamplesTest(unittest.TestCase):
    def test_width_lists_are_drawn_from_the_trained_levels_widths(self):
        trainer = trainer_for("--levels", "1,4,8", "--mix-samples", "4")
        g = torch.Generator().manual_seed(0)
        mixes = [trainer.draw_mix(g) for _ in range(16)]
        self.assertEqual({tuple(m.shape) for m in mixes}, {(4, 2)})
        self.assertEqual(set(torch.cat(mixes).flatten().tolist()), {32, 8, 4})  # D 32: widths D, D/4, D/8
        self.assertIsNone(trainer_for("--levels", "1,8").draw_mix(g))

    def test_with_mix_widths_heads_every_width_between_the_levels_in_whole_heads(self):
        # D 32, headdim 1: every width from D/8 = 4 to D = 32
        trainer = trainer_for("--levels", "1,4,8", "--mix-samples", "4", "--mix-widths", "heads")
        self.assertEqual(trainer.layer_widths.tolist(), list(range(4, 33)))
        g = torch.Generator().manual_seed(0)
        drawn = set(torch.cat([trainer.draw_mix(g) for _ in range(64)]).flatten().tolist())
        self.assertLessEqual(drawn, set(range(4, 33)))
        self.assertTrue(drawn - {32, 8, 4}, "widths between the levels are drawn")
        # D 256 (the shipped shape), headdim 8: a width's 2w channels are whole heads every 4
        args = train.parse(["--data", "-", "--out", "-", "--epochs", "1", "--levels", "1,8", "--mix-samples", "4",
                            "--mix-widths", "heads"])
        model = MatMambaVision.from_config(train.make_config(args))
        images = np.zeros((args.batch, 32, 32, 3), dtype=np.uint8)
        wide = Trainer(model, args, torch.device("cpu"), images, np.zeros(args.batch, dtype=np.int64), lambda m: None)
        self.assertEqual(wide.layer_widths.tolist(), list(range(32, 257, 4)))
        with self.assertRaises(SystemExit):
            train.parse(["--data", "-", "--out", "-", "--epochs", "1", "--mix-widths", "heads"])

    def test_with_mix_order_monotone_each_sample_narrows_or_widens_through_the_layers(self):
        # D 32, 4 layers: the levels' widths 32, 8, 4, each list sorted one way or the other
        trainer = trainer_for("--levels", "1,4,8", "--mix-samples", "4", "--mix-order", "monotone", "--n-layer", "4")
        g = torch.Generator().manual_seed(0)
        mix = torch.cat([trainer.draw_mix(g) for _ in range(16)])
        self.assertEqual(tuple(mix.shape), (64, 4))
        self.assertLessEqual(set(mix.flatten().tolist()), {32, 8, 4})
        steps = mix[:, 1:] - mix[:, :-1]
        narrowing = (steps <= 0).all(dim=1)
        widening = (steps >= 0).all(dim=1)
        self.assertTrue(bool((narrowing | widening).all()), "every sample's widths change in one direction")
        changing = (mix != mix[:, :1]).any(dim=1)
        self.assertTrue(bool((narrowing & changing).any()) and bool((widening & changing).any()),
                        "both directions are drawn")
        with self.assertRaises(SystemExit):
            train.parse(["--data", "-", "--out", "-", "--epochs", "1", "--mix-order", "monotone"])

    def test_the_mixed_images_add_one_term_alike(self):
        trainer = trainer_for("--levels", "1,8", "--mix-samples", "3", "--align", "0.5")
        torch.manual_seed(1)
        x, targets = torch.randn(4, 3, 32, 32), torch.softmax(torch.randn(4, 10), -1)
        mix = torch.tensor([[32, 4], [4, 32], [32, 32]])
        m = trainer.model

        def ce(logits, t):
            return -(t * F.log_softmax(logits, -1)).sum(-1).mean()
        wide_f, wide_l = m(x, trainer.widths[0])
        narrow_f, narrow_l = m(x, trainer.widths[1])
        mix_f, mix_l = m(x[:3], sample_widths=mix)
        expected = (ce(wide_l, targets) + ce(narrow_l, targets) + 0.5 * (1 - F.cosine_similarity(narrow_f, wide_f)).mean()
                    + ce(mix_l, targets[:3]) + 0.5 * (1 - F.cosine_similarity(mix_f, wide_f[:3])).mean()) / 3
        self.assertAlmostEqual(float(trainer.joint_loss(x, targets, mix)), float(expected), places=5)
        # the first two width lists are no level's: the term is not a copy of one
        self.assertGreater(float((mix_l[:2] - wide_l[:2]).abs().max()), 1e-4)
        self.assertGreater(float((mix_l[:2] - narrow_l[:2]).abs().max()), 1e-4)

    def test_level_weights_mix_weighs_the_mixed_images_term(self):
        torch.manual_seed(1)
        x, targets = torch.randn(4, 3, 32, 32), torch.softmax(torch.randn(4, 10), -1)
        mix = torch.tensor([[32, 4], [4, 32], [32, 32]])
        trainer = trainer_for("--levels", "1,8", "--mix-samples", "3", "--level-weights", "8=2,mix=3")
        self.assertEqual((trainer.level_weights, trainer.mix_weight), ([1.0, 2.0], 3.0))
        m = trainer.model

        def ce(logits, t):
            return -(t * F.log_softmax(logits, -1)).sum(-1).mean()
        wide, narrow = ce(m(x, trainer.widths[0])[1], targets), ce(m(x, trainer.widths[1])[1], targets)
        mixed = ce(m(x[:3], sample_widths=mix)[1], targets[:3])
        self.assertGreater(abs(float(mixed - (wide + 2 * narrow) / 3)), 1e-4, "the mixed term differs from the levels' mean")
        expected = (wide + 2 * narrow + 3 * mixed) / 6
        self.assertAlmostEqual(float(trainer.joint_loss(x, targets, mix)), float(expected), places=5)
        for options in (["--levels", "1,8", "--level-weights", "mix=2"],
                        ["--levels", "1,8", "--mix-samples", "3", "--level-weights", "mix=0"]):
            with self.assertRaises(SystemExit, msg=str(options)):
                trainer_for(*options)

    def test_only_joint_runs_mix(self):
        for options in (["--levels", "4", "--mix-samples", "8"], ["--mix-samples", "2000"]):
            with self.assertRaises(SystemExit):
                train.parse(["--data", "-", "--out", "-", "--epochs", "1", *options])


class CompileCheckArgumentsTest(unittest.TestCase):
    """The compiled loss is checked on check_batch()'s arguments; when they are alike a training step's in everything
    torch.compile's guards look at, the step reuses the checked graph instead of compiling another for minutes."""

    def test_the_checks_arguments_are_alike_a_training_steps(self):
        for options in ([], ["--mix-samples", "2", "--drop-path", "0.1"], ["--levels", "8", "--drop-path", "0.1"]):
            trainer = trainer_for(*options)
            passed = []
            trainer.loss_fn = lambda *arguments: passed.append(arguments) or trainer.joint_loss(*arguments)
            trainer.train_step()
            step, check = passed[0], trainer.check_batch()
            self.assertEqual(len(check), len(step))
            for a, b in zip(check, step):
                self.assertEqual(a is None, b is None, options)
                if a is not None:
                    self.assertEqual((a.shape, a.dtype, a.stride(), a.device, a.requires_grad),
                                     (b.shape, b.dtype, b.stride(), b.device, b.requires_grad), options)
            drawn = [a is not None for a in step[2:]]
            self.assertEqual(drawn, ["--mix-samples" in options, "--drop-path" in options], options)


if __name__ == "__main__":
    unittest.main()
