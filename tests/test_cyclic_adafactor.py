"""CyclicLR (tinygrad_gd/lr_cyclic.py) and tg.optim.Adafactor, step by step against
PyTorch's: the lrs and momenta of every batch, Adafactor's parameters and state after
every step in float64 (float32 kept), their state dicts, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn
from tinygrad_gd.optim.lr_scheduler import CyclicLR

RNG = np.random.default_rng(43)


# -- CyclicLR -------------------------------------------------------------------------

def schedule(library, optimizer_name: str, steps: int = 23, **settings) -> np.ndarray:
    """Each batch's (lr, momentum or beta1) of two parameter groups, stepped `steps` times."""
    if library is tg:
        params, optim = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))], tg.optim
        scheduler_class = CyclicLR
    else:
        params = [library.nn.Parameter(library.ones(2)), library.nn.Parameter(library.ones(3))]
        optim, scheduler_class = library.optim, library.optim.lr_scheduler.CyclicLR
    extra = {"momentum": 0.5} if optimizer_name == "SGD" else {}
    optimizer = getattr(optim, optimizer_name)(
        [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.3}], lr=0.1, **extra)
    scheduler = scheduler_class(optimizer, **settings)
    seen = []
    for _ in range(steps):
        seen.append([g["lr"] for g in optimizer.param_groups]
                    + [g["momentum"] if "momentum" in g else g["betas"][0]
                       for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return np.array(seen)


class Halving:
    """A scale_fn object (its attributes are saved with the scheduler's state)."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, x):
        return self.base ** x


CYCLES = {
    "triangular": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "triangular2 per group": dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.5], step_size_up=3,
                                  step_size_down=5, mode="triangular2"),
    "exp_range": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.9),
    "scale_fn iterations": dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5,
                                scale_fn=lambda x: 0.5 ** x, scale_mode="iterations"),
    "scale_fn cycle momenta": dict(base_lr=0.01, max_lr=0.1, step_size_up=3,
                                   scale_fn=lambda x: 1 / x, base_momentum=[0.7, 0.6],
                                   max_momentum=0.95),
    "no descent": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=0),
    "no momentum": dict(base_lr=0.0, max_lr=0.2, step_size_up=2, cycle_momentum=False),
}


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("key", sorted(CYCLES))
def test_cyclic_lr_step_by_step_as_pytorchs(key, optimizer_name):
    torch = pytest.importorskip("torch")
    ours = schedule(tg, optimizer_name, **CYCLES[key])
    np.testing.assert_allclose(ours, schedule(torch, optimizer_name, **CYCLES[key]),
                               rtol=1e-15, atol=0)
    assert ours[:, :2].min() >= 0 and (np.diff(ours[:, 0]) != 0).any()


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step")  # (no training)
def test_cyclic_lr_state_dict_resumes_the_schedule():
    def fresh():
        optimizer = tg.optim.SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9)
        return optimizer, CyclicLR(optimizer, 0.01, 0.1, 3, mode="triangular2",
                                   scale_fn=Halving())
    optimizer, scheduler = fresh()
    for _ in range(4):
        scheduler.step()
    scheduler._scale_fn_custom.base = 0.25
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"base": 0.25}
    other_optimizer, other = fresh()
    other_optimizer.load_state_dict(optimizer.state_dict())
    other.load_state_dict(state)
    assert "_scale_fn_custom" in state and other._scale_fn_custom.base == 0.25
    for _ in range(5):
        scheduler.step()
        other.step()
        assert other.get_last_lr() == scheduler.get_last_lr()
        assert other_optimizer.param_groups[0]["momentum"] == \
            optimizer.param_groups[0]["momentum"]
    plain = CyclicLR(tg.optim.SGD([nn.Parameter([1.0])], momentum=0.9), 0.1, 0.2,
                     scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None  # a function cannot be saved


def test_cyclic_lr_keys_as_pytorchs():
    torch = pytest.importorskip("torch")
    optimizer = tg.optim.Adam([nn.Parameter([1.0])])
    scheduler = CyclicLR(optimizer, 0.01, 0.1)
    reference_optimizer = torch.optim.Adam([torch.nn.Parameter(torch.ones(1))])
    reference = torch.optim.lr_scheduler.CyclicLR(reference_optimizer, 0.01, 0.1)
    assert set(scheduler.state_dict()) <= set(reference.state_dict())
    assert set(optimizer.param_groups[0]) - {"params"} <= set(reference_optimizer.param_groups[0])
    assert optimizer.param_groups[0]["betas"] == reference_optimizer.param_groups[0]["betas"]


@pytest.mark.parametrize("make, error, match", [
    (lambda o: CyclicLR(o, 0.01, 0.1, mode="triangle"), ValueError,
     r"CyclicLR: mode must be one of \['triangular', 'triangular2', 'exp_range'\]"),
    (lambda o: CyclicLR(o, 0.01, 0.1, scale_fn=lambda x: 1, scale_mode="batch"), ValueError,
     r"CyclicLR: scale_mode must be 'cycle' or 'iterations', got 'batch'"),
    (lambda o: CyclicLR(o, 0.01, 0.1, scale_fn=3), TypeError, r"CyclicLR: scale_fn must be"),
    (lambda o: CyclicLR(o, [0.01, 0.02, 0.03], 0.1), ValueError,
     r"CyclicLR: got 3 values of base_lr for 1 parameter groups"),
    (lambda o: CyclicLR(o, -0.01, 0.1), ValueError, r"CyclicLR: base_lr must be >= 0"),
    (lambda o: CyclicLR(o, 0.01, 0.1, step_size_up=0), ValueError,
     r"CyclicLR: step_size_up must be > 0"),
    (lambda o: CyclicLR(o, 0.01, 0.1, step_size_down=-1), ValueError,
     r"CyclicLR: step_size_down must be >= 0"),
    (lambda o: CyclicLR(o, 0.01, 0.1, cycle_momentum="yes"), TypeError,
     r"CyclicLR: cycle_momentum"),
    (lambda o: CyclicLR(tg.optim.Adagrad(o.param_groups[0]["params"]), 0.01, 0.1), ValueError,
     r"CyclicLR: cycle_momentum=True needs an optimizer with momentum \(SGD\) or betas"),
    (lambda o: CyclicLR("sgd", 0.01, 0.1), TypeError, r"CyclicLR: str is not an Optimizer"),
    (lambda o: CyclicLR(o, 0.01, 0.1).step(3), TypeError, r"CyclicLR.step\(\) takes no epoch"),
])
def test_cyclic_lr_errors(make, error, match):
    optimizer = tg.optim.SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9)
    with pytest.raises(error, match=match):
        make(optimizer)


# -- Adafactor --------------------------------------------------------------------------

SHAPES = [(3, 4), (5,), (2, 3, 4), (), (1, 6), (4, 1)]
SETTINGS = {
    "defaults": {},
    "weight decay": dict(lr=0.5, weight_decay=0.1),
    "maximize, d, eps": dict(maximize=True, d=2.0, eps=(1e-3, 1e-2)),
    "beta2_decay": dict(beta2_decay=-0.5, lr=0.05),
    "no decay, no eps": dict(beta2_decay=0.0, eps=(0.0, 0.0)),
}


def adafactor_steps(dtype, settings, gradients, zero_at=None):
    """Our parameters and PyTorch's after each step on the same gradients."""
    torch = pytest.importorskip("torch")
    starts = [np.random.default_rng(7).normal(size=s).astype(dtype) for s in SHAPES]
    ours = [nn.Parameter(a.copy()) for a in starts]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in starts]
    optimizer = tg.optim.Adafactor(ours, **settings)
    reference = torch.optim.Adafactor(theirs, **settings)
    for step, grads in enumerate(gradients):
        for p, q, g in zip(ours, theirs, grads):
            g = np.zeros_like(g) if step == zero_at else g.astype(dtype)
            p.grad, q.grad = Tensor(g), torch.tensor(g)
        optimizer.step()
        reference.step()
        yield ours, theirs, optimizer, reference


def gradients(count=5):
    return [[RNG.normal(size=s) for s in SHAPES] for _ in range(count)]


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_adafactor_step_by_step_as_pytorchs_in_float64(key):
    for ours, theirs, optimizer, reference in adafactor_steps(np.float64, SETTINGS[key],
                                                              gradients(), zero_at=3):
        for p, q in zip(ours, theirs):
            assert p.dtype == np.float64
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-15)
            state, expected = optimizer.state[p], reference.state[q]
            assert sorted(state) == sorted(expected)
            assert state["step"] == expected["step"].item()
            for name in set(state) - {"step"}:
                np.testing.assert_allclose(state[name], expected[name].numpy(), rtol=1e-12,
                                           atol=1e-300, err_msg=name)


