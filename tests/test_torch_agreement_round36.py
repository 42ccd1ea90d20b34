"""Random programs against PyTorch 2.13 where few had looked (thirty-sixth round): the
optimizers, the lr schedulers, the distributions' rsample gradients and kl pairs, and the
losses' less-used options, each over a small seeded sample of the configurations a
longer random search drew (that search found the cases kept below by name):

- Dirichlet's and Beta's rsample give PyTorch's gradient to the concentrations, each
  entry held at its Beta marginal's quantile (Beta's is the Beta implicit gradient, in
  closed form for Beta(a, 1) and Beta(1, b)), where the normalized gamma draws gave
  another per-draw slope; that slope right and fast for huge concentrations, small
  ones beside huge ones and draws far in a tail (against a NumPy quadrature and mpmath),
  a series that cannot converge refused with its values, a second derivative refused as
  first order only (as PyTorch's), and forward-mode tangents given;
- Gamma, Chi2, InverseGamma, FisherSnedecor, StudentT and NegativeBinomial of single-
  number parameters draw (sample() raised AttributeError);
- kl_divergence(Uniform, Pareto) gives the parameters of its inf entries (a Uniform
  reaching below the scale) gradient 0, where a negative low gave NaN;
- Adagrad starts a param group's sums from that group's initial_accumulator_value (a
  choice: PyTorch's takes the constructor's for every group, said in the docstring);
- every optimizer but LBFGS and Muon (Muon's Newton-Schulz runs in bfloat16 in PyTorch),
  two param groups of different options, a tensor lr, a parameter without a gradient in
  one step and a state_dict saved, loaded into a fresh optimizer mid-training and
  continued: parameters and state after every step; LBFGS with and without its line
  search, resumed the same way, on a well-conditioned loss; schedulers alone, two on one
  optimizer, chained, sequential, ReduceLROnPlateau, saved and resumed: lrs, momenta and
  get_last_lr after every step; kl_divergence of every pair both register, values and
  gradients; the losses with reduction, weight, ignore_index, label_smoothing,
  pos_weight, log_target, beta=0, CTC through log_softmax, values and gradients.
Checked against NumPy formulas, and (marked `torch`) against PyTorch."""
from __future__ import annotations

import io
import math
import random

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd import optim
from tinygrad_gd.distributions import gamma_ops
from tinygrad_gd.distributions.gamma_ops import beta_slope_over, standard_gamma_slope
from tinygrad_gd.nn import functional as F


# -- 1. single-number gamma-family parameters draw ------------------------------------------
SINGLE = {
    "Gamma": lambda: D.Gamma(2.0, 1.5), "Chi2": lambda: D.Chi2(3.0),
    "InverseGamma": lambda: D.InverseGamma(2.0, 1.0), "StudentT": lambda: D.StudentT(3.0),
    "FisherSnedecor": lambda: D.FisherSnedecor(2.0, 3.0),
    "NegativeBinomial": lambda: D.NegativeBinomial(5.0, 0.3),
}


@pytest.mark.parametrize("name", SINGLE)
def test_single_number_parameters_draw_one_value(name):
    dist = SINGLE[name]()
    value = dist.sample(seed=3)
    assert value.shape == () and np.isfinite(value.item())
    assert dist.support.check(value).item()
    assert dist.sample((4,), seed=3).shape == (4,)


def test_a_single_gamma_draw_is_the_first_of_a_batch_and_carries_its_gradient():
    def draw(shape):
        c = tg.tensor(2.0, requires_grad=True)
        r = tg.tensor(1.5, requires_grad=True)
        x = D.Gamma(c, r).rsample(shape, seed=7)
        x.sum().backward()
        return x.data.reshape(-1)[0], c.grad.item(), r.grad.item()
    np.testing.assert_allclose(draw(()), draw((1,)), rtol=1e-14)


# -- 2. Beta's and Dirichlet's rsample gradient ----------------------------------------------
def test_beta_rsample_gradient_is_the_implicit_one_where_it_has_a_closed_form():
    # Beta(a, 1) has cdf x**a: at a fixed quantile dx/da = -x ln x / a; Beta(1, b) has
    # cdf 1 - (1 - x)**b: dx/db = (1 - x) ln(1 - x) / b
    a = tg.tensor([0.3, 2.0, 40.0], requires_grad=True)
    x = D.Beta(a, 1.0).rsample((200,), seed=0)
    x.sum().backward()
    expected = (-x.data * np.log(x.data) / a.data).sum(axis=0)
    np.testing.assert_allclose(a.grad.data, expected, rtol=1e-9)
    b = tg.tensor([0.3, 2.0, 40.0], requires_grad=True)
    y = D.Beta(1.0, b).rsample((200,), seed=1)
    y.sum().backward()
    expected = ((1 - y.data) * np.log1p(-y.data) / b.data).sum(axis=0)
    np.testing.assert_allclose(b.grad.data, expected, rtol=1e-9)


def test_dirichlet_rsample_gradient_keeps_the_sum_and_its_mean_is_the_means():
    conc = tg.tensor([0.7, 2.0, 5.0], requires_grad=True)
    D.Dirichlet(conc).rsample((4,), seed=2).sum().backward()
    np.testing.assert_allclose(conc.grad.data, 0.0, atol=1e-12)  # the entries sum to 1
    n = 4000
    conc = tg.tensor([0.7, 2.0, 5.0], requires_grad=True)
    draws = D.Dirichlet(conc).rsample((n,), seed=3)
    draws[:, 0].mean().backward()
    c = conc.data
    total = c.sum()
    expected = -c[0] / total ** 2 + np.array([1.0, 0.0, 0.0]) / total  # d E[x_0] / d c
    assert np.all(np.abs(conc.grad.data - expected) < 0.05 * np.abs(expected).max())


