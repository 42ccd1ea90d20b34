"""Tests of tg.optim: SGD, Adam, AdamW, RMSprop and Adagrad against their stated update rules
(and, marked `torch`, against PyTorch's own optimizers), the documents' worked numbers,
frozen entries, parameter groups, state dicts, errors and small trainings. The learning-rate
schedulers are tested in test_lr_scheduler.py."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import Tensor, nn, optim

# A loss whose gradient changes from step to step: sum(a * p**2 + c * p) over two tensors.
_RNG = np.random.default_rng(0)
A = [np.abs(_RNG.standard_normal((3, 2))) + 0.5, np.abs(_RNG.standard_normal(4)) + 0.5]
C = [_RNG.standard_normal((3, 2)), _RNG.standard_normal(4)]
START = [_RNG.standard_normal((3, 2)), _RNG.standard_normal(4)]
STEPS = 6


def _params():
    return [nn.Parameter(s.copy()) for s in START]


def _loss(params):
    return sum(((a * p ** 2 + c * p).sum() for a, c, p in zip(A, C, params)), Tensor(0.0))


def _train(optimizer, params, steps=STEPS):
    """Yields the parameters' arrays after each step; gradients come from backward()."""
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(params).backward()
        optimizer.step()
        yield [p.data.copy() for p in params]


def _oracle_grad(i, p):
    return 2 * A[i] * p + C[i]  # d/dp of a * p**2 + c * p: the expected value, by hand


def _sgd_oracle(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """PyTorch's documented SGD rule, step by step, on the oracle's own copy."""
    params = [s.copy() for s in START]
    buffers = [None, None]
    for _ in range(STEPS):
        for i, p in enumerate(params):
            g = _oracle_grad(i, p) + weight_decay * p
            if momentum:
                b = g if buffers[i] is None else momentum * buffers[i] + (1 - dampening) * g
                buffers[i] = b
                g = g + momentum * b if nesterov else b
            params[i] = p - lr * g
        yield [p.copy() for p in params]


def _adam_oracle(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """torch.optim.Adam's rule: moments, bias corrections, then the step. `decoupled`:
    AdamW's, where the decay shrinks the parameter by lr * weight_decay instead of
    entering the gradient."""
    b1, b2 = betas
    params = [s.copy() for s in START]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, STEPS + 1):
        for i, p in enumerate(params):
            g = _oracle_grad(i, p) + (0.0 if decoupled else weight_decay) * p
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            start = p * (1 - lr * weight_decay) if decoupled else p
            params[i] = start - lr * m_hat / (np.sqrt(v_hat) + eps)
        yield [p.copy() for p in params]


def _assert_same_trajectory(got, expected):
    steps = 0
    for got_step, expected_step in zip(got, expected):
        for g, e in zip(got_step, expected_step):
            np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)
        steps += 1
    assert steps == STEPS


@pytest.mark.parametrize("settings", [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.8, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.9, weight_decay=0.1),
    dict(lr=0.1, weight_decay=0.3),
])
def test_sgd_follows_its_update_rule(settings):
    params = _params()
    _assert_same_trajectory(_train(optim.SGD(params, **settings), params),
                            _sgd_oracle(**settings))


@pytest.mark.parametrize("settings", [
    dict(),
    dict(lr=0.1),
    dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3),
    dict(lr=0.05, weight_decay=0.2),
])
def test_adam_follows_its_update_rule(settings):
    params = _params()
    _assert_same_trajectory(_train(optim.Adam(params, **settings), params),
                            _adam_oracle(**settings))


def test_adam_first_step_moves_each_entry_by_about_lr():
    # after bias correction, step 1 is lr * g / (|g| + eps): the sign of g times lr
    params = _params()
    next(_train(optim.Adam(params, lr=0.01), params, steps=1))
    for p, start, i in zip(params, START, range(2)):
        np.testing.assert_allclose(start - p.data, 0.01 * np.sign(_oracle_grad(i, start)),
                                   rtol=1e-6)


