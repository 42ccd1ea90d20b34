"""Settings as PyTorch 2.13 keeps them: an optimizer's setting given as a tensor stays that
tensor in its group and is read at every step (a change in place counts, a scheduler fills
it), Adam's and AdamW's betas refused as whole numbers, and `tg.asarray(t,
requires_grad=...)` setting the flag of t itself. Checked against closed-form update rules
and, marked `torch`, against PyTorch (steps to 1e-12 in float64)."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.optim import lr_scheduler, swa_utils

import test_optim_torch_parity  # (its fixture torch_float64)

RNG = np.random.default_rng(28)
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal(2)


def gradient_at(values: np.ndarray, k: int) -> np.ndarray:
    """The k-th step's gradient: not constant, so steps differ in size and sign."""
    return np.cos(2 * values + k) + 0.2 * values


# ------------------------------------------------------------------ asarray's requires_grad


def test_asarray_requires_grad_false_turns_a_leafs_own_flag_off():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    out = tg.asarray(w, requires_grad=False)
    assert out is w and not w.requires_grad and w.is_leaf


def test_asarray_requires_grad_true_turns_a_constants_own_flag_on():
    c = tg.tensor([1.0, 2.0])
    out = tg.asarray(c, requires_grad=True)
    assert out is c and c.requires_grad and c.is_leaf
    (out * out).sum().backward()
    np.testing.assert_array_equal(c.grad.data, [2.0, 4.0])


def test_asarray_of_a_non_leaf_with_requires_grad_false_is_detached_sharing_its_values():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    u = w * 3
    out = tg.asarray(u, requires_grad=False)
    assert out is not u and out.is_leaf and not out.requires_grad
    assert out.data_ptr() == u.data_ptr() and u.requires_grad and w.requires_grad


def test_asarray_copies_keep_their_source_as_it_was():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    detached = tg.asarray(w, copy=True, requires_grad=False)
    assert detached.is_leaf and not detached.requires_grad and w.requires_grad
    c = tg.tensor([1.0, 2.0])
    leaf = tg.asarray(c, copy=True, requires_grad=True)
    assert leaf.is_leaf and leaf.requires_grad and not c.requires_grad
    assert leaf.data_ptr() != c.data_ptr()
    kept = tg.asarray(w, dtype=tg.float32, requires_grad=True)  # (in the graph: `to`)
    kept.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


def test_asarray_of_a_tensor_needing_a_gradient_to_integers_asks_for_requires_grad_false():
    w = tg.tensor([1.5, 2.5], requires_grad=True)
    with pytest.raises(TypeError, match=r"^asarray: requires_grad left out keeps obj's "
                                        r"\(True\), which a int64 result cannot carry; pass "
                                        r"requires_grad=False") as caught:
        tg.asarray(w, dtype=tg.int64)
    assert "\n" not in str(caught.value)
    out = tg.asarray(w, dtype=tg.int64, requires_grad=False)
    assert out.dtype == np.int64 and not out.requires_grad and w.requires_grad
    np.testing.assert_array_equal(out.data, [1, 2])


ASARRAY_SOURCES = ["leaf needing a gradient", "non-leaf", "constant", "integers"]


def _asarray_outcome(lib, source: str, given: dict) -> tuple:
    """What asarray makes of one source: whether it is the source, shares its values, needs
    a gradient, is a leaf, and what the source's flag is afterwards; or the refusal."""
    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    obj = {"leaf needing a gradient": lambda: a, "non-leaf": lambda: a * 2,
           "constant": lambda: lib.tensor([1.0, 2.0], dtype=lib.float64),
           "integers": lambda: lib.tensor([1, 2])}[source]()
    given = {k: getattr(lib, v) if k == "dtype" else v for k, v in given.items()}
    try:
        out = lib.asarray(obj, **given)
    except (TypeError, ValueError, RuntimeError):  # (ours TypeError where torch's Runtime)
        return ("refused",)
    return (out is obj, out.data_ptr() == obj.data_ptr(), out.requires_grad, out.is_leaf,
            obj.requires_grad, str(out.dtype).removeprefix("torch."))