@pytest.mark.torch
@pytest.mark.parametrize("shape, scale", [((2,), 1.0), ((3,), 0.1), ((5,), 10.0),
                                          ((2, 4), 1.0), ((3,), 300.0), ((1,), 2.0)])
def test_dirichlet_rsample_gradient_is_pytorchs_at_the_same_draw(torch64, shape, scale):
    torch = torch64
    from torch.distributions.dirichlet import _Dirichlet_backward
    rs = np.random.RandomState(len(shape) * 10 + int(scale))
    conc = np.exp(rs.randn(*shape)) * scale
    ours = tg.tensor(conc, requires_grad=True)
    x = D.Dirichlet(ours).rsample((3,), seed=4)
    weights = rs.randn(*x.shape)
    (x * tg.tensor(weights)).sum().backward()
    theirs = _Dirichlet_backward(torch.tensor(x.data), torch.tensor(conc).expand(x.shape),
                                 torch.tensor(weights)).sum(0).numpy()
    # PyTorch's Beta slope is a fitted approximation, good to about 1e-3 of the largest
    np.testing.assert_allclose(ours.grad.data, theirs, atol=2e-3 * np.abs(theirs).max())


@pytest.mark.torch
def test_beta_rsample_gradient_is_pytorchs_at_the_same_draw(torch64):
    torch = torch64
    from torch.distributions.dirichlet import _Dirichlet_backward
    for c1, c0 in [(2.0, 3.0), (0.5, 0.7), (30.0, 2.0), (3.5, 9.0)]:
        a, b = tg.tensor(c1, requires_grad=True), tg.tensor(c0, requires_grad=True)
        x = D.Beta(a, b).rsample(seed=5)
        x.backward()
        theirs = _Dirichlet_backward(torch.tensor([x.item(), 1 - x.item()]),
                                     torch.tensor([c1, c0]), torch.tensor([1.0, 0.0]))
        np.testing.assert_allclose([a.grad.item(), b.grad.item()], theirs.numpy(),
                                   rtol=2e-3, atol=1e-6)


# -- 2b. the implicit slopes where the series are slow or lose digits (the round's review) ----
def _digamma(z):
    """psi(z) for z > 0 in plain Python: the recurrence up to 30, then Stirling's series."""
    shift = 0.0
    while z < 30:
        shift, z = shift - 1 / z, z + 1
    w = 1 / (z * z)
    return shift + math.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w / 240)))


def _beta_slope_by_quadrature(a, b, x):
    """dx/da of a draw x of Beta(a, b) held at its quantile, -(dI_x/da) / f(x), dI_x/da the
    integral of d f(t)/da = (ln t - psi(a) + psi(a + b)) f(t) over [0, x] (or minus it over
    [x, 1], for a draw above the mean), by composite Gauss-Legendre on a geometric grid of
    t = x e**-s (or 1 - t = (1 - x) e**-s)."""
    nodes, weights = np.polynomial.legendre.leggauss(20)
    edges = np.concatenate([[0.0], np.geomspace(1e-15, 2e5, 900)])
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    s = (mid[:, None] + half[:, None] * nodes).ravel()
    w = (half[:, None] * weights).ravel()
    offset = _digamma(a + b) - _digamma(a)
    if x * (a + b) <= a:  # t = x e**-s over [0, x]
        t = x * np.exp(-s)
        log_ratio = -a * s + (b - 1) * (np.log1p(-t) - np.log1p(-x))
        return -x * np.sum(w * (math.log(x) - s + offset) * np.exp(log_ratio))
    y = (1 - x) * np.exp(-s)  # 1 - t over [x, 1]
    log_ratio = -b * s + (a - 1) * (np.log1p(-y) - np.log(x))
    return (1 - x) * np.sum(w * (np.log1p(-y) + offset) * np.exp(log_ratio))


SLOW_OR_LOSSY = [  # (a, b, x): the review's cases, and draws far in a tail
    (1e-3, 1e6, 2e-6), (1e-3, 1e4, 2e-4), (0.5, 3e5, 3e-5), (0.1, 50.0, 0.05),
    (30.0, 1e4, 0.004), (2.0, 5.0, 0.3), (50.0, 3.0, 0.95), (0.7, 0.4, 0.2),
    (5.0, 40.0, 0.38913032985387747), (200.0, 300.0, 0.4), (1e-3, 1e3, 0.01),
    (3.0, 8.0, 0.97), (60.0, 49.0, 0.3)]


@pytest.mark.parametrize("a, b, x", SLOW_OR_LOSSY)
def test_beta_implicit_slope_is_the_quadratures_where_the_series_were_slow_or_lossy(a, b, x):
    # (1e-3, 1e6, 2e-6) summed 10**6 terms of a series that needed 10**7 and was 7.7% off
    ours = beta_slope_over(a, b, x) * (1 - x)
    np.testing.assert_allclose(ours, _beta_slope_by_quadrature(a, b, x), rtol=1e-9)