def _adamw_oracle(weight_decay=1e-2, **settings):
    """torch.optim.AdamW's rule: shrink the parameter by lr * weight_decay, then Adam's step."""
    return _adam_oracle(weight_decay=weight_decay, decoupled=True, **settings)


def _rmsprop_oracle(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False):
    """torch.optim.RMSprop's rule, averages and buffers starting from zero."""
    params = [s.copy() for s in START]
    v = [np.zeros_like(p) for p in params]
    m = [np.zeros_like(p) for p in params]
    b = [np.zeros_like(p) for p in params]
    for _ in range(STEPS):
        for i, p in enumerate(params):
            g = _oracle_grad(i, p) + weight_decay * p
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            m[i] = alpha * m[i] + (1 - alpha) * g
            denom = np.sqrt(v[i] - m[i] ** 2 if centered else v[i]) + eps
            b[i] = momentum * b[i] + g / denom
            params[i] = p - lr * (b[i] if momentum else g / denom)
        yield [p.copy() for p in params]


def _adagrad_oracle(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10):
    """torch.optim.Adagrad's rule: the sum of squared gradients, the decayed lr."""
    params = [s.copy() for s in START]
    sums = [np.full_like(p, initial_accumulator_value) for p in params]
    for t in range(1, STEPS + 1):
        for i, p in enumerate(params):
            g = _oracle_grad(i, p) + weight_decay * p
            sums[i] = sums[i] + g * g
            params[i] = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(sums[i]) + eps)
        yield [p.copy() for p in params]


# name in tg.optim and torch.optim, settings (the same keywords in both), the oracle
_NEW_OPTIMIZERS = [
    ("AdamW", dict(), _adamw_oracle),
    ("AdamW", dict(lr=0.1, weight_decay=0.3), _adamw_oracle),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.0), _adamw_oracle),
    ("RMSprop", dict(), _rmsprop_oracle),
    ("RMSprop", dict(lr=0.05, alpha=0.9, eps=1e-3, weight_decay=0.2), _rmsprop_oracle),
    ("RMSprop", dict(lr=0.02, momentum=0.9), _rmsprop_oracle),
    ("RMSprop", dict(lr=0.02, centered=True), _rmsprop_oracle),
    ("RMSprop", dict(lr=0.02, alpha=0.8, momentum=0.5, centered=True, weight_decay=0.1),
     _rmsprop_oracle),
    ("Adagrad", dict(), _adagrad_oracle),
    ("Adagrad", dict(lr=0.3, lr_decay=0.1), _adagrad_oracle),
    ("Adagrad", dict(lr=0.2, weight_decay=0.2, initial_accumulator_value=0.5, eps=1e-3),
     _adagrad_oracle),
]
_IDS = [f"{name}-{settings}" for name, settings, _ in _NEW_OPTIMIZERS]


@pytest.mark.parametrize("name, settings, oracle", _NEW_OPTIMIZERS, ids=_IDS)
def test_new_optimizers_follow_their_update_rules(name, settings, oracle):
    params = _params()
    _assert_same_trajectory(_train(getattr(optim, name)(params, **settings), params),
                            oracle(**settings))


def _torch_train(torch, name, settings, steps=STEPS):
    """torch.optim.NAME on the same start and loss; gradients from torch's backward()."""
    params = [torch.tensor(s.copy(), dtype=torch.float64, requires_grad=True) for s in START]
    a, c = [torch.tensor(x) for x in A], [torch.tensor(x) for x in C]
    optimizer = getattr(torch.optim, name)(params, **settings)
    for _ in range(steps):
        optimizer.zero_grad()
        sum((ai * p ** 2 + ci * p).sum() for ai, ci, p in zip(a, c, params)).backward()
        optimizer.step()
        yield [p.detach().numpy().copy() for p in params]


