"""The last round's names answered as PyTorch answers them (thirty-sixth round, part C).

A refusal from inside a function is said of the function called (the kernels' names and
the `_copy` functions rename F's and the views' refusals by one rule); `native_group_norm` names
its own `group`, `norm_except_dim` takes integer orders only, `embedding_renorm_` of a
graph's tensor says why it is refused; the functional cells want a batch axis, as torch's;
`x.to(None)` is x; `x.outer` and `tg.ger` refuse what is no vector while `tg.outer`
flattens as NumPy's. Then each of the last round's names called badly, and called well
against torch 2.13 where it is installed (values and gradients, seeded shapes, empty and
broadcast edges). Where a test says a call is refused as torch's, torch's refusal of it is
checked in the same test where torch imports; ours is checked without it.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg

RNG = np.random.default_rng(36)


def _leaf(*shape):
    return tg.tensor(RNG.normal(size=shape), requires_grad=True)


def _values(t):
    return t.detach().numpy()


def _refusal(call):
    with pytest.raises(Exception) as info:  # noqa: PT011  (its class is checked after)
        call()
    return info.value


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _torch_or_none():
    """torch where it imports, else None: a test's own refusal checked always, torch's
    beside it where it is installed (the fixture would skip the whole test)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# -- one rule renames a refusal from inside ----------------------------------------------
@pytest.mark.parametrize("call, inner, error, said", [  # inner: (its name, what it calls)
    # F.layer_norm's "layer_norm: eps ..." under the kernel's name
    (lambda: tg.native_layer_norm(tg.ones(2, 4), (4,), None, None, -1.0),
     ("layer_norm", lambda: tg.nn.functional.layer_norm(tg.ones(2, 4), (4,), None, None, -1.0)),
     ValueError, "native_layer_norm: eps must be >= 0, got -1.0"),
    (lambda: tg.grid_sampler(tg.ones(1, 1, 2, 2), tg.ones(1, 2, 2, 3), 0, 0, False),
     ("grid_sample", lambda: tg.nn.functional.grid_sample(tg.ones(1, 1, 2, 2),
                                                          tg.ones(1, 2, 2, 3))),
     tg.ShapeError, "grid_sampler: expected a grid of 2 positions per entry (size 2 in its "
                    "last axis) for 4-d input, got grid shape (1, 2, 2, 3)"),
    # the inner name the start of the called one: feature_dropout's, in feature_dropout_
    (lambda: tg.feature_dropout_(tg.ones(3), 0.5, True),
     ("feature_dropout", lambda: tg.feature_dropout(tg.ones(3), 0.5, True)),
     tg.ShapeError, "feature_dropout_: feature dropout drops whole channels of (batch, C, ...) "
                    "and needs at least 2 dimensions, got input of shape (3,)"),
    # a view's "permute: ..." under the _copy function's name
    (lambda: tg.permute_copy(tg.ones(2, 3), (0, 0)),
     ("permute", lambda: tg.ones(2, 3).permute((0, 0))),
     ValueError, "permute_copy: dims (0, 0) are not a permutation of the 2 axes of a tensor "
                 "of shape (2, 3)"),
    # "t(): ...", its "()" dropped with the name
    (lambda: tg.t_copy(tg.ones(2, 3, 4)), ("t()", lambda: tg.ones(2, 3, 4).t()),
     tg.ShapeError, "t_copy: expects a tensor of at most 2 axes, got shape (2, 3, 4); use "
                    "transpose(dim0, dim1) or permute(...)"),
    # a refusal that names nothing given the name called (slice_copy's own view's)
    (lambda: tg.slice_copy(tg.ones(3, 4), 2), None,
     IndexError, "slice_copy: dim 2 is out of range for an input of shape (3, 4); use a dim in "
                 "[-2, 1]"),
    (lambda: tg.slice_copy(tg.ones(3, 4), 0, None, None, 0), None,
     ValueError, "slice_copy: step must be positive, got 0; flip the result (tg.flip) for a "
                 "reversed slice"),
    # one that names the function called already kept as it is, not named twice
    (lambda: tg.native_dropout(tg.ones(2), 1.5, True), None,
     ValueError, "native_dropout: p is the probability of zeroing an entry, a number in [0, "
                 "1]; got 1.5"),
])
def test_a_refusal_from_inside_is_said_of_the_function_called(call, inner, error, said):
    refusal = _refusal(call)
    assert type(refusal) is error and str(refusal) == said
    if inner is not None:  # (the same refusal, said of what the function calls)
        own = _refusal(inner[1])
        assert type(own) is error and str(own) == f"{inner[0]}: {said.split(': ', 1)[1]}"


