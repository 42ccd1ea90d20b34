"""What `optimizer.step()` checks at every step, not only when the optimizer is made: a
setting set by hand between steps (a string, NaN, a bool, a flag of another type, an array
of several numbers, PyTorch's capturable= and differentiable= turned on) is refused with
its one-line message and nothing moves; an array set by hand is read as its number; a
gradient that mixes steps is said at the step, the user's line named; a parameter given
values of another shape is refused; a subclass's messages carry its own name. Checked
without torch: the expected steps are the closed-form rules."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import nn, optim


def _stepped_once(make, **settings):
    """An optimizer over two parameters after one step, their gradients set again."""
    params = [nn.Parameter([1.0, -2.0]), nn.Parameter([[0.5], [3.0]])]
    opt = make(params, **settings)
    for _ in range(2):
        opt.zero_grad()
        sum((p * p).sum() for p in params).backward()
        if _ == 0:
            opt.step()
    return opt, params


@pytest.mark.parametrize("make, key, value, error, match", [
    (optim.SGD, "lr", "a", TypeError, r"^SGD: lr must be a number, got 'a'$"),
    (optim.SGD, "lr", True, TypeError, r"^SGD: lr must be a number, got True$"),
    (optim.SGD, "lr", float("nan"), ValueError, r"^SGD: lr must be >= 0.0, got nan$"),
    (optim.SGD, "lr", np.float32("nan"), ValueError,
     r"^SGD: lr must be >= 0.0, got nan$"),  # (a NumPy scalar: read as its number)
    (optim.SGD, "momentum", float("nan"), ValueError, r"^SGD: momentum must be >= 0.0"),
    (optim.SGD, "weight_decay", "a", TypeError, r"^SGD: weight_decay must be a number"),
    (optim.SGD, "dampening", None, TypeError, r"^SGD: dampening must be a number, got None"),
    (optim.SGD, "nesterov", 1, TypeError, r"^SGD: nesterov must be True or False, got 1"),
    (optim.SGD, "maximize", "yes", TypeError,
     r"^SGD: maximize must be True or False, got str 'yes'$"),
    (optim.SGD, "maximize", 0, TypeError, r"^SGD: maximize must be True or False, got int 0$"),
    (optim.SGD, "differentiable", True, ValueError,
     r"^SGD: differentiable=True \(autograd through the step\) is not supported"),
    (optim.SGD, "lr", np.array([0.1, 0.2]), ValueError,
     r"^SGD: lr must be a number or a 1-element tensor, got an array of shape \(2,\)$"),
    (optim.SGD, "lr", tg.tensor([0.1, 0.2]), ValueError,
     r"^SGD: lr must be a number or a 1-element tensor, got a tensor of shape \(2,\)$"),
    (optim.Adam, "eps", float("nan"), ValueError, r"^Adam: eps must be >= 0.0, got nan$"),
    (optim.Adam, "betas", (0.9, float("nan")), ValueError,
     r"^Adam: betas\[1\] must be in \[0.0, 1.0\), got nan$"),
    (optim.Adam, "betas", (0.9, "a"), TypeError, r"^Adam: betas\[1\] must be a number"),
    (optim.Adam, "betas", (tg.tensor(0.9), 0.999), ValueError,
     r"^Adam: betas must be two numbers or two 1-element tensors, got \(Tensor, float\)"),
    (optim.Adam, "amsgrad", 1, TypeError, r"^Adam: amsgrad must be True or False, got int 1$"),
    (optim.Adam, "maximize", 0, TypeError, r"^Adam: maximize must be True or False, got int 0$"),
    (optim.AdamW, "decoupled_weight_decay", "no", TypeError,
     r"^AdamW: decoupled_weight_decay must be True or False"),
    (optim.Adam, "capturable", True, ValueError,
     r"^Adam: capturable=True is PyTorch's mode for CUDA graphs"),
    (optim.Adam, "capturable", 0, TypeError, r"^Adam: capturable must be True or False"),
    (optim.RMSprop, "alpha", 1.0, ValueError, r"^RMSprop: alpha must be in \[0.0, 1.0\)"),
    (optim.Adagrad, "eps", "small", TypeError, r"^Adagrad: eps must be a number"),
])
def test_a_setting_set_by_hand_between_steps_is_refused_at_the_next_and_nothing_moves(
        make, key, value, error, match):
    opt, params = _stepped_once(make, lr=0.1)
    before = [p.data.copy() for p in params]
    opt.param_groups[0][key] = value
    with pytest.raises(error, match=match):
        opt.step()
    for p, values in zip(params, before):
        np.testing.assert_array_equal(p.data, values)


def test_flags_of_numpys_bool_type_are_taken_as_the_bools_they_are():
    opt, params = _stepped_once(optim.SGD, lr=0.1)
    expected = [p.data - 0.1 * 2 * p.data for p in params]
    opt.param_groups[0].update(maximize=np.False_, nesterov=np.False_, differentiable=np.False_)
    opt.step()
    for p, values in zip(params, expected):
        np.testing.assert_allclose(p.data, values, rtol=1e-15)


@pytest.mark.parametrize("given", [np.array(0.5), np.array([0.5]), np.float64(0.5)])
def test_an_lr_set_by_hand_as_an_array_is_read_as_its_number(given):
    opt, params = _stepped_once(optim.SGD, lr=0.1)
    expected = [p.data - 0.5 * 2 * p.data for p in params]  # (the gradient of p*p is 2p)
    opt.param_groups[0]["lr"] = given
    opt.step()
    for p, values in zip(params, expected):
        np.testing.assert_allclose(p.data, values, rtol=1e-15)


@pytest.mark.parametrize("betas", [(np.array(0.8), np.array([0.9])),
                                   (tg.tensor(0.8), tg.tensor([0.9])), [0.8, np.array(0.9)]])
def test_betas_set_by_hand_as_arrays_or_tensors_are_read_as_their_numbers(betas):
    given = [nn.Parameter([1.0, -2.0]) for _ in range(2)]
    made, hand = optim.Adam([given[0]], betas=(0.8, 0.9)), optim.Adam([given[1]])
    hand.param_groups[0]["betas"] = betas
    for _ in range(3):
        for opt, p in zip((made, hand), given):
            opt.zero_grad()
            (p * p * p).sum().backward()
            opt.step()
    np.testing.assert_array_equal(given[1].data, given[0].data)
    assert not np.array_equal(given[1].data, [1.0, -2.0])


def test_maximize_and_weight_decay_set_by_hand_count_from_the_next_step():
    # ascend: g = -2p, plus the decay: p <- p - lr * (-2p + wd * p)
    opt, params = _stepped_once(optim.SGD, lr=0.1)
    opt.param_groups[0].update(maximize=True, weight_decay=0.5)
    expected = [p.data - 0.1 * (-2 * p.data + 0.5 * p.data) for p in params]
    opt.step()
    for p, values in zip(params, expected):
        np.testing.assert_allclose(p.data, values, rtol=1e-15)


def test_a_gradient_that_mixes_steps_is_said_at_the_step_naming_the_users_line():
    w1, w2 = tg.tensor([0.5, -1.5], requires_grad=True), tg.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w1, w2], lr=0.1)
    (w1 ** 2).sum().backward(), (w2 ** 2).sum().backward()
    opt.step()
    w1.grad = None  # (only w2's gradient is left from before the step)
    (w1 ** 2).sum().backward(), (w2 ** 2).sum().backward()
    with pytest.warns(UserWarning, match=r"^\.grad of a tensor \(1,\) adds up gradients from "
                                         r"before and after an update") as caught:
        opt.step()
    assert [warning.filename for warning in caught] == [__file__]

    def closure():  # (backward inside step: its mixed gradient is said there too)
        (w2 ** 2).sum().backward()
        return 0.0
    with pytest.warns(UserWarning, match="adds up gradients from before and after an update"):
        opt.step(closure)
    opt.zero_grad()
    (w1 ** 2).sum().backward(), (w2 ** 2).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # cleared: nothing is said
        opt.step()


def test_a_parameter_given_values_of_another_shape_is_refused_at_the_step():
    opt, params = _stepped_once(optim.SGD, lr=0.1)
    params[0].data = np.zeros(3)
    with pytest.raises(ValueError, match=r"^SGD: the gradient of a parameter of shape \(3,\) "
                                         r"has shape \(2,\); was .grad assigned by hand\?$"):
        opt.step()


def test_a_subclass_names_itself_in_its_messages():
    class Plain(optim.SGD):
        pass

    class Own(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr, "weight_decay": 0.0})

    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match=r"^Plain: lr must be >= 0.0, got -1.0$"):
        Plain([p], lr=-1.0)
    with pytest.raises(TypeError, match=r"^Own: lr must be a number, got 'a'$"):
        Own([p], lr="a")
    with pytest.raises(ValueError, match=r"^Optimizer: got an empty parameter list"):
        optim.Optimizer([], {"lr": 0.1})
