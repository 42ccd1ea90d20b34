"""Tests of tg.optim.lr_scheduler: each scheduler's lrs against its closed form and (marked
`torch`) against PyTorch's schedulers epoch by epoch, the optimizer's groups it writes,
"initial_lr", resuming with last_epoch and state dicts, and its errors."""
from __future__ import annotations

import bisect
import math
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.optim import lr_scheduler

EPOCHS = 20
LRS = [0.5, 0.02]  # two parameter groups with their own starting lr


def _sgd(lrs=LRS):
    groups = [{"params": [nn.Parameter(np.ones(2))], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=0.1)


def _lrs_over_epochs(scheduler, epochs=EPOCHS):
    """[group lrs at epoch 0, 1, ...]: what get_last_lr() and the optimizer say agree."""
    seen = []
    for _ in range(epochs):
        last = scheduler.get_last_lr()
        assert last == [g["lr"] for g in scheduler.optimizer.param_groups]
        seen.append(last)
        scheduler.optimizer.step()  # no gradients: nothing moves, as PyTorch's call order
        scheduler.step()
    return seen


def _closed_form(formula, lrs=LRS, epochs=EPOCHS):
    return [[formula(lr, epoch) for lr in lrs] for epoch in range(epochs)]


# (name, settings, the closed form from the scheduler's definition)
SCHEDULES = [
    ("StepLR", dict(step_size=3), lambda lr, e: lr * 0.1 ** (e // 3)),
    ("StepLR", dict(step_size=5, gamma=0.5), lambda lr, e: lr * 0.5 ** (e // 5)),
    ("MultiStepLR", dict(milestones=[2, 7, 13]),
     lambda lr, e: lr * 0.1 ** bisect.bisect_right([2, 7, 13], e)),
    ("MultiStepLR", dict(milestones=[4, 4, 11], gamma=0.3),
     lambda lr, e: lr * 0.3 ** bisect.bisect_right([4, 4, 11], e)),
    ("ExponentialLR", dict(gamma=0.9), lambda lr, e: lr * 0.9 ** e),
    ("ExponentialLR", dict(gamma=0.5), lambda lr, e: lr * 0.5 ** e),
    ("CosineAnnealingLR", dict(T_max=10),
     lambda lr, e: lr * (1 + math.cos(math.pi * e / 10)) / 2),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01),
     lambda lr, e: 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * e / 7)) / 2),
    ("CosineAnnealingLR", dict(T_max=7.5),  # a float number of epochs, as PyTorch takes
     lambda lr, e: lr * (1 + math.cos(math.pi * e / 7.5)) / 2),
]
IDS = [f"{name}-{settings}" for name, settings, _ in SCHEDULES]


@pytest.mark.parametrize("name, settings, formula", SCHEDULES, ids=IDS)
def test_lrs_follow_the_closed_form(name, settings, formula):
    scheduler = getattr(lr_scheduler, name)(_sgd(), **settings)
    got = _lrs_over_epochs(scheduler)
    # the recursive updates round differently from the closed form, by a few ulps
    np.testing.assert_allclose(got, _closed_form(formula), rtol=1e-12, atol=1e-15)
    assert scheduler.last_epoch == EPOCHS


def test_step_lr_decays_by_gamma_every_step_size_epochs():
    # written out from StepLR's definition: lr * gamma ** (epoch // step_size)
    scheduler = lr_scheduler.StepLR(_sgd([0.8]), step_size=4, gamma=0.5)
    got = [lrs[0] for lrs in _lrs_over_epochs(scheduler, epochs=12)]
    assert got == [0.8] * 4 + [0.4] * 4 + [0.2] * 4  # halvings of 0.8 are exact


def test_lambda_lr_multiplies_each_groups_start():
    scheduler = lr_scheduler.LambdaLR(_sgd(), [lambda e: 1 / (e + 1), lambda e: 0.95 ** e])
    got = _lrs_over_epochs(scheduler)
    assert got == [[0.5 * (1 / (e + 1)), 0.02 * 0.95 ** e] for e in range(EPOCHS)]
    one = lr_scheduler.LambdaLR(_sgd(), lambda e: e % 3)  # one function for every group
    assert _lrs_over_epochs(one, epochs=4)[1:] == [[0.5, 0.02], [1.0, 0.04], [0.0, 0.0]]


# a schedule stepped without training warns, as PyTorch's does (its first lr never used):
# these tests read the schedule alone
SCHEDULE_ALONE = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step")


@SCHEDULE_ALONE
def test_construction_records_initial_lr_and_keeps_the_lr():
    sgd = _sgd()
    scheduler = lr_scheduler.ExponentialLR(sgd, gamma=0.5)
    assert [g["initial_lr"] for g in sgd.param_groups] == LRS == scheduler.base_lrs
    assert [g["lr"] for g in sgd.param_groups] == LRS
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == LRS
    scheduler.step()
    assert [g["lr"] for g in sgd.param_groups] == [0.25, 0.01]
    assert [g["initial_lr"] for g in sgd.param_groups] == LRS  # the start stays recorded


@SCHEDULE_ALONE
def test_a_later_scheduler_keeps_the_recorded_initial_lr():
    # as PyTorch: "initial_lr" is set once, so a second schedule starts from the same base
    sgd = _sgd()
    first = lr_scheduler.ExponentialLR(sgd, gamma=0.5)
    for _ in range(3):
        first.step()
    second = lr_scheduler.LambdaLR(sgd, lambda e: 1.0)
    assert second.base_lrs == LRS and second.get_last_lr() == LRS


def test_the_optimizer_steps_with_the_scheduled_lr():
    # SGD on loss sum(w**2): each epoch w <- w - lr * 2w, with lr halving every 2 epochs
    w = nn.Parameter([1.0, -2.0])
    sgd = optim.SGD([w], lr=0.25)
    scheduler = lr_scheduler.StepLR(sgd, step_size=2, gamma=0.5)
    expected = np.array([1.0, -2.0])
    for epoch in range(6):
        sgd.zero_grad()
        (w * w).sum().backward()
        sgd.step()
        expected = expected - 0.25 * 0.5 ** (epoch // 2) * 2 * expected
        scheduler.step()
        np.testing.assert_allclose(w.data, expected, rtol=1e-15)


@SCHEDULE_ALONE
def test_a_change_by_hand_carries_on_in_the_recursive_form():
    sgd = _sgd([1.0])
    scheduler = lr_scheduler.ExponentialLR(sgd, gamma=0.5)
    scheduler.step()
    sgd.param_groups[0]["lr"] = 0.3
    scheduler.step()
    assert scheduler.get_last_lr() == [0.15]


@SCHEDULE_ALONE
def test_two_schedulers_on_one_optimizer_multiply():
    sgd = _sgd([1.0])
    step = lr_scheduler.StepLR(sgd, step_size=2, gamma=0.1)
    exponential = lr_scheduler.ExponentialLR(sgd, gamma=0.5)
    got = []
    for _ in range(5):
        step.step()
        exponential.step()
        got.append(sgd.param_groups[0]["lr"])
    expected = [0.5 ** e * 0.1 ** (e // 2) for e in range(1, 6)]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


# ------------------------------------------------------------------ saving and resuming


@pytest.mark.parametrize("name, settings, formula", SCHEDULES, ids=IDS)
def test_state_dicts_resume_the_schedule_exactly(name, settings, formula):
    first = getattr(lr_scheduler, name)(_sgd(), **settings)
    whole = _lrs_over_epochs(first, epochs=EPOCHS)
    again = getattr(lr_scheduler, name)(_sgd(), **settings)
    _lrs_over_epochs(again, epochs=8)
    saved_optimizer, saved = again.optimizer.state_dict(), again.state_dict()
    assert saved["last_epoch"] == 8 and saved["base_lrs"] == LRS
    sgd = _sgd([9.0, 9.0])  # another start: everything comes from the state dicts
    resumed = getattr(lr_scheduler, name)(sgd, **settings)
    sgd.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved)
    assert _lrs_over_epochs(resumed, epochs=EPOCHS - 8) == whole[8:]


@pytest.mark.parametrize("name, settings, formula", SCHEDULES, ids=IDS)
def test_last_epoch_resumes_from_the_optimizers_initial_lr(name, settings, formula):
    # PyTorch's other way to resume: the loaded optimizer holds "initial_lr" and the lr
    first = getattr(lr_scheduler, name)(_sgd(), **settings)
    whole = _lrs_over_epochs(first, epochs=EPOCHS)
    again = getattr(lr_scheduler, name)(_sgd(), **settings)
    _lrs_over_epochs(again, epochs=8)
    sgd = _sgd([9.0, 9.0])
    sgd.load_state_dict(again.optimizer.state_dict())
    resumed = getattr(lr_scheduler, name)(sgd, last_epoch=7, **settings)
    assert resumed.base_lrs == LRS and resumed.last_epoch == 8
    np.testing.assert_allclose(_lrs_over_epochs(resumed, epochs=EPOCHS - 8), whole[8:],
                               rtol=1e-12)


def test_lambda_lr_state_dict_keeps_a_callable_objects_attributes_not_a_function():
    class Warmup:
        def __init__(self):
            self.epochs = 4

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.epochs)

    warmup = Warmup()
    scheduler = lr_scheduler.LambdaLR(_sgd(), [warmup, lambda e: 1.0])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"epochs": 4}, None]
    warmup.epochs = 10
    scheduler.load_state_dict(saved)
    assert warmup.epochs == 4 and "lr_lambdas" in saved


