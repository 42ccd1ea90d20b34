"""A user's op (forward and backward, no backward_graph) in a pass with create_graph=True
(tinygrad_gd/higher_order.py): its backward runs on tensors once per pass, also where the
gradient it gives cannot be differentiated again (it reads values into NumPy, returns an
array, reads an array forward computed, or is marked @once_differentiable). That refused
gradient has the values and dtype of the first-order gradient and of PyTorch's
`create_graph=True` gradient; differentiating it again is refused in one line. An array
forward computed is refused only where backward reads it (PyTorch refuses none), and the
op's methods stay usable on ctx. Torch is needed only by the tests marked `torch`.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.autograd.function import once_differentiable

RNG = np.random.default_rng(23)
CALLS: list = []  # the op each backward ran for, in order


class Cubic(tg.Function, register=False):
    """x**3; its backward reads x's values into NumPy."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    def backward(ctx, g):
        CALLS.append("cubic")
        (x,) = ctx.saved_tensors
        return g * 3 * np.asarray(x) ** 2


class Product(tg.Function, register=False):
    """x * y, broadcast; its backward reads values and returns a list, y's unreduced."""

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, g):
        CALLS.append("product")
        x, y = ctx.saved_tensors
        return [g * np.asarray(y), g * np.asarray(x)]


class Linear(tg.autograd.Function, register=False):
    """PyTorch's LinearFunction with an optional bias; its backward works on arrays."""

    @staticmethod
    def forward(ctx, x, w, bias=None):
        ctx.save_for_backward(x, w)
        return x @ w.T if bias is None else x @ w.T + bias

    @staticmethod
    def backward(ctx, g):
        CALLS.append("linear")
        x, w = ctx.saved_tensors
        g = np.asarray(g)
        grad_bias = g.sum(0) if ctx.needs_input_grad[2] else None
        return g @ np.asarray(w), g.T @ np.asarray(x), grad_bias


class Doubled(tg.Function, register=False):
    """2 * x; its backward returns an array (the gradient it gets is a constant here)."""

    def forward(ctx, x):
        return 2 * x

    def backward(ctx, g):
        CALLS.append("doubled")
        return np.asarray(2 * g)


class SineCosine(tg.autograd.Function, register=False):
    """Two outputs; the backward reads values into NumPy."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x), np.cos(x)

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        CALLS.append("sinecosine")
        (x,) = ctx.saved_tensors
        return g_sin * np.cos(np.asarray(x)) - g_cos * np.sin(np.asarray(x))


class Marked(tg.autograd.Function, register=False):
    """x * x, its backward marked @once_differentiable (written with ops: it would run)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        CALLS.append("marked")
        (x,) = ctx.saved_tensors
        return 2 * x * g