def _mp_beta_slope(mp, a, b, x):
    """The same slope in mpmath (50 digits), from the integral on the draw's side of the
    mean, in t = x e**-s (or 1 - t = (1 - x) e**-s), broken at the scales it varies on."""
    a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    offset = mp.digamma(a + b) - mp.digamma(a)
    spread = mp.sqrt(a * b / (a + b + 1)) / (a + b)
    if x * (a + b) <= a:
        sign, end, to_t = -1, x, lambda s: x * mp.exp(-s)
    else:
        sign, end, to_t = 1, 1 - x, lambda s: 1 - (1 - x) * mp.exp(-s)

    def integrand(s):
        t = to_t(s)
        log_ratio = (a - 1) * mp.log(t / x) + (b - 1) * (mp.log1p(-t) - mp.log1p(-x))
        return (mp.log(t) + offset) * mp.exp(log_ratio) * end * mp.exp(-s)
    breaks = sorted({mp.mpf(0), mp.inf} | {k * spread / end for k in (0.1, 1, 3, 10, 40)}
                    | {k / min(a, b) for k in (1, 10, 100)} | {mp.mpf(10) ** k for k in range(4)})
    return float(sign * mp.quad(integrand, breaks))


@pytest.mark.parametrize("a, b, x", [
    (1e12, 1e12, 0.49999987132690915), (1e12, 1e12, 0.5 + 3e-6), (1e6, 1e12, 1.0003e-6),
    (1e5, 10.0, 0.9998051563718855), (40.0, 1e9, 7.794732802620715e-08), (1e-3, 1e6, 1e-5),
    (1e4, 1e4, 0.49), (300.0, 2e3, 0.2)])
def test_beta_implicit_slope_is_mpmaths_for_large_concentrations_and_far_tails(a, b, x):
    # Beta(1e12, 1e12) gave dx/da 9.95e-14 after 35 s, where it is 2.50e-13 (torch's too);
    # a far-tail draw summed the series on the mean's other side (1e-8 of its digits lost)
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    expected = _mp_beta_slope(mp, a, b, x)
    # (near a = 1e12 a draw's own rounding, 1e-16 of x, moves the slope by about 1e-10)
    np.testing.assert_allclose(beta_slope_over(a, b, x) * (1 - x), expected,
                               rtol=1e-9 if a >= 1e12 else 1e-11)


@pytest.mark.parametrize("a, x", [(1e12, 1000000125729.8928), (1e7, 1e7 - 9e3), (50.0, 104.3),
                                  (20.0, 56.3), (3.0, 20.1), (0.5, 30.0), (1e4, 1e4 + 65.5)])
def test_gamma_implicit_slope_is_mpmaths_for_large_concentrations_and_far_tails(a, x):
    # Gamma(1e12)'s slope was 0.31 (the series cut at 10**6 terms), where it is 1.0; a draw
    # eight deviations above the mean lost 1e-6 of it
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    am, xm = mp.mpf(a), mp.mpf(x)
    psi = mp.digamma(am)
    integrand = lambda t: (mp.log(t) - psi) * mp.exp((am - 1) * mp.log(t / xm) - (t - xm))  # noqa
    spread = mp.sqrt(am) if a > 1 else mp.mpf(1)
    if x <= a - 1:
        expected = -mp.quad(integrand, [max(xm - k * spread, 0) for k in (60, 10, 3, 1, 0)])
    else:
        expected = mp.quad(integrand, [xm + k * spread for k in (0, 1, 3, 10, 60, 400)])
    np.testing.assert_allclose(standard_gamma_slope(a, x), float(expected),
                               rtol=1e-9 if a >= 1e12 else 1e-11)


def test_huge_concentrations_draw_and_differentiate_as_their_formulas():
    # Beta(a, a)'s dx/da is d mean/da = 1/(4a) near the mean, to a deviation's share (and
    # dx/db minus that); Gamma(a)'s is x/a, about 1
    a = 1e12
    c = tg.tensor([a, a], requires_grad=True)
    x = D.Beta(c[0], c[1]).rsample(seed=0)
    x.backward()
    np.testing.assert_allclose(c.grad.data, [1 / (4 * a), -1 / (4 * a)], rtol=1e-5)
    np.testing.assert_allclose(c.grad.data[0], beta_slope_over(a, a, x.item()) * (1 - x.item()),
                               rtol=1e-15)
    g = tg.tensor(a, requires_grad=True)
    D.Gamma(g, 1.0).rsample(seed=0).backward()
    np.testing.assert_allclose(g.grad.item(), 1.0, rtol=1e-5)


def test_many_small_concentrations_get_each_entrys_quadrature_slope():
    # Dirichlet(full(1e5, 0.01)): 1.8 s a backward, where the old split chose the slow series
    conc = tg.tensor(np.full(1000, 0.01), requires_grad=True)
    x = D.Dirichlet(conc).rsample(seed=0)
    weights = np.random.default_rng(0).standard_normal(1000)
    (x * tg.tensor(weights)).sum().backward()
    centred = weights - (x.data * weights).sum()
    ranked = np.argsort(x.data)[::-1]
    picked = ranked[x.data[ranked] > 1e-200][::37]  # (the largest, others across the range)
    expected = [_beta_slope_by_quadrature(0.01, 9.99, x.data[j]) / (1 - x.data[j])
                * centred[j] for j in picked]
    np.testing.assert_allclose(conc.grad.data[picked], expected, rtol=1e-9)


def test_a_series_that_does_not_converge_raises_naming_the_values(monkeypatch):
    monkeypatch.setattr(gamma_ops, "_MAX_TERMS", 3)
    with pytest.raises(RuntimeError, match=r"^the gradient of a Dirichlet or Beta draw "
                       r"\(rsample\): the series .* did not converge in 3 terms for "
                       r"concentration=2, the rest's sum=3 at the draw x=0.5 .*report it"):
        beta_slope_over(2.0, 3.0, 0.5)
    with pytest.raises(RuntimeError, match=r"^the gradient of a gamma draw \(Gamma, Chi2, "
                       r"StudentT, \.\.\. rsample\): .* concentration=2 at the draw x=1.5"):
        standard_gamma_slope(2.0, 1.5)


