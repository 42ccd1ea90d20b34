"""The thirty-sixth round's mends of a step page's caption: what one op sent to a gradient a
hook changed, said as the several uses' sum is (`not 4 from mul`, where it read `not the all
1 (4, 10) that sum sent`), and an infinite gradient captioned with no NumPy warning from
inside the drawing."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def _caption_of(captions: list[str], name: str) -> str:
    return next(c for c in captions if f"the gradient of {name} is complete" in c)


@needs_dot
def test_a_hooked_value_used_once_says_what_its_op_sent_as_a_sum_of_uses_says_it():
    # all equal (4, 10): `not the all 1 (4, 10) that sum sent` read as a stray article
    x = tg.ones((4, 10), requires_grad=True)
    h = x * 3
    h.register_hook(lambda g: g * 2)
    loss = h.sum()
    caption = _caption_of(tg.backward_steps(loss).captions, "mul result")
    sent = np.ones((4, 10))  # what sum sends back: one to every entry
    assert (f"complete: all {2 * sent[0, 0]:g} {sent.shape}, not all {sent[0, 0]:g} "
            f"{sent.shape} from sum: a hook changed it; " in caption), caption
    assert " the " not in caption.split("complete:")[1].split(";")[0], caption
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * sent * 3)  # (what the caption says)
    # a short vector: its entries, `not [2, 4] from mul`, as `13 = 1 from add + 12 from mul`
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    h.register_hook(lambda g: g * 10)
    captions = tg.backward_steps((h * h).sum()).captions
    through_mul = 2 * h.numpy()
    written = "[" + ", ".join(f"{v:g}" for v in through_mul) + "]"
    hooked = "[" + ", ".join(f"{v:g}" for v in 10 * through_mul) + "]"
    assert f"complete: {hooked}, not {written} from mul: a hook changed it; " in captions[2], \
        captions  # (step 3: h, after h * h)


@needs_dot
def test_a_hooked_value_too_large_to_write_still_names_the_op():
    x = tg.tensor(np.random.default_rng(0).random((4, 10)), requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 2)
    caption = _caption_of(tg.backward_steps(h.exp().sum()).captions, "mul result")
    assert "complete: a (4, 10) array, not what exp sent: a hook changed it; " in caption, \
        caption


@needs_dot
def test_an_infinite_gradient_is_captioned_with_no_numpy_warning_from_the_drawing():
    # inf - inf in the check of the sum warned "invalid value encountered in subtract"
    # from graph/steps.py, once per infinite step
    x = tg.tensor([1000.0, 1.0], requires_grad=True)
    with np.errstate(over="ignore"):  # (the user's own overflow, not the drawing's)
        y = (x * 1).exp()
        loss = (y * 2 + y * 3).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            captions = tg.backward_steps(loss).captions
        loss.backward()
    grad = x.grad.numpy()
    assert np.isinf(grad[0]) and np.isfinite(grad[1]), grad
    assert "inf" in _caption_of(captions, "parameter"), captions
    # the two uses' sum still written where it holds, each mul by its title: 5 = 3 from × 3 +
    # 2 from × 2
    assert "complete: [5, 5] = [3, 3] from × 3 + [2, 2] from × 2; " in \
        _caption_of(captions, "exp result"), captions


@needs_dot
@pytest.mark.parametrize("scale_a, scale_b", [(np.inf, -np.inf), (1e308, 1e308)])
def test_two_uses_whose_sum_is_infinite_or_nan_are_captioned_with_no_numpy_warning(
        scale_a, scale_b):
    # inf + -inf and 1e308 + 1e308 in the sum of what the uses sent warned "invalid value
    # encountered in add" / "overflow encountered in add" from graph/steps.py
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    with np.errstate(invalid="ignore", over="ignore"):  # (the user's own, not the drawing's)
        loss = (y * tg.tensor([scale_a, 1.0])).sum() + (y * tg.tensor([scale_b, 1.0])).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        captions = tg.backward_steps(loss).captions
    with np.errstate(invalid="ignore", over="ignore"):
        expected = np.float64(scale_a) + np.float64(scale_b)
    # (y, the first of three mul results: numbered since the thirty-eighth round)
    caption = _caption_of(captions, "mul result #1")
    assert "complete: " in caption and "a hook" not in caption, caption
    with np.errstate(invalid="ignore", over="ignore"):  # (backward's own sum, as NumPy's)
        loss.backward()
    assert np.array_equal(x.grad.numpy(), [expected, 2.0], equal_nan=True), x.grad


@pytest.mark.parametrize("norm", ["batch_norm", "group_norm", "instance_norm"])
def test_a_list_weight_and_bias_of_a_float32_input_keep_float32_in_every_norm(norm):
    # batch_norm made a list weight float64 and returned float64 for a float32 input, where
    # group_norm and instance_norm keep the input's float32
    x32 = np.random.default_rng(0).normal(size=(3, 4, 2)).astype(np.float32)
    w, b = [1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 0.0, 1.0]
    call = {"batch_norm": lambda x: tg.nn.functional.batch_norm(x, None, None, w, b,
                                                                 training=True),
            "group_norm": lambda x: tg.nn.functional.group_norm(x, 2, w, b),
            "instance_norm": lambda x: tg.nn.functional.instance_norm(x, weight=w, bias=b)}
    out = call[norm](tg.tensor(x32))
    assert out.dtype == tg.float32, (norm, out.dtype)
    wide = call[norm](tg.tensor(x32.astype(np.float64)))
    assert wide.dtype == tg.float64
    np.testing.assert_allclose(out.numpy(), wide.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("given", ["running_mean", "running_var"])
def test_batch_norm_in_training_refuses_one_running_statistic_alone(given):
    # one alone was moved in place silently, where PyTorch refuses both-or-neither
    running = {"running_mean": tg.zeros(3), "running_var": tg.ones(3)}
    before = running[given].numpy().copy()
    other = {"running_mean": None, "running_var": None, given: running[given]}
    with pytest.raises(ValueError, match=r"^batch_norm: running_mean and running_var must "
                       r"either both be None or neither be None; give both"):
        tg.nn.functional.batch_norm(tg.randn(4, 3), other["running_mean"],
                                    other["running_var"], training=True)
    np.testing.assert_array_equal(running[given].numpy(), before)  # (nothing moved first)
