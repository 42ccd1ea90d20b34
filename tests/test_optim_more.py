"""Tests of the later additions to tg.optim and nn.utils, each against PyTorch step by step:
ReduceLROnPlateau, LinearLR, ConstantLR, OneCycleLR, SequentialLR, MultiplicativeLR,
PolynomialLR, CosineAnnealingWarmRestarts and ChainedScheduler (the lrs, momenta and the
weights they train, state dicts), Adam's and AdamW's amsgrad=, maximize= on SGD, Adam and
AdamW, and nn.utils' parameters_to_vector, vector_to_parameters, get_total_norm,
clip_grads_with_norm_ and clip_grad_norm_ of any order; with their errors."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.optim import lr_scheduler

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal((6, 2))
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal(2)


class _Pair:
    """The same two-group linear model, optimizer and scheduler in both frameworks."""

    def __init__(self, opt_name, opt_kw, sched_name=None, sched_kw=None, lrs=(0.05, 0.01),
                 dtype=np.float64):
        self.ours = [nn.Parameter(W0.astype(dtype)), nn.Parameter(B0.astype(dtype))]
        self.theirs = [torch.tensor(W0.astype(dtype), requires_grad=True),
                       torch.tensor(B0.astype(dtype), requires_grad=True)]
        self.opt = getattr(optim, opt_name)(
            [{"params": [p], "lr": lr} for p, lr in zip(self.ours, lrs)], **opt_kw)
        self.topt = getattr(torch.optim, opt_name)(
            [{"params": [p], "lr": lr} for p, lr in zip(self.theirs, lrs)], **opt_kw)
        self.sched = self.tsched = None
        if sched_name is not None:
            self.sched = getattr(lr_scheduler, sched_name)(self.opt, **sched_kw)
            self.tsched = getattr(torch.optim.lr_scheduler, sched_name)(self.topt, **sched_kw)

    def loss(self):
        w, b = self.ours
        tw, tb = self.theirs
        ours = (((tg.tensor(X.astype(w.dtype)) @ w + b) - tg.tensor(Y.astype(w.dtype))) ** 2)
        theirs = ((torch.tensor(X.astype(w.dtype)) @ tw + tb) - torch.tensor(Y.astype(w.dtype)))
        return ours.mean(), (theirs ** 2).mean()

    def train_step(self):
        self.opt.zero_grad()
        self.topt.zero_grad()
        ours, theirs = self.loss()
        ours.backward()
        theirs.backward()
        self.opt.step()
        self.topt.step()
        return ours, theirs

    def agree(self, tol=1e-12):
        for p, q in zip(self.ours, self.theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=tol, atol=tol)
        for g, tgroup in zip(self.opt.param_groups, self.topt.param_groups):
            assert g["lr"] == pytest.approx(tgroup["lr"], rel=1e-13, abs=1e-15)
            for key in ("momentum", "betas"):
                if key in g:
                    np.testing.assert_allclose(g[key], tgroup[key], rtol=1e-13)
        if self.sched is not None:
            np.testing.assert_allclose(self.sched.get_last_lr(), self.tsched.get_last_lr(),
                                       rtol=1e-13)


def _run(pair, steps, metrics=None):
    pair.agree()
    for i in range(steps):
        pair.train_step()
        if metrics is None:
            pair.sched.step()
            pair.tsched.step()
        else:
            pair.sched.step(metrics[i])
            pair.tsched.step(metrics[i])
        pair.agree()


# ------------------------------------------------------------------ ReduceLROnPlateau

# a loss that improves, stalls, creeps by less than the threshold, and improves again
METRICS = [1.0, 0.9, 0.95, 0.9, 0.9, 0.89999, 0.92, 0.5, 0.5, 0.51, 0.5, 0.49999, 0.6, 0.7,
           0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2, 0.3, 0.3, 0.3]


@pytest.mark.parametrize("settings", [
    dict(), dict(patience=1), dict(patience=2, factor=0.5, cooldown=2),
    dict(patience=0, threshold_mode="abs", threshold=0.05),
    dict(mode="max", patience=1, factor=0.3), dict(mode="max", threshold_mode="abs", patience=0),
    dict(patience=0, min_lr=[0.004, 0.002]), dict(patience=0, min_lr=0.003, eps=1e-3),
])
def test_reduce_lr_on_plateau_agrees_with_pytorch(settings):
    pair = _Pair("SGD", dict(momentum=0.9), "ReduceLROnPlateau", settings)
    _run(pair, len(METRICS), METRICS)
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
        assert getattr(pair.sched, key) == getattr(pair.tsched, key)


def test_reduce_lr_on_plateau_takes_the_loss_tensor_and_round_trips():
    pair = _Pair("Adam", {}, "ReduceLROnPlateau", dict(patience=1, factor=0.5))
    for _ in range(4):
        ours, theirs = pair.train_step()
        pair.sched.step(ours)  # a 0-d tensor, as PyTorch's
        pair.tsched.step(theirs.detach())
        pair.agree()
    saved = pair.sched.state_dict()
    assert saved.keys() == pair.tsched.state_dict().keys()
    other = _Pair("Adam", {}, "ReduceLROnPlateau", dict(patience=1, factor=0.5))
    other.sched.load_state_dict(saved)
    for metric in (5.0, 5.0, 5.0):
        pair.sched.step(metric)
        other.sched.step(metric)
        assert other.sched.num_bad_epochs == pair.sched.num_bad_epochs
        assert other.sched.best == pair.sched.best


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError,
     r"ReduceLROnPlateau: factor must be < 1.0 .*got 1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), ValueError,
     r"mode must be 'min' .* got 'lowest'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="ratio"), ValueError,
     r"threshold_mode must be 'rel' or 'abs', got 'ratio'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError,
     r"got 1 min_lrs for 2 parameter groups"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError,
     r"patience must be >= 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o).step("low"), TypeError,
     r"ReduceLROnPlateau.step: metrics must be a number"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o).step(0.5, 3), TypeError, r"takes no epoch"),
])
def test_reduce_lr_on_plateau_errors(make, error, match):
    with pytest.raises(error, match=match):
        make(_Pair("SGD", {}).opt)
    torch_make = {  # PyTorch refuses the same settings (its own messages)
        "factor must": dict(factor=1.0), "mode must": dict(mode="lowest"),
        "threshold_mode": dict(threshold_mode="ratio"), "min_lrs": dict(min_lr=[0.1])}
    for key, settings in torch_make.items():
        if key in match:
            with pytest.raises(ValueError):
                torch.optim.lr_scheduler.ReduceLROnPlateau(_Pair("SGD", {}).topt, **settings)


# ------------------------------------------------------------------ the epoch schedules

SCHEDULES = [
    ("LinearLR", dict()), ("LinearLR", dict(start_factor=0.1, end_factor=0.6, total_iters=7)),
    ("ConstantLR", dict()), ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95 - 0.01 * e)),
    ("PolynomialLR", dict()), ("PolynomialLR", dict(total_iters=9, power=2.5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2, eta_min=0.001)),
    ("OneCycleLR", dict(max_lr=0.2, total_steps=20)),
    ("OneCycleLR", dict(max_lr=[0.2, 0.05], epochs=4, steps_per_epoch=5, pct_start=0.4,
                        anneal_strategy="linear", div_factor=10.0)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=20, three_phase=True, base_momentum=0.8,
                        max_momentum=[0.9, 0.99], final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=20, cycle_momentum=False)),
]
OPTIMIZERS = [("SGD", dict(momentum=0.9)), ("Adam", dict()), ("AdamW", dict(amsgrad=True))]


@pytest.mark.parametrize("name, settings", SCHEDULES, ids=[  # (a function by its name: ids
    f"{n}-{ {k: getattr(v, '__name__', v) for k, v in s.items()} }" for n, s in SCHEDULES])
@pytest.mark.parametrize("opt_name, opt_kw", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_schedules_train_as_pytorchs(name, settings, opt_name, opt_kw):
    pair = _Pair(opt_name, opt_kw, name, settings)
    _run(pair, 20)


@pytest.mark.parametrize("name, settings", SCHEDULES[:-1], ids=[n for n, _ in SCHEDULES[:-1]])
def test_schedules_state_dict_resumes_where_it_stopped(name, settings):
    pair = _Pair("SGD", dict(momentum=0.9), name, settings)
    _run(pair, 7)
    saved, opt_saved = pair.sched.state_dict(), pair.opt.state_dict()
    other = _Pair("SGD", dict(momentum=0.9), name, settings)
    other.opt.load_state_dict(opt_saved)
    other.sched.load_state_dict(saved)
    for _ in range(10):
        pair.sched.step()
        other.sched.step()
        assert other.sched.get_last_lr() == pair.sched.get_last_lr()
        assert [g["lr"] for g in other.opt.param_groups] == pair.sched.get_last_lr()


def test_cosine_warm_restarts_takes_fractional_epochs_as_pytorch():
    pair = _Pair("SGD", {}, "CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2))
    for epoch in (0.5, 1.25, 3.0, 4.7, 9.1, 21.5, 2.0):
        pair.sched.step(epoch)
        pair.tsched.step(epoch)
        pair.agree()
    with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts.step: epoch must be >= 0"):
        pair.sched.step(-1)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_one_cycle_refuses_a_step_past_total_steps():
    pair = _Pair("SGD", dict(momentum=0.9), "OneCycleLR", dict(max_lr=0.1, total_steps=3))
    for _ in range(3):
        pair.sched.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 4 times; total_steps is 3"):
        pair.sched.step()
    pair.topt.step()  # (as ours, PyTorch warns of a scheduler stepped before its optimizer)
    with pytest.raises(ValueError):
        for _ in range(4):
            pair.tsched.step()


# ------------------------------------------------------------------ composed schedules

def _sequential(framework, opt):
    lrs = framework.optim.lr_scheduler if framework is torch else lr_scheduler
    warm = lrs.LinearLR(opt, start_factor=0.2, total_iters=3)
    decay = lrs.ExponentialLR(opt, gamma=0.8)
    cosine = lrs.CosineAnnealingLR(opt, T_max=4)
    return lrs.SequentialLR(opt, [warm, decay, cosine], milestones=[3, 8])


def _chained(framework, opt):
    lrs = framework.optim.lr_scheduler if framework is torch else lr_scheduler
    return lrs.ChainedScheduler([lrs.ConstantLR(opt, factor=0.5, total_iters=4),
                                 lrs.ExponentialLR(opt, gamma=0.9),
                                 lrs.StepLR(opt, step_size=3, gamma=0.5)])


@pytest.mark.parametrize("build", [_sequential, _chained])
def test_composed_schedules_train_as_pytorchs(build):
    pair = _Pair("SGD", dict(momentum=0.9))
    pair.sched, pair.tsched = build(tg, pair.opt), build(torch, pair.topt)
    _run(pair, 15)
    saved = pair.sched.state_dict()
    assert saved.keys() == pair.tsched.state_dict().keys()
    other = _Pair("SGD", dict(momentum=0.9))
    other.sched = build(tg, other.opt)
    other.opt.load_state_dict(pair.opt.state_dict())
    other.sched.load_state_dict(saved)
    for _ in range(5):
        pair.sched.step()
        other.sched.step()
        assert other.sched.get_last_lr() == pair.sched.get_last_lr()


def test_sequential_over_multistep_and_lambda_as_pytorch():
    def build(lrs, opt):
        first = lrs.MultiStepLR(opt, milestones=[1, 2], gamma=0.5)
        second = lrs.LambdaLR(opt, lambda e: 1 / (e + 1))
        third = lrs.PolynomialLR(opt, total_iters=4)
        return lrs.SequentialLR(opt, [first, second, third], milestones=[4, 6])
    pair = _Pair("Adam", {})
    pair.sched, pair.tsched = build(lr_scheduler, pair.opt), build(torch.optim.lr_scheduler,
                                                                   pair.topt)
    _run(pair, 12)


def test_composed_schedules_errors():
    pair = _Pair("SGD", {})
    other = _Pair("SGD", {})
    step = lr_scheduler.StepLR(pair.opt, 2)
    with pytest.raises(ValueError, match=r"SequentialLR: 2 schedulers need 1 milestones, got 0"):
        lr_scheduler.SequentialLR(pair.opt, [step, step], milestones=[])
    with pytest.raises(ValueError, match=r"SequentialLR: got no scheduler"):
        lr_scheduler.SequentialLR(pair.opt, [], milestones=[])
    with pytest.raises(ValueError, match=r"schedulers\[1\] \(StepLR\) belongs to another"):
        lr_scheduler.ChainedScheduler([step, lr_scheduler.StepLR(other.opt, 2)])
    plateau = lr_scheduler.ReduceLROnPlateau(pair.opt)
    with pytest.raises(ValueError, match=r"schedulers\[0\] is a ReduceLROnPlateau"):
        lr_scheduler.ChainedScheduler([plateau])
    with pytest.raises(TypeError, match=r"schedulers\[0\] is a int, not a scheduler"):
        lr_scheduler.SequentialLR(pair.opt, [3], milestones=[])
    with pytest.raises(ValueError, match=r"milestones must be in increasing order"):
        lr_scheduler.SequentialLR(pair.opt, [step, step, step], milestones=[5, 2])


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError,
     r"LinearLR: start_factor must be in \(0, 1\], got 0"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError,
     r"LinearLR: end_factor must be in \[0, 1\], got 1.5"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=2), ValueError, r"ConstantLR: factor must be"),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=0), ValueError,
     r"PolynomialLR: total_iters must be >= 1"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     r"T_0 must be >= 1, got 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), TypeError,
     r"T_mult must be an integer"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0]), ValueError,
     r"MultiplicativeLR: got 1 lr_lambdas for 2 parameter groups"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1), ValueError,
     r"OneCycleLR: give total_steps, or both epochs and steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=5, pct_start=1.5), ValueError,
     r"pct_start must be in \[0, 1\], got 1.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 5, anneal_strategy="cosine"), ValueError,
     r"anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda o: lr_scheduler.OneCycleLR(o, [0.1, 0.2, 0.3], 5), ValueError,
     r"got 3 values of max_lr for 2 parameter groups"),
    (lambda o: lr_scheduler.LinearLR("sgd"), TypeError, r"LinearLR: str is not an Optimizer"),
])
def test_schedule_errors(make, error, match):
    with pytest.raises(error, match=match):
        make(_Pair("SGD", {}).opt)


def test_one_cycle_needs_momentum_or_betas():
    opt = optim.Adagrad([nn.Parameter(np.ones(2))])
    with pytest.raises(ValueError, match=r"OneCycleLR: cycle_momentum=True needs an optimizer"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    with pytest.raises(ValueError):
        torch.optim.lr_scheduler.OneCycleLR(torch.optim.Adagrad([torch.ones(2)]), max_lr=0.1,
                                            total_steps=5)
    lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5, cycle_momentum=False)


def test_new_schedulers_are_reached_as_pytorchs():
    from tinygrad_gd.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
    assert tg.optim.lr_scheduler.ReduceLROnPlateau is ReduceLROnPlateau
    assert tg.optim.lr_scheduler.OneCycleLR is OneCycleLR
    for name in lr_scheduler.__all__:
        assert hasattr(torch.optim.lr_scheduler, name), name
        assert isinstance(getattr(lr_scheduler, name).__doc__, str)


# ------------------------------------------------------------------ amsgrad, maximize

@pytest.mark.parametrize("opt_name, opt_kw", [
    ("Adam", dict(amsgrad=True)), ("Adam", dict(amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(amsgrad=True)), ("AdamW", dict(amsgrad=True, maximize=True)),
    ("Adam", dict(maximize=True, weight_decay=0.05)), ("AdamW", dict(maximize=True)),
    ("SGD", dict(maximize=True, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(maximize=True, momentum=0.5, nesterov=True)), ("SGD", dict(maximize=True)),
])
def test_amsgrad_and_maximize_step_as_pytorchs(opt_name, opt_kw):
    pair = _Pair(opt_name, opt_kw, lrs=(0.3, 0.1))  # large steps: the max of v matters
    for _ in range(15):
        pair.train_step()
        pair.agree()
    saved = pair.opt.state_dict()
    if opt_kw.get("amsgrad"):
        torch_state = pair.topt.state_dict()["state"][0]["max_exp_avg_sq"].numpy()
        np.testing.assert_allclose(saved["state"][0]["max_exp_avg_sq"], torch_state, rtol=1e-12)
    other = _Pair(opt_name, opt_kw, lrs=(0.3, 0.1))  # resumed from the saved state
    for p, q, r, t in zip(other.ours, other.theirs, pair.ours, pair.theirs):
        p.data = r.data
        with torch.no_grad():
            q.copy_(t)
    other.opt.load_state_dict(saved)
    other.topt.load_state_dict(pair.topt.state_dict())
    for _ in range(3):
        other.train_step()
        other.agree()


def test_amsgrad_keeps_float32():
    pair = _Pair("Adam", dict(amsgrad=True), dtype=np.float32)
    for _ in range(5):
        pair.train_step()
        assert pair.ours[0].dtype == np.float32
        pair.agree(tol=1e-5)


def test_a_state_saved_without_the_new_flags_loads():
    pair = _Pair("Adam", {})
    pair.train_step()
    saved = pair.opt.state_dict()
    for group in saved["param_groups"]:
        del group["amsgrad"], group["maximize"]
    other = _Pair("Adam", {})
    other.opt.load_state_dict(saved)
    assert [g["amsgrad"] for g in other.opt.param_groups] == [False, False]


# ------------------------------------------------------------------ nn.utils

def _model_pair(dtype=np.float64):
    model = nn.Sequential(nn.Linear(3, 4, seed=1), nn.Tanh(), nn.Linear(4, 2, seed=2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for p, q in zip(model.parameters(), theirs.parameters()):
            p.data = p.data.astype(dtype)
            q.copy_(torch.tensor(p.data))
    (model(tg.tensor(X.astype(dtype))) ** 3).sum().backward()
    (theirs(torch.tensor(X.astype(dtype))) ** 3).sum().backward()
    return model, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1, 3, 0.5, 0, float("inf"), "inf", -math.inf])
def test_clip_grad_norm_of_any_order_agrees_with_pytorch(norm_type):
    model, theirs = _model_pair()
    ours = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=norm_type)
    torch_type = float(norm_type) if isinstance(norm_type, str) else norm_type
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5, norm_type=torch_type)
    np.testing.assert_allclose(ours.item(), expected.item(), rtol=1e-12)
    for p, q in zip(model.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)


def test_get_total_norm_and_clip_grads_with_norm_as_pytorch():
    model, theirs = _model_pair(np.float32)
    grads = [p.grad for p in model.parameters()]
    for norm_type in (2.0, 1.0, float("inf")):
        ours = nn.utils.get_total_norm(grads, norm_type)
        expected = torch.nn.utils.get_total_norm([q.grad for q in theirs.parameters()],
                                                 norm_type)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.item(), expected.item(), rtol=1e-6)
    nn.utils.clip_grads_with_norm_(model.parameters(), 0.1, ours)
    torch.nn.utils.clip_grads_with_norm_(theirs.parameters(), 0.1, expected)
    for p, q in zip(model.parameters(), theirs.parameters()):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert nn.utils.get_total_norm([]).item() == 0.0
    assert nn.utils.get_total_norm([tg.zeros(0)]).item() == 0.0


def test_get_total_norm_records_no_graph_as_pytorchs():
    a = tg.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    ta = torch.tensor(a.data, requires_grad=True)
    assert not nn.utils.get_total_norm([a]).requires_grad
    assert not torch.nn.utils.get_total_norm([ta]).requires_grad


def test_clip_grad_norm_errors():
    model, _ = _model_pair()
    with pytest.raises(ValueError, match=r"clip_grad_norm_: norm_type must be a number"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type="fro")
    model[0].weight.grad = tg.tensor(np.full((4, 3), np.inf))
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm of order 2.0 is inf"):
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match=r"clip_grads_with_norm_: total_norm must be a number"):
        nn.utils.clip_grads_with_norm_(model.parameters(), 1.0, "big")


def test_parameters_to_vector_is_in_the_graph_as_pytorchs():
    model, theirs = _model_pair()
    vec = nn.utils.parameters_to_vector(model.parameters())
    tvec = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_allclose(vec.data, tvec.detach().numpy(), rtol=0)
    model.zero_grad()
    theirs.zero_grad()
    weights = np.arange(vec.size, dtype=np.float64)
    (vec * tg.tensor(weights)).sin().sum().backward()
    (tvec * torch.tensor(weights)).sin().sum().backward()
    for p, q in zip(model.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)
    a = tg.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    b = tg.tensor(RNG.standard_normal(4), requires_grad=True)
    assert tg.gradcheck(lambda a, b: nn.utils.parameters_to_vector([a, b]) ** 2, (a, b))


def test_vector_to_parameters_writes_in_place_as_pytorch():
    model, theirs = _model_pair()
    vec = np.linspace(-1, 1, sum(p.size for p in model.parameters()))
    weight = model[0].weight
    x = tg.tensor(X)
    out = model(x).sum()  # a graph that saved the old weights
    nn.utils.vector_to_parameters(tg.tensor(vec), model.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), theirs.parameters())
    assert model[0].weight is weight
    for p, q in zip(model.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.data, q.detach().numpy())
    with pytest.raises(RuntimeError):  # the write is counted: the old graph refuses
        out.backward()
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(model.parameters()).data, vec)


def test_vector_to_parameters_keeps_float32_and_checks_the_vector():
    p = nn.Parameter(np.zeros((2, 2), dtype=np.float32))
    nn.utils.vector_to_parameters(tg.tensor(np.arange(4.0)), [p])
    assert p.dtype == np.float32 and p.data.tolist() == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match=r"vector_to_parameters: vec has shape \(5,\), the "
                                         r"parameters 4 entries in all"):
        nn.utils.vector_to_parameters(tg.tensor(np.arange(5.0)), [p])
    with pytest.raises(TypeError, match=r"vector_to_parameters: expected vec to be a Tensor, "
                                        r"got ndarray"):
        nn.utils.vector_to_parameters(np.arange(4.0), [p])
    with pytest.raises(TypeError):
        torch.nn.utils.vector_to_parameters(np.arange(4.0), [torch.zeros(2, 2)])
    with pytest.raises(ValueError, match=r"parameters_to_vector: got no parameters"):
        nn.utils.parameters_to_vector([])


# Review fixes ------------------------------------------------------------------------------
def _momentum_optimizer():
    return optim.SGD([nn.Parameter(np.ones(2))], lr=0.1, momentum=0.9)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
@pytest.mark.parametrize("kwargs", [  # (a later phase of zero steps: Second read fixes)
    dict(total_steps=25, pct_start=0.04),
    dict(epochs=5, steps_per_epoch=5, pct_start=0.04),
    dict(total_steps=25, pct_start=0.04, three_phase=True),
])
def test_one_cycle_refuses_a_phase_of_zero_steps(kwargs):
    with pytest.raises(ValueError) as error:
        lr_scheduler.OneCycleLR(_momentum_optimizer(), 1.0, **kwargs)
    message = str(error.value)
    assert message.startswith(f"OneCycleLR: pct_start={kwargs['pct_start']} with "
                              f"total_steps=25 makes the warm-up zero steps long")
    assert message.endswith("give a pct_start other than 1 / 25")
    assert "\n" not in message
    with pytest.raises(ZeroDivisionError):  # (torch's: at some step)
        sched = torch.optim.lr_scheduler.OneCycleLR(torch.optim.SGD(
            [torch.ones(2, requires_grad=True)], lr=0.1, momentum=0.9), 1.0, **kwargs)
        for _ in range(25):
            sched.step()


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_one_cycle_pct_start_zero_and_near_the_bad_values_still_run():
    for pct, three in ((0.0, False), (0.0, True), (0.05, False), (0.5, True)):
        ours = lr_scheduler.OneCycleLR(_momentum_optimizer(), 1.0, total_steps=25,
                                       pct_start=pct, three_phase=three)
        theirs = torch.optim.lr_scheduler.OneCycleLR(torch.optim.SGD(
            [torch.ones(2, requires_grad=True)], lr=0.1, momentum=0.9), 1.0, total_steps=25,
            pct_start=pct, three_phase=three)
        for _ in range(25):
            ours.step()
            theirs.step()
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


def test_one_cycle_pct_start_of_a_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"^OneCycleLR: pct_start must be a number, got 'a'$"):
        lr_scheduler.OneCycleLR(_momentum_optimizer(), 1.0, total_steps=25, pct_start="a")


@pytest.mark.parametrize("make, match", [
    (lambda ps: optim.Adam(ps, amsgrad="yes"), r"^Adam: amsgrad must be True or False, got "
                                               r"str 'yes'$"),
    (lambda ps: optim.AdamW(ps, maximize=1), r"^AdamW: maximize must be True or False, got "
                                             r"int 1$"),
    (lambda ps: optim.SGD(ps, maximize=None), r"^SGD: maximize must be True or False, got "
                                              r"NoneType None$"),
])
def test_optimizer_flags_are_checked_as_every_flag(make, match):
    with pytest.raises(TypeError, match=match):
        make([nn.Parameter(np.ones(2))])


@pytest.mark.parametrize("clip, where", [
    (lambda ps: nn.utils.clip_grad_norm_(ps, "a"), "clip_grad_norm_"),
    (lambda ps: nn.utils.clip_grads_with_norm_(ps, "a", 1.0), "clip_grads_with_norm_"),
])
def test_clipping_refuses_a_max_norm_that_is_no_number(clip, where):
    p = nn.Parameter(np.ones(3))
    p.grad = tg.tensor(np.ones(3))
    with pytest.raises(TypeError, match=rf"^{where}: max_norm must be a number, got str 'a'$"):
        clip([p])
    np.testing.assert_array_equal(p.grad.data, np.ones(3))


def test_clip_grad_norm_takes_a_one_element_tensor_max_norm_as_torch():
    p, tp = nn.Parameter(np.ones(3)), torch.ones(3, dtype=torch.float64, requires_grad=True)
    p.grad, tp.grad = tg.tensor(np.ones(3)), torch.ones(3, dtype=torch.float64)
    nn.utils.clip_grad_norm_([p], tg.tensor(0.5))
    torch.nn.utils.clip_grad_norm_([tp], torch.tensor(0.5))
    np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-6)


def test_adamw_accepts_foreach_as_adam_and_torch():
    ps, tps = [nn.Parameter(W0.copy())], [torch.tensor(W0, requires_grad=True)]
    ours, theirs = optim.AdamW(ps, lr=0.1, foreach=None), torch.optim.AdamW(tps, lr=0.1,
                                                                             foreach=None)
    for _ in range(3):
        ps[0].grad, tps[0].grad = tg.tensor(W0 * 0.5), torch.tensor(W0 * 0.5)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(ps[0].data, tps[0].detach().numpy(), rtol=1e-12)


def test_lr_scheduler_base_names_the_modules_that_exist():
    from tinygrad_gd import lr_scheduler_base
    named = re.findall(r"(\w+)\.py", lr_scheduler_base.__doc__)
    assert "lr_composed" in named
    for module in named:
        assert (Path(lr_scheduler_base.__file__).parent / f"{module}.py").exists(), module


def test_get_total_norm_of_order_0_counts_tensors_with_a_nonzero_entry_as_documented():
    arrays = [np.array([1.0, 2.0, 0.0]), np.zeros(2), np.array([0.0, 3.0])]
    ours = nn.utils.get_total_norm([tg.tensor(a) for a in arrays], 0)
    theirs = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays], 0)
    assert ours.item() == theirs.item() == 2.0  # (3 nonzero entries, in 2 tensors)
    assert "the number of tensors with a\n    nonzero entry" in nn.utils.get_total_norm.__doc__


# Second read fixes ---------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
@pytest.mark.parametrize("opt_name, opt_kw, kwargs", [
    ("SGD", dict(momentum=0.9), dict(pct_start=1.0)),
    ("SGD", dict(momentum=0.9), dict(pct_start=0.55, three_phase=True)),
    ("Adam", {}, dict(pct_start=0.55, three_phase=True, anneal_strategy="linear")),
])
def test_one_cycle_runs_a_last_phase_of_zero_steps_as_torch(opt_name, opt_kw, kwargs):
    # such a phase is never reached before step total_steps: torch runs these settings
    pair = _Pair(opt_name, opt_kw, "OneCycleLR", dict(max_lr=1.0, total_steps=10, **kwargs),
                 lrs=(0.1, 0.1))
    pair.agree()
    for _ in range(9):
        pair.train_step()
        pair.sched.step()
        pair.tsched.step()
        pair.agree()
    if kwargs["pct_start"] == 1.0:  # warm-up only, up to max_lr
        assert pair.sched.get_last_lr()[0] == 1.0
        assert pair.opt.param_groups[0]["momentum"] == pytest.approx(0.85)
    with pytest.raises(ZeroDivisionError):  # torch's step total_steps divides by that phase
        pair.tsched.step()
    with pytest.raises(ValueError, match=r"^OneCycleLR: tried to step 10 times; at this "
                       r"pct_start the last phase is zero steps long, so the schedule ends at "
                       r"step 9 \(build it with more total_steps\)$"):
        pair.sched.step()


@pytest.mark.parametrize("name", ["three_phase", "cycle_momentum"])
def test_one_cycle_refuses_a_flag_that_is_not_true_or_false(name):
    with pytest.raises(TypeError, match=rf"^OneCycleLR: {name} must be True or False, got str "
                                        r"'False'$"):
        lr_scheduler.OneCycleLR(_momentum_optimizer(), 1.0, total_steps=10, **{name: "False"})


@pytest.mark.parametrize("where", ["clip_grad_norm_", "get_total_norm"])
def test_total_norm_refuses_an_error_if_nonfinite_that_is_not_true_or_false(where):
    p = nn.Parameter(np.array([np.inf, 1.0]))
    p.grad = tg.tensor([np.inf, 1.0])
    call = {"clip_grad_norm_": lambda flag: nn.utils.clip_grad_norm_([p], 1.0, 2.0, flag),
            "get_total_norm": lambda flag: nn.utils.get_total_norm([p.grad], 2.0, flag)}[where]
    with pytest.raises(TypeError, match=rf"^{where}: error_if_nonfinite must be True or False, "
                                        r"got str 'no'$"):
        call("no")
    with pytest.raises(RuntimeError, match=rf"^{where}: the total norm of order 2.0 is inf"):
        call(True)




@pytest.mark.parametrize("name", ["LinearLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts"])
def test_scheduler_formulas_render_on_their_own_line(name):
    import inspect
    griffe = pytest.importorskip("griffe")
    markdown = pytest.importorskip("markdown")
    doc = inspect.cleandoc(getattr(lr_scheduler, name).__doc__)
    sections = griffe.Docstring(doc).parse("google")
    assert [section.kind.value for section in sections] == ["text"]  # (no admonition box)
    html = markdown.markdown(sections[0].value)
    assert re.search(r"<pre><code>lr = [^\n]*\n</code></pre>", html)