def test_a_kernels_name_counts_its_arguments_as_refusing_as_does():
    x = tg.ones(2, 4)
    refusal = _refusal(lambda: tg.native_layer_norm(x, (4,), None, None, 1e-5, 3))
    assert str(refusal) == ("native_layer_norm: takes 5 arguments (input, normalized_shape, "
                            "weight, bias, eps) but 6 were given")
    refusal = _refusal(lambda: tg.native_dropout(x, 0.5, True, bogus=1))
    assert str(refusal) == ("native_dropout: got an unexpected keyword argument 'bogus'; its "
                            "docstring lists its arguments")


def test_a_copys_refusal_still_names_the_copy():
    refusal = _refusal(lambda: tg.t_copy(tg.ones(2, 3, 4)))
    assert isinstance(refusal, tg.ShapeError)
    assert str(refusal).startswith("t_copy: expects a tensor of at most 2 axes")


# -- native_group_norm's group, norm_except_dim's pow, embedding_renorm_ of a graph -------
@pytest.mark.parametrize("channels, group, divisors", [
    (2, 3, "1, 2"), (2, 0, "1, 2"), (2, -1, "1, 2"), (24, 5, "1, 2, 3, 4, 6, 8, 12, 24"),
    (36, 5, "1, 2, 3, 4, 6, 9, 12, 18, ..."),
])
def test_native_group_norm_names_its_group_as_torch_refuses_it(channels, group, divisors):
    x = tg.ones(1, channels, 2)
    refusal = _refusal(lambda: tg.native_group_norm(x, None, None, 1, channels, 2, group, 1e-5))
    assert isinstance(refusal, tg.ShapeError) and isinstance(refusal, RuntimeError)
    assert str(refusal) == (f"native_group_norm: group={group} does not split the "
                            f"C={channels} channels into groups of equal size; give a group "
                            f"that divides C ({divisors})")
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.native_group_norm(torch.ones(1, channels, 2), None, None, 1, channels, 2,
                                    group, 1e-5)


@pytest.mark.parametrize("pow", [2.0, 2.5, float("inf"), True, "2", None])
def test_norm_except_dim_takes_integer_orders_only_as_torchs(pow):
    refusal = _refusal(lambda: tg.norm_except_dim(tg.ones(3, 4), pow, 0))
    assert isinstance(refusal, TypeError)
    assert str(refusal) == (f"norm_except_dim: pow must be an int (PyTorch's norm_except_dim "
                            f"takes integer orders), got {type(pow).__name__} {pow!r}; for "
                            f"another order use tg.linalg.vector_norm(v, ord, dim, "
                            f"keepdim=True)")
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(TypeError, match="argument 'pow'"):
            torch.norm_except_dim(torch.ones(3, 4), pow, 0)


@pytest.mark.parametrize("pow", [1, 2, 3, -1, 0])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_norm_except_dim_of_integer_orders_is_torchs(torch, pow, dim):
    values = RNG.normal(size=(3, 4))
    v, tv = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    got, expected = tg.norm_except_dim(v, pow, dim), torch.norm_except_dim(tv, pow, dim)
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(_values(got), expected.detach().numpy(), rtol=1e-12)
    if pow != 0:  # (torch's gradient of a count is NaN where ours is 0)
        got.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-10)