@pytest.mark.torch
@pytest.mark.parametrize("source", ASARRAY_SOURCES)
def test_asarray_of_a_tensor_as_pytorchs_for_every_flag(source):
    torch = pytest.importorskip("torch")
    for grad, copy, dtype in itertools.product([None, False, True], [None, False, True],
                                               [None, "float64", "float32", "int64"]):
        given = {k: v for k, v in dict(requires_grad=grad, copy=copy, dtype=dtype).items()
                 if v is not None}
        with warnings.catch_warnings():  # (torch 2.13 warns that requires_grad now follows)
            warnings.simplefilter("ignore")
            theirs = _asarray_outcome(torch, source, given)
        assert _asarray_outcome(tg, source, given) == theirs, given


# ------------------------------------------------------------------ Adam's betas


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_refuses_whole_number_betas_naming_them(name):
    w = nn.Parameter(W0.copy())
    with pytest.raises(ValueError, match=rf"^{name}: betas must be two floats or two "
                                         r"1-element tensors, as PyTorch's .* got \(0, 0\) "
                                         r".*; write them as floats: betas=\(0\.0, 0\.0\)$"):
        getattr(optim, name)([w], betas=(0, 0))
    with pytest.raises(ValueError, match=r"got \(0\.5, 0\) .* betas=\(0\.5, 0\.0\)$"):
        getattr(optim, name)([w], betas=(0.5, 0))
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0\.0, 1\.0\), got 1$"):
        getattr(optim, name)([w], betas=(0, 1))  # (out of range first, as PyTorch's order)
    getattr(optim, name)([w], betas=(0.0, 0.0))
    getattr(optim, name)([w], betas=[np.float64(0.5), 0.9])  # (NumPy's float64 is a float)


def test_other_optimizers_take_whole_number_betas_and_step_by_their_value():
    for name in ("NAdam", "RAdam", "Adamax"):
        w, v = nn.Parameter(W0.copy()), nn.Parameter(W0.copy())
        by_int = getattr(optim, name)([w], betas=(0, 0))
        by_float = getattr(optim, name)([v], betas=(0.0, 0.0))
        for k in range(3):
            w.grad, v.grad = tg.tensor(gradient_at(w.data, k)), tg.tensor(gradient_at(v.data, k))
            by_int.step()
            by_float.step()
        np.testing.assert_array_equal(w.data, v.data)


BETAS_TRIED = [(0.9, 0.999), (0, 1), (1, 0), (0, 0), (0.0, 0.0), (0, 0.5), (0.5, 0), (1, 1),
               (2, 0.5), (0.5, 1.0), (-0.1, 0.5), [0.9, 0.99], ("t", 0.0), ("t", "t"),
               ("t", 0.5), (0.5, "t"), ("t1", "t")]


@pytest.mark.torch
@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
def test_betas_are_refused_where_pytorchs_are(name):
    torch = pytest.importorskip("torch")
    for betas in BETAS_TRIED:
        def made(lib, betas=betas):
            return type(betas)(lib.tensor(0.0) if b == "t" else lib.tensor([0.5]) if b == "t1"
                               else b for b in betas)
        try:
            getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], betas=made(torch))
            refused = False
        except ValueError:
            refused = True
        if refused:
            with pytest.raises(ValueError) as caught:
                getattr(optim, name)([nn.Parameter(np.zeros(2))], betas=made(tg))
            assert "\n" not in str(caught.value) and str(caught.value).startswith(name)
        else:
            getattr(optim, name)([nn.Parameter(np.zeros(2))], betas=made(tg))
    # a group's own betas are not checked by PyTorch's constructor: taken by both
    getattr(torch.optim, name)([{"params": [torch.zeros(2, requires_grad=True)],
                                 "betas": (0, 0)}])
    getattr(optim, name)([{"params": [nn.Parameter(np.zeros(2))], "betas": (0, 0)}])


