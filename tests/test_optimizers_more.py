"""Tests of tg.optim's NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD against PyTorch's, step
by step on the same two-group model and loss: weights and state to 1e-12 in float64,
float32 kept, weight decay (coupled and decoupled), maximize=, state_dict round trips
mid-training, frozen entries and gradient-less parameters, the lr schedulers (OneCycleLR
cycling their beta1), their signatures and their argument errors."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim
from tinygrad_gd.optim import lr_scheduler

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
X = RNG.standard_normal((6, 3))
Y = RNG.standard_normal((6, 2))
W0 = RNG.standard_normal((3, 2))
B0 = RNG.standard_normal(2)

NEW = ("NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD")

CASES = [
    ("NAdam", {}),
    ("NAdam", {"weight_decay": 0.1}),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"betas": (0.8, 0.99), "momentum_decay": 0.01, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.7, 0.9)}),
    ("RAdam", {"maximize": True, "eps": 1e-3}),
    ("Adamax", {}),
    ("Adamax", {"weight_decay": 0.1, "betas": (0.5, 0.9)}),
    ("Adamax", {"maximize": True, "eps": 1e-3}),
    ("Adadelta", {}),
    ("Adadelta", {"rho": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {"rho": 1.0, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.08)}),
    ("Rprop", {"maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lambd": 0.05, "alpha": 0.5, "t0": 3}),
    ("ASGD", {"weight_decay": 0.1, "maximize": True, "t0": 2.5}),
]
IDS = [f"{name}-{'-'.join(map(str, kw)) or 'defaults'}" for name, kw in CASES]
LRS = {"Adadelta": (1.0, 0.5), "Rprop": (0.05, 0.01)}


@pytest.fixture
def torch_float64():
    """PyTorch keeps NAdam's mu_product and ASGD's eta and mu as tensors of its default
    dtype: float64 makes them as exact as ours, so the weights agree to 1e-12."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


class _Pair:
    """The same two-group model (weight and bias, each its own lr), optimizer and loss in
    both frameworks; `extra` adds a parameter without gradient and a frozen-by-flag one."""

    def __init__(self, name, kw, dtype=np.float64, extra=False, sched=None):
        lrs = LRS.get(name, (0.05, 0.01))
        self.ours = [nn.Parameter(W0.astype(dtype)), nn.Parameter(B0.astype(dtype))]
        self.theirs = [torch.tensor(W0.astype(dtype), requires_grad=True),
                       torch.tensor(B0.astype(dtype), requires_grad=True)]
        groups = [[self.ours[0]], [self.ours[1]]]
        tgroups = [[self.theirs[0]], [self.theirs[1]]]
        if extra:  # never used in the loss, and requires_grad=False
            self.unused = nn.Parameter(np.arange(3.0).astype(dtype))
            self.fixed = tg.tensor(np.ones(2, dtype), requires_grad=False)
            groups[0] += [self.unused, self.fixed]
            tgroups[0] += [torch.arange(3.0, dtype=self.theirs[0].dtype, requires_grad=True),
                           torch.ones(2, dtype=self.theirs[0].dtype)]
        self.opt = getattr(optim, name)(
            [{"params": g, "lr": lr} for g, lr in zip(groups, lrs)], **kw)
        self.topt = getattr(torch.optim, name)(
            [{"params": g, "lr": lr} for g, lr in zip(tgroups, lrs)], **kw)
        self.sched = self.tsched = None
        if sched is not None:
            sched_name, sched_kw = sched
            self.sched = getattr(lr_scheduler, sched_name)(self.opt, **sched_kw)
            self.tsched = getattr(torch.optim.lr_scheduler, sched_name)(self.topt, **sched_kw)

    def train_step(self):
        w, b = self.ours
        tw, tb = self.theirs
        x, y = X.astype(w.dtype), Y.astype(w.dtype)
        self.opt.zero_grad()
        self.topt.zero_grad()
        # a tanh keeps the loss from being quadratic, so steps differ in size and sign
        (((tg.tensor(x) @ w + b).tanh() - tg.tensor(y)) ** 2).mean().backward()
        (((torch.tensor(x) @ tw + tb).tanh() - torch.tensor(y)) ** 2).mean().backward()
        self.opt.step()
        self.topt.step()
        if self.sched is not None:
            self.sched.step()
            self.tsched.step()

    def agree(self, tol=1e-12):
        for p, q in zip(self.ours, self.theirs):
            assert p.dtype == q.detach().numpy().dtype
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=tol, atol=tol)
            ours, theirs = self.opt.state.get(p, {}), self.topt.state.get(q, {})
            assert sorted(ours) == sorted(theirs)
            for key, value in theirs.items():
                np.testing.assert_allclose(ours[key], value.detach().numpy(), rtol=tol,
                                           atol=tol, err_msg=key)
        for g, tgroup in zip(self.opt.param_groups, self.topt.param_groups):
            assert g["lr"] == pytest.approx(tgroup["lr"], rel=1e-13, abs=1e-15)
            if "betas" in g:
                np.testing.assert_allclose(g["betas"], tgroup["betas"], rtol=1e-13)


