"""What a differential sweep against PyTorch 2.13 at the edges found (thirty-eighth round).

Every `tg.`, `F.` and Tensor function that PyTorch also has was called beside PyTorch's on
empty, 0-d, int64, bool, float32 tensors, inf, -inf, NaN and -0.0, ties, and dim=
variants; where the two disagreed and PyTorch's answer is its own (not an artefact of its
kernels: several of its activations give another gradient at a NaN in a vectorized run
than in a short one, and mode() at a NaN depends on the order), ours now gives it:

1. activations at a NaN: `threshold`, `hardshrink`, `softshrink` keep it (they gave the
   fill value or 0), `threshold` passes its gradient on, `hardsigmoid`'s gradient there
   is 0 (it was 1/6), as PyTorch's in any run;
2. `prelu` beside an activation of +-inf: the slope's gradient is the sum of g * x over
   x <= 0 (NaN before: 0 times inf from the other side), the input's 1 above 0 even for
   an infinite slope;
3. `where(condition, 0, 1)` of two Python ints is int64 and of two bools bool, as
   PyTorch's and NumPy's (it was float64);
4. `chunk` of an empty axis gives `chunks` empty pieces, `split(0)` of one an empty piece,
   as PyTorch's (one piece; refused);
5. a 0-d integer tensor given for an int (an axis, a size, a count) or a 0-d tensor for a
   number (a slope, a bound) is read as its number, as PyTorch's (refused); one that
   requires a gradient refused in one line (PyTorch drops it silently), and any other
   tensor too: an empty one given as an axis reduced or moved nothing (`x.sum(e)` was x,
   `x.std(e)` zeros, `x.unsqueeze(e)` x), and `x.flatten(e)` raised Python's `%` error;
6. `x.flip(0, 1)` and `x.squeeze(0, 2)` take their axes one by one, as PyTorch's;
7. `polygamma(1, -inf)`, digamma's gradient at -inf where digamma is NaN, is NaN (inf);
8. `F.one_hot` of no indices without num_classes refused in one line (it gave 0 classes);
9. a tensor given as a dtype (`zeros_like(x, t)`, `new_tensor(d, t)`, `to_dense(t)`,
   `type(t)`) refused in one line (NumPy read the tensor's own dtype, an empty one
   silently); `x.to(t)`, PyTorch's "as t", still runs;
10. `F.normalize(x, dim=(0, 1))`, the norm over several axes, as PyTorch's (refused);
11. an integer `%`, `fmod` or `//` of no entries by a 0 gives no entries (refused as a
    division by zero); `fill_diagonal_`'s wrap must be True or False (a tensor raised
    NumPy's ambiguous-truth error without the op's name, 1 was taken);
12. what the review of these mends found: sizes one by one with a tuple among them
    (`zeros(tensor(2), (3, 4))` gave shape (2, 3)) refused as PyTorch's; an integer `div`
    by a 0 with shapes that do not fit names div; `where` of NumPy's integer scalars is
    int64 and the overflow names its number; `squeeze_(0, 2)`, a 0-d tensor among axes,
    for a 0-d input's axis, linspace's steps, one_hot's num_classes and round's decimals
    as PyTorch's; `F.normalize(x, dim=())` over every axis, as PyTorch's.

Checked against definitions and finite differences, and (marked `torch`) against PyTorch.
"""
from __future__ import annotations

import math
import re
import types

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.nn import functional as F

NAN, INF = math.nan, math.inf
EDGES = [INF, -INF, NAN, -0.0, 0.0, 1.0, -2.5, 0.5, 0.25, -0.75]


def _values_and_gradient(lib, fn, values, weights):
    """fn's values and the gradient of sum(weights * fn(x)) at `values`, float64."""
    x = lib.tensor(values, requires_grad=True)
    with np.errstate(invalid="ignore"):  # (inf - inf in the sum of an edge's values)
        out = fn(lib, x)
        (out * lib.tensor(weights)).sum().backward()
    return (np.asarray(out.detach().numpy() if hasattr(out, "detach") else out.numpy()),
            np.asarray(x.grad.numpy()))