def test_embedding_renorm_of_a_graphs_tensor_says_why_and_what_to_do():
    weight = _leaf(5, 3) * 3
    refusal = _refusal(lambda: tg.embedding_renorm_(weight, tg.tensor([1, 2]), 1.0, 2.0))
    assert isinstance(refusal, RuntimeError)
    assert str(refusal) == (
        "embedding_renorm_: input (shape (5, 3)) was made by op 'mul' and is part of a "
        "graph; PyTorch records this write but has no derivative for it (a backward through "
        "it raises), so it is refused here; renormalise under `with tg.no_grad():`, or use "
        "F.embedding(indices, weight, max_norm=...)")
    before = _values(weight)
    with tg.no_grad():  # (the advice works: rows 1 and 2 scaled to norm 1)
        tg.embedding_renorm_(weight, tg.tensor([1, 2]), 1.0, 2.0)
    np.testing.assert_allclose(np.linalg.norm(_values(weight)[1:3], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(_values(weight)[[0, 3, 4]], before[[0, 3, 4]])
    torch = _torch_or_none()
    if torch is not None:  # (what the message says of torch: the write recorded, then)
        weight = torch.randn(5, 3, dtype=torch.float64, requires_grad=True) * 3
        torch.embedding_renorm_(weight, torch.tensor([1, 2]), 1.0, 2.0)
        with pytest.raises(NotImplementedError, match="embedding_renorm"):
            weight.sum().backward()


# -- the functional cells want a batch, as torch's ---------------------------------------
CELLS = {"rnn_tanh_cell": (1, "RNNCell"), "rnn_relu_cell": (1, "RNNCell(nonlinearity='relu')"),
         "gru_cell": (3, "GRUCell"), "lstm_cell": (4, "LSTMCell")}


def _cell_call(lib, name, shape):
    """The cell `name` of tg or torch (`lib`) given input of `shape` and a hidden state of 3."""
    gates, x, h = CELLS[name][0], lib.ones(shape), lib.ones(3)
    weights = lib.ones(gates * 3, shape[-1] if shape else 2), lib.ones(gates * 3, 3)
    hx = (h, h) if name == "lstm_cell" else h
    return getattr(lib, name)(x, hx, *weights)


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("shape, advice", [
    ((2,), "give one sample a batch axis of 1 (input.unsqueeze(0), and hx's), or use nn.{}, "
           "which takes it unbatched"),
    ((1, 4, 2), "step through a sequence one (batch, input_size) slice at a time"),
    ((), "give a (batch, input_size) tensor"),
])
def test_a_cell_refuses_input_that_is_not_a_batch_as_torchs(name, shape, advice):
    refusal = _refusal(lambda: _cell_call(tg, name, shape))
    assert isinstance(refusal, tg.ShapeError)
    assert str(refusal) == (f"{name}: expected input of shape (batch, input_size), got "
                            f"{shape}; " + advice.format(CELLS[name][1]))
    if len(shape) == 1:  # (the module takes the unbatched sample, as the advice says)
        out = getattr(tg.nn, CELLS[name][1].split("(")[0])(2, 3)(tg.ones(shape))
        assert (out[0] if name == "lstm_cell" else out).shape == (3,)
    torch = _torch_or_none()
    if torch is not None:  # (3-d: the sequence's length read as input_size, refused)
        with pytest.raises(IndexError if len(shape) < 2 else RuntimeError):
            _cell_call(torch, name, shape)


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("batch", [0, 1, 4])
def test_a_cells_values_and_gradients_are_torchs(torch, name, batch):
    gates = CELLS[name][0]
    arrays = [RNG.normal(size=s) for s in ((batch, 2), (batch, 3), (batch, 3), (gates * 3, 2),
                                           (gates * 3, 3), (gates * 3,), (gates * 3,))]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def run(lib, t):
        hx = (t[1], t[2]) if name == "lstm_cell" else t[1]
        out = getattr(lib, name)(t[0], hx, *t[3:])
        return out if name == "lstm_cell" else (out,)

    got, expected = run(tg, ours), run(torch, theirs)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(_values(a), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    sum(((i + 1) * o).sum() for i, o in enumerate(got)).backward()
    sum(((i + 1) * o).sum() for i, o in enumerate(expected)).backward()
    for a, b in zip(ours, theirs):
        if name != "lstm_cell" and a is ours[2]:
            continue  # (c is an LSTM's alone)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-14)


# -- to(None), outer and ger -------------------------------------------------------------
def test_to_none_is_the_tensor_itself_as_torchs():
    x = tg.ones(2, 3, dtype=tg.float32)
    for call in (lambda: x.to(None), lambda: x.to(dtype=None), lambda: x.to(None, None),
                 lambda: x.to(device=None), lambda: x.to("cpu", None), lambda: x.to()):
        assert call() is x
    assert x.to(None, tg.float64).dtype == tg.float64


@pytest.mark.parametrize("call, what, shape", [  # (a matrix, a vector, a 0-d tensor)
    (lambda a, v, s: a.outer(v), "the tensor", (2, 2)),
    (lambda a, v, s: v.outer(a), "vec2", (2, 2)),
    (lambda a, v, s: v.outer(s), "vec2", ()),
    (lambda a, v, s: s.outer(v), "the tensor", ()),
])
def test_the_outer_method_refuses_what_is_no_vector_as_torchs(call, what, shape):
    refusal = _refusal(lambda: call(tg.ones(2, 2), tg.ones(3), tg.tensor(1.0)))
    assert isinstance(refusal, tg.ShapeError)
    assert str(refusal) == (f"outer: expected {what} to be a 1-D vector, got shape {shape}; "
                            f"flatten it (.reshape(-1)), or call tg.outer, which flattens its "
                            f"inputs as NumPy's outer")
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(RuntimeError, match="Expected 1-D argument"):
            call(torch.ones(2, 2), torch.ones(3), torch.tensor(1.0))


def test_tg_outer_flattens_as_numpys_and_ger_refuses_as_torchs():
    a, v = RNG.normal(size=(2, 2)), RNG.normal(size=3)
    np.testing.assert_allclose(_values(tg.outer(tg.tensor(a), tg.tensor(v))), np.outer(a, v))
    assert str(_refusal(lambda: tg.ger(tg.tensor(a), tg.tensor(v)))) == (
        "ger: expected input to be a 1-D vector, got shape (2, 2)")
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(RuntimeError, match="Expected 1-D argument"):
            torch.ger(torch.tensor(a), torch.tensor(v))
    x, y = _leaf(4), _leaf(3)
    x.outer(y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, _values(y).sum()))


# -- the last round's names called badly: one line naming the function, what to do -------
def _sequence_call(lib, name, **changed):
    """The sequence function `name` of tg or torch (`lib`), its arguments but `changed` good."""
    gates = {"lstm": 4, "gru": 3}.get(name, 1)
    x, h = lib.ones(5, 4, 2), lib.ones(1, 4, 3)
    arguments = dict(input=x, hx=[h, h] if gates == 4 else h,
                     params=[lib.ones(gates * 3, 2), lib.ones(gates * 3, 3)], has_biases=False,
                     num_layers=1, dropout=0.0, train=False, bidirectional=False,
                     batch_first=False)
    arguments.update(changed)
    return getattr(lib, name)(*arguments.values())


@pytest.mark.parametrize("name", ["rnn_tanh", "rnn_relu", "gru", "lstm"])
@pytest.mark.parametrize("flag", ["has_biases", "train", "bidirectional", "batch_first"])
@pytest.mark.parametrize("value", [None, 1, "False"])
def test_a_sequence_functions_flags_are_true_or_false_as_torchs(name, flag, value):
    refusal = _refusal(lambda: _sequence_call(tg, name, **{flag: value}))
    assert isinstance(refusal, TypeError)
    assert str(refusal) == (f"{name}: {flag} must be True or False, got "
                            f"{type(value).__name__} {value!r}")
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(TypeError, match="invalid combination of arguments"):
            _sequence_call(torch, name, **{flag: value})


@pytest.mark.parametrize("value, error, said, torchs", [
    (1.0, TypeError, "rnn_tanh: num_layers must be a positive int, got float 1.0", TypeError),
    (None, TypeError, "rnn_tanh: num_layers must be a positive int, got NoneType None",
     TypeError),
    (0, ValueError, "rnn_tanh: num_layers must be a positive int, got 0", RuntimeError),
])
def test_num_layers_is_a_positive_int_as_torchs(value, error, said, torchs):
    refusal = _refusal(lambda: _sequence_call(tg, "rnn_tanh", num_layers=value))
    assert type(refusal) is error and str(refusal) == said
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(torchs):
            _sequence_call(torch, "rnn_tanh", num_layers=value)


@pytest.mark.parametrize("call, error, said, torchs", [  # (torchs: torch's error, its words)
    (lambda lib: lib.embedding_renorm_(lib.ones(4, 3, dtype=lib.int64), lib.tensor([1]), 1.0,
                                       2.0),
     TypeError, "embedding_renorm_: input of dtype int64 cannot hold rows scaled to max_norm; "
                "give a float weight (input.double())", (RuntimeError, "floating point")),
    (lambda lib: lib.embedding_renorm_(lib.ones(4, 3), lib.tensor([1.0]), 1.0, 2.0),
     TypeError, "embedding_renorm_: indices must be integers in [-4, 4), the rows of a weight "
                "of shape (4, 3); got dtype float64; convert with .long()",
     (RuntimeError, "Long, Int")),
    (lambda lib: lib.embedding_renorm_(lib.ones(4, 3), lib.tensor([0, 4, -5]), 1.0, 2.0),
     IndexError, "embedding_renorm_: indices must be integers in [-4, 4), the rows of a weight "
                 "of shape (4, 3); got 4", (IndexError, "out of range")),
    (lambda lib: lib.norm_except_dim(lib.tensor(3.0), 2, 0),
     ValueError, "norm_except_dim: dim 0 is out of range for a 0-d v; use dim=-1, the norm of "
                 "the whole tensor", (IndexError, "no dimensions")),
])
def test_the_kernels_names_refuse_what_torch_refuses_saying_what_to_give(call, error, said,
                                                                         torchs):
    refusal = _refusal(lambda: call(tg))
    assert type(refusal) is error and str(refusal) == said
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(torchs[0], match=torchs[1]):
            call(torch)


# -- called well: torch's values and gradients -------------------------------------------
@pytest.mark.parametrize("indices, max_norm, norm_type", [
    ([1, 2], 1.0, 2.0), ([-1, 0, 0], 0.5, 1.0), ([], 1.0, 2.0), ([3], -1.0, 2.0),
    ([0, 1, 2, 3], 1.0, 0.0), ([2], 2.0, 3.0), ([[1, 2], [2, 3]], 1.0, float("inf")),
])
def test_embedding_renorm_writes_torchs_rows(torch, indices, max_norm, norm_type):
    values = RNG.normal(size=(4, 3)) * 2
    ours, theirs = tg.tensor(values.copy()), torch.tensor(values.copy())
    assert tg.embedding_renorm_(ours, tg.tensor(np.array(indices, np.int64)), max_norm,
                                norm_type) is ours
    torch.embedding_renorm_(theirs, torch.tensor(indices, dtype=torch.int64), max_norm,
                            norm_type)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, group", [((2, 4, 3), 2), ((3, 6, 2, 2), 3), ((0, 4, 3), 2),
                                          ((1, 2), 1), ((2, 6, 5), 6)])
