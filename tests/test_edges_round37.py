"""Numbers and messages at the edges, as PyTorch 2.13 gives them (thirty-seventh round):

- cdf at the bound an open support leaves out (LogNormal, Weibull, InverseGamma at 0) is
  0, with validation on and off, where it was refused as outside the support; a value
  below the bound still refused, naming the support (GreaterThan) and that cdf also takes
  its lower bound;
- Geometric's entropy below float64's eps of probs is -log p + 1 (its limit) with the
  gradient -1/p, where the clamped logits gave 2e4 at probs 1e-20 (PyTorch's gives 0);
  at probs 1 and 0 (unvalidated) log_prob, entropy and their gradients PyTorch's, or the
  limits where PyTorch's 0/0 gives NaN;
- Beta's rsample gradient at a draw rounded to 1 (or within float64's last steps below
  it) is the implicit slope's limit there, PyTorch's value, where it was NaN;
- nn.init: a leaky_relu slope that is no number a ValueError (PyTorch's type, it was a
  TypeError), read only for leaky_relu (kaiming_normal_(a="s", nonlinearity="relu") runs,
  as PyTorch's); kaiming's unknown nonlinearity named as kaiming's; a list given to an
  initialiser one TypeError naming it (an AttributeError from inside); a negative Glorot
  gain refused in xavier's name (it said normal_ or uniform_); a gain or std of -0.0 fills
  the mean, as PyTorch's (NumPy's "scale < 0");
- Adafactor's d: the constructor's below 1 refused, as PyTorch's; a param group's own d
  below 1 (given, added, or changed in place) taken and stepped as PyTorch's (it was
  refused); 0 or below refused in one line at the step (PyTorch's divides by 0, or turns
  clipping off silently), nothing moved;
- native_group_norm and native_layer_norm of empty groups or samples: mean 0 and rstd NaN,
  PyTorch's (the mean was NaN), weight and bias gradients 0 (sums over nothing; PyTorch's
  group_norm gives the weight NaN); native_batch_norm refusing an empty batch in training
  as PyTorch's (RuntimeError), F.batch_norm passing it through;
- a weight, bias or target given as a string, bytes, a dict or None (where a tensor is
  needed): one TypeError naming the function and the argument, what was given and what to
  pass, for linear, bilinear, conv, conv_transpose, the norms and the losses (a string
  bias was read as shape (), conv said `Tensor(): expected numeric data`), an input or a
  target the same; data that holds numbers (a list, tuple, ndarray, range, array.array,
  deque, 0-d value, torch tensor) taken as the tensor of them, in every such argument;
- kl_divergence where the closed form overflows (Normal-Gumbel, Gamma-Gumbel,
  Exponential-Gumbel): inf and the gradients PyTorch gives, NaN where it gives NaN;

Checked against NumPy formulas and finite differences, and (marked `torch`) against
PyTorch."""
from __future__ import annotations

import array
import collections
import math
import re

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd import nn
from tinygrad_gd.nn import functional as F
from tinygrad_gd.distributions.gamma_ops import beta_slope_over
from tinygrad_gd.errors import ShapeError
from tinygrad_gd.special import digamma


# -- 1. cdf at the bound an open support leaves out ------------------------------------------
OPEN_AT_ZERO = {
    "LogNormal": lambda lib, v: lib.LogNormal(0.3, 1.2, validate_args=v),
    "Weibull": lambda lib, v: lib.Weibull(1.5, 2.0, validate_args=v),
    "InverseGamma": lambda lib, v: lib.InverseGamma(2.0, 1.5, validate_args=v),
}


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("name", OPEN_AT_ZERO)
def test_cdf_at_zero_of_a_positive_support_is_zero(name, validate):
    dist = OPEN_AT_ZERO[name](D, validate)
    with np.errstate(divide="ignore"):
        values = dist.cdf(tg.tensor([0.0, 1.0, 2.5])).data
    assert values[0] == 0.0
    assert np.all(np.diff(values) > 0) and values[-1] < 1


