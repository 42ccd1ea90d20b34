"""Every NumPy route that can write into `w.data` between the forward pass and backward().

The routes are enumerated from NumPy itself, not listed by hand: every ufunc in `np`
with each of its methods (`__call__`, `reduce`, `accumulate`, `reduceat`, `outer`, `at`),
every `np.` function whose signature has an `out` parameter, every `ndarray` method
taking `out` (called on a plain array, writing into `w.data`), and every
`np.random.Generator` method taking `out`. Each is tried with simple float arguments
on a plain array first; a call that cannot be made that way is skipped. Every call that
can be made is then aimed at `w.data` after the forward pass of `loss = (x * w).sum()`,
and one of two things must follow:

* the write is refused at once (an error, and `w` keeps its values), or
* `backward()` refuses the graph, or computes the right gradient (`x.grad` equal to the
  values `w` held in the forward pass: what a fresh graph on those values gives).

A silent wrong gradient fails the test and names the route.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import tracked
from tinygrad_gd.tracked import TrackedArray, read_only_view

SHAPE = (2, 3)
_SEED = 20261203


def _values(rng, shape=SHAPE):
    return rng.uniform(0.5, 1.5, size=shape)


# ------------------------------------------------------------------ the routes


def _ufuncs():
    seen = {}
    for name, value in sorted(vars(np).items()):
        if isinstance(value, np.ufunc) and id(value) not in seen:
            seen[id(value)] = (name, value)
    return list(seen.values())


def _ufunc_calls(ufunc, rng):
    """(route name, call(target)) for each method of `ufunc`, with float arguments."""
    a = [_values(rng) for _ in range(ufunc.nin)]
    calls = []
    if ufunc.nout == 1:
        calls.append(("__call__ out=", lambda t: ufunc(*a, out=t)))
        calls.append(("__call__ positional out", lambda t: ufunc(*a, t)))
    else:
        for k in range(ufunc.nout):
            def call(t, k=k):
                return ufunc(*a, out=tuple(t if i == k else None for i in range(ufunc.nout)))
            calls.append((f"__call__ out[{k}]", call))
    if ufunc.nin == 2 and ufunc.nout == 1:
        cube = _values(rng, (2,) + SHAPE)
        row, column = _values(rng, (2,)), _values(rng, (3,))
        calls += [
            ("reduce", lambda t: ufunc.reduce(cube, axis=0, out=t)),
            ("reduce positional out", lambda t: ufunc.reduce(cube, 0, None, t)),
            ("accumulate", lambda t: ufunc.accumulate(a[0], axis=0, out=t)),
            ("reduceat", lambda t: ufunc.reduceat(a[0], [0, 1], axis=0, out=t)),
            ("outer", lambda t: ufunc.outer(row, column, out=t)),
            ("at", lambda t: ufunc.at(t, (np.array([0, 1, 1]), np.array([2, 0, 2])), 0.75)),
        ]
    elif ufunc.nin == 1 and ufunc.nout == 1:
        calls.append(("at", lambda t: ufunc.at(t, (np.array([0, 1]), np.array([1, 2])))))
    return calls


def _functions_with_out():
    found = {}
    for name, value in sorted(vars(np).items()):
        if isinstance(value, np.ufunc) or not callable(value) or isinstance(value, type):
            continue
        try:
            parameters = inspect.signature(value).parameters
        except (TypeError, ValueError):
            continue
        if "out" in parameters and id(value) not in found:
            found[id(value)] = (name, value)
    return list(found.values())


def _candidate_arguments(rng):
    """Argument lists a function with `out` may accept, each writing a (2, 3) result."""
    a, b = _values(rng), _values(rng)
    cube = _values(rng, (4,) + SHAPE)
    return [
        ((a,), {}),
        ((cube,), {"axis": 0}),
        ((a,), {"axis": 0}),
        ((a, b), {}),
        ((a, 0.7, 1.2), {}),
        ((_values(rng, (2, 2)), a), {}),
        ((cube, 50.0), {"axis": 0}),
        ((cube, 0.5), {"axis": 0}),
        ((a, [1, 0]), {"axis": 0}),
        ((np.array([0, 1, 0]), [a, b]), {}),
        ((np.array([True, True]), a), {"axis": 0}),
        (("ij->ij", a), {}),
        ((_values(rng, (2,)), _values(rng, (3,))), {}),
        (([a[:1], b[1:]],), {"axis": 0}),
        ((_values(rng, (3, 3)), [True, False, True]), {"axis": 0}),
    ]


def _function_calls(function, rng):
    return [(f"candidate {i}", lambda t, args=args, kwargs=kwargs:
             function(*args, **kwargs, out=t))
            for i, (args, kwargs) in enumerate(_candidate_arguments(rng))]


def _methods_with_out():
    found = []
    for name in sorted(dir(np.ndarray)):
        if name.startswith("_"):
            continue
        doc = (getattr(np.ndarray, name).__doc__ or "").split("\n\n")[0]
        if "out=" in doc:
            found.append(name)
    return found


def _method_calls(name, rng):
    return [(f"candidate {i}", lambda t, args=args, kwargs=kwargs:
             getattr(args[0], name)(*args[1:], **kwargs, out=t))
            for i, (args, kwargs) in enumerate(_candidate_arguments(rng))
            if isinstance(args[0], np.ndarray)]


def _generator_methods_with_out():
    found = []
    for name in sorted(dir(np.random.Generator)):
        if name.startswith("_"):
            continue
        doc = (getattr(np.random.Generator, name).__doc__ or "").strip()
        if "out=" in doc.split("\n")[0]:  # the signature line: `random(size=None, ..., out=None)`
            found.append(name)
    return found


def _generator_calls(name, rng, seed):
    def candidates():
        generator = np.random.default_rng(seed)
        method = getattr(generator, name)
        a = _values(rng)
        return [lambda t: method(out=t), lambda t: method(2.0, out=t),
                lambda t: method(a, axis=0, out=t)]
    return [(f"candidate {i}", lambda t, i=i: candidates()[i](t)) for i in range(3)]


def _all_routes(limit=None):
    """[(route name, [(variant, call(target))...])], in a seeded random order."""
    rng = np.random.default_rng(_SEED)
    routes = []
    for name, ufunc in _ufuncs():
        for variant, call in _ufunc_calls(ufunc, rng):
            routes.append((f"np.{name}.{variant}", [(variant, call)]))
    for name, function in _functions_with_out():
        routes.append((f"np.{name}", _function_calls(function, rng)))
    for name in _methods_with_out():
        routes.append((f"ndarray.{name}", _method_calls(name, rng)))
    for i, name in enumerate(_generator_methods_with_out()):
        routes.append((f"Generator.{name}", _generator_calls(name, rng, _SEED + i)))
    order = rng.permutation(len(routes))
    return [routes[i] for i in order][:limit]


def _dry_run(variants):
    """The first variant that writes into a plain float array, or None: the route cannot
    be made with simple float arguments."""
    for variant, call in variants:
        target = np.full(SHAPE, -7.0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    call(target)
        except Exception:  # noqa: BLE001 - any failure: not a call these arguments make
            continue
        return variant, call
    return None


# ------------------------------------------------------------------ the test


def _outcome(call):
    """What the route does to w.data between forward and backward, and what follows."""
    x = tg.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = tg.Tensor(np.arange(1.0, 7.0).reshape(SHAPE) * 0.37 - 0.9, requires_grad=True, name="w")
    forward_values = w.data.copy()
    loss = (x * w).sum()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                call(w.data)
    except Exception:  # noqa: BLE001 - refused at once: nothing may have been written
        assert np.array_equal(w.data, forward_values, equal_nan=True), \
            "the write raised, but changed w's values first"
        wrote = "refused at once"
    else:
        wrote = "written"
    try:
        loss.backward()
    except RuntimeError as err:
        assert "'w'" in str(err) and "'mul'" in str(err), str(err)
        return f"{wrote}; backward refused"
    # what a fresh graph on the forward pass's values gives
    np.testing.assert_array_equal(x.grad.data, forward_values)
    np.testing.assert_array_equal(w.grad.data, x.data)
    return f"{wrote}; gradient right"


def _run_routes(limit=None):
    exercised, skipped, outcomes = [], [], {}
    for route, variants in _all_routes(limit):
        chosen = _dry_run(variants)
        if chosen is None:
            skipped.append(route)
            continue
        try:
            outcome = _outcome(chosen[1])
        except AssertionError as err:
            raise AssertionError(f"{route} ({chosen[0]}) into w.data between forward and "
                                 f"backward: {err}") from None
        exercised.append(route)
        outcomes.setdefault(outcome, []).append(route)
    return exercised, skipped, outcomes


def test_every_numpy_route_into_data_is_refused_or_harmless():
    exercised, skipped, outcomes = _run_routes()
    # a healthy number of routes ran, of every family: the test cannot test nothing
    assert len(exercised) >= 250, (len(exercised), skipped)
    for family, minimum in (("np.", 200), ("ndarray.", 8), ("Generator.", 4)):
        assert sum(r.startswith(family) for r in exercised) >= minimum, (family, exercised)
    for must in ("np.add.reduce", "np.add.accumulate", "np.add.reduceat", "np.add.at",
                 "np.multiply.outer", "Generator.standard_normal", "Generator.random",
                 "np.clip", "np.dot", "ndarray.take", "np.cumsum"):
        assert any(r.startswith(must) for r in exercised), must
    # both kinds of refusal happen (a silent wrong gradient would have failed above)
    assert "written; backward refused" in outcomes and "refused at once; gradient right" in outcomes


def test_the_route_sweep_catches_a_guard_that_counts_nothing(monkeypatch):
    # planted bug: writes announced to the subclass are no longer counted
    monkeypatch.setattr(tracked, "count_write", lambda counter: None)
    with pytest.raises(AssertionError, match="into w.data between forward and backward"):
        _run_routes(limit=40)


@pytest.mark.parametrize("write", [
    lambda w: np.random.default_rng(0).standard_normal(out=w.data),
    lambda w: np.random.default_rng(0).random(out=w.data),
    lambda w: np.random.default_rng(0).shuffle(w.data),
    lambda w: np.ones((2, 3)).take([0, 1, 2], out=w.data[0]),
    lambda w: np.random.shuffle(w.data),
], ids=["Generator.standard_normal", "Generator.random", "Generator.shuffle",
        "ndarray.take on a plain array", "legacy np.random.shuffle"])
def test_writes_numpy_does_not_announce_are_refused_at_once(write):
    # NumPy's C code writes these without telling the subclass; the view is read-only to
    # it, so they fail loudly, leaving the values as they were, before or after a forward
    w = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(ValueError, match="read-only|writable"):
        write(w)
    np.testing.assert_array_equal(w.data, np.arange(6.0).reshape(2, 3))
    # the way that works, and counts: write through .data
    w.data[...] = np.random.default_rng(0).standard_normal(w.shape)
    assert not np.array_equal(w.data, np.arange(6.0).reshape(2, 3))


def test_counted_ufunc_routes_keep_working_outside_a_graph():
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.add.at(w.data, [0, 0], 1.0)
    np.add.reduce(np.ones((2, 3)), axis=0, out=w.data[None][0])
    w.data -= 0.5
    np.testing.assert_array_equal(w.data, [1.5, 1.5, 1.5])
    assert isinstance(w.data * 2, np.ndarray) and not isinstance(w.data * 2, TrackedArray)
    loss = (w * w).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0, 3.0])


def test_a_read_only_tensor_stays_read_only_through_counted_routes():
    # a broadcast view is read-only in NumPy; the tracking must not make it writable
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    wide = w.broadcast_to((2, 3))
    loss = (wide * wide).sum()
    refused = r"array of shape \(2, 3\): its values are read-only .*write into a copy"
    for write in (lambda a: a.__setitem__((0, 0), 9.0), lambda a: np.add(a, 1.0, out=a),
                  lambda a: a.fill(0.0), lambda a: np.copyto(a, 0.0)):
        with pytest.raises(ValueError, match=refused):
            write(wide.data)
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])
    assert list(wide.data.flat) == [1.0, 2.0, 3.0] * 2  # reading stays possible
    loss.backward()  # nothing was written, so nothing was counted: no refusal
    np.testing.assert_array_equal(w.grad.data, [4.0, 8.0, 12.0])


@pytest.mark.parametrize("make", [
    lambda: np.arange(6.0).reshape(2, 3), lambda: np.arange(6.0).reshape(2, 3).T,
    lambda: np.arange(12.0).reshape(3, 4)[::2, ::-1], lambda: np.float32(np.arange(3.0)),
    lambda: np.arange(3.0).astype(">f8"), lambda: np.array(2.5), lambda: np.zeros((0, 3)),
], ids=["contiguous", "transposed", "strided", "float32", "big-endian", "0-d", "empty"])
def test_read_only_view_shares_the_values_and_cannot_be_made_writable(make):
    data = make()
    view = read_only_view(data)
    assert view.shape == data.shape and view.dtype == data.dtype
    np.testing.assert_array_equal(view, data)
    assert data.size == 0 or np.shares_memory(view, data)  # a view, not a copy
    with pytest.raises(ValueError):
        view.flags.writeable = True
    with pytest.raises(ValueError):
        view[...] = 0.0


def test_np_asarray_of_a_tensor_cannot_be_made_writable():
    w = tg.Tensor([4.0, 5.0, 6.0], requires_grad=True)
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x * w).sum()
    view = np.asarray(w)
    with pytest.raises(ValueError):
        view.flags.writeable = True
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0, 6.0])


def test_the_base_of_t_data_and_t_numpy_cannot_be_written():
    # `.base` was the tensor's own array, writable and uncounted: c.numpy().base[0] = 10
    # after the forward pass gave w the gradient [10, 2] where the forward used [1, 2]
    c = tg.Tensor([1.0, 2.0])
    w = tg.Tensor([3.0, 4.0], requires_grad=True)
    loss = (c * w).sum()
    for write in (lambda: c.numpy().base.__setitem__(0, 10.0),
                  lambda: np.copyto(c.data.base, [5.0, 5.0]),
                  lambda: c[0:1].data.base.__setitem__(1, 3.0)):
        with pytest.raises(ValueError, match="read-only"):
            write()
    loss.backward()
    assert w.grad.tolist() == [1.0, 2.0] and c.tolist() == [1.0, 2.0]
    assert c.numpy().base.tolist() == [1.0, 2.0]  # still readable