@pytest.mark.parametrize("name, kw", CASES, ids=IDS)
def test_steps_as_pytorchs_in_float64(name, kw, torch_float64):
    pair = _Pair(name, kw)
    for _ in range(12):
        pair.train_step()
        pair.agree()
    assert not np.allclose(pair.ours[0].data, W0)


@pytest.mark.parametrize("name, kw", CASES[::2], ids=IDS[::2])
def test_float32_is_kept_and_agrees_with_pytorchs(name, kw):
    pair = _Pair(name, kw, dtype=np.float32)
    for _ in range(12):
        pair.train_step()
        pair.agree(tol=2e-5)
    for p in pair.ours:
        assert p.dtype == np.float32
    for value in pair.opt.state[pair.ours[0]].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


@pytest.mark.parametrize("name, kw", CASES[1::2], ids=IDS[1::2])
def test_state_dict_round_trip_mid_training_steps_on_as_pytorch(name, kw, torch_float64):
    pair = _Pair(name, kw)
    for _ in range(5):
        pair.train_step()
    saved = pair.opt.state_dict()
    # a fresh optimizer with other settings: load_state_dict brings back settings and state
    other = [{"params": [p], "lr": 0.5} for p in pair.ours]
    pair.opt = getattr(optim, name)(other)
    pair.opt.load_state_dict(saved)
    assert pair.opt.param_groups[0]["lr"] == saved["param_groups"][0]["lr"]
    for _ in range(7):
        pair.train_step()
        pair.agree()


@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
def test_a_state_saved_without_decoupled_weight_decay_loads_as_off(name, torch_float64):
    pair = _Pair(name, {"weight_decay": 0.1})
    pair.train_step()
    saved = pair.opt.state_dict()
    for group in saved["param_groups"]:
        del group["decoupled_weight_decay"]
    pair.opt.load_state_dict(saved)
    assert pair.opt.param_groups[1]["decoupled_weight_decay"] is False
    for _ in range(3):
        pair.train_step()
        pair.agree()


@pytest.mark.parametrize("name, kw", CASES[::3], ids=IDS[::3])
def test_gradient_less_and_requires_grad_false_parameters_are_left_alone(name, kw,
                                                                         torch_float64):
    pair = _Pair(name, {**kw, **({} if name == "Rprop" else {"weight_decay": 0.1})},
                 extra=True)
    for _ in range(4):
        pair.train_step()
        pair.agree()
    np.testing.assert_array_equal(pair.unused.data, np.arange(3.0))
    np.testing.assert_array_equal(pair.fixed.data, np.ones(2))
    assert pair.unused not in pair.opt.state and pair.fixed not in pair.opt.state
    assert pair.unused.grad is None and pair.fixed.grad is None


@pytest.mark.parametrize("name, kw", [(n, k) for n, k in CASES if n != "Rprop"]
                         + [("Rprop", {}), ("Rprop", {"maximize": True})])