# -- 1. activations at a NaN -----------------------------------------------------------------
NAN_KEEPING = {
    "threshold": lambda lib, x: lib.nn.functional.threshold(x, 0.1, 20.0),
    "hardshrink": lambda lib, x: lib.nn.functional.hardshrink(x, 0.5),
    "softshrink": lambda lib, x: lib.nn.functional.softshrink(x, 0.5),
    "hardsigmoid": lambda lib, x: lib.nn.functional.hardsigmoid(x),
}


@pytest.mark.parametrize("name", NAN_KEEPING)
def test_a_nan_stays_a_nan(name):
    x = tg.tensor([NAN, 0.3, -2.0])
    out = NAN_KEEPING[name](tg, x).data
    assert math.isnan(out[0]) and not np.isnan(out[1:]).any()


def test_threshold_passes_a_nans_gradient_and_hardsigmoid_gives_it_none():
    # threshold(x) = x where not x <= 0.1: a NaN is not, so it is x there (slope 1);
    # hardsigmoid's slope is 1/6 where -3 < x < 3, which a NaN is not: 0
    weights = np.array([2.0, 3.0, 5.0])
    values = [NAN, 1.0, -1.0]
    _, grad = _values_and_gradient(tg, NAN_KEEPING["threshold"], values, weights)
    np.testing.assert_array_equal(grad, [2.0, 3.0, 0.0])
    _, grad = _values_and_gradient(tg, NAN_KEEPING["hardsigmoid"], values, weights)
    np.testing.assert_allclose(grad, [0.0, 3.0 / 6, 5.0 / 6], rtol=1e-15)


@pytest.mark.parametrize("name", NAN_KEEPING)
def test_shrinks_and_thresholds_pass_gradcheck_at_zeros_ties_and_broadcast(name):
    fn = NAN_KEEPING[name]
    # (away from the kinks: 0.1 for threshold, +-0.5 for the shrinks, +-3 for hardsigmoid)
    x = tg.tensor([[0.0, -0.0, 1.0, 1.0], [-2.5, 0.3, -0.2, 4.0]], requires_grad=True)
    assert tg.gradcheck(lambda t: fn(tg, t) * tg.tensor([1.0, -2.0, 0.5, 3.0]), (x,))
    assert tg.gradcheck(lambda t: fn(tg, t), (tg.zeros(0, 3, requires_grad=True),))


@pytest.mark.torch
@pytest.mark.parametrize("name", NAN_KEEPING)
def test_activations_at_the_edges_are_pytorchs(torch64, name):
    # (hardshrink's and softshrink's gradient at a NaN is left out: PyTorch's is 1 in a
    # short tensor and 0 in a long one, its scalar and vectorized kernels)
    weights = np.linspace(-1.0, 2.0, len(EDGES))
    ours = _values_and_gradient(tg, NAN_KEEPING[name], EDGES, weights)
    theirs = _values_and_gradient(torch64, NAN_KEEPING[name], EDGES, weights)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-15, equal_nan=True)
    keep = ~np.isnan(EDGES) if name.endswith("shrink") else slice(None)
    np.testing.assert_allclose(ours[1][keep], theirs[1][keep], rtol=1e-7)


# -- 2. prelu beside an infinite activation --------------------------------------------------
def test_prelu_slope_gradient_ignores_the_positive_side():
    x = tg.tensor([INF, -1.0, 2.0, -3.0, 0.0], requires_grad=True)
    w = tg.tensor([0.25], requires_grad=True)
    out = F.prelu(x, w)
    (out * tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    # d/dw of w * x over x <= 0 only: 2 * -1 + 4 * -3 + 5 * 0; at x = 0 the slope's side
    np.testing.assert_array_equal(w.grad.data, [-14.0])
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.5, 3.0, 1.0, 1.25])
    np.testing.assert_array_equal(out.data, [INF, -0.25, 2.0, -0.75, 0.0])