def test_adafactor_keeps_float32():
    for ours, theirs, optimizer, _ in adafactor_steps(np.float32, {"weight_decay": 0.01},
                                                       gradients(3)):
        for p, q in zip(ours, theirs):
            assert p.dtype == np.float32
            assert all(v.dtype == np.float32 for v in optimizer.state[p].values()
                       if isinstance(v, np.ndarray))
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_adafactor_defaults_and_order_as_pytorchs():
    torch = pytest.importorskip("torch")
    optimizer = tg.optim.Adafactor([nn.Parameter([1.0])])
    reference = torch.optim.Adafactor([torch.nn.Parameter(torch.ones(1))])
    for key, value in optimizer.defaults.items():
        assert value == reference.defaults[key], key
    assert tg.optim.Adafactor is tg.optim_adafactor.Adafactor and "Adafactor" in tg.optim.__all__


def test_adafactor_trains_skips_empty_and_frozen_entries():
    rng = np.random.default_rng(3)
    x, target = Tensor(rng.normal(size=(20, 3))), Tensor(rng.normal(size=(20, 2)))
    model = nn.Linear(3, 2, seed=0)
    empty = nn.Parameter(np.zeros((0, 3)))
    model.weight.freeze_((0, 1))
    frozen = model.weight.data[0, 1]
    optimizer = tg.optim.Adafactor(list(model.parameters()) + [empty], lr=0.05)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = ((model(x) - target) ** 2).mean() + empty.sum()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert model.weight.data[0, 1] == frozen and empty.shape == (0, 3)