# ------------------------------------------------------------------ a tensor setting, live


def test_an_lr_tensor_stays_in_the_group_and_its_change_in_place_counts():
    w = nn.Parameter(W0.copy())
    lr = tg.tensor(0.1)
    sgd = optim.SGD([w], lr=lr)
    assert sgd.param_groups[0]["lr"] is lr
    expected = W0.copy()
    for k, value in enumerate([0.1, 0.1, 0.01, 0.01, 0.5]):
        if k == 2:
            lr.fill_(0.01)
        if k == 4:
            lr.data[...] = 0.5  # (through .data, as PyTorch's lr.data[...] = ...)
        w.grad = tg.tensor(gradient_at(w.data, k))
        sgd.step()
        expected = expected - value * gradient_at(expected, k)
        np.testing.assert_allclose(w.data, expected, rtol=1e-13, atol=1e-15)
    assert sgd.param_groups[0]["lr"] is lr


def test_adam_reads_its_tensor_betas_and_weight_decay_at_each_step():
    w = nn.Parameter(W0.copy())
    lr, b1, b2, decay = tg.tensor(0.05), tg.tensor(0.8), tg.tensor(0.95), tg.tensor(0.0)
    adam = optim.Adam([w], lr=lr, betas=(b1, b2), weight_decay=decay)
    x, m, v = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t in range(1, 7):
        if t == 3:
            lr.fill_(0.02), b1.fill_(0.5), decay.fill_(0.1)
        g = gradient_at(x, t) + float(decay) * x
        beta1, beta2 = float(b1), float(b2)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        x = x - float(lr) / (1 - beta1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) + 1e-8)
        w.grad = tg.tensor(gradient_at(w.data, t))
        adam.step()
        np.testing.assert_allclose(w.data, x, rtol=1e-12, atol=1e-14)
    group = adam.param_groups[0]
    assert group["betas"][0] is b1 and group["weight_decay"] is decay


def test_a_bad_value_filled_into_a_setting_is_refused_at_the_step():
    w = nn.Parameter(W0.copy())
    lr = tg.tensor(0.1)
    sgd = optim.SGD([w], lr=lr)
    lr.fill_(-1.0)
    w.grad = tg.tensor(np.ones_like(W0))
    with pytest.raises(ValueError, match=r"^SGD: lr must be >= 0\.0, got -1\.0$"):
        sgd.step()
    np.testing.assert_array_equal(w.data, W0)


def test_a_scheduler_fills_the_lr_tensor_and_keeps_copies():
    w = nn.Parameter(W0.copy())
    lr = tg.tensor(0.1)
    sgd = optim.SGD([w], lr=lr)
    steps = lr_scheduler.StepLR(sgd, step_size=1, gamma=0.5)
    group = sgd.param_groups[0]
    assert group["initial_lr"] is not lr and steps.base_lrs[0] is not lr
    for epoch in range(3):
        w.grad = tg.tensor(gradient_at(w.data, epoch))
        sgd.step()
        steps.step()
        assert group["lr"] is lr and float(lr) == 0.1 * 0.5 ** (epoch + 1)
        assert steps.get_last_lr()[0] is not lr and float(steps.get_last_lr()[0]) == float(lr)
    assert float(group["initial_lr"]) == 0.1 and float(steps.base_lrs[0]) == 0.1