@pytest.mark.torch
@pytest.mark.parametrize("name, settings", [entry[:2] for entry in _NEW_OPTIMIZERS] + [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.2)),
], ids=_IDS + ["SGD-nesterov", "Adam-weight_decay"])
def test_optimizers_move_the_weights_as_pytorchs(name, settings):
    torch = pytest.importorskip("torch")
    params = _params()
    steps = 0
    for ours, theirs in zip(_train(getattr(optim, name)(params, **settings), params, steps=10),
                            _torch_train(torch, name, settings, steps=10)):
        for got, expected in zip(ours, theirs):
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=0)
        steps += 1
    assert steps == 10


@pytest.mark.torch
@pytest.mark.parametrize("name", ["AdamW", "RMSprop", "Adagrad"])
def test_new_optimizers_defaults_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)(_params()).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours == {key: theirs[key] for key in ours}
    assert ours["lr"] == theirs["lr"] and len(ours) >= 4


def test_adamw_decay_is_decoupled_from_the_averages():
    # with a zero gradient Adam's step is 0 / (0 + eps) = 0: only the decay moves p
    p = nn.Parameter([2.0, -4.0])
    adamw = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    (p * 0.0).sum().backward()
    adamw.step()
    np.testing.assert_array_equal(p.data, [2.0 * 0.95, -4.0 * 0.95])
    np.testing.assert_array_equal(adamw.state[p]["exp_avg"], [0.0, 0.0])
    # Adam with weight decay sends it through the averages instead: a step of about lr
    q = nn.Parameter([2.0, -4.0])
    adam = optim.Adam([q], lr=0.1, weight_decay=0.5)
    (q * 0.0).sum().backward()
    adam.step()
    np.testing.assert_allclose(q.data, [1.9, -3.9], rtol=1e-9)


# ------------------------------------------------------------------ the documents' numbers


def test_slides_one_weight_step():
    # the slides: weight 2, input 3, target 10; slope 2 * (6 - 10) * 3 = -24; lr 0.01 gives 2.24
    w = nn.Parameter([2.0])
    loss = nn.MSELoss()(Tensor([3.0]) * w, Tensor([10.0]))
    loss.backward()
    np.testing.assert_allclose(w.grad.data, [-24.0], rtol=1e-15)
    optim.SGD([w], lr=0.01).step()
    np.testing.assert_allclose(w.data, [2.24], rtol=1e-15)


def test_slides_two_weight_step():
    # the slides: weights [1, 2], input [3, 4], target 6: error 5, gradient [30, 40], then 2.5
    w = nn.Parameter([1.0, 2.0])
    x, target = Tensor([3.0, 4.0]), Tensor(6.0)
    pred = x.dot(w)
    assert pred.item() - target.item() == 5.0
    nn.MSELoss()(pred, target).backward()
    np.testing.assert_allclose(w.grad.data, [30.0, 40.0], rtol=1e-15)
    optim.SGD([w], lr=0.01).step()
    np.testing.assert_allclose(x.dot(w).item() - 6.0, 2.5, rtol=1e-14)


def test_grokking_three_iterations_with_alpha_001():
    # Grokking ch. 5: weights [0.1, 0.2, -0.1], input [8.5, 0.65, 1.2], true 1, alpha 0.01
    layer = nn.Linear(3, 1, bias=False, init="zeros")
    layer.load_state_dict({"weight": np.array([[0.1, 0.2, -0.1]])})
    sgd = optim.SGD(layer.parameters(), lr=0.01)
    x, true = np.array([8.5, 0.65, 1.2]), np.array([1.0])
    expected_w = np.array([0.1, 0.2, -0.1])
    for iteration in range(3):
        sgd.zero_grad()
        pred = layer(x)
        delta = pred.item() - 1.0
        if iteration == 0:
            np.testing.assert_allclose([pred.item(), delta ** 2, delta], [0.86, 0.0196, -0.14],
                                       rtol=1e-13)
        nn.HalfSSELoss()(pred, true).backward()
        np.testing.assert_allclose(layer.weight.grad.data[0], delta * x, rtol=1e-14)
        sgd.step()
        expected_w = expected_w - 0.01 * delta * x
        np.testing.assert_allclose(layer.weight.data[0], expected_w, rtol=1e-14)