def test_adafactor_state_dict_round_trip_continues_alike():
    grads = gradients(4)
    params = [nn.Parameter(np.ones(s)) for s in SHAPES]
    optimizer = tg.optim.Adafactor(params, lr=0.1, weight_decay=0.01)
    for g in grads[:2]:
        for p, gi in zip(params, g):
            p.grad = Tensor(gi)
        optimizer.step()
    copies = [nn.Parameter(p.data.copy()) for p in params]
    other = tg.optim.Adafactor(copies, lr=0.1, weight_decay=0.01)
    other.load_state_dict(optimizer.state_dict())
    for g in grads[2:]:
        for p, c, gi in zip(params, copies, g):
            p.grad, c.grad = Tensor(gi), Tensor(gi)
        optimizer.step()
        other.step()
    for p, c in zip(params, copies):
        np.testing.assert_array_equal(p.data, c.data)


@pytest.mark.parametrize("settings, error, match", [
    (dict(lr=-1.0), ValueError, r"Adafactor: lr must be >= 0.0, got -1.0"),
    (dict(beta2_decay=0.5), ValueError, r"Adafactor: beta2_decay must be <= 0"),
    (dict(beta2_decay=float("nan")), ValueError, r"Adafactor: beta2_decay must be a number, "
                                                 r"not NaN"),
    (dict(eps=1e-3), ValueError, r"Adafactor: eps must be a pair \(eps1, eps2\)"),
    (dict(eps=(-1.0, 1e-3)), ValueError, r"Adafactor: eps\[0\] must be >= 0"),
    (dict(eps=(None, -1e-3)), ValueError, r"Adafactor: eps\[1\] must be >= 0"),
    (dict(d=0.5), ValueError, r"Adafactor: d \(the clipping threshold\) must be >= 1, got 0.5"),
    (dict(weight_decay=-0.1), ValueError, r"Adafactor: weight_decay must be >= 0"),
    (dict(maximize="no"), TypeError, r"Adafactor: maximize"),
])
def test_adafactor_errors(settings, error, match):
    with pytest.raises(error, match=match):
        tg.optim.Adafactor([nn.Parameter([1.0])], **settings)


def test_adafactor_load_state_dict_checks_the_factors_shapes():
    weight = nn.Parameter(np.ones((3, 4)))
    optimizer = tg.optim.Adafactor([weight])
    weight.grad = Tensor(np.ones((3, 4)))
    optimizer.step()
    state = optimizer.state_dict()
    state["state"][0]["col_var"] = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"Adafactor.load_state_dict: state 'col_var' of "
                                         r"parameter 0 has shape \(3, 1\); a parameter of "
                                         r"shape \(3, 4\) takes \(1, 4\)"):
        tg.optim.Adafactor([nn.Parameter(np.ones((3, 4)))]).load_state_dict(state)