def test_frozen_entries_never_move(name, kw):
    decay = {} if name == "Rprop" else {"weight_decay": 0.5}
    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    w.freeze_((1, 0))
    opt = getattr(optim, name)([w, b], **{**kw, **decay})
    for _ in range(6):
        opt.zero_grad()
        (((tg.tensor(X) @ w + b).tanh() - tg.tensor(Y)) ** 2).mean().backward()
        opt.step()
        assert w.data[1, 0] == W0[1, 0]
    moved = w.data != W0
    assert moved.sum() == 5 and not moved[1, 0]
    assert (b.data != B0).all()


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax"])
def test_one_cycle_cycles_beta1_of_the_adam_variants_as_pytorch(name, torch_float64):
    sched = ("OneCycleLR", {"max_lr": [0.1, 0.02], "total_steps": 12})
    pair = _Pair(name, {"weight_decay": 0.01}, sched=sched)
    pair.agree()
    betas = set()
    for _ in range(11):
        pair.train_step()
        pair.agree()
        betas.add(pair.opt.param_groups[0]["betas"][0])
    assert len(betas) > 5  # beta1 did move, between base_momentum and max_momentum


@pytest.mark.parametrize("name", NEW)
def test_schedules_change_the_lr_they_step_with_as_pytorch(name, torch_float64):
    pair = _Pair(name, {}, sched=("ExponentialLR", {"gamma": 0.8}))
    for _ in range(10):
        pair.train_step()
        pair.agree()


@pytest.mark.parametrize("name", ["Adadelta", "Rprop", "ASGD"])
def test_one_cycle_refuses_those_without_momentum_or_betas(name):
    opt = getattr(optim, name)([nn.Parameter([1.0])])
    with pytest.raises(ValueError, match="OneCycleLR: cycle_momentum=True needs an optimizer"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    with pytest.raises(ValueError, match="cycle_momentum"):
        torch.optim.lr_scheduler.OneCycleLR(
            getattr(torch.optim, name)([torch.ones(1, requires_grad=True)]), max_lr=0.1,
            total_steps=5)


@pytest.mark.parametrize("name", NEW)
def test_defaults_and_positional_order_are_pytorchs(name):
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    ours = inspect.signature(getattr(optim, name)).parameters
    names = list(ours)
    assert names == list(theirs)[:len(names)]
    for key in names[1:]:
        default = theirs[key].default
        assert ours[key].default == (tuple(default) if isinstance(default, tuple) else default)
        assert ours[key].kind == theirs[key].kind, key
    opt, topt = getattr(optim, name)([nn.Parameter([1.0])]), \
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)])
    assert opt.defaults.keys() <= topt.defaults.keys()
    for key, value in opt.defaults.items():
        assert value == topt.defaults[key], key


def test_they_are_reached_as_pytorchs():
    from tinygrad_gd.optim import ASGD, NAdam, RAdam, Adadelta, Adamax, Rprop
    for cls in (ASGD, NAdam, RAdam, Adadelta, Adamax, Rprop):
        assert cls is getattr(tg.optim, cls.__name__)
        assert cls.__name__ in optim.__all__
        assert isinstance(cls([nn.Parameter([1.0])]), optim.Optimizer)
        assert issubclass(cls, optim.Optimizer)