# ------------------------------------------------------------------ frozen entries


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.5),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.5),
    lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.5),
    lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5),
    lambda ps: optim.RMSprop(ps, lr=0.05, momentum=0.9, centered=True, weight_decay=0.5),
    lambda ps: optim.Adagrad(ps, lr=0.1, weight_decay=0.5, initial_accumulator_value=0.1),
])
def test_frozen_entries_never_move(make):
    params = _params()
    params[0].freeze_((1, 0))
    params[1].freeze_([0, 3])
    frozen = [params[0].data[1, 0], params[1].data[[0, 3]].copy()]
    before = [p.data.copy() for p in params]
    for _ in _train(make(params), params):
        assert params[0].data[1, 0] == frozen[0]
        np.testing.assert_array_equal(params[1].data[[0, 3]], frozen[1])
    assert params[0].grad.data[1, 0] == 0.0
    moved = params[0].data != before[0]
    assert moved.sum() == 5 and not moved[1, 0]
    assert (params[1].data != before[1]).sum() == 2


@pytest.mark.parametrize("make, key", [
    (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.5), "momentum_buffer"),
    (lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.5), "exp_avg"),
    (lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5), "exp_avg_sq"),
    (lambda ps: optim.RMSprop(ps, lr=0.05, momentum=0.9, weight_decay=0.5), "momentum_buffer"),
    (lambda ps: optim.RMSprop(ps, lr=0.05, centered=True, weight_decay=0.5), "grad_avg"),
    (lambda ps: optim.Adagrad(ps, lr=0.1, weight_decay=0.5), "sum"),
])
def test_frozen_entries_take_no_part_in_the_state(make, key):
    # weight decay would otherwise fill the momentum at a frozen entry, to be released later
    params = _params()
    params[1].freeze_(2)
    optimizer = make(params)
    list(_train(optimizer, params, steps=3))
    state = optimizer.state[params[1]][key]
    assert state[2] == 0.0 and state[[0, 1, 3]].all()


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.5),
    lambda ps: optim.RMSprop(ps, lr=0.05, momentum=0.9),
    lambda ps: optim.Adagrad(ps, lr=0.1),
])
def test_freezing_mid_training_stops_momentum_and_adam_too(make):
    params = _params()
    optimizer = make(params)
    list(_train(optimizer, params, steps=3))  # the state now holds momentum for every entry
    params[1].freeze_()
    held = params[1].data.copy()
    list(_train(optimizer, params, steps=3))
    np.testing.assert_array_equal(params[1].data, held)
    params[1].unfreeze_()
    list(_train(optimizer, params, steps=1))
    assert (params[1].data != held).all()


def test_book_freezing_with_sgd():
    # Grokking ch. 5: weight a frozen, alpha 0.3; b and c learn the example alone
    weights = nn.Parameter([0.1, 0.2, -0.1]).freeze_(0)
    sgd = optim.SGD([weights], lr=0.3)
    x = Tensor([8.5, 0.65, 1.2])
    errors = []
    for _ in range(30):
        sgd.zero_grad()
        pred = x.dot(weights)
        errors.append((pred.item() - 1.0) ** 2)
        nn.HalfSSELoss()(pred, Tensor(1.0)).backward()
        sgd.step()
    assert weights.data[0] == 0.1
    assert errors[0] > 0.01 and errors[-1] < 1e-8


# ------------------------------------------------------------------ the optimizer API


def test_step_skips_parameters_without_gradient():
    used, unused = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0])
    sgd = optim.SGD([used, unused], lr=0.1, momentum=0.9)
    (used * used).sum().backward()
    sgd.step()
    np.testing.assert_allclose(used.data, [0.8, 1.6], rtol=1e-15)
    assert unused.data[0] == 3.0 and unused.grad is None and unused not in sgd.state