@pytest.mark.parametrize("name", ["Dirichlet", "Beta", "Gamma"])
def test_a_second_derivative_through_rsample_is_refused_as_first_order_only(name):
    make = {"Dirichlet": lambda c: D.Dirichlet(c).rsample(seed=1)[0],
            "Beta": lambda c: D.Beta(c[0], c[1]).rsample(seed=1),
            "Gamma": lambda c: D.Gamma(c[0], c[1]).rsample(seed=1)}[name]
    c = tg.tensor([2.0, 3.0], requires_grad=True)
    make(c).backward()
    first = c.grad.data.copy()
    c = tg.tensor([2.0, 3.0], requires_grad=True)
    (g,) = tg.autograd.grad(make(c), c, create_graph=True)
    np.testing.assert_allclose(g.data, first, rtol=1e-15)  # (the first derivative is given)
    op = "standard_gamma" if name == "Gamma" else "dirichlet_draw"
    with pytest.raises(NotImplementedError, match=(
            rf"gradient of op '{op}' .* is refused: the rsample gradient of .*{name}.* to the "
            r"concentration is first order only, as PyTorch's; differentiate it once "
            r"\(create_graph=False\)")) as caught:
        tg.autograd.grad(g.sum(), c)
    assert "report it" not in str(caught.value)


@pytest.mark.parametrize("name", ["Dirichlet", "Gamma"])
def test_forward_mode_tangent_of_rsample_is_the_reverse_modes_transposed(name):
    import tinygrad_gd.forward_ad as fwAD
    conc, tangent = np.array([2.0, 0.5, 7.0]), np.array([0.3, -1.0, 2.0])
    make = (lambda c: D.Dirichlet(c).rsample(seed=2)) if name == "Dirichlet" else (
        lambda c: D.Gamma(c, 1.0).rsample(seed=2))
    jacobian = []
    for i in range(3):
        c = tg.tensor(conc, requires_grad=True)
        make(c)[i].backward()
        jacobian.append(c.grad.data)
    with fwAD.dual_level():
        dual = fwAD.make_dual(tg.tensor(conc), tg.tensor(tangent))
        got = fwAD.unpack_dual(make(dual)).tangent
    np.testing.assert_allclose(got.data, np.array(jacobian) @ tangent, rtol=1e-13)


# -- 3. Adagrad's per-group initial_accumulator_value ------------------------------------------
def test_adagrad_group_starts_its_sums_from_its_own_initial_accumulator_value():
    w0, v0 = np.array([1.0, -2.0]), np.array([0.5])
    w, v = tg.tensor(w0, requires_grad=True), tg.tensor(v0, requires_grad=True)
    opt = optim.Adagrad([{"params": [w]}, {"params": [v], "initial_accumulator_value": 0.5}],
                        lr=0.1)
    sums = [np.zeros(2), np.full(1, 0.5)]
    expected = [w0.copy(), v0.copy()]
    for step in range(3):
        grads = [np.cos(expected[0] + step), np.sin(expected[1] * 2 + step)]
        w.grad, v.grad = tg.tensor(grads[0]), tg.tensor(grads[1])
        opt.step()
        for i in range(2):
            sums[i] += grads[i] ** 2
            expected[i] = expected[i] - 0.1 * grads[i] / (np.sqrt(sums[i]) + 1e-10)
    np.testing.assert_allclose(w.data, expected[0], rtol=1e-13)
    np.testing.assert_allclose(v.data, expected[1], rtol=1e-13)


# -- 4. optimizers: a seeded sample -------------------------------------------------------------
def _optimizer_options(name, r):
    flag = lambda: r.random() < 0.5  # noqa: E731
    decay = r.choice([0, 0.01, 0.3])
    betas = lambda: (r.choice([0.9, 0.5]), r.choice([0.999, 0.8]))  # noqa: E731
    return {
        "SGD": lambda: dict(lr=r.choice([0.01, 0.1]), momentum=0.9, dampening=0,
                            nesterov=flag(), weight_decay=decay, maximize=flag()),
        "Adam": lambda: dict(lr=0.1, betas=betas(), eps=r.choice([1e-8, 1e-3]),
                             weight_decay=decay, amsgrad=flag(), maximize=flag()),
        "AdamW": lambda: dict(lr=0.1, betas=betas(), weight_decay=decay, amsgrad=flag()),
        "Adagrad": lambda: dict(lr=0.1, lr_decay=r.choice([0, 0.1]), weight_decay=decay,
                                eps=r.choice([1e-10, 1e-2]), maximize=flag()),
        "Adadelta": lambda: dict(lr=r.choice([1.0, 0.5]), rho=r.choice([0.9, 0.5]),
                                 weight_decay=decay, maximize=flag()),
        "Adamax": lambda: dict(lr=0.1, betas=betas(), weight_decay=decay),
        "NAdam": lambda: dict(lr=0.1, betas=betas(), weight_decay=decay,
                              momentum_decay=r.choice([4e-3, 0.1]),
                              decoupled_weight_decay=flag()),
        "RAdam": lambda: dict(lr=0.1, betas=betas(), weight_decay=decay,
                              decoupled_weight_decay=flag()),
        "RMSprop": lambda: dict(lr=0.01, alpha=r.choice([0.99, 0.5]), weight_decay=decay,
                                momentum=r.choice([0, 0.9]), centered=flag()),
        "Rprop": lambda: dict(lr=0.1, etas=(r.choice([0.5, 0.3]), r.choice([1.2, 1.5])),
                              step_sizes=(r.choice([1e-6, 1e-2]), r.choice([50, 0.05]))),
        "ASGD": lambda: dict(lr=0.1, lambd=r.choice([1e-4, 0.1]), alpha=0.75,
                             t0=r.choice([1e6, 2.0]), weight_decay=decay),
        "Adafactor": lambda: dict(lr=0.1, beta2_decay=r.choice([-0.8, -0.5]),
                                  eps=(r.choice([None, 1e-6]), 1e-3), weight_decay=decay),
    }[name]()


