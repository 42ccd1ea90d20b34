"""Small differences from PyTorch and untested corners (thirty-second round): an index
array's copy's values and gradient, an empty unfold of an expanded tensor keeping its
strides, a user's op with its own `apply` refusing a backward
that returns None, a write through a view of an input (versions.applied's view branch)
refusing the backward that saved the view, `dtype="float"` read as NumPy's name (float64)
where `tg.float` is PyTorch's float32, and L-BFGS in float32 keeping every number of its
state float32.

Without torch: the values and gradients against NumPy, the refusals' text, NumPy's dtype
names. With torch: an empty unfold's strides and the dtypes torch's objects name.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import autograd_function


def _leaf(values=(1.0, -2.0)):
    return tg.Tensor(np.array(values), requires_grad=True)


# -- 1: an index array's copy ----------------------------------------------------------------
def test_an_index_arrays_copy_keeps_values_and_gradients():
    w = tg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    out = w[:, [0, 2, 2]]
    (out * tg.Tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
    expected = np.zeros((3, 4))
    np.add.at(expected, (slice(None), [0, 2, 2]), np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(w.grad.numpy(), expected)
    out.data[0, 0] = 100.0  # (a copy: w is not written)
    assert w[0, 0].item() == 0.0


@pytest.mark.torch
def test_an_empty_unfold_of_an_expanded_tensor_keeps_its_strides():
    torch = pytest.importorskip("torch")
    for m in (tg, torch):
        assert m.zeros(1).expand(0).unfold(0, 0, 2).stride() == (0, 0)
    assert tg.zeros(0).unfold(0, 0, 2).stride() == torch.zeros(0).unfold(0, 0, 2).stride()


# -- 3: a user's op with its own apply -------------------------------------------------------
def test_a_user_op_with_its_own_apply_refuses_a_backward_returning_none():
    class D(tg.Function, register=False):
        @classmethod
        def apply(cls, x):
            return super().apply(x)

        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad):
            grad * 2  # (no return)

    x = _leaf()
    with pytest.raises(TypeError, match=r"^d: backward returned None, but input 0 needs a "
                                        r"gradient; return it \(a missing return\?\), or a "
                                        r"tuple with None for each input that needs none$"):
        D.apply(x).sum().backward()
    assert x.grad is None


def test_a_user_op_with_its_own_apply_still_differentiates():
    class Cube(tg.Function, register=False):
        @classmethod
        def apply(cls, x, p=3):
            return super().apply(x, p=p)

        @staticmethod
        def forward(ctx, x, p):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        @staticmethod
        @autograd_function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)

    x = _leaf([1.5, -0.5])
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)
    assert Cube.backward.__name__ == "backward"  # (still the user's, as written)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g, = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        g.sum().backward()


def test_a_user_op_with_its_own_apply_returns_none_where_no_input_needs_a_gradient():
    class Gate(tg.Function, register=False):
        @classmethod
        def apply(cls, x, w):
            return super().apply(x, w)

        def forward(ctx, x, w):
            ctx.save_for_backward(x)
            return x * w

        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            if ctx.needs_input_grad[1]:
                return None, grad * x

    x, w = tg.Tensor([1.0, 2.0]), _leaf([3.0, 4.0])
    Gate.apply(x, w).sum().backward()  # (w needs one: the tuple)
    np.testing.assert_array_equal(w.grad.numpy(), x.numpy())
    with pytest.raises(TypeError, match=r"^gate: backward returned None, but input 0 needs"):
        Gate.apply(_leaf([1.0, 2.0]), tg.Tensor([3.0, 4.0])).sum().backward()


# -- 4: a view of an input, written in place ---------------------------------------------------
@pytest.mark.parametrize("view", ["T", "reshape", "unsqueeze"])
def test_a_write_through_a_view_of_an_input_refuses_the_backward_that_saved_it(view):
    """A view op's output shares its input's write counter (versions.applied's view branch,
    which drops the output's base there: no op saves an input it returns a view of, so the
    saved-output test never reads it); a write through the view, or into the input, after
    an op saved the view refuses that op's backward naming its input, and the same write
    before that op runs leaves the gradient right."""
    take = {"T": lambda t: t.T, "reshape": lambda t: t.reshape(4),
            "unsqueeze": lambda t: t.unsqueeze(0)}[view]
    for write in ("view", "input"):
        w = tg.Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
        h = w * 1.0
        v = take(h)
        loss = (v * v).sum()
        with tg.no_grad():
            (v if write == "view" else h).add_(1.0)
        assert h[0, 0].item() == 1.0 and v.numpy().ravel()[0] == 1.0  # (one memory)
        with pytest.raises(RuntimeError, match=r"^backward\(\): input 0 \(shape .*\) of op "
                                               r"'mul' was changed in place"):
            loss.backward()
    w = tg.Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    h = w * 1.0
    v = take(h)
    with tg.no_grad():
        v.add_(1.0)
    (v * v).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * (np.arange(4.0).reshape(2, 2) + 1))


# -- 5: dtype names ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float", "double", "int", "long", "byte", "half",
                                  "float32", "int64"])
def test_a_dtype_given_as_a_string_is_numpys_of_that_name(name):
    assert tg.zeros(2, dtype=name).dtype == np.dtype(name)
    assert tg.Tensor([1, 2], dtype=name).dtype == np.dtype(name)
    assert tg.ones(2).to(name).dtype == np.dtype(name)


def test_dtype_float_string_is_float64_and_tg_float_is_float32():
    assert tg.zeros(2, dtype="float").dtype == np.float64  # (NumPy's name)
    assert tg.zeros(2, dtype=tg.float).dtype == np.float32  # (PyTorch's object)
    assert tg.zeros(2, dtype=tg.int).dtype == np.int32 and tg.zeros(2).float().dtype == np.float32


@pytest.mark.torch
def test_torchs_dtype_objects_are_torchs():
    torch = pytest.importorskip("torch")
    for name in ("float", "double", "int", "long", "half", "short", "bool"):
        theirs = getattr(torch, name)
        ours = tg.zeros(2, dtype=theirs).dtype
        assert ours == np.dtype(str(theirs).removeprefix("torch.")) == \
            np.dtype(getattr(tg, name)), name


# -- 6: L-BFGS in float32 --------------------------------------------------------------------
def test_lbfgs_in_float32_keeps_every_number_of_its_state_float32():
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((8, 3)), dtype=np.float32)
    y = tg.Tensor(rng.standard_normal((8, 1)), dtype=np.float32)
    for line_search in (None, "strong_wolfe"):
        w = tg.nn.Parameter(rng.standard_normal((3, 1)).astype(np.float32))
        opt = tg.optim.LBFGS([w], lr=0.5, max_iter=5, line_search_fn=line_search)

        def closure():
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
        state = opt.state[w]
        assert w.dtype == np.float32
        arrays = [state["d"], state["prev_flat_grad"], *state["old_dirs"], *state["old_stps"]]
        numbers = [state["H_diag"], *state["ro"], *[a for a in state["al"] if a is not None]]
        assert all(a.dtype == np.float32 for a in arrays + numbers), line_search
        solution = np.linalg.lstsq(x.numpy().astype(np.float64), y.numpy(), rcond=None)[0]
        np.testing.assert_allclose(w.numpy(), solution, rtol=1e-3, atol=1e-4)