def test_zero_grad_clears_or_zeroes():
    p = nn.Parameter([1.0, 2.0])
    sgd = optim.SGD([p], lr=0.1)
    (p * 3.0).sum().backward()
    sgd.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    sgd.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("make", [
    lambda params: optim.SGD(params, lr=0.1, weight_decay=0.1),
    lambda params: optim.AdamW(params, lr=0.1),
    lambda params: optim.RMSprop(params, lr=0.1, weight_decay=0.1),
])
def test_zero_grad_keeping_tensors_leaves_a_frozen_parameter_alone(make):
    # PyTorch zeroes the gradients that exist; a new zero gradient for a frozen or unused
    # parameter would let weight decay move it
    used, frozen = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0, 4.0])
    frozen.requires_grad_(False)
    opt = make([used, frozen])
    for _ in range(3):
        opt.zero_grad(set_to_none=False)
        (used * used).sum().backward()
        opt.step()
    np.testing.assert_array_equal(frozen.data, [3.0, 4.0])
    assert frozen.grad is None and frozen not in opt.state


def test_zero_grad_keeping_tensors_zeroes_the_same_gradient_tensor():
    p = nn.Parameter([1.0, 2.0])
    (p * 3.0).sum().backward()
    held = p.grad
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad is held
    np.testing.assert_array_equal(held.data, [0.0, 0.0])


@pytest.mark.parametrize("saved, loaded", [(optim.SGD, optim.Adam), (optim.Adam, optim.SGD),
                                           (optim.SGD, optim.RMSprop), (optim.Adam, optim.Adagrad)])
def test_load_state_dict_of_another_kind_of_optimizer_is_refused_before_step(saved, loaded):
    p, q = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0, 4.0])
    first = saved([p], lr=0.1)
    (p * p).sum().backward()
    first.step()
    second = loaded([q], lr=0.5)
    before = second.state_dict()["state"]  # (Adagrad's sums exist from the start, PyTorch's too)
    with pytest.raises(ValueError, match=rf"^{loaded.__name__}.load_state_dict: the saved "
                                         r"settings .* lack .*same kind of optimizer$"):
        second.load_state_dict(first.state_dict())
    after = second.state_dict()["state"]  # nothing half-loaded
    assert second.param_groups[0]["lr"] == 0.5 and after.keys() == before.keys()
    for i in before:
        assert after[i].keys() == before[i].keys()
        for key in before[i]:
            np.testing.assert_array_equal(after[i][key], before[i][key])


def test_adagrads_sums_exist_before_its_first_step_as_pytorchs():
    # PyTorch's Adagrad makes each sum in its constructor: a state_dict() saved before any
    # step holds them, and a model's checkpoint taken then resumes the same
    p, q = nn.Parameter([1.0, 2.0]), nn.Parameter(np.ones((2, 2), np.float32))
    optimizer = optim.Adagrad([p, q], lr=0.1, initial_accumulator_value=0.25)
    state = optimizer.state_dict()["state"]
    assert sorted(state) == [0, 1] and float(state[0]["step"]) == 0.0
    np.testing.assert_array_equal(state[0]["sum"], [0.25, 0.25])
    assert state[1]["sum"].shape == (2, 2) and state[1]["sum"].dtype == np.float32
    (p * p).sum().backward()
    optimizer.step()  # the sum starts from 0.25: p - lr * g / sqrt(0.25 + g**2)
    g = np.array([2.0, 4.0])
    np.testing.assert_allclose(p.data, [1.0, 2.0] - 0.1 * g / (np.sqrt(0.25 + g * g) + 1e-10))
    assert float(optimizer.state[p]["step"]) == 1.0 and float(optimizer.state[q]["step"]) == 0.0
    late = nn.Parameter([5.0])  # a group added later starts at its first step, as PyTorch's
    optimizer.add_param_group({"params": [late]})
    assert late not in optimizer.state or not optimizer.state[late]