@pytest.mark.parametrize("name, kw, error, match", [
    ("NAdam", {"lr": -1.0}, ValueError, r"NAdam: lr must be >= 0.0, got -1.0"),
    ("NAdam", {"betas": (1.0, 0.9)}, ValueError, r"NAdam: betas\[0\] must be in \[0.0, 1.0\)"),
    ("NAdam", {"betas": (0.9, -0.1)}, ValueError, r"NAdam: betas\[1\] must be in \[0.0, 1.0\)"),
    ("NAdam", {"eps": -1e-8}, ValueError, r"NAdam: eps must be >= 0.0, got -1e-08"),
    ("NAdam", {"weight_decay": -0.1}, ValueError, r"NAdam: weight_decay must be >= 0.0"),
    ("NAdam", {"momentum_decay": -0.5}, ValueError, r"NAdam: momentum_decay must be >= 0.0"),
    ("RAdam", {"betas": (0.9, 1.0)}, ValueError, r"RAdam: betas\[1\] must be in \[0.0, 1.0\)"),
    ("RAdam", {"weight_decay": -1.0}, ValueError, r"RAdam: weight_decay must be >= 0.0"),
    ("Adamax", {"betas": (-0.1, 0.9)}, ValueError, r"Adamax: betas\[0\] must be in"),
    ("Adamax", {"eps": -1.0}, ValueError, r"Adamax: eps must be >= 0.0, got -1.0"),
    ("Adadelta", {"rho": 1.5}, ValueError, r"Adadelta: rho must be in \[0, 1\], got 1.5"),
    ("Adadelta", {"rho": -0.5}, ValueError, r"Adadelta: rho must be >= 0.0, got -0.5"),
    ("Adadelta", {"lr": -1.0}, ValueError, r"Adadelta: lr must be >= 0.0"),
    ("Rprop", {"etas": (1.5, 2.0)}, ValueError,
     r"Rprop: etas must be \(etaminus, etaplus\) with 0 < etaminus < 1 < etaplus, got \(1.5, "),
    ("Rprop", {"etas": (0.5, 0.9)}, ValueError, r"Rprop: etas must be .* got \(0.5, 0.9\)"),
    ("Rprop", {"lr": -0.1}, ValueError, r"Rprop: lr must be >= 0.0"),
    ("ASGD", {"lr": -0.1}, ValueError, r"ASGD: lr must be >= 0.0"),
    ("ASGD", {"weight_decay": -0.1}, ValueError, r"ASGD: weight_decay must be >= 0.0"),
])
def test_pytorchs_argument_errors_in_one_line(name, kw, error, match):
    with pytest.raises(error, match=match) as caught:
        getattr(optim, name)([nn.Parameter([1.0])], **kw)
    assert "\n" not in str(caught.value)
    with pytest.raises(error):  # PyTorch refuses the same, with the same type
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kw)


@pytest.mark.parametrize("name, kw, error, match", [
    ("NAdam", {"decoupled_weight_decay": "yes"}, TypeError,
     r"NAdam: decoupled_weight_decay must be True or False, got str 'yes'"),
    ("RAdam", {"maximize": 1}, TypeError, r"RAdam: maximize must be True or False, got int 1"),
    ("Adamax", {"betas": 0.9}, ValueError, r"Adamax: betas must be a pair \(beta1, beta2\)"),
    ("NAdam", {"lr": "0.1"}, TypeError, r"NAdam: lr must be a number, got '0.1'"),
    ("Adadelta", {"capturable": True}, ValueError,
     r"Adadelta: capturable=True is PyTorch's mode for CUDA graphs"),
    ("Rprop", {"capturable": True}, ValueError, r"Rprop: capturable=True is PyTorch's mode"),
    ("Rprop", {"etas": (0.5,)}, ValueError, r"Rprop: etas must be a pair \(etaminus, etaplus\)"),
    ("Rprop", {"step_sizes": (1.0, 0.1)}, ValueError,
     r"Rprop: step_sizes must be \(min_step, max_step\) with 0 <= min_step <= max_step, "
     r"got \(1.0, 0.1\)"),
    ("Rprop", {"step_sizes": (None, 1.0)}, TypeError, r"Rprop: step_sizes must be a number"),
    ("ASGD", {"lambd": -1.0}, ValueError, r"ASGD: lambd must be >= 0.0, got -1.0"),
    ("ASGD", {"t0": "soon"}, TypeError, r"ASGD: t0 must be a number, got 'soon'"),
])
def test_argument_errors_pytorch_lets_through_are_one_line_too(name, kw, error, match):
    # (wrong types, and Rprop's step sizes in the wrong order, which PyTorch takes silently)
    with pytest.raises(error, match=match) as caught:
        getattr(optim, name)([nn.Parameter([1.0])], **kw)
    assert "\n" not in str(caught.value)