@pytest.mark.parametrize("name", OPEN_AT_ZERO)
def test_cdf_below_the_support_still_refused(name):
    dist = OPEN_AT_ZERO[name](D, True)
    with pytest.raises(ValueError, match=rf"^{name}\.cdf: value -1\.0 is outside the support "
                                         rf"{re.escape(repr(dist.support))} of .* \(cdf also "
                                         r"takes its lower bound\); give values in the support "
                                         r"or at that bound, "):
        dist.cdf(-1.0)
    assert repr(dist.support) == "GreaterThan(lower_bound=0.0)"  # (the open one, not >=)
    with pytest.raises(ValueError, match="outside the support"):
        OPEN_AT_ZERO[name](D, True).log_prob(0.0)  # (the density's support stays open)


@pytest.mark.torch
@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("name", OPEN_AT_ZERO)
def test_cdf_at_zero_is_pytorchs(torch64, name, validate):
    torch = torch64
    values = [0.0, 0.5, 3.0]
    theirs = OPEN_AT_ZERO[name](torch.distributions, validate).cdf(torch.tensor(values))
    with np.errstate(divide="ignore"):
        ours = OPEN_AT_ZERO[name](D, validate).cdf(tg.tensor(values))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=0)


# -- 2. Geometric at the ends of probs ----------------------------------------------------
def _geometric_entropy(p):
    return -math.log(p) - (1 - p) * math.log1p(-p) / p


@pytest.mark.parametrize("p", [1e-300, 1e-20, 1e-14, 1e-10, 1e-5, 0.3])
def test_geometric_entropy_keeps_its_digits_for_small_probs(p):
    probs = tg.tensor([p], requires_grad=True)
    entropy = D.Geometric(probs=probs).entropy()
    entropy.sum().backward()
    np.testing.assert_allclose(entropy.data, [_geometric_entropy(p)], rtol=1e-13)
    # d/dp of -log p - (1 - p) log1p(-p) / p is log1p(-p) / p**2
    np.testing.assert_allclose(probs.grad.data, [math.log1p(-p) / p / p], rtol=1e-9)


def test_geometric_entropy_from_logits_agrees_with_probs():
    logits = np.array([-50.0, -20.0, 0.0, 3.0])
    probs = 1 / (1 + np.exp(-logits))
    by_logits = D.Geometric(logits=tg.tensor(logits)).entropy().data
    expected = [_geometric_entropy(p) for p in probs]
    np.testing.assert_allclose(by_logits, expected, rtol=1e-12)
    np.testing.assert_allclose(D.Geometric(probs=tg.tensor(probs)).entropy().data, expected,
                               rtol=1e-12)


