"""gradcheck itself: it passes correct ops, fails wrong ones, and its report says why."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Function, Tensor


class DoubleWrong(Function, register=False):
    """x**2 whose backward is off by a factor of 2 (returns 4x instead of 2x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 4 * x


class SignFlipped(Function, register=False):
    def forward(ctx, x):
        return 3 * x

    def backward(ctx, grad):
        return -3 * grad


class Zeroed(Function, register=False):
    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, grad):
        return np.zeros_like(grad)


class TransposedMatmul(Function, register=False):
    """x @ w whose gradient for w comes out transposed (wrong for a square w)."""

    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad @ w.T, (x.T @ grad).T


def random_input(shape, seed=0):
    return Tensor(np.random.default_rng(seed).uniform(0.5, 2.0, shape), requires_grad=True)


def test_passes_a_correct_function_and_returns_true():
    x, y = random_input((3, 4)), random_input((4,), seed=1)
    assert tg.gradcheck(lambda a, b: (a * b).tanh() @ b, [x, y]) is True


def test_fails_a_backward_off_by_a_factor_of_two_and_names_the_worst_element():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda t: DoubleWrong.apply(t), [x])
    error = info.value
    assert isinstance(error, AssertionError)
    assert error.input_index == 0
    text = str(error)
    assert "input 0 'x' (shape (3,))" in text
    assert "3 of 9 Jacobian entries differ" in text
    # the worst entry is d out[2] / d x[2]: analytic 4*3 = 12, numeric 2*3 = 6
    out_index, in_index, analytic, numeric, err = error.worst[0]
    assert out_index == (2,) and in_index == (2,)
    assert analytic == pytest.approx(12) and numeric == pytest.approx(6, rel=1e-6)
    assert "output (2,), input (2,)" in text.splitlines()[2]
    assert "factor of 2" in text


def test_hint_for_a_sign_flip():
    with pytest.raises(tg.GradcheckError, match="wrong sign"):
        tg.gradcheck(lambda t: SignFlipped.apply(t), [random_input((2, 2))])


def test_hint_for_all_zeros():
    with pytest.raises(tg.GradcheckError, match="zero everywhere"):
        tg.gradcheck(lambda t: Zeroed.apply(t), [random_input((3,))])


def test_hint_for_a_transposed_gradient():
    x, w = random_input((2, 3)), random_input((3, 3), seed=1)
    with pytest.raises(tg.GradcheckError, match="transposed") as info:
        tg.gradcheck(lambda a, b: TransposedMatmul.apply(a, b), [x, w])
    assert info.value.input_index == 1  # x's gradient is right; w's is the transposed one


def test_fast_mode_catches_the_factor_of_two_too():
    x = random_input((200,))
    assert tg.gradcheck(lambda t: (t * t).sum(), [x], fast_mode=True)
    with pytest.raises(tg.GradcheckError, match="factor of 2"):
        tg.gradcheck(lambda t: DoubleWrong.apply(t).sum(), [x], fast_mode=True)


def test_large_inputs_default_to_fast_mode(monkeypatch):
    module = importlib.import_module("tinygrad_gd.gradcheck")  # tg.gradcheck is the function
    calls = []
    monkeypatch.setattr(module, "_analytic_jacobian", lambda *args: calls.append(args))
    x = random_input((300, 100))  # 30,000 entries in the Jacobian of x.sum(axis=1)
    assert tg.gradcheck(lambda t: t.sum(axis=1), [x])
    assert calls == []


class OneEntryWrong(Function, register=False):
    """x**2 whose backward drops the gradient of one entry (`wrong`)."""

    wrong = 0

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        result = 2 * grad * x
        result.flat[type(ctx).wrong] = 0.0
        return result


@pytest.mark.parametrize("wrong", [0, 477, 999])
def test_fast_mode_catches_a_gradient_wrong_at_one_entry(wrong):
    # fast mode compared one projection v.J.u, whose tolerance grows with the whole sum:
    # one dropped entry of 150 to 5000 often passed
    OneEntryWrong.wrong = wrong
    x = Tensor(np.linspace(0.5, 1.5, 1000), requires_grad=True)  # 10^6 entries: fast mode
    with pytest.raises(tg.GradcheckError, match=rf"1 of 1000000 Jacobian entries differ.*\n"
                                                 rf".*\n.*input \({wrong},\): analytic  0.0"):
        tg.gradcheck(OneEntryWrong.apply, [x])  # (the full report: affordable at this size)
    big = Tensor(np.linspace(0.5, 1.5, 1500), requires_grad=True)  # no full report at 2.25e6
    OneEntryWrong.wrong = wrong + 500
    with pytest.raises(tg.GradcheckError, match=rf"fast mode\): 1 of 1500 entries of v.J .*"
                                                 rf"at input \({wrong + 500},\)"):
        tg.gradcheck(OneEntryWrong.apply, [big])
    assert tg.gradcheck(lambda t: t * t, [x])


