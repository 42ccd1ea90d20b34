"""Differential fuzzing of a user's ops' higher derivatives: random programs of ops written
as a user writes them (NumPy in forward, a backward that runs on arrays and, with
`create_graph=True`, on tensors: higher_order.py's `backward_on_tensors`) against the
same programs of built-in ops (their `backward_graph`s), to the third derivative.

Each user op below is written in one of the styles PyTorch's documents use: ctx in
forward or `setup_context`, saving its input, its output, or both outputs of two, an
optional input given None; its backward uses operators and NumPy functions that have an
op (`np.cos`, `np.where`). A program chains two to four of them with the inputs mixed
in (`op(a * x + y)`), and its gradient, Hessian-vector product and third-order product
must equal the built-in program's, to 1e-12. Runs without torch.
"""
from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings, strategies as st

import tinygrad_gd as tg


class Sine(tg.Function, register=False):  # ctx in forward, its input saved
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)


class Exponential(tg.autograd.Function, register=False):  # PyTorch's style, its output saved
    @staticmethod
    def forward(ctx, x):
        result = np.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, g):
        (result,) = ctx.saved_tensors
        return g * result


class Tanh(tg.autograd.Function, register=False):  # setup_context; the output on ctx
    @staticmethod
    def forward(x):
        return np.tanh(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.out = output

    @staticmethod
    def backward(ctx, g):
        return g * (1 - ctx.out * ctx.out)


class Leaky(tg.Function, register=False):  # a kink: np.where, a step as a constant
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.where(x > 0, x * x, 0.1 * x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x > 0, 2 * x, 0.1)


class SineCosine(tg.autograd.Function, register=False):  # two outputs, both saved
    @staticmethod
    def forward(ctx, x):
        s, c = np.sin(x), np.cos(x)
        ctx.save_for_backward(s, c)
        return s, c

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        s, c = ctx.saved_tensors
        return g_sin * c - g_cos * s


class Scaled(tg.autograd.Function, register=False):  # an optional input given None
    @staticmethod
    def forward(ctx, x, scale=None, shift=None):
        ctx.save_for_backward(x, shift)
        return x * x * 0.5 + (0.0 if shift is None else shift)

    @staticmethod
    def backward(ctx, g):
        x, shift = ctx.saved_tensors
        return g * x, None, None if shift is None else g


USER = {"sin": Sine.apply, "exp": Exponential.apply, "tanh": Tanh.apply, "leaky": Leaky.apply,
        "sincos": lambda t: sum(SineCosine.apply(t)), "scaled": lambda t: Scaled.apply(
            t, None, None)}
BUILT_IN = {"sin": tg.sin, "exp": tg.exp, "tanh": tg.tanh,
            "leaky": lambda t: tg.where(t > 0, t * t, 0.1 * t),
            "sincos": lambda t: t.sin() + t.cos(), "scaled": lambda t: t * t * 0.5}


def _derivatives(ops, names, x0, y0, directions):
    """Gradient, H.v and the third-order product of the program `names` over (x, y)."""
    x, y = tg.Tensor(x0, requires_grad=True), tg.Tensor(y0, requires_grad=True)
    h = x
    for k, name in enumerate(names):
        h = ops[name](h * (0.5 + 0.25 * k) + (y if k % 2 else x))
    total, found = (h * tg.Tensor(np.linspace(-1, 1, x0.size))).sum(), []
    for v in directions:
        gx, gy = tg.autograd.grad(total, (x, y), create_graph=True)
        found += [gx.numpy().copy(), gy.numpy().copy()]
        total = (gx * tg.Tensor(v)).sum() + (gy * tg.Tensor(v[::-1])).sum()
    return found


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.sampled_from(sorted(USER)), min_size=2, max_size=4),
       values=st.lists(st.floats(-1.5, 1.5), min_size=8, max_size=8))
def test_a_users_ops_derivatives_to_the_third_equal_the_built_in_ops(names, values):
    x0, y0 = np.array(values[:4]), np.array(values[4:])
    if "leaky" in names:  # (off the kink, where the two sides' derivatives differ)
        x0, y0 = x0 + np.where(np.abs(x0) < 1e-3, 0.01, 0), y0 + 0.003
    directions = [np.array([0.3, -0.7, 1.1, 0.2]), np.array([-0.4, 0.9, 0.1, -1.3]),
                  np.array([1.0, 0.5, -0.5, 0.25])]
    with np.errstate(over="ignore", invalid="ignore"):  # (exp of exp: rejected below)
        want = _derivatives(BUILT_IN, names, x0, y0, directions)
        assume(all(np.isfinite(b).all() and np.abs(b).max() < 1e8 for b in want))
        mine = _derivatives(USER, names, x0, y0, directions)
    for order, (a, b) in enumerate(zip(mine, want)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(b).max()),
                                   err_msg=f"{names} order {order // 2 + 1}")


def test_each_users_op_is_gradient_checked_twice():
    x = tg.Tensor(np.array([0.4, -0.9, 1.3]), requires_grad=True)
    for name, op in USER.items():
        assert tg.gradcheck(op, [x]) and tg.gradgradcheck(op, [x]), name