def test_geometric_at_probs_zero_unvalidated_gives_the_limits():
    probs = tg.tensor(0.0, requires_grad=True)
    dist = D.Geometric(probs=probs, validate_args=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = dist.entropy()
        entropy.backward()
    assert entropy.item() == math.inf and probs.grad.item() == -math.inf
    with pytest.raises(ValueError, match=r"Geometric: parameter probs .* must be > 0"):
        D.Geometric(probs=0.0)


@pytest.mark.torch
@pytest.mark.parametrize("p", [1.0, 1 - 2 ** -53, 0.5])  # (below, PyTorch's loses digits)
@pytest.mark.parametrize("what", ["log_prob0", "log_prob3", "entropy"])
def test_geometric_at_probs_one_is_pytorchs(torch64, p, what):
    torch = torch64
    results = []
    for lib, module in ((torch, torch.distributions), (tg, D)):
        probs = lib.tensor(p, requires_grad=True)
        dist = module.Geometric(probs=probs)
        with np.errstate(divide="ignore"):
            value = (dist.entropy() if what == "entropy"
                     else dist.log_prob(lib.tensor(float(what[-1]))))
            value.backward()
        results.append((float(value.detach()), float(probs.grad)))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


# -- 3. Beta's rsample gradient at a draw rounded to 1 --------------------------------------
def test_beta_slope_at_the_ends_is_its_limit():
    a, b = np.array([50.0, 60.0, 1e6, 2.0, 3.0]), np.array([50.0, 80.0, 50.0, 3.0, 50.0])
    at_one = beta_slope_over(a, b, np.ones(5))
    # D / (1 - x) tends to (psi(a + b) - psi(a)) / b as x -> 1, and is continuous there
    limit = (digamma(tg.tensor(a + b)).data - digamma(tg.tensor(a)).data) / b
    np.testing.assert_allclose(at_one, limit, rtol=1e-9)
    np.testing.assert_allclose(beta_slope_over(a, b, np.full(5, 1 - 2 ** -40)), limit,
                               rtol=1e-9)
    np.testing.assert_array_equal(beta_slope_over(a, b, np.zeros(5)), 0.0)


@pytest.mark.parametrize("a, b", [(1e18, 50.0), (1e20, 60.0), (1e20, 1e4)])
def test_beta_rsample_rounded_to_one_has_a_finite_gradient(a, b):
    c1 = tg.tensor(np.full(32, a), requires_grad=True)
    c0 = tg.tensor(np.full(32, b), requires_grad=True)
    draws = D.Beta(c1, c0).rsample(seed=1)
    assert (draws.data >= 1 - 2 ** -52).all()
    (draws * tg.tensor(np.linspace(1, 2, 32))).sum().backward()
    assert np.isfinite(c1.grad.data).all() and np.isfinite(c0.grad.data).all()
    # near 1, 1 - x = G_b / (a + b) for G_b a Gamma(b) draw, whose slope in b is near 1:
    # dx/dc0 about -1 / (a + b); dx/dc1 = (1 - x) / (a + b), below a float64 step / a
    weight = np.linspace(1, 2, 32)
    assert ((-c0.grad.data / weight * (a + b) > 0.3) & (-c0.grad.data / weight * (a + b) < 3)
            ).all()
    assert ((c1.grad.data >= 0) & (c1.grad.data < 2 * 2 ** -52 / a)).all()


@pytest.mark.torch
@pytest.mark.parametrize("a, b", [(1e18, 50.0), (1e20, 60.0), (50.0, 50.0), (50.0, 3.0)])
def test_beta_slope_at_a_draw_of_one_is_pytorchs(torch64, a, b):
    torch = torch64
    x = torch.tensor([1.0, 0.0])
    alpha = torch.tensor([a, b])
    theirs = torch._dirichlet_grad(x, alpha, alpha.sum().expand(2)).numpy()
    ours = beta_slope_over(np.array([a, b]), np.array([b, a]), x.numpy())
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-17)


# -- 4. nn.init's wrong arguments -----------------------------------------------------------
@pytest.mark.parametrize("slope", [True, False, "0.1", [0.1]])
def test_calculate_gain_refuses_a_slope_that_is_no_number_as_a_value_error(slope):
    with pytest.raises(ValueError, match=r"^calculate_gain: param \(leaky_relu's negative "
                                         r"slope\) must be a number \(int or float\), got "
                                         rf"{type(slope).__name__} .*; give e\.g\. 0\.2"):
        nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError, match=r"^kaiming_normal_: a \(leaky_relu's negative slope\)"):
        nn.init.kaiming_normal_(tg.zeros(3, 4), a=slope)


def test_kaiming_reads_a_only_for_leaky_relu_and_names_itself():
    weight = nn.init.kaiming_normal_(tg.zeros(300, 400), a="ignored", nonlinearity="relu",
                                     generator=np.random.default_rng(0))
    np.testing.assert_allclose(weight.data.std(), math.sqrt(2 / 400), rtol=0.02)
    assert nn.init.calculate_gain("tanh", "ignored") == 5 / 3
    with pytest.raises(ValueError, match=r"^kaiming_uniform_: unknown nonlinearity 'bogus'"):
        nn.init.kaiming_uniform_(tg.zeros(3, 4), nonlinearity="bogus")


@pytest.mark.parametrize("init", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "orthogonal_", "eye_", "sparse_"])
def test_an_init_given_a_list_names_itself_in_a_type_error(init):
    args = (0.5,) if init == "sparse_" else ()
    with pytest.raises(TypeError, match=rf"^{init}: expected a Tensor \(a layer's weight or "
                                        r"bias\), got list"):
        getattr(nn.init, init)([[1.0, 2.0], [3.0, 4.0]], *args)