def _as_array(value):
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return value.data if isinstance(value, tg.Tensor) else np.asarray(value)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
                                  "NAdam", "RAdam", "RMSprop", "Rprop", "ASGD", "Adafactor"])
def test_optimizer_programs_step_as_pytorchs(torch64, name):
    torch = torch64
    for seed in range(2):
        r = random.Random(f"{name}{seed}")
        rs = np.random.RandomState(seed)
        shapes = [(3,), (2, 3), (4, 2)]
        start = [rs.randn(*s) for s in shapes]
        first, second = _optimizer_options(name, r), _optimizer_options(name, r)
        tensor_lr, resume_at = seed == 1, 2 + seed
        theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
        ours = [tg.tensor(a.copy(), requires_grad=True) for a in start]

        def make(lib, params):
            cls = getattr(torch.optim if lib is torch else optim, name)
            options, group = dict(first), dict(second, params=params[2:])
            if tensor_lr:
                options["lr"] = lib.tensor(options["lr"])
                group.pop("lr")
            return cls([{"params": params[:2]}, group], **options)
        their_opt, our_opt = make(torch, theirs), make(tg, ours)
        for step in range(5):
            for i, (a, b) in enumerate(zip(theirs, ours)):
                if i == 1 and step == 1:  # a parameter without a gradient this step
                    a.grad = b.grad = None
                    continue
                g = np.sin(a.detach().numpy() * (step + 1) + i) + 0.3 * a.detach().numpy()
                a.grad, b.grad = torch.tensor(g), tg.tensor(g)
            their_opt.step()
            our_opt.step()
            for a, b in zip(theirs, ours):
                np.testing.assert_allclose(b.data, a.detach().numpy(), rtol=1e-9, atol=1e-11)
                their_state, our_state = their_opt.state[a], our_opt.state.get(b, {})
                assert set(our_state) == set(their_state)
                for key, value in their_state.items():
                    np.testing.assert_allclose(_as_array(our_state[key]), _as_array(value),
                                               rtol=1e-8, atol=1e-11, err_msg=key)
            if step == resume_at:  # saved to a file, loaded into a fresh optimizer
                buffer = io.BytesIO()
                tg.save(our_opt.state_dict(), buffer)
                buffer.seek(0)
                ours = [tg.tensor(b.data.copy(), requires_grad=True) for b in ours]
                our_opt = make(tg, ours)
                our_opt.load_state_dict(tg.load(buffer))


# -- 5. lr schedulers: a seeded sample ------------------------------------------------------------
_LAMBDAS = {"power": lambda e: 0.95 ** e, "inverse": lambda e: 1.0 / (1 + e),
            "alternate": lambda e: 0.5 if e % 2 else 1.0}