def test_step_updates_in_place_records_no_graph_and_keeps_float32():
    p = nn.Parameter(np.array([1.0, -1.0], dtype=np.float32))
    array = p.data
    (p * p).sum().backward()
    optim.Adam([p], lr=0.1).step()
    assert np.shares_memory(p.data, array) and p.dtype == np.float32
    assert p.is_leaf and p.grad_fn is None
    np.testing.assert_allclose(p.data, [0.9, -0.9], rtol=1e-6)


def test_closure_is_called_and_its_loss_returned():
    p = nn.Parameter([2.0])
    sgd = optim.SGD([p], lr=0.25)

    def closure():
        sgd.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():  # the closure records its graph anyway
        loss = sgd.step(closure)
    assert loss.item() == 4.0 and p.data[0] == 1.0


def test_parameter_groups_have_their_own_settings():
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Linear(2, 1, seed=1))
    sgd = optim.SGD([{"params": model[0].parameters(), "lr": 0.5},
                     {"params": model[1].parameters()}], lr=0.1)
    assert [g["lr"] for g in sgd.param_groups] == [0.5, 0.1]
    before = [p.data.copy() for p in model.parameters()]
    model(np.ones((3, 2))).sum().backward()
    grads = [p.grad.data.copy() for p in model.parameters()]
    sgd.step()
    for p, b, g, lr in zip(model.parameters(), before, grads, [0.5, 0.5, 0.1, 0.1]):
        np.testing.assert_allclose(p.data, b - lr * g, rtol=1e-15)
    sgd.param_groups[1]["lr"] = 0.0  # a schedule changes settings between steps
    held = model[1].weight.data.copy()
    sgd.step()
    np.testing.assert_array_equal(model[1].weight.data, held)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.05, betas=(0.8, 0.99)),
    lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.05, momentum=0.9, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.1),
])
def test_optimizer_state_dict_resumes_training_exactly(make):
    params = _params()
    first = make(params)
    list(_train(first, params, steps=3))
    saved = first.state_dict()
    copies = [nn.Parameter(p.data.copy()) for p in params]
    second = make(copies)
    second.load_state_dict(saved)
    for a, b in zip(_train(first, params, steps=3), _train(second, copies, steps=3)):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    saved["state"][0][next(k for k, v in saved["state"][0].items()  # (not the 0-d step)
                           if isinstance(v, np.ndarray) and v.ndim)] = np.zeros(7)
    with pytest.raises(ValueError, match=r"has shape \(7,\), the parameter \(3, 2\)"):
        second.load_state_dict(saved)