@pytest.mark.parametrize("init", ["xavier_uniform_", "xavier_normal_"])
def test_a_negative_glorot_gain_is_refused_in_the_initialisers_name(init):
    weight = tg.zeros(3, 4)
    with pytest.raises(ValueError, match=rf"^{init}: gain must be >= 0, got -1\.0"):
        getattr(nn.init, init)(weight, gain=-1.0)
    assert (weight.data == 0).all()



SPREAD_OF_MINUS_ZERO = {  # (-0.0 >= 0 holds; NumPy's normal refused it: "scale < 0")
    "xavier_normal_": (lambda w: nn.init.xavier_normal_(w, gain=-0.0), 0.0),
    "xavier_uniform_": (lambda w: nn.init.xavier_uniform_(w, gain=-0.0), 0.0),
    "nn.init.normal_": (lambda w: nn.init.normal_(w, 1.5, std=-0.0), 1.5),
    "Tensor.normal_": (lambda w: w.normal_(-2.0, -0.0), -2.0),
}


@pytest.mark.parametrize("init", SPREAD_OF_MINUS_ZERO)
def test_a_spread_of_minus_zero_fills_the_mean(init):
    fill, mean = SPREAD_OF_MINUS_ZERO[init]
    weight = tg.ones(3, 4)
    assert fill(weight) is weight
    np.testing.assert_array_equal(weight.data, np.full((3, 4), mean))


def test_a_spread_of_minus_zero_draws_the_mean_in_tg_normal_and_sparse_():
    np.testing.assert_array_equal(tg.normal(1.0, -0.0, size=(2,)).numpy(), [1.0, 1.0])
    drawn = tg.normal(tg.tensor([0.25, 3.0]), tg.tensor([0.5, -0.0]))
    assert drawn.numpy()[1] == 3.0
    weight = tg.ones(4, 3)
    nn.init.sparse_(weight, 0.5, std=-0.0)
    np.testing.assert_array_equal(weight.data, np.zeros((4, 3)))


@pytest.mark.torch
def test_init_errors_are_pytorchs_types(torch64):
    torch = torch64
    for call in (lambda init, w: init.calculate_gain("leaky_relu", True),
                 lambda init, w: init.kaiming_uniform_(w, a="s"),
                 lambda init, w: init.calculate_gain("bogus"),
                 lambda init, w: init.kaiming_uniform_(w, mode="bogus")):
        for init, weight in ((torch.nn.init, torch.zeros(3, 4)), (nn.init, tg.zeros(3, 4))):
            with pytest.raises(ValueError):
                call(init, weight)
    torch.nn.init.kaiming_normal_(torch.zeros(3, 4), a="s", nonlinearity="relu")
    nn.init.kaiming_normal_(tg.zeros(3, 4), a="s", nonlinearity="relu")


# -- 5. Adafactor's d: the constructor's >= 1, a group's own > 0 -----------------------------
def _adafactor_step(p, d):
    """One Adafactor step of p (a matrix) on sum(p**2) by its docstring's formulas (t = 1,
    lr 1e-2, beta2_decay -0.8, eps (eps, 1e-3)), clipping at d."""
    grad = 2 * p
    eps1 = np.finfo(np.float64).eps
    row, col = (grad ** 2).mean(axis=-1, keepdims=True), (grad ** 2).mean(axis=-2, keepdims=True)
    variance = row @ col / max(row.mean(), eps1)
    update = grad / np.sqrt(np.maximum(variance, eps1 ** 2))
    alpha = max(1e-3, np.sqrt((p ** 2).mean())) * min(1e-2, 1.0)
    return p - alpha / max(1.0, np.sqrt((update ** 2).mean()) / d) * update