class Logged(tg.Function, register=False):
    """x**3, forward keeping exp(x) for a log that backward never reads; backward calls
    the op's own method, `slope`."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.power, ctx.logged = 3, np.exp(x)
        return x ** 3

    def slope(ctx, x):
        return ctx.power * x ** (ctx.power - 1)

    def backward(ctx, g):
        CALLS.append("logged")
        (x,) = ctx.saved_tensors
        return g * ctx.slope(x)


class Kept(tg.Function, register=False):
    """exp(x), forward keeping a second exp(x) (not its output) that backward reads through
    the op's own method: the tutorial's "what not to do"."""

    def forward(ctx, x):
        ctx.e = np.exp(x)
        return np.exp(x)

    def scaled(ctx, g):
        return g * ctx.e

    def backward(ctx, g):
        CALLS.append("kept")
        return ctx.scaled(g)


def _inputs(shapes, dtype=np.float64):
    return [None if shape is None else
            tg.Tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=True)
            for shape in shapes]


def _weighted(out, weights):
    """sum(weights * out) over the outputs, each weighted with its own array."""
    outs = out if isinstance(out, tuple) else (out,)
    return sum((o * w).sum() for o, w in zip(outs, weights))


# name: (apply, input shapes (None: None given), the reason the second derivative is refused)
CASES = {
    "values read": (Cubic.apply, [(3, 4)], "read a tensor's values into NumPy"),
    "broadcast, a list": (Product.apply, [(3, 4), (3, 1)], "read a tensor's values"),
    "bias None": (Linear.apply, [(4, 3), (2, 3), None], "read a tensor's values"),
    "bias given": (Linear.apply, [(4, 3), (2, 3), (2,)], "read a tensor's values"),
    "an array returned": (Doubled.apply, [(2, 2)], "returned ndarray for input 0, not a tensor"),
    "two outputs": (SineCosine.apply, [(5,)], "read a tensor's values into NumPy"),
    "once_differentiable": (Marked.apply, [(2, 3)], "marked @once_differentiable"),
    "a kept array read": (Kept.apply, [(3,)], r"reads ctx\.e, an array forward computed"),
}


def _passes(name, dtype=np.float64):
    """The case's gradients in a first-order pass and in one with create_graph=True (the
    inputs, the weights, both gradients, and the backward calls each pass made)."""
    apply, shapes, _ = CASES[name]
    xs = _inputs(shapes, dtype)
    given = [x for x in xs if x is not None]
    out = apply(*xs)
    weights = [RNG.standard_normal(o.shape).astype(dtype)
               for o in (out if isinstance(out, tuple) else (out,))]
    found, calls = [], []
    for create_graph in (False, True):
        CALLS.clear()
        found.append(tg.autograd.grad(_weighted(apply(*xs), weights), given,
                                      create_graph=create_graph))
        calls.append(len(CALLS))
    return xs, weights, found, calls


@pytest.mark.parametrize("name", CASES)
def test_backward_runs_once_per_pass_where_its_gradient_is_refused(name):
    *_, calls = _passes(name)
    assert calls == [1, 1]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_refused_gradient_has_the_first_order_gradients_values(name, dtype):
    _, _, (plain, refused), _ = _passes(name, dtype)
    for first, second in zip(plain, refused):
        assert second.dtype == first.dtype == dtype and second.shape == first.shape
        np.testing.assert_allclose(second.numpy(), first.numpy(),
                                   rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_an_input_needing_no_gradient_gets_none_in_either_pass():
    x, w, bias = _inputs([(4, 3), (2, 3), (2,)])
    w.requires_grad = False
    for create_graph in (False, True):
        x.grad = bias.grad = None
        Linear.apply(x, w, bias).sum().backward(create_graph=create_graph)
        assert w.grad is None
        np.testing.assert_allclose(x.grad.numpy(), np.ones((4, 2)) @ w.numpy(), rtol=1e-14)
        np.testing.assert_allclose(bias.grad.numpy(), [4.0, 4.0], rtol=1e-14)


@pytest.mark.parametrize("name", CASES)
def test_differentiating_a_refused_gradient_again_is_refused_in_one_line(name):
    xs, _, (_, refused), _ = _passes(name)
    given = [x for x in xs if x is not None]
    total = sum((g * g).sum() for g in refused)
    with pytest.raises(NotImplementedError, match=r"^a derivative through the gradient of "
                       r"op '\w+' \(computed with create_graph=True\) is refused: .*"
                       + CASES[name][2]) as info:
        tg.autograd.grad(total, given)
    assert "\n" not in str(info.value)


def _torch_ops(torch):
    """The cases' ops in torch (a read into NumPy is `.detach()`, a constant there too)."""
    class Cubic(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2

    class Product(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y.detach(), g * x.detach()

    class Linear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, bias=None):
            ctx.save_for_backward(x, w)
            return x @ w.T if bias is None else x @ w.T + bias

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            g = g.detach()
            grad_bias = g.sum(0) if ctx.needs_input_grad[2] else None
            return g @ w.detach(), g.T @ x.detach(), grad_bias

    class Doubled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g.detach()

    class SineCosine(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.sin(x), torch.cos(x)

        @staticmethod
        def backward(ctx, g_sin, g_cos):
            (x,) = ctx.saved_tensors
            return g_sin * torch.cos(x.detach()) - g_cos * torch.sin(x.detach())

    class Marked(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class Kept(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.e = torch.exp(x)
            return torch.exp(x)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.e

    class Logged(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.logged = torch.exp(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    return {"values read": Cubic, "broadcast, a list": Product, "bias None": Linear,
            "bias given": Linear, "an array returned": Doubled, "two outputs": SineCosine,
            "once_differentiable": Marked, "a kept array read": Kept, "logged": Logged}


def _torch_grads(torch, op, xs, weights, create_graph=True):
    ts = [None if x is None else torch.tensor(x.numpy(), requires_grad=x.requires_grad)
          for x in xs]
    out = op.apply(*ts)
    outs = out if isinstance(out, tuple) else (out,)
    total = sum((o * torch.tensor(w)).sum() for o, w in zip(outs, weights))
    given = [t for t in ts if t is not None and t.requires_grad]
    return ts, given, torch.autograd.grad(total, given, create_graph=create_graph)


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_a_refused_gradient_has_pytorchs_create_graph_values(name):
    torch = pytest.importorskip("torch")
    xs, weights, (_, refused), _ = _passes(name)
    _, _, theirs = _torch_grads(torch, _torch_ops(torch)[name], xs, weights)
    for mine, want in zip(refused, theirs):
        np.testing.assert_allclose(mine.numpy(), want.detach().numpy(), rtol=1e-14)


def _logged_second(x, v):
    """The gradient of sum(v * Logged(x)) differentiated again (its sum): 6 * v * x."""
    (g,) = tg.autograd.grad((Logged.apply(x) * v).sum(), x, create_graph=True)
    return tg.autograd.grad(g.sum(), x)[0]


def test_an_array_forward_computed_that_backward_never_reads_refuses_nothing():
    x, v = tg.Tensor(RNG.standard_normal(4), requires_grad=True), RNG.standard_normal(4)
    CALLS.clear()
    np.testing.assert_allclose(_logged_second(x, v).numpy(), 6 * v * x.numpy(), rtol=1e-14)
    assert CALLS == ["logged"]  # (the second pass runs the ops its first recorded)
    assert tg.autograd.gradcheck(Logged.apply, x)
    assert tg.autograd.gradgradcheck(Logged.apply, x)


@pytest.mark.torch
def test_an_unread_array_forward_computed_differentiates_twice_as_pytorchs():
    torch = pytest.importorskip("torch")
    x, v = tg.Tensor(RNG.standard_normal(4), requires_grad=True), RNG.standard_normal(4)
    ts, given, (g,) = _torch_grads(torch, _torch_ops(torch)["logged"], [x], [v])
    (want,) = torch.autograd.grad(g.sum(), given)
    np.testing.assert_allclose(_logged_second(x, v).numpy(), want.numpy(), rtol=1e-14)


def test_an_array_forward_computed_is_refused_where_a_method_of_the_op_reads_it():
    x = tg.Tensor(RNG.standard_normal(3), requires_grad=True)
    (g,) = tg.autograd.grad(Kept.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), np.exp(x.numpy()), rtol=1e-14)
    with pytest.raises(NotImplementedError, match=r"op 'kept' has no backward_graph, and its "
                       r"backward reads ctx\.e, an array forward computed \(not an input or "
                       r"an output\).*return it from forward as an output too") as info:
        tg.autograd.grad(g.sum(), x)
    assert "\n" not in str(info.value)


def test_a_missing_attribute_read_in_backward_is_pythons_attribute_error():
    class Typo(tg.Function, register=False):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 2 * x

        def backward(ctx, g):
            return g * ctx.scale

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    for create_graph in (False, True):
        with pytest.raises(AttributeError, match="scale"):
            tg.autograd.grad(Typo.apply(x).sum(), x, create_graph=create_graph)
