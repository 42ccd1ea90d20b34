"""The thirty-eighth round's random fills and dropout in place, as PyTorch 2.13's.

- `h.uniform_()`, `normal_`, `bernoulli_`, `exponential_`, `geometric_`, `cauchy_`,
  `log_normal_`, `random_` on a tensor of the graph run (they were refused): the new
  values do not depend on the old ones, so the gradient into those is 0, as PyTorch's;
  a leaf that requires a gradient refused outside no_grad(), a view changes its base, an
  op that saved the old values refuses its backward;
- `F.dropout(h, p, training=True, inplace=True)` (and dropout1d/2d/3d, alpha_dropout,
  feature_alpha_dropout and their layers) change h and return it (a new tensor before),
  its gradient the mask's, as PyTorch's; training=False or p=0 return h unchanged;
- `x[[0, (1, 2)]]`, a list mixing numbers and sequences, is refused in one line that
  names it and says what to write (NumPy's "inhomogeneous shape" traceback before);
- mended after the review: a refused fill or dropout draws nothing (it used up a draw),
  in-place dropout and the activations' inplace=True on an expand are refused as
  PyTorch's (they ran out of place), a ragged list is told it is ragged and offered only
  rewrites that run; second derivatives, float32 and views of the dropouts and fills.

The draws differ from PyTorch's, so each comparison is of what does not depend on them:
the gradient less the drawn values, the values' support, which calls are refused."""
from __future__ import annotations

import math
import types
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F

X = np.array([[0.7, -1.2, 0.3], [2.0, 0.5, -0.4]])


def _one_line(error):
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# name -> (the call, with its arguments in both libraries (g: the generator); whether values
# are in its support)
FILLS = {
    "uniform_": (lambda h, g=None: h.uniform_(-1.0, 2.0, generator=g),
                 lambda v: (v >= -1.0) & (v < 2.0)),
    "normal_": (lambda h, g=None: h.normal_(1.0, 0.5, generator=g), np.isfinite),
    "bernoulli_": (lambda h, g=None: h.bernoulli_(0.3, generator=g),
                   lambda v: (v == 0) | (v == 1)),
    "exponential_": (lambda h, g=None: h.exponential_(2.0, generator=g), lambda v: v >= 0),
    "geometric_": (lambda h, g=None: h.geometric_(0.4, generator=g),
                   lambda v: (v >= 1) & (v == np.round(v))),
    "cauchy_": (lambda h, g=None: h.cauchy_(0.0, 1.0, generator=g), np.isfinite),
    "log_normal_": (lambda h, g=None: h.log_normal_(0.0, 0.5, generator=g), lambda v: v > 0),
    "random_": (lambda h, g=None: h.random_(0, 5, generator=g),
                lambda v: (v >= 0) & (v < 5) & (v == np.round(v))),
}


def _filled(lib, fill, x_values, change=lambda h: h):
    """x, h = x * 2, `fill` on change(h); returns x, h, fill's result, its loss's gradient
    (loss: (h * x).sum() + (x ** 2).sum(), whose gradient less h's new values is
    x * dh/dx + 2x: no draw in it)."""
    x = lib.tensor(x_values, requires_grad=True)
    h = x * 2
    result = FILLS[fill][0](change(h))
    ((h * x).sum() + (x ** 2).sum()).backward()
    return x, h, result


def _values(t):
    return t.detach().numpy()


@pytest.mark.torch
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_a_fill_of_a_graphs_tensor_runs_with_pytorchs_gradient(torch64, fill):
    ours = _filled(tg, fill, X)
    theirs = _filled(torch64, fill, X)
    for x, h, result in (ours, theirs):
        assert result is h and h.requires_grad
        assert FILLS[fill][1](_values(h)).all()
    # the old values' gradient is 0: x.grad - h is 2x (x^2's) in both, whatever was drawn
    np.testing.assert_allclose(_values(ours[0].grad) - _values(ours[1]), 2 * X, rtol=1e-12)
    np.testing.assert_allclose(_values(theirs[0].grad) - _values(theirs[1]), 2 * X, rtol=1e-12)
    # the node is named after the fill, as PyTorch's (UniformBackward0: uniform)
    assert type(theirs[1].grad_fn).__name__.lower().startswith(
        ours[1].grad_fn.name.replace("_", ""))