@pytest.mark.parametrize("how", ["group", "added", "changed"])
def test_adafactor_group_d_below_one_is_taken_as_pytorch_takes_it(how):
    start = np.array([[1.0, 2.0], [3.0, 4.0]])
    p = tg.tensor(start, requires_grad=True)
    if how == "group":
        opt = tg.optim.Adafactor([{"params": [p], "d": 0.5}])
    elif how == "added":
        opt = tg.optim.Adafactor([tg.tensor([1.0], requires_grad=True)])
        opt.add_param_group({"params": [p], "d": 0.5})
    else:
        opt = tg.optim.Adafactor([p])
        opt.param_groups[0]["d"] = 0.5
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.data, _adafactor_step(start, 0.5), rtol=1e-12)
    assert not np.allclose(p.data, _adafactor_step(start, 1.0))  # (d=0.5 clips here)


def test_adafactor_d_refusals():
    with pytest.raises(ValueError, match=r"^Adafactor: d \(the clipping threshold\) must be >= 1, "
                                         r"got 0\.5; a param group may set its own smaller d$"):
        tg.optim.Adafactor([tg.tensor([1.0], requires_grad=True)], d=0.5)
    for d in (0.0, -1.0):
        p = tg.tensor([[1.0, 2.0]], requires_grad=True)
        opt = tg.optim.Adafactor([p])
        opt.param_groups[0]["d"] = d
        (p * p).sum().backward()
        with pytest.raises(ValueError, match=r"^Adafactor: a param group's d \(the clipping "
                                             rf"threshold\) must be > 0, got {d}$"):
            opt.step()
        np.testing.assert_array_equal(p.data, [[1.0, 2.0]])


@pytest.mark.torch
@pytest.mark.parametrize("how", ["group", "added", "changed"])
def test_adafactor_group_d_below_one_is_pytorchs(torch64, how):
    torch = torch64
    results = []
    for lib in (torch, tg):
        p = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        if how == "group":
            opt = lib.optim.Adafactor([{"params": [p], "d": 0.25}])
        elif how == "added":
            opt = lib.optim.Adafactor([lib.tensor([1.0], requires_grad=True)])
            opt.add_param_group({"params": [p], "d": 0.25})
        else:
            opt = lib.optim.Adafactor([p])
            opt.param_groups[0]["d"] = 0.25
        for _ in range(3):
            opt.zero_grad()
            (p * p * p).sum().backward()
            opt.step()
        results.append(p.detach().numpy() if lib is torch else p.data)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)
    with pytest.raises(ValueError):
        torch.optim.Adafactor([torch.zeros(1, requires_grad=True)], d=0.5)


# -- 6. norms of empty samples, groups and batches -----------------------------------------
def _leaf(shape):
    return tg.tensor(np.arange(math.prod(shape), dtype=np.float64).reshape(shape) * 0.3 + 1,
                     requires_grad=True)


@pytest.mark.parametrize("shape, groups", [((2, 4, 0), 2), ((2, 4, 0), 4), ((2, 0, 3), 1)])
def test_native_group_norm_of_empty_groups_has_mean_zero_and_rstd_nan(shape, groups):
    x, weight, bias = _leaf(shape), _leaf(shape[1:2]), _leaf(shape[1:2])
    out, mean, rstd = tg.native_group_norm(x, weight, bias, shape[0], shape[1],
                                           math.prod(shape[2:]), groups, 1e-5)
    assert out.shape == shape and mean.shape == rstd.shape == (shape[0], groups)
    np.testing.assert_array_equal(mean.data, 0.0)  # (a sum of nothing, over a count of 0)
    assert np.isnan(rstd.data).all()
    (out.sum() + mean.sum()).backward()
    for leaf in (weight, bias):  # (sums over no entries)
        np.testing.assert_array_equal(leaf.grad.data, np.zeros(shape[1]))


@pytest.mark.parametrize("shape, normalized", [((2, 0), (0,)), ((2, 3, 0), (3, 0))])
def test_native_layer_norm_of_empty_samples_has_mean_zero_and_rstd_nan(shape, normalized):
    x = _leaf(shape)
    out, mean, rstd = tg.native_layer_norm(x, normalized, None, None, 1e-5)
    assert out.shape == shape and mean.shape == rstd.shape == (2,) + (1,) * len(normalized)
    np.testing.assert_array_equal(mean.data, 0.0)
    assert np.isnan(rstd.data).all()