def test_prelu_with_an_infinite_slope_keeps_the_positive_sides_gradient():
    x = tg.tensor([3.0, -1.0], requires_grad=True)
    F.prelu(x, tg.tensor(INF)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, INF])


@pytest.mark.parametrize("slopes", [[0.25], [0.25, -1.5, 2.0], 0.5])
def test_prelu_passes_gradcheck_over_channels_and_ties(slopes):
    # (away from its kink at 0, where the slope's side is taken: the test above)
    x = tg.tensor([[[0.5, -1.0], [-0.5, -0.5], [1.5, -1.5]],
                   [[-2.0, 2.0], [1e-3, 1e-3], [3.0, 0.7]]], requires_grad=True)
    w = tg.tensor(slopes, requires_grad=True)
    assert tg.gradcheck(F.prelu, (x, w))


@pytest.mark.torch
def test_prelu_at_infinities_is_pytorchs(torch64):
    values = [[INF, -1.0, 2.0], [-INF, 0.5, -0.0]]
    results = []
    for lib in (tg, torch64):
        x = lib.tensor(values, requires_grad=True)
        w = lib.tensor([0.25, -0.5, 2.0], requires_grad=True)
        with np.errstate(invalid="ignore"):  # (inf - inf in the sum)
            lib.nn.functional.prelu(x, w).sum().backward()
        results.append([np.asarray(t.grad.numpy()) for t in (x, w)])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


# -- 3. where of two Python numbers ----------------------------------------------------------
@pytest.mark.parametrize("x, y, dtype", [(0, 1, np.int64), (True, False, np.bool_),
                                         (True, 7, np.int64), (-3, 2.5, np.float64),
                                         (np.int64(3), 4, np.int64),
                                         (np.bool_(True), False, np.bool_),
                                         (np.bool_(True), np.bool_(False), np.bool_)])
def test_where_of_two_numbers_keeps_their_kind(x, y, dtype):
    condition = np.array([True, False, True])
    out = tg.where(tg.tensor(condition), x, y)
    # NumPy's dtype, the same as PyTorch's here (PyTorch 2.13 reads NumPy's bools as
    # floats: where(c, np.bool_(True), False) is float64 there; NumPy's and ours, bool)
    expected = np.where(condition, x, y)
    assert out.dtype == dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("x, y", [(2 ** 70, 1), (1, 2 ** 70), (0, -2 ** 70)])
def test_where_of_numbers_beyond_int64_is_refused_in_one_line(x, y):
    big = x if abs(x) > 1 else y  # (the one named, whichever side it is on)
    with pytest.raises(OverflowError, match=rf"^where: {big} does not fit int64; give it as "
                                            rf"a float \({re.escape(repr(float(big)))}\)$"):
        tg.where(tg.tensor([True]), x, y)


@pytest.mark.torch
def test_where_of_two_numbers_has_pytorchs_dtype(torch64):
    # (NumPy's integer scalars as Python's ints: int64, whatever their width)
    for x, y in ((0, 1), (True, False), (False, 3), (1, 0.5), (np.int64(1), 0),
                 (np.int32(3), np.int32(4)), (1, np.int64(0)), (np.uint8(3), 1),
                 (True, np.int64(2)), (np.int32(3), 0.5), (np.float32(1), 0)):
        ours = tg.where(tg.tensor([True, False]), x, y)
        theirs = torch64.where(torch64.tensor([True, False]), x, y)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# -- 4. chunk and split of an empty axis -----------------------------------------------------
SPLITS = {
    "chunk(3)": lambda lib, x: x.chunk(3),
    "chunk(2, 1)": lambda lib, x: x.chunk(2, 1),
    "split(0)": lambda lib, x: x.split(0),
    "split(0, 1)": lambda lib, x: x.split(0, 1),
    "unsafe_chunk": lambda lib, x: lib.unsafe_chunk(x, 4),
    "split_copy": lambda lib, x: lib.split_copy(x, 0),
}
EMPTY_FOR = {"chunk(3)": (0, 2), "chunk(2, 1)": (2, 0), "split(0)": (0, 2),
             "split(0, 1)": (2, 0), "unsafe_chunk": (0,), "split_copy": (0, 3)}


