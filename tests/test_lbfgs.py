"""Tests of tg.optim.LBFGS: every point it evaluates, iterate by iterate, against PyTorch
2.13's torch.optim.LBFGS (Rosenbrock and a least-squares fit, with and without the
strong-Wolfe line search, a history that wraps around, float32), its state_dict, what
it does without torch (it finds the least-squares solution and Rosenbrock's minimum),
and its one-line errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim

RNG = np.random.default_rng(3)
X = RNG.standard_normal((8, 3))
Y = RNG.standard_normal((8, 2))
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal(2)
START = np.array([-1.5, 2.0, 0.5, -0.7])


def _rosenbrock(x):
    """sum 100 (x_(i+1) - x_i**2)**2 + (1 - x_i)**2, in either framework."""
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _least_squares(w, b, lib, dtype=np.float64):
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
    return (((x @ w + b) - y) ** 2).mean()


class _Run:
    """One framework's parameters, LBFGS and closure; the closure records each point
    where it is evaluated (the parameters' values) and the loss there."""

    def __init__(self, lib, starts, loss, kw):
        self.lib, self.loss_of, self.points, self.losses = lib, loss, [], []
        if lib is tg:
            self.params = [nn.Parameter(s.copy()) for s in starts]
            self.opt = optim.LBFGS(self.params, **kw)
        else:
            self.params = [lib.tensor(s.copy(), requires_grad=True) for s in starts]
            self.opt = lib.optim.LBFGS(self.params, **kw)

    def values(self):
        return [np.array(p.detach().numpy()) for p in self.params]

    def closure(self):
        self.opt.zero_grad()
        loss = self.loss_of(*self.params)
        loss.backward()
        self.points.append(self.values())
        self.losses.append(float(loss.detach()))
        return loss

    def step(self):
        return float(self.opt.step(self.closure).detach())


def _agree(ours, theirs, rtol=1e-10, atol=1e-12):
    """Every evaluated point and loss agree to rtol, and the state PyTorch keeps too: its
    vectors (d, the history) are differences of gradients, which lose digits as the
    gradient shrinks, so they agree to 1e-10 absolutely (their size is 1e-5 or more)."""
    assert len(ours.points) == len(theirs.points)
    for a, b in zip(ours.points, theirs.points):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ours.losses, theirs.losses, rtol=rtol, atol=atol)
    mine = ours.opt.state[ours.params[0]]
    other = theirs.opt.state[theirs.params[0]]
    assert set(mine) == set(other)
    assert (mine["func_evals"], mine["n_iter"]) == (other["func_evals"], other["n_iter"])
    assert len(mine["old_dirs"]) == len(other["old_dirs"]) == len(mine["ro"])
    vectors = ([mine["d"], mine["prev_flat_grad"]] + mine["old_dirs"] + mine["old_stps"],
               [other["d"], other["prev_flat_grad"]] + other["old_dirs"] + other["old_stps"])
    for x, y in zip(*vectors):
        np.testing.assert_allclose(x, y.numpy(), rtol=1e-6, atol=1e-10)
    for key in ("t", "H_diag", "prev_loss"):
        np.testing.assert_allclose(float(mine[key]), float(other[key]), rtol=1e-6)
    np.testing.assert_allclose([float(r) for r in mine["ro"]], [float(r) for r in other["ro"]],
                               rtol=1e-6)


ROSENBROCK_CASES = [
    dict(lr=1e-3, max_iter=20),                                    # fixed steps
    dict(lr=1e-3, max_iter=1, history_size=3),                     # one iterate a step
    dict(lr=1, line_search_fn="strong_wolfe"),                    # the line search
    dict(lr=1, max_iter=5, history_size=2, line_search_fn="strong_wolfe"),  # wraps around
    dict(lr=0.5, max_iter=7, max_eval=9, line_search_fn="strong_wolfe"),  # max_eval binds
    # a long first step and a loose tolerance_change: the zoom narrows its bracket to
    # PyTorch's fixed 1e-9 all the same (the optimizer's tolerance is not the line search's)
    dict(lr=50, max_iter=10, tolerance_change=0.5, line_search_fn="strong_wolfe"),
]