def test_native_layer_norm_of_filled_samples_unchanged():
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    _, mean, rstd = tg.native_layer_norm(tg.tensor(x), (4, 5), None, None, 1e-5)
    np.testing.assert_allclose(mean.data, x.mean(axis=(1, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(rstd.data, 1 / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5),
                               rtol=1e-12)


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4), (2, 3, 0)])
def test_native_batch_norm_refuses_an_empty_batch_in_training_as_pytorch(shape):
    running_mean, running_var = tg.zeros(3), tg.ones(3)
    with pytest.raises(RuntimeError, match=rf"^native_batch_norm: input of shape "
                                           rf"{re.escape(str(shape))} has no elements to take "
                                           r"the batch's statistics of in training"):
        tg.native_batch_norm(_leaf(shape), None, None, running_mean, running_var, True, 0.1,
                             1e-5)
    np.testing.assert_array_equal(running_var.data, 1.0)
    # F.batch_norm passes it through, running statistics as they were, as PyTorch's
    out = F.batch_norm(_leaf(shape), running_mean, running_var, training=True)
    assert out.shape == shape and (running_mean.data == 0).all()
    out, _, _ = tg.native_batch_norm(_leaf(shape), None, None, running_mean, running_var,
                                     False, 0.1, 1e-5)
    assert out.shape == shape


@pytest.mark.torch
def test_empty_norms_are_pytorchs(torch64):
    torch = torch64
    cases = [lambda lib, x: lib.native_group_norm(x, None, None, 2, 4, 0, 2, 1e-5)[1:],
             lambda lib, x: lib.native_layer_norm(x.reshape(2, 4, 0), (4, 0), None, None,
                                                  1e-5)[1:]]
    for case in cases:
        theirs = case(torch, torch.zeros(2, 4, 0))
        ours = case(tg, tg.zeros(2, 4, 0))
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.data, b.numpy())
    for lib in (torch, tg):
        with pytest.raises(RuntimeError):
            lib.native_batch_norm(lib.zeros(0, 3), None, None, None, None, True, 0.1, 1e-5)


# -- 7. a weight or bias that is no tensor ---------------------------------------------------
_X, _W = tg.ones(2, 3), tg.ones(4, 3)
_IMAGES, _KERNEL = tg.ones(1, 2, 5, 5), tg.ones(3, 2, 3, 3)
NO_TENSOR = [
    ("linear", "bias", lambda v: F.linear(_X, _W, v)),
    ("linear", "weight", lambda v: F.linear(_X, v)),
    ("bilinear", "bias", lambda v: F.bilinear(_X, _X, tg.ones(4, 3, 3), v)),
    ("conv2d", "bias", lambda v: F.conv2d(_IMAGES, _KERNEL, v)),
    ("conv2d", "weight", lambda v: F.conv2d(_IMAGES, v)),
    ("conv1d", "bias", lambda v: F.conv1d(tg.ones(1, 2, 5), tg.ones(3, 2, 3), v)),
    ("conv_transpose2d", "bias", lambda v: F.conv_transpose2d(_IMAGES, tg.ones(2, 3, 3, 3), v)),
    ("layer_norm", "weight", lambda v: F.layer_norm(_X, (3,), weight=v)),
    ("layer_norm", "bias", lambda v: F.layer_norm(_X, (3,), tg.ones(3), bias=v)),
    ("batch_norm", "weight", lambda v: F.batch_norm(tg.ones(2, 3, 4), None, None, v,
                                                    training=True)),
    ("batch_norm", "bias", lambda v: F.batch_norm(tg.ones(2, 3, 4), None, None, None, v,
                                                  training=True)),
    ("group_norm", "bias", lambda v: F.group_norm(tg.ones(2, 3, 4), 1, None, v)),
    ("instance_norm", "weight", lambda v: F.instance_norm(tg.ones(2, 3, 4), weight=v)),
    ("rms_norm", "weight", lambda v: F.rms_norm(_X, (3,), v)),
    ("cross_entropy", "weight", lambda v: F.cross_entropy(_X, tg.tensor([0, 1]), weight=v)),
]