@pytest.mark.parametrize("name", SPLITS)
def test_pieces_of_an_empty_axis(name):
    shape = EMPTY_FOR[name]
    x = tg.zeros(*shape, requires_grad=True)
    pieces = SPLITS[name](tg, x)
    given = re.search(r"chunk\((\d)|unsafe_chunk", name)
    count = 1 if given is None else int(given.group(1) or 4)  # chunks: that many, split: 1
    assert [p.shape for p in pieces] == [shape] * count
    sum(p.sum() for p in pieces).backward()
    assert x.grad.shape == shape


def test_a_zero_piece_size_of_a_full_axis_is_still_refused():
    with pytest.raises(ValueError, match=r"^split: the piece size must be positive \(0 only "
                                         r"for an axis of length 0\), got 0 for axis 0 of "
                                         r"length 3$"):
        tg.zeros(3).split(0)


@pytest.mark.torch
@pytest.mark.parametrize("name", SPLITS)
def test_pieces_of_an_empty_axis_are_pytorchs(torch64, name):
    shape = EMPTY_FOR[name]
    ours = [p.shape for p in SPLITS[name](tg, tg.zeros(*shape))]
    theirs = [tuple(p.shape) for p in SPLITS[name](torch64, torch64.zeros(*shape))]
    assert ours == theirs


# -- 5. a 0-d tensor for an int or a number --------------------------------------------------
X = np.array([[1.0, -2.0, 3.0], [4.0, 0.5, -6.0]])
AS_NUMBERS = {  # (with a 0-d tensor, with the number itself)
    "sum(dim)": (lambda lib, x, n: x.sum(n(1)), 1),
    "cumsum": (lambda lib, x, n: x.cumsum(n(-1)), -1),
    "softmax": (lambda lib, x, n: x.softmax(n(0)), 0),
    "unsqueeze": (lambda lib, x, n: x.unsqueeze(n(1)), 1),
    "reshape": (lambda lib, x, n: x.reshape(n(3), 2), 3),
    "roll": (lambda lib, x, n: x.roll(n(1)), 1),
    "split": (lambda lib, x, n: x.split(n(1))[1], 1),
    "zeros": (lambda lib, x, n: lib.zeros(n(4)), 4),
    "tril_indices": (lambda lib, x, n: lib.tril_indices(n(3), 3), 3),
    "leaky_relu": (lambda lib, x, n: lib.nn.functional.leaky_relu(x, n(0.2)), 0.2),
    "hardtanh": (lambda lib, x, n: lib.nn.functional.hardtanh(x, n(-1.5), 2.0), -1.5),
    "logit": (lambda lib, x, n: (x.abs() / 10).logit(n(0.1)), 0.1),
    "nan_to_num": (lambda lib, x, n: (x / 0).nan_to_num(0.0, n(9.0)), 9.0),
}