def test_state_dict_is_a_copy():
    scheduler = lr_scheduler.MultiStepLR(_sgd(), milestones=[2, 3])
    saved = scheduler.state_dict()
    assert "optimizer" not in saved
    saved["base_lrs"][0] = 7.0
    saved["milestones"][5] = 1
    assert scheduler.base_lrs == LRS and 5 not in scheduler.milestones


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError,
     "StepLR: step_size must be >= 1, got 0"),
    (lambda o: lr_scheduler.StepLR(o, step_size="2"), TypeError,
     "StepLR: step_size must be a number, got '2'"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=-0.1), ValueError,
     "StepLR: gamma must be >= 0.0"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=5), TypeError,
     "MultiStepLR: milestones must be a list of epochs, got 5"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[3, "6"]), TypeError,
     "MultiStepLR: each milestone must be an integer, got '6'"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=float("nan")), ValueError,
     "ExponentialLR: gamma must be >= 0.0, got nan"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma="0.9"), TypeError,
     "ExponentialLR: gamma must be a number"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError,
     "CosineAnnealingLR: T_max must be >= 1, got 0"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), ValueError,
     "CosineAnnealingLR: eta_min must be >= 0.0"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError,
     "LambdaLR: got 1 lr_lambdas for 2 parameter groups; give one per group"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError,
     "LambdaLR: lr_lambda must be a function of the epoch, got 0.5"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, last_epoch=-2), ValueError,
     "StepLR: last_epoch must be >= -1, got -2"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, last_epoch=4), ValueError,
     r"StepLR: last_epoch=4 resumes a schedule, but param_groups \[0, 1\] have no "
     r"'initial_lr'"),
    (lambda o: lr_scheduler.StepLR(nn.Linear(2, 2), step_size=2), TypeError,
     "StepLR: Linear is not an Optimizer"),
    (lambda o: lr_scheduler.LambdaLR([o], lambda e: 1.0), TypeError,
     "LambdaLR: list is not an Optimizer"),
])
def test_bad_settings_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make(_sgd())