def test_a_setting_changed_by_hand_is_checked_at_step():
    p = nn.Parameter([1.0, 2.0])
    opt = optim.RAdam([p])
    (p * p).sum().backward()
    opt.param_groups[0]["betas"] = (0.9, 1.5)
    with pytest.raises(ValueError, match=r"RAdam: betas\[1\] must be in \[0.0, 1.0\), got 1.5"):
        opt.step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


def test_rprop_has_no_weight_decay_even_in_a_group_as_pytorch(torch_float64):
    # a "weight_decay" key is only a key of the user's own to Rprop, as to PyTorch's
    p, q = nn.Parameter(W0.copy()), torch.tensor(W0.copy(), requires_grad=True)
    opt = optim.Rprop([{"params": [p], "weight_decay": 0.5}])
    topt = torch.optim.Rprop([{"params": [q], "weight_decay": 0.5}])
    for _ in range(5):
        opt.zero_grad()
        topt.zero_grad()
        (tg.tensor(X) @ p).tanh().sum().backward()
        (torch.tensor(X) @ q).tanh().sum().backward()
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert opt.param_groups[0]["weight_decay"] == 0.5


def test_asgd_average_is_the_running_mean_after_t0(torch_float64):
    pair = _Pair("ASGD", {"t0": 0})
    history = []
    for _ in range(8):
        pair.train_step()
        history.append(pair.ours[0].data.copy())
        pair.agree()
    # step t averages with mu_t = 1 / max(1, t - 1 - t0): with t0 = 0 ax is the mean of the
    # weights after steps 2, 3, ..., as PyTorch's
    np.testing.assert_allclose(pair.opt.state[pair.ours[0]]["ax"],
                               np.mean(history[1:], axis=0), rtol=1e-12)


# Final read fixes


@pytest.mark.parametrize("name, kw, match", [
    ("ASGD", {"alpha": float("nan")}, r"ASGD: alpha must be a number, not NaN, got alpha=nan"),
    ("ASGD", {"t0": float("nan")}, r"ASGD: t0 must be a number, not NaN, got t0=nan"),
    ("Rprop", {"etas": (0.5, float("nan"))}, r"Rprop: etas must be a number, not NaN"),
    ("Rprop", {"step_sizes": (float("nan"), 1.0)},
     r"Rprop: step_sizes must be a number, not NaN"),
])
def test_a_nan_setting_without_a_bound_is_named_nan(name, kw, match):
    with pytest.raises(ValueError, match=rf"^{match}") as caught:
        getattr(optim, name)([nn.Parameter([1.0])], **kw)
    assert "\n" not in str(caught.value) and "-inf" not in str(caught.value)


@pytest.mark.parametrize("name", NEW)
def test_every_variant_takes_pytorchs_capturable_and_differentiable_at_false(name):
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    ours = inspect.signature(getattr(optim, name)).parameters
    for key in ("capturable", "differentiable"):
        assert ours[key].kind == theirs[key].kind and ours[key].default is False
    p = nn.Parameter([1.0])
    opt = getattr(optim, name)([p], capturable=False, differentiable=False)
    getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], capturable=False,
                               differentiable=False)
    assert opt.param_groups[0]["params"] == [p]
    with pytest.raises(ValueError, match=rf"^{name}: capturable=True is PyTorch's mode for "
                                         r"CUDA graphs"):
        getattr(optim, name)([p], capturable=True)
    with pytest.raises(ValueError, match=rf"^{name}: differentiable=True \(autograd through "
                                         r"the step\) is not supported"):
        getattr(optim, name)([p], differentiable=True)
    with pytest.raises(TypeError, match=rf"^{name}: capturable must be True or False, got "
                                        r"str 'no'"):
        getattr(optim, name)([p], capturable="no")