@pytest.mark.torch
@pytest.mark.parametrize("view", ["row", "transpose", "column"])
def test_a_fill_of_a_view_changes_its_base_as_pytorchs(torch64, view):
    change = {"row": lambda h: h[0], "transpose": lambda h: h.T,
              "column": lambda h: h[:, 1]}[view]
    changed = {"row": (0, slice(None)), "transpose": (slice(None), slice(None)),
               "column": (slice(None), 1)}[view]
    slope = np.full(X.shape, 2.0)  # dh/dx: 2 where h kept its old values, 0 where drawn
    slope[changed] = 0.0
    for lib in (tg, torch64):
        x, h, _ = _filled(lib, "normal_", X, change)
        np.testing.assert_allclose(_values(x.grad) - _values(h), X * slope + 2 * X,
                                   rtol=1e-12)


def test_the_old_values_get_0_not_nan_where_the_gradient_arriving_is_inf():
    x = tg.tensor([math.inf, 1.0], requires_grad=True)
    h = x * 2
    h.uniform_()
    (h * x).sum().backward()  # h's gradient is x (inf): its old values' is 0, not inf * 0
    np.testing.assert_array_equal(x.grad.numpy(), h.detach().numpy())


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("shape", [(3,), (2, 3), (0, 3)])
def test_a_fill_in_the_graph_passes_gradcheck(fill, shape):
    def filled(x):  # the same draws at each call: a generator seeded anew
        h = x * 2
        FILLS[fill][0](h, np.random.default_rng(7))
        return h * x + x.sin()
    x = tg.tensor(np.linspace(-1.0, 1.5, math.prod(shape)).reshape(shape), requires_grad=True)
    assert tg.gradcheck(filled, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_a_leaf_is_refused_outside_no_grad_and_filled_under_it_as_pytorchs(torch64, fill):
    for lib in (tg, torch64):
        leaf = lib.tensor(X, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            FILLS[fill][0](leaf)
        with pytest.raises(RuntimeError, match="leaf"):
            FILLS[fill][0](leaf[0])  # a view of the leaf too
        with (tg.no_grad() if lib is tg else torch64.no_grad()):
            assert FILLS[fill][0](leaf) is leaf
        assert leaf.requires_grad and leaf.grad_fn is None
        assert FILLS[fill][1](_values(leaf)).all()


@pytest.mark.torch
def test_a_fill_of_an_expanded_view_is_refused_as_pytorchs(torch64):
    for lib in (tg, torch64):
        h = lib.tensor(X, requires_grad=True) * 2
        with pytest.raises(RuntimeError):
            h.expand(2, 2, 3).uniform_()
    with pytest.raises(RuntimeError) as error:
        (tg.tensor(X, requires_grad=True) * 2).expand(2, 2, 3).uniform_()
    assert "uniform_" in _one_line(error) and "tg.rand_like(t)" in _one_line(error)


# how: (the graph, the fill, the backward); refused where a saved value was filled
AFTER_A_FILL = {
    "exp saved its output": lambda lib, x: (lambda h: (h.uniform_(), h.sum())[1])(x.exp()),
    "mul saved h": lambda lib, x: (lambda h: (lambda y: (h.normal_(), y)[1])(h * x))(x * 2),
    "sum saved nothing": lambda lib, x: (lambda h: (lambda y: (h.bernoulli_(), y)[1])(
        h.sum()))(x * 2),
}


@pytest.mark.torch
@pytest.mark.parametrize("how", sorted(AFTER_A_FILL))
def test_a_fill_refuses_a_backward_that_needs_the_old_values_as_pytorchs(torch64, how):
    outcomes = []
    for lib in (tg, torch64):
        x = lib.tensor(X, requires_grad=True)
        loss = AFTER_A_FILL[how](lib, x)
        try:
            loss.sum().backward()
            outcomes.append(_values(x.grad))
        except RuntimeError:
            outcomes.append("refused")
    refused = [isinstance(outcome, str) for outcome in outcomes]
    assert refused == [how != "sum saved nothing"] * 2
    if how == "sum saved nothing":
        np.testing.assert_array_equal(outcomes[0], outcomes[1])  # 2 each


@pytest.mark.torch
def test_bernoulli_with_probabilities_that_need_a_gradient_gives_them_0_as_pytorchs(torch64):
    for lib in (tg, torch64):
        p = lib.tensor([0.2, 0.5, 0.9], requires_grad=True)
        c = lib.zeros(3)
        assert c.bernoulli_(p) is c and c.requires_grad
        (c * 3).sum().backward()
        np.testing.assert_array_equal(_values(p.grad), np.zeros(3))


@pytest.mark.torch
def test_a_fill_under_no_grad_keeps_the_node_as_pytorchs(torch64):
    for lib in (tg, torch64):
        x = lib.tensor(X, requires_grad=True)
        h = x * 2
        with (tg.no_grad() if lib is tg else torch64.no_grad()):
            h.uniform_()
        (h * x).sum().backward()  # h's new values, and x * 2 through mul's node, kept
        np.testing.assert_allclose(_values(x.grad), _values(h) + 2 * X, rtol=1e-12)


# ------------------------------------------------------------------ dropout in place

SHAPES = {"dropout": (6, 5), "dropout1d": (4, 3, 5), "dropout2d": (4, 3, 2, 2),
          "dropout3d": (4, 3, 2, 2, 2), "alpha_dropout": (6, 5),
          "feature_alpha_dropout": (4, 3, 5)}
LAYERS = {"dropout": "Dropout", "dropout1d": "Dropout1d", "dropout2d": "Dropout2d",
          "dropout3d": "Dropout3d", "alpha_dropout": "AlphaDropout",
          "feature_alpha_dropout": "FeatureAlphaDropout"}
P = 0.4
ALPHA = 1.7580993408473766  # SELU's -scale * alpha
A = 1 / math.sqrt((ALPHA ** 2 * P + 1) * (1 - P))  # alpha dropout's scale


def _input(name):
    return np.random.default_rng(3).uniform(0.5, 1.5, SHAPES[name])  # (no 0: kept is told)


def _kept(name, old, new, tolerance=1e-12):
    """The mask, from the result: 1 where an entry was kept. Dropout scales a kept entry
    by 1 / (1 - p) and zeroes the others; alpha dropout maps a kept x to A * (x + ALPHA * p)
    and a dropped one to A * ALPHA * (p - 1) (`tolerance`: float32's is larger)."""
    if "alpha" in name:
        kept = ~np.isclose(new, A * ALPHA * (P - 1), rtol=0, atol=tolerance)
        np.testing.assert_allclose(new[kept], A * (old[kept] + ALPHA * P), rtol=tolerance)
    else:
        kept = new != 0
        np.testing.assert_allclose(new[kept], old[kept] / (1 - P), rtol=tolerance)
    return kept


def _dropped(lib, functional, name):
    """x, h = x * 2, the in-place dropout's result on h, h's old values; (h * 3).sum()
    backward."""
    x = lib.tensor(_input(name), requires_grad=True)
    h = x * 2
    old = _values(h).copy()
    result = getattr(functional, name)(h, P, True, True)
    (h * 3).sum().backward()
    return x, h, result, old


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_dropout_in_place_changes_its_input_with_pytorchs_gradient(torch64, name):
    import torch.nn.functional as TF
    for lib, functional in ((tg, F), (torch64, TF)):
        x, h, result, old = _dropped(lib, functional, name)
        assert result is h
        kept = _kept(name, old, _values(h))
        if name not in ("dropout", "alpha_dropout"):  # a channel kept or dropped whole
            by_channel = kept.reshape(kept.shape[:2] + (-1,))
            assert (by_channel == by_channel[:, :, :1]).all()
        # the gradient, that mask's: 2 * 3 / (1 - p) kept, 0 dropped (alpha: 2 * 3 * A)
        scale = A if "alpha" in name else 1 / (1 - P)
        np.testing.assert_allclose(_values(x.grad), 6 * scale * kept, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("empty", [False, True])
def test_dropout_in_place_passes_gradcheck(name, empty):
    def dropped(x):
        h = x * 2
        return getattr(F, name)(h, P, True, True, generator=np.random.default_rng(5)) * x
    shape = ((0,) if empty else (2,)) + SHAPES[name][1:]
    x = tg.tensor(np.linspace(0.5, 1.5, math.prod(shape)).reshape(shape), requires_grad=True)
    assert tg.gradcheck(dropped, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_dropout_in_place_refuses_and_returns_where_pytorchs_does(torch64, name):
    import torch.nn.functional as TF
    for lib, functional in ((tg, F), (torch64, TF)):
        drop = getattr(functional, name)
        leaf = lib.tensor(_input(name), requires_grad=True)
        for p, training in ((P, True), (1.0, True)):  # a draw, or all dropped: refused
            with pytest.raises(RuntimeError, match="leaf"):
                drop(leaf, p, training, True)
        for p, training in ((P, False), (0.0, True)):  # nothing written: the input itself
            assert drop(leaf, p, training, True) is leaf
            h = leaf.exp()
            assert drop(h, p, training, True) is h
            h.sum().backward()  # (exp's saved output unchanged: its backward runs)
        np.testing.assert_allclose(_values(leaf.grad), 2 * np.exp(_input(name)), rtol=1e-12)
        for p in (P, 1.0):
            h = leaf.exp()
            assert drop(h, p, True, True) is h
            assert p != 1.0 or not _values(h).any()
            with pytest.raises(RuntimeError):  # exp's saved output changed in place
                h.sum().backward()


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_dropout_layers_in_place_return_their_input_as_pytorchs(torch64, name):
    for lib in (tg, torch64):
        layer = getattr(lib.nn, LAYERS[name])(P, inplace=True)
        h = lib.tensor(_input(name), requires_grad=True) * 2
        old = _values(h).copy()
        out = layer(h)
        _kept(name, old, _values(out))
        if "alpha" in name:  # PyTorch's AlphaDropout layers leave inplace= unused
            assert out is not h
            np.testing.assert_array_equal(_values(h), old)
        else:
            assert out is h
        layer.eval()
        before = _values(h).copy()
        assert layer(h) is h
        np.testing.assert_array_equal(_values(h), before)


def test_dropout_in_place_of_a_constant_counts_the_change():
    c = tg.tensor(_input("dropout"))
    loss_of = tg.tensor(np.ones(SHAPES["dropout"]), requires_grad=True)
    loss = (loss_of * c).sum()  # mul saves c, for loss_of's gradient
    assert F.dropout(c, P, True, True) is c
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    assert nn.Dropout(P, inplace=True).eval()(c) is c


# ------------------------------------------------ a list mixing numbers and sequences

@pytest.mark.torch
@pytest.mark.parametrize("index, instead", [
    ([0, (1, 2)], (0, (1, 2))), ([0, [1, 2]], (0, [1, 2])), ([(1, 2), 0], ((1, 2), 0))])
def test_a_list_mixing_numbers_and_sequences_is_refused_in_one_line(torch64, index, instead):
    x = tg.tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(IndexError) as error:
        x[index]
    message = _one_line(error)
    assert message.startswith("getitem: indexing with the list " + repr(index))
    written = "x[" + repr(instead)[1:-1] + "]"
    assert written in message and "x[" + repr(instead) + "]" in message
    # what it says to write gives PyTorch 2.13's reading of the list (a tuple, with a warning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch64.arange(12.0).reshape(3, 4)[index]
    np.testing.assert_array_equal(x[instead].numpy(), theirs.numpy())
    with pytest.raises(IndexError) as error:
        x[index] = 1.0
    assert _one_line(error).startswith("setitem: indexing with the list")
    h = tg.tensor(np.ones((3, 4)), requires_grad=True) * 2
    with pytest.raises(IndexError) as error:
        h[index] = 1.0  # (recorded: through the op setitem)
    assert _one_line(error).startswith("setitem: indexing with the list")


def test_a_list_of_one_shape_is_still_an_array_of_indices():
    x = tg.tensor(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(x[[[0, 1], [1, 2]]].numpy(),
                                  np.arange(12.0).reshape(3, 4)[np.array([[0, 1], [1, 2]])])
    with pytest.raises(IndexError) as error:
        x[0, [1, (2, 3)]]  # (a part of a tuple: no rewrite offered, the list named)
    assert "the list [1, (2, 3)]" in _one_line(error)


# ------------------------------------------------ mended after the round's review

def _grad_function(lib):
    return tg.autograd.grad if lib is tg else __import__("torch").autograd.grad


@pytest.mark.parametrize("fill", sorted(FILLS))
def test_a_fill_of_a_view_passes_gradgradcheck(fill):
    def filled(x):  # the same draws at each call: a generator seeded anew
        h = x * x
        FILLS[fill][0](h[0], np.random.default_rng(7))  # h's row 0 drawn, row 1 still x * x
        return (h * x).sin()
    x = tg.tensor(np.linspace(-1.0, 1.3, 6).reshape(2, 3), requires_grad=True)
    assert tg.gradgradcheck(filled, (x,))


# name -> the in-place dropout on h (a view, for the channel dropout), with its generator
DROPPED_IN_PLACE = {
    "dropout": lambda h, g: F.dropout(h, P, True, True, generator=g),
    "alpha_dropout": lambda h, g: F.alpha_dropout(h, P, True, True, generator=g),
    "feature_alpha_dropout": lambda h, g: F.feature_alpha_dropout(
        h.reshape(2, 3, 1), P, True, True, generator=g),
    "dropout1d of a view": lambda h, g: F.dropout1d(h.reshape(1, 2, 3)[:, :, 1:], P, True,
                                                    True, generator=g),
}


@pytest.mark.parametrize("name", sorted(DROPPED_IN_PLACE))
def test_dropout_in_place_passes_gradgradcheck(name):
    def dropped(x):
        h = x * x
        y = DROPPED_IN_PLACE[name](h, np.random.default_rng(5))
        return (y.reshape(-1).sum() * x + h).sin()  # (h used again after: its new values)
    x = tg.tensor(np.linspace(-1.0, 1.3, 6).reshape(2, 3), requires_grad=True)
    assert tg.gradcheck(dropped, (x,)) and tg.gradgradcheck(dropped, (x,))


@pytest.mark.torch
def test_the_dropped_tensor_used_again_gets_pytorchs_gradient(torch64):
    import torch.nn.functional as TF
    for lib, functional in ((tg, F), (torch64, TF)):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        y = functional.dropout(h, 0.5, True, True)
        (y * x + h).sum().backward()
        assert y is h
        mask = _values(y) / X  # 0 where dropped, 1 / (1 - p) = 2 where kept
        assert set(np.round(mask, 12).ravel()) <= {0.0, 2.0}
        # d/dx of (mask x) x + mask x, h being mask * x after the dropout
        np.testing.assert_allclose(_values(x.grad), 2 * mask * X + mask, rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_a_fill_in_float32_keeps_float32_with_pytorchs_gradient(torch64, fill):
    for lib in (tg, torch64):
        x, h, result = _filled(lib, fill, X.astype(np.float32))
        assert result is h
        assert str(h.dtype).endswith("float32") and str(x.grad.dtype).endswith("float32")
        np.testing.assert_allclose(_values(x.grad) - _values(h), 2 * X, rtol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["dropout", "alpha_dropout"])
def test_dropout_in_place_in_float32_keeps_float32_with_pytorchs_gradient(torch64, name):
    import torch.nn.functional as TF
    for lib, functional in ((tg, F), (torch64, TF)):
        x = lib.tensor(_input(name).astype(np.float32), requires_grad=True)
        h = x * 2
        old = _values(h).astype(np.float64)
        assert getattr(functional, name)(h, P, True, True) is h
        (h * 3).sum().backward()
        assert str(h.dtype).endswith("float32") and str(x.grad.dtype).endswith("float32")
        kept = _kept(name, old, _values(h).astype(np.float64), tolerance=1e-6)
        scale = A if "alpha" in name else 1 / (1 - P)
        np.testing.assert_allclose(_values(x.grad), 6 * scale * kept, rtol=1e-6)


# a view of h (2, 3) to drop in place: each holds each of its entries once
DROPOUT_VIEWS = {"row": lambda h: h[0], "column": lambda h: h[:, 1],
                 "transpose (non-contiguous)": lambda h: h.T,
                 "every other column (non-contiguous)": lambda h: h[:, ::2],
                 "diagonal": lambda h: h.diagonal()}


@pytest.mark.torch
@pytest.mark.parametrize("view", sorted(DROPOUT_VIEWS))
def test_dropout_in_place_on_a_view_changes_its_base_as_pytorchs(torch64, view):
    import torch.nn.functional as TF
    positions = np.arange(X.size).reshape(X.shape)
    inside = np.isin(positions, DROPOUT_VIEWS[view](positions))  # (NumPy's view's entries)
    for lib, functional in ((tg, F), (torch64, TF)):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        v = DROPOUT_VIEWS[view](h)
        assert functional.dropout(v, 0.5, True, True) is v
        np.testing.assert_array_equal(_values(v), DROPOUT_VIEWS[view](_values(h)))
        (h * x).sum().backward()
        mask = _values(h) / X  # 1 outside the view; 0 or 1 / (1 - p) = 2 inside
        np.testing.assert_array_equal(mask[~inside], 1.0)
        assert set(np.round(mask[inside], 12)) <= {0.0, 2.0}
        # h is mask * x: (h * x).sum()'s gradient is 2 * mask * x
        np.testing.assert_allclose(_values(x.grad), 2 * _values(h), rtol=1e-12)


# name -> F's function called with inplace=True (the activations and rrelu, and dropout)
IN_PLACE_ON_AN_EXPAND = {
    "dropout": lambda F, v: F.dropout(v, 0.5, True, True),
    "alpha_dropout": lambda F, v: F.alpha_dropout(v, 0.5, True, True),
    "relu": lambda F, v: F.relu(v, inplace=True),
    "leaky_relu": lambda F, v: F.leaky_relu(v, 0.1, inplace=True),
    "elu": lambda F, v: F.elu(v, inplace=True),
    "hardtanh": lambda F, v: F.hardtanh(v, inplace=True),
    "silu": lambda F, v: F.silu(v, inplace=True),
    "rrelu": lambda F, v: F.rrelu(v, training=True, inplace=True),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(IN_PLACE_ON_AN_EXPAND))
def test_inplace_on_an_expand_is_refused_as_pytorchs(torch64, name):
    import torch.nn.functional as TF
    for lib, functional in ((tg, F), (torch64, TF)):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        expanded = h[0].expand(2, 3)  # (its entries repeat: a write cannot go back into h)
        with pytest.raises(RuntimeError) as error:
            IN_PLACE_ON_AN_EXPAND[name](functional, expanded)
        np.testing.assert_array_equal(_values(h), X)
        with pytest.raises(RuntimeError, match="leaf") as leaf_error:  # a leaf's expand
            IN_PLACE_ON_AN_EXPAND[name](functional, x.expand(2, 2, 3))
        if lib is tg:
            message = _one_line(error)
            assert message.startswith(f"{name}(inplace=True): ") and "repeat" in message
            assert f"x = F.{name}(x, ...) (a new tensor)" in message
            assert "(a new tensor) (a new tensor)" not in message
            assert "view (op 'broadcast_to') of a leaf" in _one_line(leaf_error)


# each refused call, given the leaf x (requires a gradient) of X's shape
REFUSED_DRAWS = {
    "x.uniform_()": lambda x: x.uniform_(),
    "x[0].uniform_()": lambda x: x[0].uniform_(),
    "x[0].normal_()": lambda x: x[0].normal_(),
    "x.T.bernoulli_(0.5)": lambda x: x.T.bernoulli_(0.5),
    "x[1].random_(0, 4)": lambda x: x[1].random_(0, 4),
    "x[0].exponential_()": lambda x: x[0].exponential_(),
    "x[0].cauchy_()": lambda x: x[0].cauchy_(),
    "x[0].log_normal_()": lambda x: x[0].log_normal_(),
    "x[0].geometric_(0.3)": lambda x: x[0].geometric_(0.3),
    "(x * 1)[0].expand(2, 3).uniform_()": lambda x: (x * 1)[0].expand(2, 3).uniform_(),
    "a constant's expand: uniform_()": lambda x: tg.ones(3).expand(2, 3).uniform_(),
    "F.dropout(x[0], inplace=True)": lambda x: F.dropout(x[0], 0.5, True, True),
    "F.dropout((x * 1)[0].expand(2, 3), inplace=True)": lambda x: F.dropout(
        (x * 1)[0].expand(2, 3), 0.5, True, True),
    "F.dropout(a constant's expand, inplace=True)": lambda x: F.dropout(
        tg.ones(3).expand(2, 3), 0.5, True, True),
    "F.alpha_dropout(x.T, inplace=True)": lambda x: F.alpha_dropout(x.T, 0.5, True, True),
    "F.dropout2d(x[None], inplace=True)": lambda x: F.dropout2d(x[None], 0.5, True, True),
    "F.feature_alpha_dropout of 1-d (x * 1)[0], inplace=True": lambda x:
        F.feature_alpha_dropout((x * 1)[0], 0.5, True, True),
}


@pytest.mark.parametrize("call", sorted(REFUSED_DRAWS))
def test_a_refused_fill_or_dropout_leaves_the_generator_as_it_was(call):
    def next_draws(refused):
        tg.manual_seed(0)
        x = tg.tensor(X, requires_grad=True)
        if refused:
            with pytest.raises((RuntimeError, ValueError)):
                REFUSED_DRAWS[call](x)
            np.testing.assert_array_equal(_values(x), X)
        return tg.rand(5).numpy()
    try:
        np.testing.assert_array_equal(next_draws(True), next_draws(False))
    finally:
        tg.manual_seed(np.random.SeedSequence().entropy % 2 ** 32)  # (others: unseeded)


@pytest.mark.torch
@pytest.mark.parametrize("activation", ["ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "ELU"])
def test_dropout_in_place_after_an_activation_refuses_backward_where_pytorchs_does(
        torch64, activation):
    outcomes = []
    for lib in (tg, torch64):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), getattr(lib.nn, activation)(),
                                  lib.nn.Dropout(0.5, inplace=True))
        out = model(lib.tensor(X))
        try:
            out.sum().backward()
            outcomes.append("ran")
        except RuntimeError as error:
            outcomes.append("refused")
            if lib is tg:  # the op that saved its output, named
                assert f"output of op '{activation.lower()}' was changed in place" in str(
                    error)
    # relu, tanh and sigmoid saved their output, which the dropout changed
    assert outcomes == ["refused" if activation in ("ReLU", "Tanh", "Sigmoid") else "ran"] * 2


def _written_indices(message):
    """Each `x[...]` the message says to write, as written (brackets matched)."""
    found, start = [], message.find("x[")
    while start >= 0:
        depth = 0
        for end in range(start + 1, len(message)):
            depth += {"[": 1, "]": -1}.get(message[end], 0)
            if depth == 0:
                break
        found.append(message[start:end + 1])
        start = message.find("x[", end)
    return found


@pytest.mark.torch
@pytest.mark.parametrize("index, why, their_reading", [
    ([[0, 1], [2]], "holds sequences of different lengths (2, 1: ragged)", "x[[0, 1], [2]]"),
    ([[0, (1, 2)]], "holds [0, (1, 2)], which mixes numbers and sequences", None),
    ([[[0], [1, 2]], [[0], [1]]], "holds [[0], [1, 2]], which holds sequences of different "
                                  "lengths (1, 2: ragged)", None),
    ([[0, 1], [2, 3, 4]], "holds sequences of different lengths (2, 3: ragged)", None),
    ("tensor", "mixes numbers and sequences", "x[0, [1, 2]]"),
])
def test_a_list_that_is_no_array_says_why_and_what_to_write_that_works(
        torch64, index, why, their_reading):
    x = tg.tensor(np.arange(12.0).reshape(3, 4))
    theirs = torch64.arange(12.0).reshape(3, 4)
    if index == "tensor":
        index, torch_index = [0, tg.tensor([1, 2])], [0, torch64.tensor([1, 2])]
    else:
        torch_index = index
    with pytest.raises(IndexError) as error:
        x[index]
    message = _one_line(error)
    assert "Tensor(" not in message
    assert message.startswith("getitem: indexing with the list ") and f", which {why}, " in (
        message)
    assert "mixes" not in message or "mixes" in why
    written = _written_indices(message)
    arrays = ["x[[0, 1]]", "x[tg.tensor([[0, 1], [1, 2]])]"]  # (an array of indices)
    assert written[-2:] == arrays
    assert written[:-2] == ([] if their_reading is None else
                            [their_reading, "x[(" + their_reading[2:-1] + ")]"])
    for text in written:  # each runs, giving NumPy's reading (an array, or one per axis)
        np.testing.assert_array_equal(eval(text, {"x": x, "tg": tg}).numpy(), eval(
            text, {"x": np.arange(12.0).reshape(3, 4), "tg": types.SimpleNamespace(tensor=np.array)}))
    if their_reading is not None:  # PyTorch 2.13's reading of the list: the tuple offered
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_array_equal(eval(their_reading, {"x": x}).numpy(),
                                          theirs[torch_index].numpy())
    else:  # none: torch refuses the list too
        with pytest.raises((IndexError, TypeError, ValueError)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs[torch_index]