@pytest.mark.parametrize("name", AS_NUMBERS)
def test_a_zero_d_tensor_stands_for_its_number(name):
    fn, number = AS_NUMBERS[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        by_tensor = fn(tg, tg.tensor(X), lambda v: tg.tensor(number))
        by_number = fn(tg, tg.tensor(X), lambda v: number)
    assert by_tensor.dtype == by_number.dtype
    np.testing.assert_array_equal(by_tensor.data, by_number.data)


@pytest.mark.torch
@pytest.mark.parametrize("name", AS_NUMBERS)
def test_a_zero_d_tensor_for_a_number_is_pytorchs(torch64, name):
    fn, number = AS_NUMBERS[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = fn(tg, tg.tensor(X), tg.tensor)
    theirs = fn(torch64, torch64.tensor(X), torch64.tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)


def test_a_number_that_requires_a_gradient_is_refused_in_one_line():
    slope = tg.tensor(0.2, requires_grad=True)
    with pytest.raises(TypeError, match=r"^leaky_relu: negative_slope is taken as a number, "
                                        r"which gets no gradient, but the 0-d tensor given "
                                        r"requires one; give negative_slope.detach\(\)"):
        F.leaky_relu(tg.tensor(X), slope)


NOT_AN_AXIS = {  # what each of these did with an empty tensor before: nothing, silently
    "sum": lambda x, t: x.sum(t), "std": lambda x, t: x.std(t),
    "mean": lambda x, t: x.mean(t), "all": lambda x, t: x.all(t),
    "squeeze": lambda x, t: x.squeeze(t), "unsqueeze": lambda x, t: x.unsqueeze(t),
    "movedim": lambda x, t: x.movedim(t, t), "transpose": lambda x, t: x.transpose(t),
    "flatten": lambda x, t: x.flatten(t), "reshape": lambda x, t: x.reshape(t),
}


@pytest.mark.parametrize("axis", [np.zeros(0), np.array([1]), np.array(1.0)],
                         ids=["empty", "one entry", "a float"])
@pytest.mark.parametrize("name", NOT_AN_AXIS)
def test_another_tensor_as_an_axis_or_size_is_refused_in_one_line(name, axis):
    with pytest.raises(TypeError) as caught:
        NOT_AN_AXIS[name](tg.tensor(X), tg.tensor(axis))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{name}: ")
    assert f"got a tensor of shape {axis.shape}" in message
    assert "only a 0-d integer tensor stands for an int" in message


def test_another_tensor_as_a_number_is_refused_in_one_line():
    with pytest.raises(TypeError, match=r"^hardshrink: lambd must be a number, got a tensor "
                                        r"of shape \(1,\) and dtype float64; give a number, "
                                        r"or a 0-d tensor of one$"):
        F.hardshrink(tg.tensor(X), tg.tensor([0.5]))


# -- 6. axes one by one ----------------------------------------------------------------------
Y = np.arange(6.0).reshape(1, 2, 3, 1)


def test_flip_and_squeeze_take_their_axes_one_by_one():
    x = tg.tensor(Y)
    np.testing.assert_array_equal(x.flip(1, 2).data, np.flip(Y, (1, 2)))
    assert x.squeeze(0, 3).shape == (2, 3) and x.squeeze(0, 1).shape == (2, 3, 1)
    with pytest.raises(ValueError, match=r"^flip: axis \(1, 1\) names an axis twice$"):
        x.flip(1, 1)


def test_flip_along_two_axes_passes_gradcheck():
    x = tg.tensor(Y, requires_grad=True)
    assert tg.gradcheck(lambda t: t.flip(1, 2) * tg.tensor(Y), (x,))
    assert tg.gradcheck(lambda t: t.squeeze(0, 3) ** 2, (x,))


@pytest.mark.torch
def test_axes_one_by_one_are_pytorchs(torch64):
    for fn in (lambda x: x.flip(1, 2), lambda x: x.flip(0, -1), lambda x: x.squeeze(0, 3),
               lambda x: x.squeeze(3, 1)):
        np.testing.assert_array_equal(fn(tg.tensor(Y)).data, fn(torch64.tensor(Y)).numpy())


# -- 7. polygamma(1, -inf) -------------------------------------------------------------------
def test_digammas_gradient_at_minus_inf_is_nan_as_digamma_is():
    x = tg.tensor([-INF, INF, -3.5], requires_grad=True)
    out = tg.digamma(x)
    out.sum().backward()
    assert math.isnan(out.data[0]) and math.isnan(x.grad.data[0])
    # (at +inf the slope's limit 0; at -3.5 the sum of 1 / (x + k)**2 over k >= 0)
    assert x.grad.data[1] == 0.0
    trigamma = sum(1 / (-3.5 + k) ** 2 for k in range(200000)) + 1 / (-3.5 + 200000)
    np.testing.assert_allclose(x.grad.data[2], trigamma, rtol=1e-9)


@pytest.mark.torch
def test_polygamma_at_minus_inf_is_pytorchs(torch64):
    for n in (1, 2, 3):
        ours = tg.polygamma(n, tg.tensor([-INF, INF, -3.5])).data
        theirs = torch64.polygamma(n, torch64.tensor([-INF, INF, -3.5])).numpy()
        np.testing.assert_allclose(ours[[0, 2]], theirs[[0, 2]], rtol=1e-8, equal_nan=True)


# -- 8. one_hot of no indices ----------------------------------------------------------------
def test_one_hot_of_no_indices_needs_num_classes():
    empty = tg.zeros(0, 2, dtype=tg.int64)
    with pytest.raises(ValueError, match=r"^one_hot: no indices to count the classes from; "
                                         r"give num_classes$"):
        F.one_hot(empty)
    assert F.one_hot(empty, 4).shape == (0, 2, 4)


@pytest.mark.torch
def test_one_hot_of_no_indices_is_refused_as_pytorchs(torch64):
    for lib, error in ((torch64, RuntimeError), (tg, ValueError)):
        with pytest.raises(error):
            lib.nn.functional.one_hot(lib.zeros(0, dtype=lib.int64))
    theirs = torch64.nn.functional.one_hot(torch64.zeros(0, dtype=torch64.int64), 3)
    assert F.one_hot(tg.zeros(0, dtype=tg.int64), 3).shape == tuple(theirs.shape)


# -- 9. a tensor for a dtype -----------------------------------------------------------------
AS_DTYPE = {
    "zeros_like": lambda x, t: tg.zeros_like(x, t),
    "new_tensor()": lambda x, t: x.new_tensor([1, 2], t),
    "to_dense": lambda x, t: x.to_dense(t),
    "zeros": lambda x, t: tg.zeros(2, dtype=t),
}


@pytest.mark.parametrize("shape", [(0,), (2,)])
@pytest.mark.parametrize("name", AS_DTYPE)
def test_a_tensor_is_no_dtype(name, shape):
    with pytest.raises(TypeError, match=rf"^{re.escape(name)}: dtype must be a dtype "
                                        rf"\(tg.float32, tg.int64, ...\), got a Tensor of "
                                        rf"shape {re.escape(str(shape))}; for its dtype give "
                                        rf"t.dtype$"):
        AS_DTYPE[name](tg.tensor([1.0, 2.0]), tg.zeros(*shape, dtype=tg.int64))
    with pytest.raises(TypeError, match=r"^type: dtype must be a dtype \(tg.float32, "
                                        r"tg.int64, ...\), got a Tensor of shape \(0,\); "
                                        r"for its dtype give t.dtype$"):
        tg.tensor([1.0]).type(tg.zeros(0))


def test_to_a_tensor_still_takes_its_dtype():
    # (PyTorch's x.to(other): other's dtype)
    assert tg.tensor([1.0, 2.0]).to(tg.zeros(0, dtype=tg.float32)).dtype == np.float32


# -- 10. normalize over several axes ---------------------------------------------------------
Z = np.random.default_rng(38).standard_normal((2, 3, 4))


@pytest.mark.parametrize("dim, p", [((0, 1), 2.0), ((1, -1), 1.0), ([2, 0], 3.0)])
def test_normalize_over_several_axes(dim, p):
    out = F.normalize(tg.tensor(Z), p=p, dim=dim).data
    axes = tuple(a % 3 for a in dim)
    norm = (np.abs(Z) ** p).sum(axis=axes, keepdims=True) ** (1 / p)
    np.testing.assert_allclose(out, Z / norm, rtol=1e-14)
    x = tg.tensor(Z, requires_grad=True)
    assert tg.gradcheck(lambda t: F.normalize(t, p=p, dim=dim), (x,))


@pytest.mark.torch
def test_normalize_over_several_axes_is_pytorchs(torch64):
    weights = np.cos(Z)
    for dim in ((0, 1), (1, -1), (0, 1, 2)):
        ours = _values_and_gradient(tg, lambda lib, x: lib.nn.functional.normalize(x, dim=dim),
                                    Z, weights)
        theirs = _values_and_gradient(
            torch64, lambda lib, x: lib.nn.functional.normalize(x, dim=dim), Z, weights)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


# -- 11. integer division of no entries, fill_diagonal_'s wrap -------------------------------
DIVISIONS = {"remainder": lambda lib, x, y: lib.remainder(x, y),
             "fmod": lambda lib, x, y: lib.fmod(x, y), "//": lambda lib, x, y: x // y}


@pytest.mark.parametrize("name", DIVISIONS)
def test_an_integer_division_of_no_entries_by_zero_gives_no_entries(name):
    out = DIVISIONS[name](tg, tg.zeros(0, 3, dtype=tg.int64), tg.tensor(0))
    assert out.shape == (0, 3) and out.dtype == np.int64
    with pytest.raises(RuntimeError, match="integer division by zero"):
        DIVISIONS[name](tg, tg.ones(2, dtype=tg.int64), tg.tensor(0))


@pytest.mark.torch
@pytest.mark.parametrize("name", DIVISIONS)
def test_an_integer_division_of_no_entries_is_pytorchs(torch64, name):
    theirs = DIVISIONS[name](torch64, torch64.zeros(0, 3, dtype=torch64.int64),
                             torch64.tensor(0))
    ours = DIVISIONS[name](tg, tg.zeros(0, 3, dtype=tg.int64), tg.tensor(0))
    assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == "torch.int64"


@pytest.mark.parametrize("wrap", [1, tg.zeros(2)], ids=["an int", "a tensor"])
def test_fill_diagonal_wrap_must_be_a_flag(wrap):
    x = tg.zeros(3, 2)
    with pytest.raises(TypeError, match=r"^fill_diagonal_: wrap must be True or False, got "):
        x.fill_diagonal_(5.0, wrap)
    assert not x.data.any()  # (nothing written)


# -- 12. what the review of these mends found ------------------------------------------------
SIZES_AND_A_TUPLE = {  # (ours gave shapes (2, 3), (2, 3) and a bare IndexError)
    "zeros(t, (3, 4))": lambda lib: lib.zeros(lib.tensor(2), (3, 4)),
    "view(t, (3, 9))": lambda lib: lib.zeros(6).view(lib.tensor(2), (3, 9)),
    "zeros(t, [])": lambda lib: lib.zeros(lib.tensor(2), []),
    "zeros(2, (3,))": lambda lib: lib.zeros(2, (3,)),
}


@pytest.mark.parametrize("name", SIZES_AND_A_TUPLE)
def test_sizes_one_by_one_then_a_tuple_are_refused_in_one_line(name):
    with pytest.raises(TypeError) as caught:
        SIZES_AND_A_TUPLE[name](tg)
    assert re.fullmatch(rf"{name[:name.index('(')]}: sizes and axes must be ints, or one "
                        rf"tuple of ints \(not both\), got (tuple|list) .+", str(caught.value))


@pytest.mark.torch
@pytest.mark.parametrize("name", SIZES_AND_A_TUPLE)
def test_sizes_one_by_one_then_a_tuple_are_refused_as_pytorchs(torch64, name):
    with pytest.raises(TypeError):
        SIZES_AND_A_TUPLE[name](torch64)
    with pytest.raises(TypeError):
        SIZES_AND_A_TUPLE[name](tg)


@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("name", ["div", "remainder", "fmod", "floor_divide"])
def test_shapes_that_do_not_fit_are_told_before_a_zero_divisor(name, mode):
    kwargs = {"rounding_mode": mode} if name == "div" else {}
    with pytest.raises(tg.ShapeError, match=rf"^{name}: shapes \(2, 3\), \(2,\) do not "
                                            rf"broadcast together"):
        getattr(tg, name)(tg.ones(2, 3, dtype=tg.int64), tg.zeros(2, dtype=tg.int64), **kwargs)


@pytest.mark.torch
def test_shapes_that_do_not_fit_before_a_zero_divisor_are_pytorchs(torch64):
    # (PyTorch names the sizes that differ, not a division by zero)
    with pytest.raises(RuntimeError, match="must match the size"):
        torch64.div(torch64.ones(2, 3, dtype=torch64.int64),
                    torch64.zeros(2, dtype=torch64.int64), rounding_mode="floor")


def test_squeeze_in_place_takes_its_axes_one_by_one():
    x = tg.tensor(Y).clone()
    assert x.squeeze_(0, 3) is x and x.shape == (2, 3)
    np.testing.assert_array_equal(x.data, Y.reshape(2, 3))


AXES_AS_TENSORS = {  # (a 0-d integer tensor among the axes, or for a 0-d input's axis)
    "sum((t, 0))": lambda lib, x: x.sum((lib.tensor(1), 0)),
    "flip(t, 0)": lambda lib, x: x.flip(lib.tensor(1), 0),
    "flip((t, 0))": lambda lib, x: x.flip((lib.tensor(1), 0)),
    "squeeze_(t, 3)": lambda lib, x: x.reshape(1, 2, 3, 1).clone().squeeze_(lib.tensor(0), 3),
    "0-d softmax(t)": lambda lib, x: x[0, 0].softmax(lib.tensor(-1)),
    "0-d cumsum(t)": lambda lib, x: x[0, 1].cumsum(lib.tensor(0)),
    "linspace steps": lambda lib, x: lib.linspace(0, 1, lib.tensor(5)),
    "one_hot num_classes": lambda lib, x: lib.nn.functional.one_hot(lib.tensor([0, 2]),
                                                                    lib.tensor(4)),
    "round decimals": lambda lib, x: (x / 3).round(decimals=lib.tensor(1)),
}


@pytest.mark.parametrize("name", AXES_AS_TENSORS)
def test_a_zero_d_tensor_among_axes_or_counts_is_its_int(name):
    by_tensor = AXES_AS_TENSORS[name](tg, tg.tensor(X))
    # the same call with the ints themselves: tg, but whose tensor(n) of an int is n
    ints = types.SimpleNamespace(**{**vars(tg), "tensor": lambda v, **kwargs: v if isinstance(
        v, int) else tg.tensor(v, **kwargs)})
    by_int = AXES_AS_TENSORS[name](ints, tg.tensor(X))
    assert by_tensor.shape == by_int.shape and by_tensor.dtype == by_int.dtype
    np.testing.assert_array_equal(by_tensor.data, by_int.data)


@pytest.mark.torch
@pytest.mark.parametrize("name", AXES_AS_TENSORS)
def test_a_zero_d_tensor_among_axes_or_counts_is_pytorchs(torch64, name):
    ours = AXES_AS_TENSORS[name](tg, tg.tensor(X))
    theirs = AXES_AS_TENSORS[name](torch64, torch64.tensor(X))
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)


@pytest.mark.parametrize("p", [2.0, 1.0, math.inf])
def test_normalize_over_no_dims_is_over_every_axis(p):
    x = tg.tensor(Z, requires_grad=True)
    norm = np.sum(np.abs(Z) ** p) ** (1 / p) if p != math.inf else np.abs(Z).max()
    np.testing.assert_allclose(F.normalize(x, p=p, dim=()).data, Z / norm, rtol=1e-13)
    assert tg.gradcheck(lambda t: F.normalize(t, p=p, dim=[]), (x,))


@pytest.mark.torch
def test_normalize_over_no_dims_is_pytorchs(torch64):
    weights = np.cos(Z)
    for p in (2.0, 1.0, 3.0):
        fn = lambda lib, x: lib.nn.functional.normalize(x, p=p, dim=())  # noqa: E731
        for a, b in zip(_values_and_gradient(tg, fn, Z, weights),
                        _values_and_gradient(torch64, fn, Z, weights)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