def test_state_dict_is_a_copy():
    params = _params()
    sgd = optim.SGD(params, lr=0.1, momentum=0.9)
    list(_train(sgd, params, steps=1))
    saved = sgd.state_dict()
    buffer = saved["state"][0]["momentum_buffer"].copy()
    list(_train(sgd, params, steps=1))
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], buffer)
    assert saved["param_groups"][0]["params"] == [0, 1]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("make, error, match", [
    (lambda ps: optim.SGD(ps, lr=-0.1), ValueError, r"SGD: lr must be >= 0.0, got -0.1"),
    (lambda ps: optim.SGD(ps, lr=float("nan")), ValueError, "SGD: lr must be"),
    (lambda ps: optim.SGD(ps, lr="0.1"), TypeError, "SGD: lr must be a number"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.9), ValueError, "SGD: momentum must be >= 0"),
    (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), ValueError,
     "SGD: nesterov=True needs momentum > 0 and dampening = 0"),
    (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov=True needs"),
    (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1), ValueError, "weight_decay must be >= 0"),
    (lambda ps: optim.Adam(ps, lr=-1), ValueError, "Adam: lr must be >= 0"),
    (lambda ps: optim.Adam(ps, betas=(0.9, 1.0)), ValueError, r"Adam: betas\[1\] must be in"),
    (lambda ps: optim.Adam(ps, betas=(-0.1, 0.9)), ValueError, r"Adam: betas\[0\] must be in"),
    (lambda ps: optim.Adam(ps, betas=0.9), ValueError, "Adam: betas must be a pair"),
    (lambda ps: optim.Adam(ps, eps=-1e-8), ValueError, "Adam: eps must be >= 0"),
    (lambda ps: optim.Adam(ps, weight_decay=-0.1), ValueError, "Adam: weight_decay"),
    (lambda ps: optim.SGD([{"params": ps, "momentun": 0.9}], lr=0.1), ValueError,
     r"unknown settings \['momentun'\]"),
    (lambda ps: optim.AdamW(ps, lr=-1), ValueError, "AdamW: lr must be >= 0"),
    (lambda ps: optim.AdamW(ps, weight_decay=-0.01), ValueError,
     "AdamW: weight_decay must be >= 0.0, got -0.01"),
    (lambda ps: optim.AdamW(ps, betas=(0.9, 1.5)), ValueError, r"AdamW: betas\[1\] must be in"),
    (lambda ps: optim.AdamW(ps, eps="1e-8"), TypeError, "AdamW: eps must be a number"),
    (lambda ps: optim.AdamW(ps, amsgrad=1), TypeError, "AdamW: amsgrad must be True or False"),
    (lambda ps: optim.RMSprop(ps, lr=-0.01), ValueError, "RMSprop: lr must be >= 0"),
    (lambda ps: optim.RMSprop(ps, alpha=1.0), ValueError,
     r"RMSprop: alpha must be in \[0.0, 1.0\), got 1.0"),
    (lambda ps: optim.RMSprop(ps, alpha=-0.5), ValueError, "RMSprop: alpha must be in"),
    (lambda ps: optim.RMSprop(ps, eps=-1.0), ValueError, "RMSprop: eps must be >= 0"),
    (lambda ps: optim.RMSprop(ps, momentum=-0.9), ValueError, "RMSprop: momentum must be >= 0"),
    (lambda ps: optim.RMSprop(ps, weight_decay=float("nan")), ValueError,
     "RMSprop: weight_decay must be >= 0"),
    (lambda ps: optim.Adagrad(ps, lr=-0.01), ValueError, "Adagrad: lr must be >= 0"),
    (lambda ps: optim.Adagrad(ps, lr_decay=-1), ValueError, "Adagrad: lr_decay must be >= 0"),
    (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-0.1), ValueError,
     "Adagrad: initial_accumulator_value must be >= 0"),
    (lambda ps: optim.Adagrad(ps, eps=None), TypeError, "Adagrad: eps must be a number"),
    (lambda ps: optim.Adagrad(ps, weight_decay=-2), ValueError,
     "Adagrad: weight_decay must be >= 0"),
])
def test_bad_settings_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make(_params())


def test_a_setting_changed_by_hand_is_checked_at_step():
    params = _params()
    sgd = optim.SGD(params, lr=0.1)
    _loss(params).backward()
    sgd.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="SGD: lr must be >= 0"):
        sgd.step()