@pytest.mark.parametrize("kw", ROSENBROCK_CASES, ids=[str(sorted(k.items())) for k in
                                                      ROSENBROCK_CASES])
def test_rosenbrock_iterates_are_pytorchs(kw):
    torch = pytest.importorskip("torch")
    ours = _Run(tg, [START], _rosenbrock, kw)
    theirs = _Run(torch, [START], _rosenbrock, kw)
    for _ in range(6):
        assert ours.step() == pytest.approx(theirs.step(), rel=1e-12)
        _agree(ours, theirs)
    assert not np.allclose(ours.values()[0], START)
    if kw.get("history_size", 100) <= 3:  # the history filled up and the oldest pairs left
        assert ours.opt.state[ours.params[0]]["n_iter"] > kw["history_size"]
        assert len(ours.opt.state[ours.params[0]]["old_dirs"]) == kw["history_size"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_least_squares_iterates_are_pytorchs_over_two_parameters(line_search_fn):
    torch = pytest.importorskip("torch")
    kw = dict(lr=0.3 if line_search_fn is None else 1, max_iter=4, history_size=3,
              line_search_fn=line_search_fn)
    ours = _Run(tg, [W0, B0], lambda w, b: _least_squares(w, b, tg), kw)
    theirs = _Run(torch, [W0, B0], lambda w, b: _least_squares(w, b, torch), kw)
    for _ in range(4):
        ours.step(), theirs.step()
        _agree(ours, theirs)


def test_float32_is_kept_and_agrees_with_pytorchs():
    torch = pytest.importorskip("torch")
    starts = [W0.astype(np.float32), B0.astype(np.float32)]
    kw = dict(max_iter=6, line_search_fn="strong_wolfe")
    ours = _Run(tg, starts, lambda w, b: _least_squares(w, b, tg, np.float32), kw)
    theirs = _Run(torch, starts, lambda w, b: _least_squares(w, b, torch, np.float32), kw)
    for _ in range(2):
        ours.step(), theirs.step()
    assert all(v.dtype == np.float32 for v in ours.values())
    state = ours.opt.state[ours.params[0]]
    assert state["d"].dtype == state["prev_flat_grad"].dtype == np.float32
    for a, b in zip(ours.values(), theirs.values()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_zero_gradient_returns_at_once_as_pytorchs():
    torch = pytest.importorskip("torch")
    ones = np.ones(4)  # Rosenbrock's minimum: the gradient is exactly 0
    ours, theirs = _Run(tg, [ones], _rosenbrock, {}), _Run(torch, [ones], _rosenbrock, {})
    assert ours.step() == theirs.step() == 0.0
    assert len(ours.points) == len(theirs.points) == 1
    assert ours.opt.state[ours.params[0]] == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(ours.values()[0], ones)


def test_a_parameter_without_gradient_counts_as_zero_and_stays_as_pytorch():
    torch = pytest.importorskip("torch")
    unused = np.arange(3.0)
    ours = _Run(tg, [START, unused], lambda x, u: _rosenbrock(x), dict(max_iter=5))
    theirs = _Run(torch, [START, unused], lambda x, u: _rosenbrock(x), dict(max_iter=5))
    ours.step(), theirs.step()
    _agree(ours, theirs)
    assert ours.params[1].grad is None
    np.testing.assert_array_equal(ours.values()[1], unused)


def test_state_dict_round_trip_continues_as_pytorch():
    torch = pytest.importorskip("torch")
    kw = dict(max_iter=3, history_size=2, line_search_fn="strong_wolfe")
    ours, theirs = _Run(tg, [START], _rosenbrock, kw), _Run(torch, [START], _rosenbrock, kw)
    ours.step(), theirs.step()
    saved, where = ours.opt.state_dict(), ours.values()[0]
    assert set(saved["state"]) == set(theirs.opt.state_dict()["state"]) == {0}
    assert sorted(saved["param_groups"][0]) == sorted(theirs.opt.state_dict()["param_groups"][0])
    before = saved["state"][0]["old_dirs"][0].copy()
    ours.step()  # the saved history is a copy: stepping on changes nothing in it
    np.testing.assert_array_equal(saved["state"][0]["old_dirs"][0], before)

    again = _Run(tg, [where], _rosenbrock, kw)  # a fresh LBFGS, where the first stood
    again.opt.load_state_dict(saved)
    again.step()
    theirs.step()
    np.testing.assert_array_equal(again.values()[0], ours.values()[0])
    np.testing.assert_allclose(again.values()[0], theirs.values()[0], rtol=1e-10)


def test_without_torch_it_finds_the_least_squares_solution():
    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    opt = optim.LBFGS([w, b], line_search_fn="strong_wolfe", max_iter=100,
                      tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = _least_squares(w, b, tg)
        loss.backward()
        return loss

    first = opt.step(closure)
    design = np.hstack([X, np.ones((len(X), 1))])
    solution = np.linalg.lstsq(design, Y, rcond=None)[0]
    np.testing.assert_allclose(w.data, solution[:3], atol=1e-9)
    np.testing.assert_allclose(b.data, solution[3], atol=1e-9)
    assert float(first) == pytest.approx(float(_least_squares(W0, B0, tg)))


def test_without_torch_it_reaches_rosenbrocks_minimum_even_inside_no_grad():
    x = nn.Parameter(np.array([-1.2, 1.0]))  # (START's 4-d valley leads to a local minimum)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", history_size=5,
                      tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    with tg.no_grad():  # the closure runs with gradients on all the same
        for _ in range(10):
            opt.step(closure)
    np.testing.assert_allclose(x.data, np.ones(2), atol=1e-9)


def test_the_loss_and_its_gradients_lbfgs_reads_are_those_of_finite_differences():
    x = tg.tensor(START.copy(), requires_grad=True)
    assert tg.gradcheck(_rosenbrock, (x,))
    w, b = tg.tensor(W0.copy(), requires_grad=True), tg.tensor(B0.copy(), requires_grad=True)
    assert tg.gradcheck(lambda w, b: _least_squares(w, b, tg), (w, b))


def test_frozen_entries_keep_their_values():
    x = nn.Parameter(START.copy())
    x.freeze_(1)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    opt.step(closure)
    assert x.data[1] == START[1]
    assert not np.allclose(x.data[[0, 2, 3]], START[[0, 2, 3]])


def test_defaults_and_positional_order_are_pytorchs():
    torch = pytest.importorskip("torch")
    ours = optim.LBFGS([nn.Parameter(np.zeros(2))], 0.5, 7)
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], 0.5, 7)
    mine = {k: v for k, v in ours.param_groups[0].items() if k != "params"}
    other = {k: v for k, v in theirs.param_groups[0].items() if k != "params"}
    assert mine == other and mine["max_eval"] == 8
    assert "LBFGS" in optim.__all__


# Errors


def _opt(**kw):
    return optim.LBFGS([nn.Parameter(np.ones(2))], **kw)


def test_step_without_a_closure_is_a_one_line_type_error():
    with pytest.raises(TypeError, match=r"^LBFGS\.step needs a closure \(got None\): a function "
                                        r"that calls optimizer\.zero_grad\(\)"):
        _opt().step()


@pytest.mark.parametrize("result, error, match", [
    (None, TypeError, r"returned NoneType None; it must return the loss"),
    ("loss", TypeError, r"returned str 'loss'; it must return the loss"),
    (tg.ones(3), RuntimeError, r"returned a tensor of shape \(3,\); it must return the loss"),
])
def test_a_closure_returning_no_loss_is_named(result, error, match):
    p = nn.Parameter(np.ones(2))
    opt = optim.LBFGS([p])

    def closure():
        (p * p).sum().backward()
        return result

    with pytest.raises(error, match=r"^LBFGS\.step: the closure " + match):
        opt.step(closure)


def test_a_closure_without_backward_is_refused_not_a_silent_no_op():
    p = nn.Parameter(np.ones(2))
    opt = optim.LBFGS([p])
    with pytest.raises(RuntimeError, match=r"^LBFGS\.step: no parameter has a gradient after "
                                           r"the closure ran; the closure must call "
                                           r"loss\.backward\(\)"):
        opt.step(lambda: (p * p).sum())


def test_one_parameter_group_only_as_pytorch():
    torch = pytest.importorskip("torch")
    words = "LBFGS doesn't support per-parameter options (parameter groups)"
    with pytest.raises(ValueError, match=re.escape(words)):
        torch.optim.LBFGS([{"params": [torch.zeros(1, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="^" + re.escape(words) + "; give all the parameters"):
        optim.LBFGS([{"params": [nn.Parameter(np.zeros(1))]},
                     {"params": [nn.Parameter(np.zeros(1))]}])
    opt = _opt()
    with pytest.raises(ValueError, match="^" + re.escape(words)):
        opt.add_param_group({"params": [nn.Parameter(np.zeros(1))]})
    assert len(optim.LBFGS([{"params": [nn.Parameter(np.zeros(1))], "lr": 0.1}]).param_groups) == 1


@pytest.mark.parametrize("kw, error, match", [
    (dict(lr=-1.0), ValueError, r"^LBFGS: lr must be >= 0\.0, got -1\.0"),
    (dict(max_iter=0), ValueError, r"^LBFGS: max_iter must be >= 1, got 0"),
    (dict(max_iter="20"), TypeError, r"^LBFGS: max_iter must be an int, got str '20'"),
    (dict(max_eval=2.5), TypeError, r"^LBFGS: max_eval must be an int, got float 2\.5"),
    (dict(history_size=0), ValueError, r"^LBFGS: history_size must be >= 1, got 0"),
    (dict(tolerance_grad=float("nan")), ValueError,
     r"^LBFGS: tolerance_grad must be a number, not NaN"),
    (dict(tolerance_change="small"), TypeError, r"^LBFGS: tolerance_change must be a number"),
    (dict(line_search_fn="wolfe"), RuntimeError,
     r"^LBFGS: line_search_fn must be None or 'strong_wolfe', got 'wolfe'; only "
     r"'strong_wolfe' is supported$"),
])
def test_bad_settings_are_one_line(kw, error, match):
    with pytest.raises(error, match=match):
        _opt(**kw)


def test_a_setting_changed_by_hand_is_checked_at_step():
    opt = _opt()
    opt.param_groups[0]["line_search_fn"] = "backtracking"
    with pytest.raises(RuntimeError, match=r"^LBFGS: line_search_fn must be None"):
        opt.step(lambda: 0.0)


def test_parameters_without_numbers_are_named():
    opt = optim.LBFGS([nn.Parameter(np.zeros((0, 2)))])
    with pytest.raises(RuntimeError, match=r"^LBFGS\.step: the parameters hold no numbers"):
        opt.step(lambda: 0.0)


def test_a_state_of_other_sized_parameters_is_refused_and_changes_nothing():
    p = nn.Parameter(START.copy())
    opt = optim.LBFGS([p], max_iter=2)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(p)
        loss.backward()
        return loss

    opt.step(closure)
    other = optim.LBFGS([nn.Parameter(np.zeros(3))], lr=0.5)
    with pytest.raises(ValueError, match=r"^LBFGS\.load_state_dict: state '(d|old_dirs|"
                                         r"prev_flat_grad)' must hold vectors of the 3 numbers"):
        other.load_state_dict(opt.state_dict())
    assert other.state == {} and other.param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match=r"^LBFGS\.load_state_dict: LBFGS keeps its state "
                                         r"under parameter 0"):
        other.load_state_dict({"state": {1: {}}, "param_groups": other.state_dict()[
            "param_groups"]})