def test_misuse_of_a_built_scheduler_is_named():
    sgd = _sgd()
    scheduler = lr_scheduler.StepLR(sgd, step_size=2)
    with pytest.raises(TypeError, match=r"StepLR.step\(\) takes no epoch"):
        scheduler.step(3)
    with pytest.raises(ValueError, match=r"unknown entries \['T_max', 'eta_min'\]"):
        scheduler.load_state_dict(lr_scheduler.CosineAnnealingLR(_sgd(), T_max=3).state_dict())
    with pytest.raises(ValueError, match="expected the dict of state_dict()"):
        scheduler.load_state_dict([1, 2])
    with pytest.raises(ValueError, match="the saved schedule has 1 parameter groups, this one 2"):
        scheduler.load_state_dict(lr_scheduler.StepLR(_sgd([0.1]), step_size=2).state_dict())
    assert scheduler.last_epoch == 0  # nothing was loaded
    sgd.add_param_group({"params": [nn.Parameter([1.0])]})
    with pytest.raises(ValueError, match="the optimizer has 3 parameter groups, the scheduler "
                                         "was built for 2"):
        scheduler.step()


@SCHEDULE_ALONE
def test_a_bad_lr_from_a_lambda_is_caught_by_the_optimizer():
    sgd = _sgd()
    scheduler = lr_scheduler.LambdaLR(sgd, lambda e: 1.0 - e)  # negative from epoch 2
    scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match="SGD: lr must be >= 0.0, got -0.5"):
        sgd.step()