@pytest.mark.parametrize("given, shown", [("b", "str 'b'"), (b"b", "bytes b'b'"),
                                          ({}, r"dict \{\}")])
@pytest.mark.parametrize("function, argument, call", NO_TENSOR,
                         ids=[f"{f}-{a}" for f, a, _ in NO_TENSOR])
def test_a_weight_or_bias_that_is_no_tensor_is_named_in_one_line(function, argument, call,
                                                                 given, shown):
    leave_out = r", or bias=None to leave it out" if argument == "bias" else ""
    with pytest.raises(TypeError, match=rf"^{function}: {argument} must be a Tensor, got "
                                        rf"{shown}; pass a tensor of numbers "
                                        rf"\(tg\.tensor\(\.\.\.\)\){leave_out}$"):
        call(given)


@pytest.mark.parametrize("function, call", [("linear", lambda: F.linear(_X, None)),
                                            ("conv2d", lambda: F.conv2d(_IMAGES, None))])
def test_a_weight_of_none_is_named(function, call):
    with pytest.raises(TypeError, match=rf"^{function}: weight must be a Tensor, got None; "):
        call()


def test_a_list_of_numbers_is_still_taken():
    np.testing.assert_allclose(F.linear(_X, _W, [1.0, 2.0, 3.0, 4.0]).data,
                               np.ones((2, 4)) * 3 + [1, 2, 3, 4])
    np.testing.assert_allclose(F.layer_norm(tg.tensor([[1.0, 3.0]]), (2,), [2.0, 1.0],
                                            [0.5, 0.5]).data, [[-1.5, 1.5]], rtol=1e-4)


# Data that holds the numbers 1, 2, 3, 4 in each argument that takes a tensor of 4 of them:
# each gives what tg.tensor([1., 2., 3., 4.]) gives there.
HOLDERS = {"list": lambda v: list(v), "tuple": lambda v: tuple(v), "ndarray": np.array,
           "range": lambda v: range(int(v[0]), int(v[-1]) + 1),
           "array.array": lambda v: array.array("d", v), "deque": collections.deque}
TAKES_FOUR = {
    "linear bias": lambda v: F.linear(_X, _W, v),
    "linear input": lambda v: F.linear(v, tg.ones(2, 4)),
    "conv2d bias": lambda v: F.conv2d(_IMAGES, tg.ones(4, 2, 3, 3), v),
    "conv1d bias": lambda v: F.conv1d(tg.ones(1, 2, 5), tg.ones(4, 2, 3), v),
    "layer_norm weight": lambda v: F.layer_norm(tg.tensor([[1.0, 3.0, 0.5, 2.0]]), (4,), v),
    "mse_loss target": lambda v: F.mse_loss(tg.tensor([0.5, 1.0, 4.0, 3.5]), v),
    "mse_loss input": lambda v: F.mse_loss(v, tg.tensor([0.5, 1.0, 4.0, 3.5])),
    "cross_entropy weight": lambda v: F.cross_entropy(tg.ones(2, 4), tg.tensor([0, 3]),
                                                      weight=v),
    "bce_with_logits pos_weight": lambda v: F.binary_cross_entropy_with_logits(
        tg.tensor([0.3, -1.0, 2.0, 0.0]), tg.tensor([1.0, 0.0, 1.0, 1.0]), pos_weight=v),
}
FOUR = [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize("call", TAKES_FOUR)
def test_data_that_holds_numbers_is_taken_as_their_tensor(call, holder):
    np.testing.assert_allclose(TAKES_FOUR[call](HOLDERS[holder](FOUR)).data,
                               TAKES_FOUR[call](tg.tensor(FOUR)).data, rtol=1e-15)


ZERO_D = {"float": 2.0, "int": 2, "numpy float": np.float64(2.0), "0-d ndarray": np.array(2.0),
          "0-d tensor": tg.tensor(2.0)}


@pytest.mark.parametrize("given", ZERO_D)
def test_a_0d_weight_is_taken_as_its_number(given):
    p, t = tg.tensor([0.2, 0.7, 0.4]), tg.tensor([1.0, 0.0, 1.0])
    expected = -2.0 * (t.data * np.log(p.data) + (1 - t.data) * np.log1p(-p.data)).mean()
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, weight=ZERO_D[given]).data,
                               expected, rtol=1e-14)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