def test_native_group_norm_is_torchs_with_its_statistics_gradients(torch, shape, group):
    arrays = RNG.normal(size=shape), RNG.normal(size=shape[1]), RNG.normal(size=shape[1])
    sizes = shape[0], shape[1], int(np.prod(shape[2:]))
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got = tg.native_group_norm(*ours, *sizes, group, 1e-5)
    expected = torch.native_group_norm(*theirs, *sizes, group, 1e-5)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(_values(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((k + 1) * t.sum() for k, t in enumerate(got)).backward()
    sum((k + 1) * t.sum() for k, t in enumerate(expected)).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("shape, normalized", [((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)),
                                               ((0, 3), (3,)), ((5,), (5,))])
def test_native_layer_norm_is_torchs_with_constant_statistics(torch, shape, normalized):
    arrays = [RNG.normal(size=s) for s in (shape, normalized, normalized, shape)]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays[:3]]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays[:3]]
    got = tg.native_layer_norm(ours[0], normalized, ours[1], ours[2], 1e-5)
    expected = torch.native_layer_norm(theirs[0], list(normalized), theirs[1], theirs[2], 1e-5)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(_values(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert a.requires_grad == b.requires_grad
    (got[0] * tg.tensor(arrays[3])).sum().backward()
    (expected[0] * torch.tensor(arrays[3])).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name, gates", [("rnn_tanh", 1), ("rnn_relu", 1), ("gru", 3)])
@pytest.mark.parametrize("shape, hx", [((5, 0, 2), (4, 0, 3)), ((5, 2), (4, 3)),
                                       ((1, 3, 2), (4, 3, 3))])
def test_the_sequence_functions_are_torchs_at_the_edges(torch, name, gates, shape, hx):
    """Two bidirectional layers over an empty batch, an unbatched sequence (torch's gru and
    lstm refuse it, computed here as nn.GRU's), one step."""
    if name == "gru" and len(shape) == 2:
        pytest.skip("torch.gru refuses an unbatched sequence (IndexError)")
    arrays = [RNG.normal(size=shape), RNG.normal(size=hx)]
    for layer in range(2):
        arrays += [RNG.normal(size=s) for _ in range(2) for s in (
            (gates * 3, 2 if layer == 0 else 6), (gates * 3, 3), (gates * 3,), (gates * 3,))]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got = getattr(tg, name)(ours[0], ours[1], ours[2:], True, 2, 0.0, False, True, False)
    expected = getattr(torch, name)(theirs[0], theirs[1], theirs[2:], True, 2, 0.0, False,
                                    True, False)
    for a, b in zip(got, expected):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(_values(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((k + 1) * t.sum() for k, t in enumerate(got)).backward()
    sum((k + 1) * t.sum() for k, t in enumerate(expected)).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_outer_takes_torchs_keywords(torch):
    a, v = RNG.normal(size=2), RNG.normal(size=3)
    expected = torch.outer(input=torch.tensor(a), vec2=torch.tensor(v)).numpy()
    for call in (lambda: tg.outer(tg.tensor(a), vec2=tg.tensor(v)),
                 lambda: tg.outer(input=tg.tensor(a), vec2=tg.tensor(v)),
                 lambda: tg.tensor(a).outer(vec2=tg.tensor(v))):
        np.testing.assert_allclose(_values(call()), expected)
    assert str(_refusal(lambda: tg.outer(tg.ones(2), tg.ones(2), tg.ones(2)))) == (
        "outer: takes 2 arguments (input, vec2) but 3 were given")


@pytest.mark.parametrize("call, error, said", [
    (lambda: tg.compile(lambda x: x, mode="bogus"), RuntimeError,
     "compile: unrecognized mode='bogus'; give one of 'default', 'lite', 'reduce-overhead', "
     "'max-autotune-no-cudagraphs', 'max-autotune', or leave it out"),
    (lambda: tg.cond(True, 3, lambda: 1), TypeError,
     "cond: true_fn must be a function, got int; pass the function itself, not a call of it"),
    (lambda: tg.while_loop(lambda x: x < 3, None, (tg.zeros(()),)), TypeError,
     "while_loop: body_fn must be a function, got NoneType; pass the function itself, not a "
     "call of it"),
])
def test_the_utilities_name_a_bad_argument(call, error, said):
    refusal = _refusal(call)
    assert type(refusal) is error and str(refusal) == said


def test_from_file_takes_shared_as_true_or_false(tmp_path):
    path = tmp_path / "values.bin"
    np.arange(4.0).tofile(path)
    refusal = _refusal(lambda: tg.from_file(str(path), "x", 4, dtype=tg.float64))
    assert isinstance(refusal, TypeError)
    assert str(refusal) == "from_file: shared must be True or False, got str 'x'"
    for shared in (None, False):
        np.testing.assert_array_equal(
            tg.from_file(str(path), shared, 4, dtype=tg.float64).numpy(), np.arange(4.0))
    model = tg.nn.Linear(2, 2)
    assert tg.compile(model, mode="max-autotune") is model and tg.compile(model) is model


@pytest.mark.parametrize("call, said, torchs, device", [  # (torchs: torch's call, refused)
    (lambda x: x.to(tg.float32, tg.float64), "to: got two dtypes, float32 and float64; give one",
     lambda torch: torch.ones(2).to(torch.float32, torch.float64), False),
    (lambda x: x.to(np.float32, dtype="float64"),
     "to: got two dtypes, float64 and float32; give one",
     lambda torch: torch.ones(2).to(torch.float32, dtype=torch.float64), False),
    (lambda x: x.to(0), "to: expected a dtype (np.float32, \"float64\") or the device 'cpu', "
                        "got int '0'; tinygrad_gd runs on the CPU only: leave the device out "
                        "(or give 'cpu')",
     lambda torch: torch.ones(2).to(0), True),
    (lambda x: tg.nn.Linear(2, 2).to(1), "Module.to: expected a dtype (np.float32, "
     "\"float64\") or the device 'cpu', got int '1'; tinygrad_gd runs on the CPU only: leave "
     "the device out (or give 'cpu')",
     lambda torch: torch.nn.Linear(2, 2).to(1), True),
])
def test_to_names_dtypes_by_name_and_reads_an_int_as_torchs_device_index(call, said, torchs,
                                                                          device):
    refusal = _refusal(lambda: call(tg.ones(2)))
    assert isinstance(refusal, TypeError) and str(refusal) == said
    torch = _torch_or_none()
    if torch is not None and not (device and torch.cuda.is_available()):
        # (torch reads the int as a device index: refused where no GPU is there)
        with pytest.raises(RuntimeError if device else TypeError):
            torchs(torch)


@pytest.mark.parametrize("p, train", [(1.0, True), (0.0, True), (0.5, False), (1.0, False)])
def test_the_dropouts_certain_cases_are_torchs(torch, p, train):
    values = RNG.normal(size=(2, 3, 4))
    output, mask = tg.native_dropout(tg.tensor(values), p, train)
    expected = torch.native_dropout(torch.tensor(values), p, train)
    np.testing.assert_array_equal(output.numpy(), expected[0].numpy())
    np.testing.assert_array_equal(mask.numpy(), expected[1].numpy())
    assert mask.dtype == np.bool_
    if train:
        for name in ("feature_dropout", "dropout_", "alpha_dropout_", "feature_dropout_",
                     "feature_alpha_dropout_"):
            np.testing.assert_array_equal(
                getattr(tg, name)(tg.tensor(values), p, True).numpy(),
                getattr(torch, name)(torch.tensor(values), p, True).numpy())


def test_binomials_certain_draws_are_torchs_broadcast(torch):
    count, prob = np.array([[0.0], [3.0], [7.0]]), np.array([0.0, 1.0, 1.0, 0.0])
    expected = torch.binomial(*torch.broadcast_tensors(torch.tensor(count), torch.tensor(prob)))
    np.testing.assert_array_equal(tg.binomial(tg.tensor(count), tg.tensor(prob)).numpy(),
                                  expected.numpy())


@pytest.mark.parametrize("running, error, said, torchs", [  # (torchs: torch's error)
    (lambda lib: (lib.zeros(3), None), ValueError,
     "native_batch_norm: running_mean and running_var must either both be None or neither be "
     "None; give both (running_var starts as ones) or neither (the batch's statistics alone)",
     ValueError),
    (lambda lib: (None, lib.ones(3)), ValueError,
     "native_batch_norm: running_mean and running_var must", ValueError),
    (lambda lib: (lib.zeros(3, dtype=lib.int64), lib.ones(3)), TypeError,
     "native_batch_norm: running_mean of dtype int64 cannot hold the running statistics; give "
     "a float tensor (running_mean.double())", RuntimeError),
])
def test_native_batch_norms_running_statistics_are_both_or_neither_and_float(running, error,
                                                                            said, torchs):
    refusal = _refusal(lambda: tg.native_batch_norm(tg.ones(4, 3), None, None, *running(tg),
                                                    True, 0.1, 1e-5))
    assert type(refusal) is error and str(refusal).startswith(said)
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(torchs):
            torch.native_batch_norm(torch.ones(4, 3), None, None, *running(torch), True, 0.1,
                                    1e-5)


# -- the review's mends: a correct call PyTorch takes is taken; a bool is not a device -----
def test_compile_takes_any_mode_on_a_backend_other_than_inductor_as_torch_does():
    # only PyTorch's default backend checks the mode; eager and aot_eager take any
    model = tg.nn.Linear(2, 2)
    for backend in ("eager", "aot_eager"):
        assert tg.compile(model, mode="bogus", backend=backend) is model
    assert "unrecognized mode='bogus'" in str(_refusal(lambda: tg.compile(model, mode="bogus")))
    torch = _torch_or_none()
    if torch is not None:
        assert torch.compile(lambda x: x, mode="bogus", backend="eager")(torch.ones(1)).item() == 1
        with pytest.raises(RuntimeError, match="Unrecognized mode=bogus"):
            torch.compile(lambda x: x, mode="bogus")


@pytest.mark.parametrize("flags", [(True,), (False,), (True, False)])
def test_module_to_takes_non_blocking_by_position_and_refuses_copy_as_torch_does(flags):
    # Module.to(torch.float64, True) is PyTorch's to(dtype, non_blocking): it was refused
    # as "two dtypes", then as a device index; a third, copy, PyTorch's Module.to refuses
    model = tg.nn.Linear(2, 2)
    before = model.weight.numpy().copy()
    torch = _torch_or_none()
    assert tg.ones(2).to(tg.float32, *flags).dtype == tg.float32  # (Tensor.to takes copy)
    if len(flags) == 2:
        refusal = _refusal(lambda: model.to(tg.float32, *flags))
        assert isinstance(refusal, RuntimeError) and str(refusal) == (
            "Module.to: does not take copy (it converts the parameters in place); give the "
            "dtype and at most non_blocking")
        assert model.weight.dtype == tg.float64
        np.testing.assert_array_equal(model.weight.numpy(), before)  # (nothing converted)
        if torch is not None:
            with pytest.raises(RuntimeError, match="does not accept copy"):
                torch.nn.Linear(2, 2).to(torch.float32, *flags)
        return
    assert model.to(tg.float32, *flags) is model
    assert model.weight.dtype == tg.float32
    np.testing.assert_array_equal(model.weight.numpy(), before.astype(np.float32))
    if torch is not None:
        assert torch.ones(2).to(torch.float32, *flags).dtype == torch.float32
        assert torch.nn.Linear(2, 2).to(torch.float32, *flags).weight.dtype == torch.float32


def test_a_malformed_second_dtype_is_named_by_to_not_numpys_valueerror():
    refusal = _refusal(lambda: tg.ones(2).to(np.float32, ("f4", -1)))
    assert isinstance(refusal, TypeError)
    assert str(refusal) == "to: got two dtypes, float32 and ('f4', -1); give one"