def test_a_saved_state_loads_as_a_copy_and_resumes_through_tg_save(tmp_path):
    w = nn.Parameter(W0.copy())
    lr = tg.tensor(0.1)
    sgd = optim.SGD([w], lr=lr, momentum=0.9)
    for k in range(2):
        w.grad = tg.tensor(gradient_at(w.data, k))
        sgd.step()
    saved = sgd.state_dict()
    assert saved["param_groups"][0]["lr"] is lr  # (the setting itself, as PyTorch's)
    v = nn.Parameter(w.data.copy())
    other = optim.SGD([v], lr=0.5, momentum=0.9)
    other.load_state_dict(saved)
    loaded = other.param_groups[0]["lr"]
    assert loaded is not lr and float(loaded) == 0.1
    lr.fill_(0.3)  # (the first optimizer's lr: the loaded one keeps its own)
    assert float(loaded) == 0.1
    tg.save(sgd, tmp_path / "sgd.npz")
    third = optim.SGD([u := nn.Parameter(w.data.copy())], lr=0.5, momentum=0.9)
    third.load_state_dict(tg.load(tmp_path / "sgd.npz"))
    for k in range(2, 5):
        for p in (w, u):
            p.grad = tg.tensor(gradient_at(p.data, k))
        sgd.step()
        third.step()
        np.testing.assert_array_equal(u.data, w.data)


# ------------------------------------------------------------------ against PyTorch


torch_float64 = test_optim_torch_parity.torch_float64  # (the fixture: torch in float64)


class Pair:
    """The same two parameters, optimizer and scheduler in both libraries, given the same
    gradients; the lr a 0-d tensor each library's group keeps."""

    def __init__(self, torch, name: str, settings: dict, schedule=None) -> None:
        self.torch = torch
        self.theirs = [torch.tensor(W0.copy(), requires_grad=True),
                       torch.tensor(B0.copy(), requires_grad=True)]
        self.ours = [nn.Parameter(W0.copy()), nn.Parameter(B0.copy())]
        self.their_lr, self.lr = torch.tensor(settings["lr"]), tg.tensor(settings["lr"])
        rest = {k: v for k, v in settings.items() if k != "lr"}
        self.topt = getattr(torch.optim, name)(self.theirs, lr=self.their_lr, **rest)
        self.opt = getattr(optim, name)(self.ours, lr=self.lr, **rest)
        self.tsched = self.sched = None
        if schedule is not None:
            self.tsched = schedule(torch.optim.lr_scheduler, torch.optim.swa_utils, self.topt)
            self.sched = schedule(lr_scheduler, swa_utils, self.opt)
        self.k = 0

    def step(self, metric=None) -> None:
        for p, q in zip(self.ours, self.theirs):
            q.grad = self.torch.tensor(gradient_at(q.detach().numpy(), self.k))
            p.grad = tg.tensor(gradient_at(p.data, self.k))
        self.topt.step()
        self.opt.step()
        if self.sched is not None:
            args = () if metric is None else (metric,)
            self.tsched.step(*args)
            self.sched.step(*args)
        self.k += 1

    def agree(self) -> None:
        assert self.opt.param_groups[0]["lr"] is self.lr
        assert self.topt.param_groups[0]["lr"] is self.their_lr
        np.testing.assert_allclose(float(self.lr), float(self.their_lr), rtol=1e-12, atol=0)
        for p, q in zip(self.ours, self.theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)
        if self.sched is not None:
            np.testing.assert_allclose([float(v) for v in self.sched.get_last_lr()],
                                       [float(v) for v in self.tsched.get_last_lr()],
                                       rtol=1e-12, atol=0)


OPTIMIZERS = [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.02)),
              ("AdamW", dict(lr=0.02)), ("RMSprop", dict(lr=0.01)), ("Adagrad", dict(lr=0.1)),
              ("NAdam", dict(lr=0.02)), ("RAdam", dict(lr=0.02)), ("Adamax", dict(lr=0.02)),
              ("Adadelta", dict(lr=0.5)), ("Rprop", dict(lr=0.01)), ("ASGD", dict(lr=0.02)),
              ("Adafactor", dict(lr=0.02))]