def test_a_torch_tensor_is_taken_as_its_numbers(torch64):  # (the warning: torch's __array__)
    torch = torch64
    for call in TAKES_FOUR.values():
        np.testing.assert_allclose(call(torch.tensor(FOUR)).data, call(tg.tensor(FOUR)).data,
                                   rtol=1e-15)
    images = np.arange(50.0).reshape(1, 2, 5, 5)
    for call in (lambda x: F.conv2d(x, _KERNEL), lambda x: F.max_pool2d(x, 2),
                 lambda x: F.avg_pool2d(x, 2)):
        np.testing.assert_allclose(call(torch.tensor(images)).data, call(images).data)
    p, t = tg.tensor([0.2, 0.7, 0.4]), tg.tensor([1.0, 0.0, 1.0])
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, weight=torch.tensor(2.0)).data,
                               F.binary_cross_entropy(p, t, weight=2.0).data)


@pytest.mark.parametrize("given, shown", [("abc", "str 'abc'"), (None, "None"),
                                          ({1.0}, r"set \{1\.0\}")])
def test_input_and_target_with_no_numbers_read_alike(given, shown):
    p = tg.tensor([1.0, 2.0])
    for argument, call in (("input", lambda: F.mse_loss(given, p)),
                           ("target", lambda: F.mse_loss(p, given))):
        with pytest.raises(TypeError, match=rf"^mse_loss: {argument} must be a Tensor, got "
                                            rf"{shown}; pass a tensor of numbers"):
            call()


@pytest.mark.parametrize("weight", [[1.0, 2.0], np.ones(2), (1.0, 1.0)])
def test_a_norm_weight_of_the_wrong_shape_is_named_with_its_shape(weight):
    x = tg.ones(4, 3)
    for function, call in (("layer_norm", lambda: F.layer_norm(x, (3,), weight)),
                           ("rms_norm", lambda: F.rms_norm(x, (3,), weight)),
                           ("batch_norm", lambda: F.batch_norm(x, None, None, weight,
                                                               training=True))):
        with pytest.raises(ShapeError, match=rf"^{function}: weight of shape \(2,\) "):
            call()


# -- 2b. kl_divergence where its closed form overflows ---------------------------------------
KL_OVERFLOWS = [
    ("Normal", (0.0, 40.0), "Gumbel", (0.0, 1.0)), ("Normal", (0.0, 1.0), "Gumbel", (800.0, 1.0)),
    ("Normal", (0.0, 1.0), "Gumbel", (-800.0, 1.0)), ("Normal", (5.0, 1.0), "Gumbel", (0.0, 0.01)),
    ("Exponential", (1.0,), "Gumbel", (-800.0, 1.0)),
    ("Exponential", (1e-3,), "Gumbel", (0.0, 1e-3)),
    ("Gamma", (1.0, 1.0), "Gumbel", (800.0, 1.0)), ("Gumbel", (0.0, 100.0), "Gumbel", (0.0, 1.0)),
]


@pytest.mark.torch
@pytest.mark.parametrize("p_name, p_values, q_name, q_values", KL_OVERFLOWS)
def test_kl_divergence_where_it_overflows_is_pytorchs(torch64, p_name, p_values, q_name,
                                                      q_values):
    torch = torch64
    results = []
    for lib, module in ((torch, torch.distributions), (tg, D)):
        leaves = [lib.tensor(v, requires_grad=True) for v in p_values + q_values]
        with np.errstate(all="ignore"):
            kl = module.kl_divergence(getattr(module, p_name)(*leaves[:len(p_values)]),
                                      getattr(module, q_name)(*leaves[len(p_values):]))
            kl.backward()
        results.append([float(kl.detach())] + [float(leaf.grad) for leaf in leaves])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-9)  # (NaN where NaN)
