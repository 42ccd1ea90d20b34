"""PyTorch's random draws beyond rand/randn: `tg.normal`, `tg.bernoulli` (and
`x.bernoulli()`), `tg.multinomial`, `tg.randint_like`, the in-place `bernoulli_`,
`exponential_` and `random_`, the state of `tg.manual_seed`'s generator (`seed`,
`initial_seed`, `get_rng_state`, `set_rng_state`), `nn.init`'s `trunc_normal_`,
`orthogonal_`, `eye_` and `dirac_`, and `tg.logspace`.

Draws are compared with torch's by their statistics over large draws (means, variances,
frequencies, within tolerances), by shape, dtype and the errors refused; repeatability
is exact under seed=, generator=, manual_seed and set_rng_state.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import creation, nn

torch = pytest.importorskip("torch")

N = 200_000  # draws for a statistic: a mean's error is about 1 / sqrt(N) = 0.002 std


@pytest.fixture
def fresh(monkeypatch):
    """No manual_seed generator, as in a new program (undone after the test)."""
    monkeypatch.setattr(creation, "_seeded", [None, None])


def _refused(kind, start, call):
    """`call()` raises `kind` with one line starting `start`."""
    with pytest.raises(kind, match="^" + re.escape(start)) as error:
        call()
    assert "\n" not in str(error.value)


def _torch_dtype(dtype):
    return {np.float32: torch.float32, np.float64: torch.float64,
            np.int64: torch.int64, np.int8: torch.int8}[np.dtype(dtype).type]


def _as_torch(value):
    return torch.from_numpy(np.array(value.data)) if isinstance(value, tg.Tensor) else value


# -- normal --------------------------------------------------------------------------------
@pytest.mark.parametrize("mean, std, size", [
    (tg.zeros(3, 1), tg.ones(4), None),  # broadcast
    (tg.zeros(3), 2.0, None),
    (1.0, tg.ones(2, 3), None),
    (tg.zeros(3, dtype="float32"), 1.0, None),  # float32 kept
    (0.5, tg.ones(2, dtype="float32"), None),
    (tg.Tensor(0.0), 1.0, None),  # 0-d
    (tg.zeros(0, 2), tg.ones(2), None),  # empty
])
def test_normal_with_tensors_has_torchs_shape_and_dtype(mean, std, size):
    ours = tg.normal(mean, std, seed=0)
    theirs = torch.normal(_as_torch(mean), _as_torch(std))
    assert ours.shape == tuple(theirs.shape) and _torch_dtype(ours.dtype) == theirs.dtype
    assert not ours.requires_grad and ours.grad_fn is None


def test_normal_with_numbers_takes_a_size_in_float64_or_dtype():
    for size in ((2, 3), [4], 5):
        assert tg.normal(0.0, 1.0, size).shape == tuple(torch.normal(0.0, 1.0, (
            size,) if isinstance(size, int) else size).shape)
    assert tg.normal(0.0, 1.0, size=(2,)).dtype == np.float64
    assert tg.normal(0.0, 1.0, (2,), dtype="float32").dtype == np.float32
    assert tg.normal(tg.zeros(2), 1.0, dtype="float32").dtype == np.float32


def test_normal_statistics_match_torchs_and_broadcast():
    mean, std = np.array([-1.0, 0.0, 2.0]), np.array([[0.5], [3.0]])
    ours = tg.normal(tg.Tensor(np.tile(mean, (N // 6, 2, 1))), tg.Tensor(std), seed=0).data
    theirs = torch.normal(torch.tensor(np.tile(mean, (N // 6, 2, 1))),
                          torch.tensor(std)).numpy()
    for got in (ours, theirs):
        np.testing.assert_allclose(got.mean(axis=0), np.broadcast_to(mean, (2, 3)), atol=0.05)
        np.testing.assert_allclose(got.std(axis=0), np.broadcast_to(std, (2, 3)), rtol=0.02)
    np.testing.assert_allclose(ours.std(axis=0), theirs.std(axis=0), rtol=0.03)


def test_normal_repeats_under_seed_generator_and_manual_seed(fresh):
    first = tg.normal(tg.zeros(5), 2.0, seed=3).data
    np.testing.assert_array_equal(first, tg.normal(tg.zeros(5), 2.0, seed=3).data)
    np.testing.assert_array_equal(first, tg.normal(tg.zeros(5), 2.0, generator=np.random
                                                   .default_rng(3)).data)
    tg.manual_seed(1)
    once = tg.normal(1.0, tg.ones(4)).data
    tg.manual_seed(1)
    np.testing.assert_array_equal(once, tg.normal(1.0, tg.ones(4)).data)


def test_normal_passes_no_gradient_to_mean_and_std_as_torch():
    mean = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.normal(mean, 1.0).sum().backward()
    assert not mean.grad.any()  # torch's: a gradient of zero
    ours = tg.normal(tg.zeros(3, requires_grad=True), tg.ones(3, requires_grad=True))
    assert not ours.requires_grad and ours.grad_fn is None  # here: none at all
    leaf = tg.normal(0.0, 1.0, (3,), requires_grad=True)
    assert leaf.requires_grad and leaf.grad_fn is None


@pytest.mark.parametrize("call, kind, start", [
    (lambda: tg.normal(tg.zeros(3), -1.0), ValueError,
     "normal: std must be finite and >= 0 (a standard deviation), got -1.0"),
    (lambda: tg.normal(0.0, tg.Tensor([1.0, -2.0])), ValueError, "normal: std must be finite"),
    (lambda: tg.normal(0.0, math.nan, (2,)), ValueError, "normal: std must be finite"),
    (lambda: tg.normal(math.inf, 1.0, (2,)), ValueError, "normal: mean must be finite"),
    (lambda: tg.normal(0.0, 1.0), TypeError, "normal: with a number for both mean and std"),
    (lambda: tg.normal(tg.zeros(3), tg.ones(3), (3,)), TypeError,
     "normal: size= goes with numbers for both mean and std"),
    (lambda: tg.normal(tg.zeros(3), tg.ones(4)), ValueError,
     "normal: mean of shape (3,) and std of shape (4,) do not broadcast together"),
    (lambda: tg.normal(0.0, 1.0, (2,), dtype="int64"), TypeError,
     "normal: draws floats, so dtype must be a float dtype"),
    (lambda: tg.normal("a", 1.0), TypeError, "normal: "),
])
def test_normal_refuses_in_one_line(call, kind, start):
    _refused(kind, start, call)


def test_torch_refuses_the_same_normals():
    for call in (lambda: torch.normal(torch.zeros(3), -1.0),
                 lambda: torch.normal(0.0, 1.0),
                 lambda: torch.normal(torch.zeros(3), torch.ones(3), size=(3,)),
                 lambda: torch.normal(torch.zeros(3), torch.ones(4))):
        with pytest.raises((RuntimeError, TypeError)):
            call()


# -- bernoulli -----------------------------------------------------------------------------
def test_bernoulli_frequencies_match_the_probabilities_and_torchs():
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    ours = tg.bernoulli(tg.Tensor(np.tile(p, (N // 5, 1))), seed=0).data
    theirs = torch.bernoulli(torch.tensor(np.tile(p, (N // 5, 1)))).numpy()
    for got in (ours, theirs):
        np.testing.assert_allclose(got.mean(axis=0), p, atol=0.01)
    assert set(np.unique(ours)) <= {0.0, 1.0}
    assert ours[:, 0].max() == 0 and ours[:, -1].min() == 1  # p = 0 and 1 exactly


@pytest.mark.parametrize("dtype, p", [("float64", None), ("float32", None), ("int64", 0.3),
                                      ("float32", 0.3)])
def test_bernoulli_keeps_inputs_shape_and_dtype_as_torch(dtype, p):
    x = tg.full((2, 3), 0.5).to(dtype) if p is None else tg.zeros(2, 3, dtype=dtype)
    ours = tg.bernoulli(x, p, seed=0) if p is not None else tg.bernoulli(x, seed=0)
    theirs = torch.bernoulli(_as_torch(x), p) if p is not None else torch.bernoulli(
        _as_torch(x))
    assert ours.shape == tuple(theirs.shape) and _torch_dtype(ours.dtype) == theirs.dtype
    assert not tg.bernoulli(tg.full((3,), 0.5, requires_grad=True)).requires_grad


def test_bernoulli_with_p_and_the_method_and_repeats():
    ones = tg.bernoulli(tg.zeros(N), p=0.25, seed=1).data
    assert abs(ones.mean() - 0.25) < 0.01
    x = tg.full((1000,), 0.5)
    np.testing.assert_array_equal(x.bernoulli(generator=np.random.default_rng(2)).data,
                                  tg.bernoulli(x, seed=2).data)
    assert abs(x.bernoulli(0.1).data.mean() - 0.1) < 0.05
    assert torch.full((3,), 0.5).bernoulli(0.1).shape == x[:3].bernoulli(0.1).shape


@pytest.mark.parametrize("call, kind, start", [
    (lambda: tg.bernoulli(tg.Tensor([0.5, 1.5])), ValueError,
     "bernoulli: input must hold probabilities in [0, 1], got 1.5"),
    (lambda: tg.bernoulli(tg.Tensor([math.nan])), ValueError,
     "bernoulli: input must hold probabilities in [0, 1], got nan"),
    (lambda: tg.bernoulli(tg.zeros(2), p=1.2), ValueError,
     "bernoulli: p must hold probabilities in [0, 1], got 1.2"),
    (lambda: tg.bernoulli(tg.zeros(2, dtype="int64")), TypeError,
     "bernoulli: input holds the probabilities, so it must be a float tensor"),
    (lambda: tg.bernoulli(tg.zeros(2), p=tg.zeros(2)), ValueError, "bernoulli: p must be one"),
])
def test_bernoulli_refuses_in_one_line_where_torch_does(call, kind, start):
    _refused(kind, start, call)


# -- multinomial ---------------------------------------------------------------------------
def test_multinomial_with_replacement_draws_in_proportion_to_the_weights():
    w = np.array([[1.0, 0.0, 3.0, 6.0], [5.0, 5.0, 0.0, 0.0]])
    ours = tg.multinomial(tg.Tensor(w), N // 2, replacement=True, seed=0)
    theirs = torch.multinomial(torch.tensor(w), N // 2, replacement=True)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.int64
    for got in (ours.data, theirs.numpy()):
        for row, weights in zip(got, w):
            np.testing.assert_allclose(np.bincount(row, minlength=4) / row.size,
                                       weights / weights.sum(), atol=0.01)


def test_multinomial_without_replacement_matches_torchs_order_statistics():
    w = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    ours = tg.multinomial(tg.Tensor(np.tile(w, (N // 10, 1))), 3, seed=0).data
    theirs = torch.multinomial(torch.tensor(np.tile(w, (N // 10, 1))), 3).numpy()
    assert ours.shape == theirs.shape == (N // 10, 3)
    assert all(len(set(row)) == 3 for row in ours[:1000])  # each category at most once
    assert not (ours == 4).any()  # weight 0: never before the others
    for k in range(3):  # the k-th draw's frequencies, as torch's
        np.testing.assert_allclose(np.bincount(ours[:, k], minlength=5) / len(ours),
                                   np.bincount(theirs[:, k], minlength=5) / len(ours),
                                   atol=0.015)
    np.testing.assert_array_equal(tg.multinomial(tg.Tensor([0.0, 1.0, 0.0]), 3).data[:1], [1])


def test_multinomial_shapes_and_repeats():
    for shape, draws in (((5,), 2), ((3, 5), 4), ((0, 5), 2)):
        ours = tg.multinomial(tg.ones(*shape), draws, seed=0)
        assert ours.shape == tuple(torch.multinomial(torch.ones(*shape), draws).shape)
    w = tg.Tensor([0.2, 0.3, 0.5])
    np.testing.assert_array_equal(tg.multinomial(w, 10, True, seed=4).data,
                                  tg.multinomial(w, 10, True, generator=np.random
                                                 .default_rng(4)).data)


@pytest.mark.parametrize("weights, draws, kind, start", [
    ([1.0, -1.0], 1, ValueError, "multinomial: the weights must be finite and >= 0, got -1.0"),
    ([1.0, math.inf], 1, ValueError, "multinomial: the weights must be finite and >= 0"),
    ([0.0, 0.0], 1, ValueError, "multinomial: the weights are all 0"),
    ([[0.0, 0.0], [1.0, 1.0]], 1, ValueError, "multinomial: the weights of row 0 are all 0"),
    ([1.0, 2.0, 3.0], 4, ValueError,
     "multinomial: cannot draw num_samples=4 of 3 categories without replacement"),
    ([1.0, 2.0], 0, ValueError, "multinomial: num_samples must be > 0, got 0"),
    ([1.0, 2.0], 1.5, TypeError, "multinomial: num_samples must be an int"),
    ([[[1.0]]], 1, ValueError, "multinomial: the weights must be 1-d"),
    (np.array([1, 2]), 1, TypeError, "multinomial: the weights must be a float tensor"),
])
def test_multinomial_refuses_what_torch_refuses(weights, draws, kind, start):
    with pytest.raises((RuntimeError, TypeError)):
        torch.multinomial(torch.tensor(weights), draws)
    _refused(kind, start, lambda: tg.multinomial(tg.as_tensor(weights), draws))


# -- randint_like --------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs, low, high", [
    ((10,), {}, 0, 10), ((2, 10), {}, 2, 10), ((), {"high": 10}, 0, 10),
    ((), {"low": -3, "high": 3}, -3, 3)])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
def test_randint_like_takes_torchs_forms_shape_and_dtype(args, kwargs, low, high, dtype):
    x = tg.zeros(2000, 3, dtype=dtype)
    ours = tg.randint_like(x, *args, **kwargs, seed=0)
    theirs = torch.randint_like(_as_torch(x), *args, **kwargs)
    assert ours.shape == tuple(theirs.shape) and _torch_dtype(ours.dtype) == theirs.dtype
    np.testing.assert_array_equal(np.unique(ours.data), np.unique(theirs.numpy()))
    np.testing.assert_array_equal(np.unique(ours.data), np.arange(low, high))


def test_randint_like_refuses_in_one_line():
    _refused(ValueError, "randint_like: expects low < high (values come from [low, high)), "
             "got low=10 >= high=2", lambda: tg.randint_like(tg.zeros(2), 10, 2))
    _refused(ValueError, "randint_like: values in [0, 1000) do not fit dtype int8",
             lambda: tg.randint_like(tg.zeros(2, dtype="int8"), 1000))
    _refused(TypeError, "randint_like: high must be an int, got float 2.5",
             lambda: tg.randint_like(tg.zeros(2), 2.5))
    with pytest.raises(RuntimeError):
        torch.randint_like(torch.zeros(2), 10, 2)


# -- in place: bernoulli_, exponential_, random_ -------------------------------------------
def test_bernoulli_and_exponential_in_place_match_torchs_statistics():
    for dtype in ("float64", "float32"):
        x = tg.zeros(N, dtype=dtype)
        assert x.exponential_(2.0, generator=np.random.default_rng(0)) is x
        theirs = torch.zeros(N, dtype=_torch_dtype(dtype)).exponential_(2.0).numpy()
        assert x.dtype == np.dtype(dtype) and x.data.min() >= 0
        for got in (x.data, theirs):
            assert abs(got.mean() - 0.5) < 0.01 and abs(got.var() - 0.25) < 0.01
    for dtype in ("float64", "int64", "bool"):
        x = tg.zeros(N, dtype=dtype)
        assert x.bernoulli_(0.3) is x and x.dtype == np.dtype(dtype)
        assert abs(x.data.astype(float).mean() - 0.3) < 0.01
    p = tg.Tensor([0.0, 1.0, 0.5])
    rows = tg.zeros(N // 10, 3).bernoulli_(p).data  # p broadcast over the rows
    np.testing.assert_allclose(rows.mean(axis=0), [0.0, 1.0, 0.5], atol=0.01)


@pytest.mark.parametrize("args, kwargs", [((5,), {}), ((2, 5), {}), ((), {"to": 3}),
                                          ((2,), {"to": 4}), ((), {"from": 7, "to": 9}),
                                          ((-5, -2), {})])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
def test_random_in_place_takes_torchs_forms(args, kwargs, dtype):
    ours = tg.zeros(5000, dtype=dtype).random_(*args, **kwargs).data
    theirs = torch.zeros(5000, dtype=_torch_dtype(dtype)).random_(*args, **kwargs).numpy()
    np.testing.assert_array_equal(np.unique(ours), np.unique(theirs))
    assert ours.dtype == np.dtype(dtype)


def test_random_in_place_without_bounds_fills_the_dtypes_range_as_torch():
    for dtype, most in (("int8", 127), ("float32", 2 ** 24), ("float64", 2 ** 53),
                        ("int64", 2 ** 63 - 1)):
        ours = tg.zeros(20000, dtype=dtype).random_().data
        theirs = torch.zeros(20000, dtype=_torch_dtype(dtype)).random_().numpy()
        for got in (ours, theirs):
            assert got.min() >= 0 and got.max() <= most and got.max() > most * 0.99
    assert set(np.unique(tg.zeros(100, dtype="bool").random_().data)) == {False, True}
    assert tg.zeros(1000, dtype="int8").random_(100, None).data.min() >= 100


@pytest.mark.parametrize("call, kind, start", [
    (lambda t: t.random_(5, 2), ValueError,
     "random_: expects from < to (values come from [from, to)), got from=5 >= to=2"),
    (lambda t: t.random_(-5), ValueError, "random_: expects from < to"),
    (lambda t: t.random_(1, 2, 3), TypeError, "random_: takes random_(), random_(to)"),
    (lambda t: t.random_(1.5), TypeError, "random_: to must be an int"),
    (lambda t: t.to("int8").random_(0, 1000), ValueError,
     "random_: values in [0, 1000) do not fit dtype int8"),
    (lambda t: t.to("float32").random_(0, 2 ** 30), ValueError,
     "random_: values in [0, 1073741824) do not fit dtype float32"),
    (lambda t: t.exponential_(0.0), ValueError, "exponential_: expects lambd > 0"),
    (lambda t: t.to("int64").exponential_(), TypeError, "exponential_: draws floats"),
    (lambda t: t.bernoulli_(1.5), ValueError,
     "bernoulli_: p must hold probabilities in [0, 1], got 1.5"),
    (lambda t: t.bernoulli_(tg.full((4,), 0.5)), ValueError,
     "bernoulli_: p of shape (4,) does not broadcast to the shape (2, 3)"),
])
def test_in_place_draws_refuse_in_one_line_leaving_the_tensor(call, kind, start):
    t = tg.zeros(2, 3)
    _refused(kind, start, lambda: call(t))
    assert not t.data.any()


@pytest.mark.parametrize("draw", [lambda w: w.bernoulli_(), lambda w: w.exponential_(),
                                  lambda w: w.random_(3)])
def test_in_place_draws_are_counted_as_in_place_changes(draw):
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="would not be recorded"):
        draw(w)  # a parameter outside no_grad(), as PyTorch refuses
    loss = (w * w).sum()
    with tg.no_grad():
        draw(w)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()  # the graph saved the values the draw replaced
    h = w * 2
    assert draw(h) is h  # a tensor of the graph: recorded, as PyTorch's


def test_in_place_draws_repeat_under_generator_and_manual_seed(fresh):
    for draw in (lambda t, g: t.bernoulli_(0.5, generator=g),
                 lambda t, g: t.exponential_(generator=g),
                 lambda t, g: t.random_(10, generator=g)):
        first = draw(tg.zeros(50), np.random.default_rng(5)).data
        np.testing.assert_array_equal(first, draw(tg.zeros(50), np.random.default_rng(5)).data)
        tg.manual_seed(5)
        seeded = draw(tg.zeros(50), None).data
        tg.manual_seed(5)
        np.testing.assert_array_equal(seeded, draw(tg.zeros(50), None).data)


# -- the generator's state -----------------------------------------------------------------
def _draws():
    return np.concatenate([tg.rand(3).data, tg.normal(0.0, 1.0, (3,)).data,
                           tg.zeros(3).exponential_().data, tg.multinomial(tg.ones(4), 2).data])


def test_set_rng_state_repeats_the_draws_that_followed_get(fresh):
    tg.manual_seed(11)
    state = tg.get_rng_state()
    first = _draws()
    assert not np.array_equal(first, _draws())  # the stream goes on
    tg.set_rng_state(state)
    np.testing.assert_array_equal(first, _draws())
    tg.set_rng_state(state)  # the state given is not used up
    np.testing.assert_array_equal(first, _draws())
    assert tg.initial_seed() == 11  # set_rng_state leaves the seed, as torch's


def test_seed_and_initial_seed_as_torchs(fresh):
    tg.manual_seed(5)
    torch_default = torch.initial_seed()
    torch.manual_seed(5)
    assert tg.initial_seed() == torch.initial_seed() == 5
    torch.manual_seed(torch_default)
    chosen = tg.seed()
    assert isinstance(chosen, int) and 0 <= chosen < 2 ** 64 and tg.initial_seed() == chosen
    first = _draws()
    tg.manual_seed(chosen)
    np.testing.assert_array_equal(first, _draws())
    assert tg.seed() != chosen  # fresh entropy each time


def test_the_state_before_any_manual_seed_makes_the_generator_first(fresh):
    state = tg.get_rng_state()  # (PyTorch always has one: here it is made now)
    first = _draws()
    tg.set_rng_state(state)
    np.testing.assert_array_equal(first, _draws())
    assert isinstance(tg.initial_seed(), int)


def test_set_rng_state_refuses_what_get_rng_state_did_not_give(fresh):
    good = tg.get_rng_state()
    _refused(TypeError, "set_rng_state: state must be the dict tg.get_rng_state() gave, got "
             "int 3", lambda: tg.set_rng_state(3))
    for bad in ({"a": 1}, {**good, "bit_generator": "MT19937"},
                {**good, "state": {"state": -1, "inc": 3}}, {**good, "has_uint32": 5}):
        _refused(ValueError, "set_rng_state: dict ", lambda: tg.set_rng_state(bad))
    with pytest.raises(TypeError):
        torch.set_rng_state(torch.zeros(3))


# -- nn.init -------------------------------------------------------------------------------
@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 1.5, -1.0, 2.0),
                                             (0.0, 1.0, 1.0, 3.0), (0.0, 0.02, -2.0, 2.0)])
def test_trunc_normal_matches_torchs_statistics(mean, std, a, b):
    ours = nn.init.trunc_normal_(tg.zeros(N), mean, std, a, b,
                                 generator=np.random.default_rng(0)).data
    theirs = torch.nn.init.trunc_normal_(torch.zeros(N, dtype=torch.float64), mean, std, a,
                                         b).numpy()
    assert a <= ours.min() and ours.max() <= b
    assert abs(ours.mean() - theirs.mean()) < 0.02 * std + 0.01 * (b - a) / 4
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.02)


def test_trunc_normal_repeats_keeps_float32_and_refuses(fresh):
    w = nn.init.trunc_normal_(tg.zeros(5, dtype="float32"), generator=np.random.default_rng(1))
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w.data, nn.init.trunc_normal_(
        tg.zeros(5, dtype="float32"), generator=np.random.default_rng(1)).data)
    tail = nn.init.trunc_normal_(tg.zeros(1000), 0.0, 1.0, 5.0, 6.0).data  # torch: a warning
    assert 5.0 <= tail.min() and tail.max() <= 6.0 and tail.mean() < 5.3
    _refused(ValueError, "trunc_normal_: expects a < b (values come from [a, b]), got a=2.0",
             lambda: nn.init.trunc_normal_(tg.zeros(3), a=2.0, b=-2.0))
    _refused(ValueError, "trunc_normal_: mean must be finite and std finite and >= 0",
             lambda: nn.init.trunc_normal_(tg.zeros(3), std=-1.0))
    _refused(ValueError, "trunc_normal_: [a, b] = [10.0, inf] lies far in the tail",
             lambda: nn.init.trunc_normal_(tg.zeros(3), 0.0, 1.0, 10.0, math.inf))
    _refused(TypeError, "trunc_normal_: draws floats", lambda: nn.init.trunc_normal_(
        tg.zeros(3, dtype="int64")))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (4, 2, 3), (2, 3, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_has_torchs_orthogonality(shape, gain):
    ours = nn.init.orthogonal_(tg.zeros(*shape), gain).data.reshape(shape[0], -1)
    theirs = torch.nn.init.orthogonal_(torch.zeros(*shape, dtype=torch.float64),
                                       gain).numpy().reshape(shape[0], -1)
    for w in (ours, theirs):
        product = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(product, gain ** 2 * np.eye(len(product)), atol=1e-10)


def test_orthogonal_repeats_keeps_float32_and_refuses():
    w = nn.init.orthogonal_(tg.zeros(3, 4, dtype="float32"), generator=np.random.default_rng(0))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.data @ w.data.T, np.eye(3), atol=1e-6)
    np.testing.assert_array_equal(w.data, nn.init.orthogonal_(
        tg.zeros(3, 4, dtype="float32"), generator=np.random.default_rng(0)).data)
    assert nn.init.orthogonal_(tg.zeros(0, 3)).shape == (0, 3)  # left as it is, as torch
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        torch.nn.init.orthogonal_(torch.zeros(3))
    _refused(ValueError, "orthogonal_: needs a tensor of at least 2 axes",
             lambda: nn.init.orthogonal_(tg.zeros(3)))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (3, 3)])
def test_eye_is_torchs(shape, dtype):
    ours = nn.init.eye_(tg.ones(*shape, dtype=dtype))
    theirs = torch.nn.init.eye_(torch.ones(*shape, dtype=_torch_dtype(dtype)))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.dtype(dtype)


@pytest.mark.parametrize("shape, groups", [((4, 3, 3), 1), ((4, 2, 3), 2), ((2, 5, 2, 2), 1),
                                           ((6, 2, 3, 3), 3), ((2, 3, 3, 2, 3), 2)])
def test_dirac_is_torchs(shape, groups):
    ours = nn.init.dirac_(tg.ones(*shape), groups)
    np.testing.assert_array_equal(
        ours.data, torch.nn.init.dirac_(torch.ones(*shape, dtype=torch.float64), groups))


def test_eye_and_dirac_refuse_as_torch_and_count_as_in_place_changes():
    for ours, theirs, start in (
            (lambda: nn.init.eye_(tg.zeros(2, 2, 2)),
             lambda: torch.nn.init.eye_(torch.zeros(2, 2, 2)), "eye_: needs a 2-d tensor"),
            (lambda: nn.init.dirac_(tg.zeros(3, 2)), lambda: torch.nn.init.dirac_(
                torch.zeros(3, 2)), "dirac_: needs a 3-, 4- or 5-d tensor"),
            (lambda: nn.init.dirac_(tg.zeros(3, 2, 2), 2), lambda: torch.nn.init.dirac_(
                torch.zeros(3, 2, 2), 2), "dirac_: the out channels (3) must divide into"),
            (lambda: nn.init.dirac_(tg.zeros(3, 2, 2), 0), lambda: torch.nn.init.dirac_(
                torch.zeros(3, 2, 2), 0), "dirac_: groups must be an int >= 1")):
        with pytest.raises((ValueError, ZeroDivisionError)):
            theirs()
        _refused(ValueError, start, ours)
    w = tg.ones(3, 3, requires_grad=True)
    loss = (w * w).sum()
    nn.init.eye_(w)  # (an initialisation: allowed outside no_grad, as nn.init's others)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


# -- logspace ------------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [
    ((0, 2, 3), {}), ((-1.0, 1.5, 6), {"base": 2.0}), ((0, 2, 1), {}), ((0, 2, 0), {}),
    ((2, 0, 5), {"base": math.e}), ((0, 2.5, 3), {"base": -2.0}), ((0, 400, 3), {}),
    ((0, 2, 3), {"dtype": "int64"}), ((0, 50, 3), {"dtype": "float32"}),
    ((0, 3, 4), {"base": 3, "dtype": "float32"})])
def test_logspace_is_torchs(args, kwargs):
    ours = tg.logspace(*args, **kwargs)
    dtype = kwargs.get("dtype", "float64")
    theirs = torch.logspace(*args, **{**kwargs, "dtype": _torch_dtype(dtype)})
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6 if dtype == "float32"
                               else 1e-12)
    assert ours.dtype == np.dtype(dtype)


def test_logspace_takes_numpys_num_and_requires_grad():
    np.testing.assert_allclose(tg.logspace(0, 1, num=5).data, np.logspace(0, 1, num=5))
    assert tg.logspace(0, 1, steps=5, requires_grad=True).requires_grad
    _refused(TypeError, "logspace: give num= or steps=", lambda: tg.logspace(0, 1, 3, num=3))
    _refused(ValueError, "logspace: the number of values (num= or steps=) must be >= 0",
             lambda: tg.logspace(0, 1, -1))
    _refused(TypeError, "logspace: the number of values (num= or steps=) must be an int",
             lambda: tg.logspace(0, 1, 2.5))
    _refused(ValueError, "logspace: base must be a finite number",
             lambda: tg.logspace(0, 1, 3, base=math.inf))
    _refused(ValueError, "logspace: 10.0 ** v for v from 0 to 30 does not fit dtype int64",
             lambda: tg.logspace(0, 30, 3, dtype="int64"))
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.logspace(0, 1, -1)


# Review fixes ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(0,), (2, 0)])
@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_refuses_weights_without_categories(shape, replacement):
    _refused(ValueError, f"multinomial: the weights (shape {shape}) have no categories",
             lambda: tg.multinomial(tg.tensor(np.zeros(shape)), 2, replacement))


@pytest.mark.parametrize("init", ["trunc_normal_", "orthogonal_"])
def test_init_draws_into_a_graph_tensor_as_pytorchs_under_its_no_grad(init):
    """PyTorch's nn.init draws under no_grad(), so a tensor of a graph takes the draws
    (its node kept); a graph that saved its old values then refuses backward."""
    x = tg.tensor(np.ones((3, 4)), requires_grad=True)
    t = x * 2
    exponential = t.exp()  # (exp saves its output: t's change does not touch it)
    squared = t * t  # (mul saves t)
    assert getattr(nn.init, init)(t) is t and t.grad_fn.name == "mul"
    assert np.abs(t.data - 2).sum() > 0  # drawn
    with pytest.raises(RuntimeError, match="changed in place"):
        squared.sum().backward()
    exponential.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(2.0))


def test_trunc_normal_draws_far_bounds_the_uniform_proposal_keeps_as_documented():
    t = nn.init.trunc_normal_(tg.zeros(2000), 0.0, 1.0, 5.0, 6.0,
                              generator=np.random.default_rng(0))
    assert ((t.data >= 5) & (t.data <= 6)).all() and t.data.mean() < 5.3
    _refused(ValueError, "trunc_normal_: [a, b] = [40.0, 41.0] lies far in the tail",
             lambda: nn.init.trunc_normal_(tg.zeros(3), 0.0, 1.0, 40.0, 41.0))
    assert "neither proposal" in " ".join(nn.init.trunc_normal_.__doc__.split())


# Second read fixes ---------------------------------------------------------------------------
def test_multinomial_refuses_a_replacement_that_is_not_true_or_false():
    weights = [0.5, 0.5]
    with pytest.raises(TypeError, match=r"^multinomial: replacement must be True or False, got "
                                        r"str 'False'$"):
        tg.multinomial(tg.tensor(weights), 4, "False")  # (was drawn with replacement)
    with pytest.raises(TypeError):
        torch.multinomial(torch.tensor(weights), 4, "False")
    assert tg.multinomial(tg.tensor(weights), 4, np.bool_(True), seed=0).shape == (4,)