def test_a_backward_wrong_only_in_float32_is_caught():
    class WrongInFloat32(Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * grad * x * (3 if x.dtype == np.float32 else 1)

    x32 = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match=r"in its own dtype \(float32\) backward\(\) "
                                                r"gives 9.0+e\+00 at entry 1 where float64 "
                                                r"gives 3.0+e\+00"):
        tg.gradcheck(WrongInFloat32.apply, [x32])
    assert tg.gradcheck(lambda t: (t.exp() * t).sum(), [x32])


def test_no_grad_changes_not_even_a_models_the_function_uses():
    # gradcheck(model, [x]) summed about ten backward passes into model.weight.grad
    model = tg.nn.Linear(3, 2, seed=0)
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    assert tg.gradcheck(model, [x]) and tg.gradcheck(model, [x], fast_mode=True)
    assert model.weight.grad is None and model.bias.grad is None and x.grad is None


def test_an_empty_input_beside_a_non_scalar_output_passes():
    empty = Tensor(np.zeros(0), requires_grad=True)
    assert tg.gradcheck(lambda a: a.sum() + Tensor([1.0, 2.0]), [empty])


def test_a_float32_output_of_float64_inputs_is_named_in_the_report():
    x = random_input((2,))
    with pytest.raises(tg.GradcheckError, match=r"note: fn returned float32 although "
                                                r"gradcheck gave it float64 copies"):
        tg.gradcheck(lambda t: (t.float() * 3).sum(), [x])


def test_raise_exception_false_returns_false():
    x = random_input((2,))
    assert tg.gradcheck(lambda t: DoubleWrong.apply(t), [x], raise_exception=False) is False


class RowSumForgotExpand(Function, register=False):
    """A row sum whose backward forgot to put the summed axis back: (3,) for a (3, 2)."""

    def forward(ctx, x):
        ctx.shape = x.shape
        return x.sum(axis=1)

    def backward(ctx, grad):
        return np.ones(ctx.shape[::-1]) * grad.sum()  # shape (2, 3): fits no (3, 2) input


def test_a_gradient_of_a_shape_that_does_not_fit_fails_the_check_naming_the_op():
    x = random_input((3, 2))
    with pytest.raises(tg.GradcheckError, match=r"^gradcheck failed: the backward pass raised "
                       r"RuntimeError: backward of op 'rowsumforgotexpand' returned a gradient "
                       r"of shape \(2, 3\) for an input of shape \(3, 2\)"):
        tg.gradcheck(RowSumForgotExpand.apply, [x])
    assert tg.gradcheck(RowSumForgotExpand.apply, [x], raise_exception=False) is False


def test_checks_in_float64_even_for_float32_inputs():
    x = Tensor(np.array([0.3, 0.7], dtype=np.float32), requires_grad=True)
    assert tg.gradcheck(lambda t: (t.exp() * t).sum(), [x])


def test_inputs_that_need_no_gradient_are_not_checked():
    constant = Tensor([1.0, 2.0])
    x = random_input((2,))
    assert tg.gradcheck(lambda c, t: (c * t).sum(), [constant, x])
    with pytest.raises(ValueError, match="no input requires a gradient"):
        tg.gradcheck(lambda c: c.sum(), [constant])


def test_a_disconnected_output_is_reported():
    x = random_input((2,))
    with pytest.raises(tg.GradcheckError, match="does not depend on any input"):
        tg.gradcheck(lambda t: t.detach() * 2, [x])


def test_a_backward_that_changes_between_calls_is_caught():
    state = {"calls": 0}

    class Drifting(Function, register=False):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, grad):
            state["calls"] += 1
            return grad * (2 + 1e-9 * state["calls"])

    with pytest.raises(tg.GradcheckError, match="different gradients"):
        tg.gradcheck(lambda t: Drifting.apply(t), [random_input((2,))])


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError, match="must return a Tensor"):
        tg.gradcheck(lambda t: t.data.sum(), [random_input((2,))])