def test_bad_parameter_lists_are_named():
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        optim.Adam(nn.ReLU().parameters())
    with pytest.raises(TypeError, match=r"got a single Tensor, wrap it in a list: SGD\(\[w\]"):
        optim.SGD(nn.Parameter([1.0]), lr=0.1)
    with pytest.raises(TypeError, match=r"got a model; pass its parameters"):
        optim.Adam(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Tensor"):
        optim.SGD([np.ones(2)], lr=0.1)
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="computed by an op \\('mul'\\)"):
        optim.SGD([p * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable of tensors"):
        optim.SGD(3, lr=0.1)


def test_parameters_without_requires_grad_are_accepted_and_left_alone():
    # the frozen-backbone idiom: freeze the first layer, hand every parameter to Adam
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    model[0].requires_grad_(False)
    adam = optim.Adam(model.parameters(), lr=0.1)
    frozen = [p.data.copy() for p in model[0].parameters()]
    head = [p.data.copy() for p in model[2].parameters()]
    for _ in range(3):
        adam.zero_grad()
        model(np.ones((4, 2))).sum().backward()
        adam.step()
    assert all(np.array_equal(p.data, v) for p, v in zip(model[0].parameters(), frozen))
    assert not any(np.array_equal(p.data, v) for p, v in zip(model[2].parameters(), head))
    assert len(adam.state) == 2  # state only for the trained ones
    constant = Tensor([1.0, 2.0], name="w")  # a plain constant tensor is accepted too
    optim.SGD([nn.Parameter([1.0]), constant], lr=0.1).step()
    assert constant.tolist() == [1.0, 2.0]


def test_parameter_groups_keep_keys_of_your_own_as_pytorch():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    sgd = optim.SGD([{"params": model[0].parameters(), "name": "body"},
                     {"params": model[2].parameters(), "name": "head", "lr": 0.5}], lr=0.1)
    assert [g["name"] for g in sgd.param_groups] == ["body", "head"]
    assert [g["lr"] for g in sgd.param_groups] == [0.1, 0.5]
    saved = sgd.state_dict()
    assert [g["name"] for g in saved["param_groups"]] == ["body", "head"]
    again = optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters()}],
                      lr=0.1)
    again.load_state_dict(saved)
    assert [g.get("name") for g in again.param_groups] == ["body", "head"]


# ------------------------------------------------------------------ small trainings


def _regression_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 2))
    y = x @ np.array([[3.0], [-2.0]]) + 1.0 + 0.01 * rng.standard_normal((64, 1))
    return x, y


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=1e-4),
    lambda ps: optim.RMSprop(ps, lr=0.05),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.5),
])
def test_a_tiny_regression_trains(make):
    x, y = _regression_data()
    model = nn.Linear(2, 1, seed=0)
    optimizer = make(model.parameters())
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(150):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]
    np.testing.assert_allclose(model.weight.data, [[3.0, -2.0]], atol=0.02)
    np.testing.assert_allclose(model.bias.data, [1.0], atol=0.02)


def test_a_small_classifier_trains_with_adam_and_cross_entropy():
    rng = np.random.default_rng(2)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = rng.integers(0, 3, 150)
    x = centers[labels] + 0.5 * rng.standard_normal((150, 2))
    model = nn.Sequential(nn.Linear(2, 8, seed=0), nn.Tanh(), nn.Linear(8, 3, seed=1))
    adam = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        adam.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), labels)
        loss.backward()
        adam.step()
        first = loss.item() if first is None else first
    accuracy = (model(x).data.argmax(axis=1) == labels).mean()
    assert loss.item() < 0.25 * first and accuracy > 0.95
    assert math.isfinite(loss.item())


@pytest.mark.parametrize("shape, order, grad_order", [
    ((600, 500), "C", "C"), ((600, 500), "F", "C"), ((600, 500), "F", "F"), ((7,), "C", "C")])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_large_parameter_moves_exactly_as_the_formula_says(shape, order, grad_order, momentum):
    # a large parameter is updated a block at a time: the same arithmetic, entry by entry
    # (F, F: nn.Linear's weights and their gradients, in blocks over the transposes)
    rng = np.random.default_rng(3)
    start = np.asarray(rng.normal(size=shape), order=order)
    p = tg.Tensor(start.copy(order=order), requires_grad=True)
    opt = tg.optim.SGD([p], lr=0.05, momentum=momentum)
    buf = None
    expected = start.copy()
    for _ in range(3):
        g = np.asarray(rng.normal(size=shape), order=grad_order)
        p.grad = tg.Tensor(g)
        opt.step()
        buf = g.copy() if buf is None else momentum * buf + g
        expected = expected - 0.05 * (buf if momentum else g)
        np.testing.assert_array_equal(p.data, expected)