@pytest.mark.torch
@pytest.mark.parametrize("name, settings", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_an_lr_tensor_filled_by_hand_steps_as_pytorchs(name, settings, torch_float64):
    pair = Pair(torch_float64, name, settings)
    for k in range(8):
        if k == 3:
            pair.lr.fill_(settings["lr"] / 4)
            pair.their_lr.fill_(settings["lr"] / 4)
        if k == 5:
            pair.lr.data[...] = settings["lr"] * 2
            pair.their_lr.data[...] = settings["lr"] * 2
        pair.step()
        pair.agree()


SCHEDULES = {
    "StepLR": lambda s, _, o: s.StepLR(o, step_size=2, gamma=0.5),
    "ExponentialLR": lambda s, _, o: s.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda s, _, o: s.CosineAnnealingLR(o, T_max=4, eta_min=0.001),
    "LambdaLR": lambda s, _, o: s.LambdaLR(o, lambda e: 1 / (e + 1)),
    "PolynomialLR": lambda s, _, o: s.PolynomialLR(o, total_iters=5, power=2.0),
    "LinearLR": lambda s, _, o: s.LinearLR(o, start_factor=0.25, total_iters=4),
    "ConstantLR": lambda s, _, o: s.ConstantLR(o, factor=0.5, total_iters=3),
    "CosineAnnealingWarmRestarts": lambda s, _, o: s.CosineAnnealingWarmRestarts(o, T_0=3),
    "OneCycleLR": lambda s, _, o: s.OneCycleLR(o, max_lr=0.5, total_steps=10),
    "CyclicLR": lambda s, _, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=3),
    "ReduceLROnPlateau": lambda s, _, o: s.ReduceLROnPlateau(o, patience=0, factor=0.5),
    "SequentialLR": lambda s, _, o: s.SequentialLR(o, [s.ConstantLR(o, factor=0.5,
                                                                    total_iters=2),
                                                       s.ExponentialLR(o, 0.9)], [2]),
    "ChainedScheduler": lambda s, _, o: s.ChainedScheduler([s.ExponentialLR(o, 0.9),
                                                            s.StepLR(o, 2, 0.5)]),
    "SWALR": lambda _, swa, o: swa.SWALR(o, swa_lr=0.01, anneal_epochs=3),
}


@pytest.mark.torch
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_a_scheduler_fills_the_lr_tensor_as_pytorchs(schedule, torch_float64):
    pair = Pair(torch_float64, "SGD", dict(lr=0.1, momentum=0.9), SCHEDULES[schedule])
    pair.agree()
    for k in range(9):
        pair.step(metric=1.0 if schedule == "ReduceLROnPlateau" else None)
        pair.agree()


@pytest.mark.torch
def test_a_state_dict_with_an_lr_tensor_loads_as_pytorchs(torch_float64):
    torch = torch_float64
    pair = Pair(torch, "Adam", dict(lr=0.02), SCHEDULES["ExponentialLR"])
    pair.step()
    pair.step()
    theirs, ours = pair.topt.state_dict(), pair.opt.state_dict()
    assert ours["param_groups"][0]["lr"] is pair.lr  # (as PyTorch's: the tensor itself)
    assert theirs["param_groups"][0]["lr"] is pair.their_lr
    pair.topt = torch.optim.Adam(pair.theirs, lr=0.5)
    pair.opt = optim.Adam(pair.ours, lr=0.5)
    pair.topt.load_state_dict(theirs)
    pair.opt.load_state_dict(ours)
    for opt, lr in ((pair.topt, pair.their_lr), (pair.opt, pair.lr)):
        assert opt.param_groups[0]["lr"] is not lr and float(opt.param_groups[0]["lr"]) \
            == pytest.approx(0.02 * 0.8 ** 2, rel=1e-12)
    pair.lr, pair.their_lr = pair.opt.param_groups[0]["lr"], pair.topt.param_groups[0]["lr"]
    pair.sched = pair.tsched = None
    for _ in range(3):
        pair.step()
        pair.agree()