def _scheduler_spec(r, total):
    kind = r.choice(["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                     "PolynomialLR", "CosineAnnealingWarmRestarts", "ConstantLR", "LinearLR",
                     "OneCycleLR", "CyclicLR", "LambdaLR", "MultiplicativeLR"])
    return kind, {
        "StepLR": lambda: dict(step_size=r.choice([1, 2, 3]), gamma=r.choice([0.5, 0.9])),
        "MultiStepLR": lambda: dict(milestones=sorted(r.sample(range(1, 10), 3)) + [2],
                                    gamma=0.5),
        "ExponentialLR": lambda: dict(gamma=r.choice([0.5, 0.9])),
        "CosineAnnealingLR": lambda: dict(T_max=r.choice([2, 5]), eta_min=r.choice([0, 1e-3])),
        "PolynomialLR": lambda: dict(total_iters=r.choice([2, 6]), power=r.choice([1.0, 0.5])),
        "CosineAnnealingWarmRestarts": lambda: dict(T_0=r.choice([1, 3]), T_mult=r.choice([1, 2]),
                                                    eta_min=1e-3),
        "ConstantLR": lambda: dict(factor=0.5, total_iters=r.choice([0, 2, 4])),
        "LinearLR": lambda: dict(start_factor=r.choice([0.25, 1.0]), end_factor=0.5,
                                 total_iters=r.choice([2, 5])),
        "OneCycleLR": lambda: dict(max_lr=r.choice([0.5, [0.5, 0.2]]), total_steps=total + 2,
                                   anneal_strategy=r.choice(["cos", "linear"]),
                                   cycle_momentum=r.random() < 0.5, three_phase=r.random() < .5),
        "CyclicLR": lambda: dict(base_lr=0.01, max_lr=r.choice([0.5, [0.5, 0.3]]),
                                 step_size_up=r.choice([1, 3]), step_size_down=r.choice([None, 4]),
                                 mode=r.choice(["triangular", "triangular2", "exp_range"]),
                                 gamma=0.9, cycle_momentum=r.random() < 0.5),
        "LambdaLR": lambda: dict(lr_lambda=r.choice(["power", "inverse"])),
        "MultiplicativeLR": lambda: dict(lr_lambda=r.choice(["alternate", "inverse"])),
    }[kind]()


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore")  # (both libraries' warnings of the schedule's order)
@pytest.mark.parametrize("seed", range(10))
def test_scheduler_programs_set_pytorchs_lrs(torch64, seed):
    torch = torch64
    r = random.Random(seed)
    total = 10
    shape = ["single", "two", "chained", "sequential", "plateau"][seed % 5]
    optimizer_name = r.choice(["SGD", "Adam"])
    specs = [_scheduler_spec(r, total) for _ in range(3)]
    plateau = dict(mode=r.choice(["min", "max"]), factor=0.5, patience=r.choice([0, 1]),
                   threshold=r.choice([1e-4, 0.1]), threshold_mode=r.choice(["rel", "abs"]),
                   cooldown=r.choice([0, 1, 2]), min_lr=r.choice([0, [0.02, 0.0]]))
    metrics = [r.choice([1.0, 0.9, 0.95, 1.1, 0.5]) for _ in range(total)]

    def make(lib):
        optimizers = torch.optim if lib is torch else optim
        schedulers = optimizers.lr_scheduler
        params = [lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)]
        extra = dict(momentum=0.9) if optimizer_name == "SGD" else {}
        opt = getattr(optimizers, optimizer_name)(
            [{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1, **extra)

        def build(kind, options):
            options = dict(options)
            if "lr_lambda" in options:
                options["lr_lambda"] = _LAMBDAS[options["lr_lambda"]]
            return getattr(schedulers, kind)(opt, **options)
        if shape == "plateau":
            return opt, [schedulers.ReduceLROnPlateau(opt, **plateau)]
        if shape == "chained":
            return opt, [schedulers.ChainedScheduler([build(*specs[0]), build(*specs[1])])]
        if shape == "sequential":
            return opt, [schedulers.SequentialLR(opt, [build(*s) for s in specs],
                                                 milestones=[3, 6])]
        return opt, [build(*s) for s in specs[:1 if shape == "single" else 2]]

    def seen(opt, schedulers):
        values = [float(v) for g in opt.param_groups
                  for v in (g["lr"], g.get("momentum", g.get("betas", (0,))[0]))]
        return values + [float(lr) for s in schedulers for lr in s.get_last_lr()]
    their_opt, theirs = make(torch)
    our_opt, ours = make(tg)
    for step in range(total):
        for opt, schedulers in ((their_opt, theirs), (our_opt, ours)):
            opt.step()
            for s in schedulers:
                s.step(metrics[step]) if shape == "plateau" else s.step()
        np.testing.assert_allclose(seen(our_opt, ours), seen(their_opt, theirs),
                                   rtol=1e-12, atol=1e-15)
        if step == 4:  # the schedule saved and resumed
            saved = {"optimizer": our_opt.state_dict(),
                     "schedulers": [s.state_dict() for s in ours]}
            buffer = io.BytesIO()
            tg.save(saved, buffer)
            buffer.seek(0)
            saved = tg.load(buffer)
            our_opt, ours = make(tg)
            our_opt.load_state_dict(saved["optimizer"])
            for s, state in zip(ours, saved["schedulers"]):
                s.load_state_dict(state)


# -- 6. losses' less-used options: a seeded sample ------------------------------------------------
def _log_softmax(x, axis=1):
    return x - np.log(np.exp(x).sum(axis, keepdims=True))


def _loss_case(kind, rs):
    """(function name, arrays given as tensors, other keyword arguments)."""
    n, c = 4, 3
    scores, other = rs.randn(n, c) * 2, rs.randn(n, c) * 2
    labels = rs.randint(0, c, n)
    signs = rs.choice([-1.0, 1.0], n)
    probs = 1 / (1 + np.exp(-scores))
    return {
        "ce weight ignore smoothing": ("cross_entropy", dict(
            input=rs.randn(n, c, 2), target=np.where(rs.rand(n, 2) < 0.2, -100,
                                                      rs.randint(0, c, (n, 2)))),
            dict(weight=rs.rand(c) + 0.1, label_smoothing=0.3)),
        "ce probabilities smoothing": ("cross_entropy", dict(
            input=scores, target=np.exp(_log_softmax(other))), dict(label_smoothing=1.0)),
        "nll ignore_index 1": ("nll_loss", dict(input=_log_softmax(scores), target=labels),
                               dict(ignore_index=1, weight=rs.rand(c) + 0.1)),
        "bce weight": ("binary_cross_entropy", dict(input=probs, target=rs.rand(n, c)),
                       dict(weight=rs.rand(n, 1))),
        "bce logits pos_weight": ("binary_cross_entropy_with_logits", dict(
            input=scores * 10, target=rs.randint(0, 2, (n, c)).astype(float)),
            dict(pos_weight=rs.rand(c) * 3, weight=rs.rand(c))),
        "kl log_target": ("kl_div", dict(input=_log_softmax(scores), target=_log_softmax(other)),
                          dict(log_target=True)),
        "kl batchmean": ("kl_div", dict(input=_log_softmax(scores),
                                        target=np.exp(_log_softmax(other))), {}),
        "huber delta": ("huber_loss", dict(input=scores, target=other), dict(delta=0.5)),
        "smooth_l1 beta 0": ("smooth_l1_loss", dict(input=scores, target=other), dict(beta=0.0)),
        "poisson full": ("poisson_nll_loss", dict(input=rs.rand(n, c) * 3 + 0.1,
                                                  target=rs.poisson(2.0, (n, c)) + 2.0),
                         dict(log_input=False, full=True, eps=0.1)),
        "gaussian_nll full": ("gaussian_nll_loss", dict(input=scores, target=other,
                                                        var=rs.rand(n, 1) + 0.01),
                              dict(full=True, eps=0.1)),
        "margin_ranking": ("margin_ranking_loss", dict(input1=scores[:, 0], input2=other[:, 0],
                                                       target=signs), dict(margin=0.5)),
        "cosine_embedding": ("cosine_embedding_loss", dict(input1=scores, input2=other,
                                                           target=signs), dict(margin=-0.5)),
        "triplet p=3 swap": ("triplet_margin_loss", dict(anchor=scores, positive=other,
                                                         negative=rs.randn(n, c)),
                             dict(margin=0.2, p=3.0, eps=0.1, swap=True)),
        "hinge_embedding": ("hinge_embedding_loss", dict(input=scores, target=rs.choice(
            [-1.0, 1.0], (n, c))), dict(margin=0.3)),
        "multi_margin p=2 weight": ("multi_margin_loss", dict(input=scores, target=labels),
                                    dict(p=2, margin=0.5, weight=rs.rand(c) + 0.1)),
        "multilabel_soft_margin": ("multilabel_soft_margin_loss", dict(
            input=scores, target=rs.randint(0, 2, (n, c)).astype(float)),
            dict(weight=rs.rand(c))),
    }[kind]


LOSS_CASES = ["ce weight ignore smoothing", "ce probabilities smoothing", "nll ignore_index 1",
              "bce weight", "bce logits pos_weight", "kl log_target", "kl batchmean",
              "huber delta", "smooth_l1 beta 0", "poisson full", "gaussian_nll full",
              "margin_ranking", "cosine_embedding", "triplet p=3 swap", "hinge_embedding",
              "multi_margin p=2 weight", "multilabel_soft_margin"]


TARGETS_WITH_GRAD = ("bce weight", "kl log_target", "huber delta", "gaussian_nll full")


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("kind", LOSS_CASES)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_loss_options_give_pytorchs_values_and_gradients(torch64, kind, reduction):
    torch = torch64
    name, arrays, options = _loss_case(kind, np.random.RandomState(LOSS_CASES.index(kind)))
    if kind == "kl batchmean" and reduction == "mean":
        reduction = "batchmean"
    options = dict(options, reduction=reduction)

    def run(lib, functional):
        leaves = {k: lib.tensor(v) for k, v in arrays.items()}
        for k, v in leaves.items():
            if np.asarray(arrays[k]).dtype.kind == "f" and (k != "target"
                                                            or kind in TARGETS_WITH_GRAD):
                v.requires_grad_(True) if lib is torch else setattr(v, "requires_grad", True)
        given = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v
                 for k, v in options.items()}
        loss = getattr(functional, name)(**leaves, **given)
        weights = np.cos(np.arange(loss.numel()) + 1.0).reshape(tuple(loss.shape))
        (loss * lib.tensor(weights)).sum().backward()
        return _as_array(loss), {k: _as_array(v.grad) for k, v in leaves.items()
                                 if v.grad is not None}
    their_loss, their_grads = run(torch, torch.nn.functional)
    our_loss, our_grads = run(tg, F)
    np.testing.assert_allclose(our_loss, their_loss, rtol=1e-10, atol=1e-12)
    assert set(our_grads) == set(their_grads)
    for k in their_grads:
        np.testing.assert_allclose(our_grads[k], their_grads[k], rtol=1e-9, atol=1e-12,
                                   err_msg=k)


@pytest.mark.torch
@pytest.mark.parametrize("blank, zero_infinity", [(0, False), (2, True)])
def test_ctc_loss_through_log_softmax_gives_pytorchs_gradient(torch64, blank, zero_infinity):
    # PyTorch's ctc gradient is the true one only after log_softmax (its backward adds a
    # softmax term log_softmax's removes): compared through it, as a user trains it
    torch = torch64
    rs = np.random.RandomState(blank)
    logits = rs.randn(8, 3, 4)
    labels = [k for k in range(4) if k != blank]
    targets = rs.choice(labels, (3, 3))
    input_lengths, target_lengths = np.array([8, 6, 1]), np.array([3, 0, 3])
    for reduction in ("none", "sum", "mean"):
        results = []
        for lib, functional in ((torch, torch.nn.functional), (tg, F)):
            x = lib.tensor(logits)
            x.requires_grad_(True) if lib is torch else setattr(x, "requires_grad", True)
            loss = functional.ctc_loss(functional.log_softmax(x, 2), lib.tensor(targets),
                                       lib.tensor(input_lengths), lib.tensor(target_lengths),
                                       blank=blank, reduction=reduction,
                                       zero_infinity=zero_infinity)
            weights = np.cos(np.arange(loss.numel()) + 1.0).reshape(tuple(loss.shape))
            (loss * lib.tensor(weights)).sum().backward()
            results.append((_as_array(loss), _as_array(x.grad)))
        (their_loss, their_grad), (our_loss, our_grad) = results
        np.testing.assert_allclose(our_loss, their_loss, rtol=1e-10)
        np.testing.assert_allclose(our_grad, their_grad, rtol=1e-8, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_program_steps_as_pytorchs_and_resumes(torch64, line_search_fn):
    # a well-conditioned loss: on flat valleys (tanh layers) both libraries' runs move
    # apart by their rounding, as one library's run does from a start 1e-15 away
    torch = torch64
    rs = np.random.RandomState(5)
    start, matrix, target = rs.randn(4), rs.randn(4, 4), rs.randn(4)
    options = dict(lr=0.5, max_iter=5, history_size=3, line_search_fn=line_search_fn)
    theirs, ours = torch.tensor(start, requires_grad=True), tg.tensor(start, requires_grad=True)
    their_opt, our_opt = torch.optim.LBFGS([theirs], **options), optim.LBFGS([ours], **options)

    def closure(lib, opt, w):
        def run():
            opt.zero_grad()
            loss = ((lib.tensor(matrix) @ w - lib.tensor(target)) ** 2).sum() + 0.1 * (
                w ** 4).sum()
            loss.backward()
            return loss
        return run
    for step in range(4):
        their_loss = their_opt.step(closure(torch, their_opt, theirs))
        our_loss = our_opt.step(closure(tg, our_opt, ours))
        np.testing.assert_allclose(our_loss.item(), their_loss.item(), rtol=1e-10)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-8, atol=1e-10)
        if step == 1:
            buffer = io.BytesIO()
            tg.save(our_opt.state_dict(), buffer)
            buffer.seek(0)
            ours = tg.tensor(ours.data.copy(), requires_grad=True)
            our_opt = optim.LBFGS([ours], **options)
            our_opt.load_state_dict(tg.load(buffer))


# -- 7. kl_divergence of the pairs both libraries register ----------------------------------------
_POSITIVE = (np.array([0.3, 1.0, 4.0]), np.array([[0.5], [2.5]]))
_KL_PARAMETERS = {
    "Normal": ("loc", "scale"), "Laplace": ("loc", "scale"), "Cauchy": ("loc", "scale"),
    "Gumbel": ("loc", "scale"), "LogNormal": ("loc", "scale"), "HalfNormal": ("scale",),
    "Exponential": ("rate",), "Gamma": ("concentration", "rate"),
    "Beta": ("concentration1", "concentration0"), "Pareto": ("scale", "alpha"),
    "Poisson": ("rate",), "Bernoulli": ("probs",), "Geometric": ("probs",),
    "ContinuousBernoulli": ("probs",), "Uniform": ("low", "high"),
}


def _kl_parameters(name, side):
    values = {}
    for i, parameter in enumerate(_KL_PARAMETERS[name]):
        if parameter == "loc" or parameter == "low":
            values[parameter] = np.array([-0.5, 0.2, 1.0]) * (1 + side)
        elif parameter == "high":
            values[parameter] = values["low"] + _POSITIVE[side][0] + 1
        elif parameter == "probs":
            values[parameter] = np.array([0.2, 0.5, 0.9]) if side else np.array([[0.3], [0.7]])
        else:
            values[parameter] = _POSITIVE[(side + i) % 2] + 0.1 * i
    # (batches of one shape: PyTorch's rules that index their inf entries with q's mask
    # fail on batches that only broadcast)
    return {k: np.broadcast_to(v, (2, 3)).copy() for k, v in values.items()}


def test_uniform_pareto_inf_entries_get_gradient_zero_and_the_rest_their_formula():
    low = tg.tensor([-0.5, 0.2, 1.0], requires_grad=True)
    high = tg.tensor([0.8, 1.5, 2.3], requires_grad=True)
    alpha = tg.tensor([2.6, 2.6, 2.6], requires_grad=True)
    kl = D.kl_divergence(D.Uniform(low, high), D.Pareto(0.5, alpha))
    assert np.isinf(kl.data[:2]).all()
    kl[tg.tensor(np.isfinite(kl.data))].sum().backward()
    lo, hi, a, scale = 1.0, 2.3, 2.6, 0.5  # the finite entry, by its closed form
    width = hi - lo
    expected = ((hi * np.log(hi) - lo * np.log(lo) - width) / width * (a + 1)
                - np.log(a * scale ** a * width))
    np.testing.assert_allclose(kl.data[2], expected, rtol=1e-12)
    for leaf in (low, high, alpha):
        np.testing.assert_array_equal(leaf.grad.data[:2], 0.0)
    d_alpha = (hi * np.log(hi) - lo * np.log(lo) - width) / width - 1 / a - np.log(scale)
    np.testing.assert_allclose(alpha.grad.data[2], d_alpha, rtol=1e-12)


@pytest.mark.torch
def test_kl_divergence_of_every_pair_both_register_is_pytorchs(torch64):
    torch = torch64
    from torch.distributions.kl import _KL_REGISTRY
    pairs = sorted({(p.__name__, q.__name__) for p, q in _KL_REGISTRY
                    if p.__name__ in _KL_PARAMETERS and q.__name__ in _KL_PARAMETERS})
    assert len(pairs) > 60
    for p_name, q_name in pairs:
        p_values, q_values = _kl_parameters(p_name, 0), _kl_parameters(q_name, 1)
        if p_name == "Uniform" and q_name == "Uniform":
            q_values = dict(low=p_values["low"] - 1.0, high=p_values["high"] + 0.5)
        results = []
        for lib, module in ((torch, torch.distributions), (tg, D)):
            leaves = [{k: lib.tensor(v) for k, v in values.items()}
                      for values in (p_values, q_values)]
            for group in leaves:
                for v in group.values():
                    v.requires_grad_(True) if lib is torch else setattr(v, "requires_grad", True)
            kl = module.kl_divergence(getattr(module, p_name)(**leaves[0]),
                                      getattr(module, q_name)(**leaves[1]))
            finite = np.isfinite(_as_array(kl))
            if finite.any():
                kl[lib.tensor(finite)].sum().backward()
            results.append((_as_array(kl), [_as_array(v.grad) if v.grad is not None else 0.0
                                            for group in leaves for v in group.values()]))
        (theirs, their_grads), (ours, our_grads) = results
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{p_name}-{q_name}")
        for our_grad, their_grad in zip(our_grads, their_grads):
            # an inf entry's parameters get 0 here, NaN there (kl_more.py's docstring)
            their_grad = np.where(np.isnan(their_grad), 0.0, their_grad)
            np.testing.assert_allclose(our_grad, their_grad, rtol=1e-7, atol=1e-10,
                                       err_msg=f"{p_name}-{q_name}")