# ------------------------------------------------------------------ how it is reached


def test_reached_as_pytorchs_lr_scheduler():
    assert tg.optim.lr_scheduler.StepLR is lr_scheduler.StepLR
    from tinygrad_gd.optim.lr_scheduler import CosineAnnealingLR  # PyTorch's import line
    assert CosineAnnealingLR is lr_scheduler.CosineAnnealingLR
    assert "lr_scheduler" in optim.__all__
    for name in lr_scheduler.__all__:
        assert getattr(lr_scheduler, name).__doc__


def test_importing_optim_alone_in_a_fresh_interpreter_works():
    code = ("import tinygrad_gd.optim as o; import tinygrad_gd.optim.lr_scheduler as s; "
            "assert o.lr_scheduler is s; print(s.StepLR.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "StepLR"


# ------------------------------------------------------------------ against PyTorch


def _torch_lrs(torch, name, settings, epochs=EPOCHS, lrs=LRS):
    groups = [{"params": [torch.ones(2, requires_grad=True)], "lr": lr} for lr in lrs]
    sgd = torch.optim.SGD(groups, lr=0.1)
    scheduler = getattr(torch.optim.lr_scheduler, name)(sgd, **settings)
    seen = []
    for _ in range(epochs):
        seen.append(scheduler.get_last_lr())
        sgd.step()
        scheduler.step()
    return seen


@pytest.mark.torch
@pytest.mark.parametrize("name, settings, formula", SCHEDULES, ids=IDS)
def test_lrs_are_pytorchs(name, settings, formula):
    torch = pytest.importorskip("torch")
    got = _lrs_over_epochs(getattr(lr_scheduler, name)(_sgd(), **settings), epochs=30)
    expected = _torch_lrs(torch, name, settings, epochs=30)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)


@pytest.mark.torch
def test_lambda_lr_is_pytorchs():
    torch = pytest.importorskip("torch")
    lambdas = [lambda e: 1 / (e + 1), lambda e: 0.9 ** e + 0.01 * e]
    got = _lrs_over_epochs(lr_scheduler.LambdaLR(_sgd(), lambdas))
    expected = _torch_lrs(torch, "LambdaLR", dict(lr_lambda=lambdas))
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)


@pytest.mark.torch
def test_chained_and_hand_changed_lrs_are_pytorchs():
    # the recursive forms: a second scheduler and a change by hand act on the current lr
    torch = pytest.importorskip("torch")

    def run(sgd, schedulers):
        cosine, step = (schedulers.CosineAnnealingLR(sgd, T_max=6, eta_min=0.001),
                        schedulers.StepLR(sgd, step_size=4, gamma=0.5))
        seen = []
        for epoch in range(EPOCHS):
            sgd.step()
            cosine.step()
            step.step()
            if epoch == 9:
                sgd.param_groups[1]["lr"] = 0.3
            seen.append([g["lr"] for g in sgd.param_groups])
        return seen

    groups = [{"params": [torch.ones(2, requires_grad=True)], "lr": lr} for lr in LRS]
    expected = run(torch.optim.SGD(groups, lr=0.1), torch.optim.lr_scheduler)
    np.testing.assert_allclose(run(_sgd(), lr_scheduler), expected, rtol=1e-14, atol=0)


@pytest.mark.torch
def test_a_training_with_a_schedule_is_pytorchs():
    # the same weights, the lr from a schedule, gradients from each library's backward()
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y, w0 = rng.standard_normal((16, 3)), rng.standard_normal((16, 1)), rng.standard_normal(
        (3, 1))
    w = nn.Parameter(w0.copy())
    tw = torch.tensor(w0.copy(), requires_grad=True)
    ours = optim.RMSprop([w], lr=0.05, momentum=0.5)
    theirs = torch.optim.RMSprop([tw], lr=0.05, momentum=0.5)
    schedules = [lr_scheduler.CosineAnnealingLR(ours, T_max=8),
                 torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=8)]
    for _ in range(12):
        for optimizer in (ours, theirs):
            optimizer.zero_grad()
        ((tg.Tensor(x) @ w - y) ** 2).mean().backward()
        ((torch.tensor(x) @ tw - torch.tensor(y)) ** 2).mean().backward()
        ours.step()
        theirs.step()
        for schedule in schedules:
            schedule.step()
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-10, atol=0)
    assert schedules[0].get_last_lr() == schedules[1].get_last_lr()
