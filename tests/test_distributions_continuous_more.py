"""`tg.distributions`, third part: Weibull, Pareto, HalfCauchy, InverseGamma, Kumaraswamy,
LogisticNormal, VonMises, FisherSnedecor, GeneralizedPareto, ContinuousBernoulli,
LowRankMultivariateNormal and their kl rules: values and gradients against torch's
(float64, float32), tg.gradcheck (rsample's too: a seeded draw is a function of the
parameters), sample shapes and moments (tolerances from the standard error), one-line
errors, edges, and the true values where torch's are wrong.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D

RNG = np.random.default_rng(7)
POS = np.array([0.5, 1.0, 3.5])
POS2 = np.array([2.0, 1.5, 0.75])
UNIT = np.array([[0.3, 0.05, 0.9], [0.6, 0.5, 0.2]])
LOW_RANK = dict(loc=np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]]),
                cov_factor=np.array([[1.0, 0.2], [-0.5, 0.7], [0.3, 0.1]]),
                cov_diag=np.array([0.5, 1.2, 2.0]))

# name, parameters by keyword, values in the support (broadcast over the batch), methods
CASES = [
    ("Weibull", dict(scale=POS2, concentration=np.array([0.5, 3.0, 1.5])),
     np.array([[0.3, 1.2, 2.0], [4.0, 0.01, 0.7]]),
     ("log_prob", "cdf", "icdf", "entropy", "mean", "variance")),
    ("Pareto", dict(scale=POS2, alpha=np.array([0.5, 3.0, 2.5])),
     np.array([[2.3, 1.5, 2.0], [9.0, 4.0, 0.75]]),
     ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    ("HalfCauchy", dict(scale=POS2), np.array([[0.0, 1.2, 2.0], [40.0, 0.01, 0.7]]),
     ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    ("InverseGamma", dict(concentration=np.array([0.5, 3.0, 1.5]), rate=POS2),
     np.array([[0.3, 1.2, 2.0], [4.0, 0.05, 0.7]]),
     ("log_prob", "cdf", "entropy", "mean", "mode", "variance")),
    ("Kumaraswamy", dict(concentration1=np.array([0.5, 3.0, 2.5]), concentration0=POS2),
     UNIT, ("log_prob", "cdf", "icdf", "entropy", "mean", "variance")),
    ("VonMises", dict(loc=np.array([0.0, 1.0, -2.0]), concentration=np.array([0.5, 3.0, 20.0])),
     np.array([[0.3, 1.2, -2.0], [7.0, -3.0, 0.0]]), ("log_prob", "mean", "mode")),
    ("FisherSnedecor", dict(df1=np.array([1.0, 3.0, 5.0]), df2=np.array([2.0, 5.0, 6.0])),
     np.array([[0.3, 1.2, 2.0], [4.0, 0.05, 0.7]]), ("log_prob", "mean", "mode", "variance")),
    ("GeneralizedPareto", dict(loc=np.array([0.0, 1.0, -1.0]), scale=POS2,
                               concentration=np.array([0.0, -0.2, 0.6])),
     np.array([[0.3, 1.2, 2.0], [4.0, 5.0, 0.7]]),
     ("icdf", "entropy", "mean", "mode", "variance")),  # (log_prob, cdf: float32 below)
    ("ContinuousBernoulli", dict(probs=np.array([0.2, 0.4995, 0.9])), UNIT,
     ("log_prob", "cdf", "icdf", "entropy", "mean", "variance")),
    ("ContinuousBernoulli", dict(logits=np.array([-2.0, 0.001, 3.0])), UNIT,
     ("log_prob", "cdf", "icdf", "entropy", "mean", "variance")),
    ("LogisticNormal", dict(loc=np.array([0.0, 1.0, -0.5]), scale=POS2),
     np.array([[0.3, 0.2, 0.1, 0.4], [0.05, 0.05, 0.6, 0.3]]), ("log_prob",)),
    ("LowRankMultivariateNormal", LOW_RANK, np.array([[0.3, 1.2, 2.0], [4.0, -0.5, 0.7]]),
     ("log_prob", "entropy", "mean", "variance", "covariance_matrix", "precision_matrix",
      "scale_tril")),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
PROPERTIES = ("mean", "mode", "variance", "stddev", "covariance_matrix", "precision_matrix",
              "scale_tril")
PROBABILITIES = np.array([[0.1, 0.5, 0.8], [0.0, 0.99, 0.3]])


def _pair(name, params, dtype=np.float64, frozen=()):
    """The same distribution in tg and in torch, and their parameter leaves (those not
    `frozen`)."""
    torch = pytest.importorskip("torch")
    ours, theirs, leaves = {}, {}, []
    for key, value in params.items():
        grad = key not in frozen
        a = tg.Tensor(np.asarray(value, dtype=dtype), requires_grad=grad)
        b = torch.tensor(np.asarray(value, dtype=dtype), requires_grad=grad)
        ours[key], theirs[key] = a, b
        if grad:
            leaves.append((a, b))
    return getattr(D, name)(**ours), getattr(torch.distributions, name)(**theirs), leaves


def _call(dist, method, values, module):
    if method in PROPERTIES:
        return getattr(dist, method)
    if method == "entropy":
        return dist.entropy()
    arg = PROBABILITIES if method == "icdf" else values
    return getattr(dist, method)(module.tensor(arg) if module is not tg else tg.Tensor(arg))


def _agree(ours, theirs, leaves, rtol=1e-9, atol=1e-12, grad_rtol=1e-7):
    """Values equal (inf and NaN where torch's are), and the gradients of a weighted sum of
    the finite entries with respect to the leaves."""
    torch = pytest.importorskip("torch")
    expected = theirs.detach().numpy()
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours.data, expected, rtol=rtol, atol=atol)
    if not theirs.requires_grad:
        return
    finite = np.isfinite(expected)
    weights = RNG.normal(size=ours.shape).astype(expected.dtype)
    (tg.where(finite, ours, 0.0) * tg.Tensor(weights)).sum().backward()
    (torch.where(torch.tensor(finite), theirs, 0.0) * torch.tensor(weights)).sum().backward()
    for a, b in leaves:
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.data
        # (where torch's is NaN, from an inf it computes and then drops, ours is finite)
        assert np.all(np.isfinite(got[np.isnan(want)]))
        np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)],
                                   rtol=grad_rtol, atol=grad_rtol * 1e-2)
        a.grad, b.grad = None, None


def _frozen(name, method):
    return ("concentration",) if (name, method) == ("InverseGamma", "cdf") else ()


@pytest.mark.parametrize("name,params,values,methods", CASES, ids=IDS)
def test_values_and_gradients_are_pytorchs(name, params, values, methods):
    torch = pytest.importorskip("torch")
    # (VonMises: torch's ln I0 is a polynomial fit good to ~1e-7; InverseGamma's cdf has no
    # gradient to the concentration, as torch's)
    rtol = 1e-6 if name == "VonMises" else 1e-9
    for method in methods:
        ours, theirs, leaves = _pair(name, params, frozen=_frozen(name, method))
        _agree(_call(ours, method, values, tg), _call(theirs, method, values, torch), leaves,
               rtol=rtol, grad_rtol=max(rtol, 1e-7))


@pytest.mark.parametrize("name,params,values,methods", CASES, ids=IDS)
def test_float32_is_kept_and_is_pytorchs(name, params, values, methods):
    torch = pytest.importorskip("torch")
    for method in methods:
        ours, theirs, leaves = _pair(name, params, np.float32, _frozen(name, method))
        a = _call(ours, method, values.astype(np.float32), tg)
        b = _call(theirs, method, values.astype(np.float32), torch)
        _agree(a, b, leaves, rtol=2e-5, atol=1e-6, grad_rtol=2e-4)


def test_generalized_pareto_log_prob_and_cdf_are_pytorchs():
    # (torch 2.13's log_prob and cdf fail for float64 parameters: compared in float32)
    torch = pytest.importorskip("torch")
    name, params, values, _ = CASES[7]
    for method in ("log_prob", "cdf"):
        ours, theirs, leaves = _pair(name, params, np.float32)
        _agree(_call(ours, method, values.astype(np.float32), tg),
               _call(theirs, method, values.astype(np.float32), torch), leaves,
               rtol=2e-5, atol=1e-6, grad_rtol=2e-4)


def test_von_mises_variance_is_the_exact_bessel_ratio():
    torch = pytest.importorskip("torch")
    kappa = np.array([0.5, 3.0, 20.0, 400.0])
    ours = D.VonMises(0.0, kappa).variance.data
    np.testing.assert_allclose(ours, 1 - torch.special.i1e(torch.tensor(kappa)).numpy()
                               / torch.special.i0e(torch.tensor(kappa)).numpy(), rtol=1e-12)
    theirs = torch.distributions.VonMises(torch.tensor(0.0), torch.tensor(kappa)).variance
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3)  # (its polynomial fit)


def test_classes_shapes_and_flags_are_pytorchs():
    torch = pytest.importorskip("torch")
    for name, params, values, _ in CASES:
        ours, theirs, _ = _pair(name, params)
        assert ours.batch_shape == tuple(theirs.batch_shape)
        assert ours.event_shape == tuple(theirs.event_shape)
        assert ours.has_rsample == theirs.has_rsample
        assert set(ours.arg_constraints) == set(theirs.arg_constraints)
        assert isinstance(ours, D.TransformedDistribution) == isinstance(
            theirs, torch.distributions.TransformedDistribution)
        assert repr(ours).startswith(f"{name}(")
        if not ours.has_rsample:
            with pytest.raises(NotImplementedError, match="has no rsample"):
                ours.rsample()
        for method in ("entropy", "cdf", "icdf"):  # none where torch has none
            try:
                _call(theirs, method, values, torch)
            except RuntimeError:  # (GeneralizedPareto.cdf of float64: torch 2.13's bug)
                continue
            except NotImplementedError:
                with pytest.raises(NotImplementedError):
                    _call(ours, method, values, tg)


def test_a_number_parameter_gives_a_scalar_distribution():
    assert D.Weibull(1.0, 2.0).batch_shape == ()
    assert D.ContinuousBernoulli(0.3).sample((4,)).shape == (4,)
    logistic = D.LogisticNormal(0.0, 1.0)  # (a vector of one, as torch's)
    assert (logistic.batch_shape, logistic.event_shape) == ((), (2,))
    assert repr(D.Pareto(1.0, 2.0)) == "Pareto(scale: 1.0, alpha: 2.0)"


# -- gradients by finite differences (no torch) ---------------------------------------------
def _leaf(values):
    return tg.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


GRADCHECKS = {
    "Weibull": (lambda a, b: D.Weibull(a, b), POS2, POS + 0.5, [0.3, 1.2, 2.0]),
    "Pareto": (lambda a, b: D.Pareto(a, b), POS2, POS + 2, [2.3, 1.6, 2.0]),
    "InverseGamma": (lambda a, b: D.InverseGamma(a, b), POS + 2, POS2, [0.3, 1.2, 2.0]),
    "HalfCauchy": (lambda a, b: D.HalfCauchy(a * b), POS2, [1.0, 1.0, 1.0], [0.3, 1.2, 2.0]),
    "Kumaraswamy": (lambda a, b: D.Kumaraswamy(a, b), POS, POS2, [0.3, 0.05, 0.9]),
    "VonMises": (lambda a, b: D.VonMises(a, b), [0.0, 1.0, -2.0], POS, [0.3, 1.2, 2.0]),
    "FisherSnedecor": (lambda a, b: D.FisherSnedecor(a, b), POS + 1, POS2 + 4, [0.3, 1.2, 2.0]),
    "GeneralizedPareto": (lambda a, b: D.GeneralizedPareto(0.1, a, b), POS2, [0.3, -0.2, 0.1],
                          [0.3, 1.2, 2.0]),
    "ContinuousBernoulli": (lambda a, b: D.ContinuousBernoulli(a * b), [0.2, 0.45, 0.9],
                            [1.0, 1.0, 1.0], [0.3, 0.5, 0.95]),
    "LogisticNormal": (lambda a, b: D.LogisticNormal(a, b), [0.0, 1.0], [0.5, 2.0],
                       [0.3, 0.2, 0.5]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_log_prob_and_the_rest_pass_gradcheck(name):
    make, a, b, value = GRADCHECKS[name]
    a, b, x = _leaf(a), _leaf(b), _leaf(value)
    if name != "LogisticNormal":  # (its value lives on the simplex: a step moves it off)
        assert tg.gradcheck(lambda v, p, q: make(p, q).log_prob(v), [x, a, b])
    for method in ("log_prob", "cdf", "icdf", "entropy", "mean", "variance"):
        try:
            if not _call(make(a, b), method, value, tg).requires_grad:
                continue  # (HalfCauchy's mean: inf, a constant)
        except NotImplementedError:
            continue
        if (name, method) == ("InverseGamma", "cdf"):  # (Gamma's: the rate's gradient only)
            assert tg.gradcheck(lambda q: _call(make(a.detach(), q), method, value, tg), [b])
        else:
            assert tg.gradcheck(lambda p, q: _call(make(p, q), method, value, tg), [a, b])


def test_low_rank_gradcheck():
    loc, factor, diag = (_leaf(LOW_RANK[k]) for k in ("loc", "cov_factor", "cov_diag"))
    x = _leaf([[0.3, 1.2, 2.0], [4.0, -0.5, 0.7]])
    make = D.LowRankMultivariateNormal
    assert tg.gradcheck(lambda v, l_, w, d: make(l_, w, d).log_prob(v), [x, loc, factor, diag])
    assert tg.gradcheck(lambda w, d: make(loc.detach(), w, d).entropy(), [factor, diag])
    assert tg.gradcheck(lambda w, d: make(loc.detach(), w, d).precision_matrix, [factor, diag])
    assert tg.gradcheck(lambda w, d: make(loc.detach(), w, d).scale_tril, [factor, diag])


LOW_RANK_LEAVES = (lambda w, d: D.LowRankMultivariateNormal(np.zeros(3), w, d),
                   LOW_RANK["cov_factor"], LOW_RANK["cov_diag"])
RSAMPLED = sorted(set(GRADCHECKS) - {"InverseGamma", "FisherSnedecor", "VonMises"})


@pytest.mark.parametrize("name", RSAMPLED + ["LowRankMultivariateNormal"])
def test_rsample_is_differentiable_in_the_parameters(name):
    """A seeded draw is a smooth function of the parameters: finite differences."""
    make, a, b = GRADCHECKS[name][:3] if name in GRADCHECKS else LOW_RANK_LEAVES
    a, b = _leaf(a), _leaf(b)
    assert tg.gradcheck(lambda p, q: make(p, q).rsample((4,), seed=3), [a, b])
    assert not make(a, b).sample((2,), seed=1).requires_grad


@pytest.mark.parametrize("name,param,expected_slope", [
    ("InverseGamma", "rate", lambda c, r: 1 / (c - 1)),
    ("InverseGamma", "concentration", lambda c, r: -r / (c - 1) ** 2),
    ("FisherSnedecor", "df2", lambda d1, d2: -2 / (d2 - 2) ** 2),
])
def test_implicit_rsample_gradient_has_the_slope_of_the_mean(name, param, expected_slope):
    """Each draw's gradient lands in its own copy of the parameters: their average is the
    derivative of the mean, within its standard error."""
    n = 4000
    first, second = (4.0, 3.0) if name == "InverseGamma" else (5.0, 9.0)
    leaves = [_leaf(np.full(n, first)), _leaf(np.full(n, second))]
    getattr(D, name)(*leaves).rsample(seed=5).sum().backward()
    grads = leaves[0 if param in ("concentration", "df1") else 1].grad.data
    error = 5 * grads.std() / math.sqrt(n)
    assert abs(grads.mean() - expected_slope(first, second)) < error


# -- samples ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params,values,methods", CASES, ids=IDS)
def test_sample_shapes_dtypes_and_support(name, params, values, methods):
    dist = getattr(D, name)(**params)
    drawn = dist.sample((5, 2), seed=0)
    assert drawn.shape == (5, 2) + dist.batch_shape + dist.event_shape
    assert drawn.dtype == np.float64
    assert np.all(dist.support.check(drawn))  # (VonMises: angles in [-pi, pi))
    assert name != "VonMises" or np.all((-math.pi <= drawn.data) & (drawn.data < math.pi))
    assert np.all(np.isfinite(dist.log_prob(drawn).data))
    small = getattr(D, name)(**{k: np.asarray(v, np.float32) for k, v in params.items()})
    assert small.sample(seed=0).dtype == np.float32
    assert dist.sample((0,), seed=0).shape == (0,) + dist.batch_shape + dist.event_shape


def _within_standard_error(draws, expected, spread=None, k=5.0):
    spread = draws.std(axis=0) if spread is None else spread
    assert np.all(np.abs(draws.mean(axis=0) - expected) < k * spread / math.sqrt(len(draws)))


MOMENTS = {
    "Weibull": dict(scale=POS2, concentration=np.array([0.8, 3.0, 1.5])),
    "Pareto": dict(scale=POS2, alpha=np.array([5.0, 6.0, 9.0])),
    "InverseGamma": dict(concentration=np.array([5.0, 6.0, 9.0]), rate=POS2),
    "Kumaraswamy": dict(concentration1=POS, concentration0=POS2),
    "FisherSnedecor": dict(df1=np.array([1.0, 3.0, 5.0]), df2=np.array([9.0, 12.0, 20.0])),
    "GeneralizedPareto": dict(loc=np.array([0.0, 1.0, -1.0]), scale=POS2,
                              concentration=np.array([0.0, -0.5, 0.2])),
    "ContinuousBernoulli": dict(probs=np.array([0.1, 0.4999, 0.8])),
}


@pytest.mark.parametrize("name", sorted(MOMENTS))
def test_sample_moments(name):
    dist = getattr(D, name)(**MOMENTS[name])
    draws = dist.sample((20000,), seed=11).data
    _within_standard_error(draws, dist.mean.data, np.sqrt(dist.variance.data))


def test_sample_moments_of_the_others():
    # HalfCauchy: its median is scale (a fraction 1/2 of the draws below)
    scale = POS2
    draws = D.HalfCauchy(scale).sample((20000,), seed=2).data
    _within_standard_error((draws < scale).astype(float), 0.5, 0.5)
    # VonMises: E cos(x - loc) = I1/I0 = 1 - the circular variance; E sin(x - loc) = 0
    loc, kappa = np.array([0.0, 3.0, -3.0]), np.array([0.01, 2.0, 30.0])
    dist = D.VonMises(loc, kappa)
    draws = dist.sample((20000,), seed=3).data
    _within_standard_error(np.cos(draws - loc), 1 - dist.variance.data)
    _within_standard_error(np.sin(draws - loc), 0.0)
    # LogisticNormal: the stick-breaking inverse of a draw is a Normal draw
    mu, sigma = np.array([0.0, 1.0, -0.5]), POS2
    draws = D.LogisticNormal(mu, sigma).sample((20000,), seed=4)
    normal = D.LogisticNormal(mu, sigma).transforms[0].inv(draws).data
    _within_standard_error(normal, mu, sigma)
    _within_standard_error((normal - mu) ** 2, sigma ** 2)
    # LowRankMultivariateNormal: the mean and the covariance
    dist = D.LowRankMultivariateNormal(**LOW_RANK)
    draws = dist.sample((20000,), seed=5).data
    _within_standard_error(draws, dist.loc.data)
    centred = draws - dist.loc.data
    products = centred[..., :, None] * centred[..., None, :]
    _within_standard_error(products, dist.covariance_matrix.data)


def test_von_mises_draws_tiny_and_huge_concentrations():
    draws = D.VonMises(1.0, np.array([1e-6, 1e6])).sample((2000,), seed=0).data
    _within_standard_error(np.cos(draws[:, 0]), 0.0, 1.0)
    assert np.all(np.abs(draws[:, 1] - 1.0) < 0.01)


# -- kl_divergence ---------------------------------------------------------------------------
PARETO = dict(scale=POS2, alpha=np.array([0.8, 3.0, 2.5]))
CB = dict(probs=np.array([0.2, 0.4995, 0.9]))
MVN = dict(loc=np.array([0.1, 0.2, -0.3]),
           scale_tril=np.array([[1.0, 0.0, 0.0], [0.4, 0.9, 0.0], [-0.2, 0.3, 1.5]]))
KL_CASES = [
    ("Pareto", PARETO, "Pareto", dict(scale=np.array([1.0, 2.0, 1.0]), alpha=POS)),
    ("ContinuousBernoulli", CB, "ContinuousBernoulli", dict(logits=np.array([0.3, -1.0, 0.0]))),
    ("LowRankMultivariateNormal", LOW_RANK, "LowRankMultivariateNormal",
     dict(loc=np.array([0.1, 0.2, -0.3]), cov_factor=np.array([[0.3], [0.2], [-1.0]]),
          cov_diag=np.array([1.0, 0.4, 0.9]))),
    ("MultivariateNormal", MVN, "LowRankMultivariateNormal", LOW_RANK),
    ("LowRankMultivariateNormal", LOW_RANK, "MultivariateNormal", MVN),
    ("Beta", dict(concentration1=POS, concentration0=POS2), "ContinuousBernoulli", CB),
    ("Uniform", dict(low=np.array([0.1, 0.3, 0.05]), high=np.array([0.5, 0.9, 0.95])),
     "ContinuousBernoulli", CB),
    ("ContinuousBernoulli", CB, "Exponential", dict(rate=POS)),
    ("ContinuousBernoulli", CB, "Normal", dict(loc=np.array([0.0, 1.0, -1.0]), scale=POS)),
    ("ContinuousBernoulli", CB, "Uniform", dict(low=np.array([-1.0, -0.5, -2.0]),
                                                high=np.array([1.5, 2.0, 1.01]))),
    ("Pareto", PARETO, "Exponential", dict(rate=POS)),
    ("Pareto", dict(scale=POS2, alpha=np.array([0.8, 3.0, 1.5])), "Gamma",
     dict(concentration=POS, rate=POS2)),
    ("Pareto", PARETO, "Normal", dict(loc=np.array([0.0, 1.0, -1.0]), scale=POS)),
    ("Uniform", dict(low=np.array([2.5, 1.0, 1.0]), high=np.array([3.0, 2.0, 4.0])), "Pareto",
     PARETO),
    ("Normal", dict(loc=POS, scale=POS2), "Pareto", PARETO),
    ("Pareto", PARETO, "ContinuousBernoulli", CB),
    ("Gumbel", dict(loc=POS, scale=POS2), "ContinuousBernoulli", CB),
]


@pytest.mark.parametrize("p_name,p_params,q_name,q_params", KL_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in KL_CASES])
def test_kl_divergence_is_pytorchs(p_name, p_params, q_name, q_params):
    torch = pytest.importorskip("torch")
    ours_p, theirs_p, leaves_p = _pair(p_name, p_params)
    ours_q, theirs_q, leaves_q = _pair(q_name, q_params)
    _agree(D.kl_divergence(ours_p, ours_q),
           torch.distributions.kl_divergence(theirs_p, theirs_q), leaves_p + leaves_q,
           rtol=1e-8, grad_rtol=1e-6)


def test_kl_gradcheck_and_edges():
    a, b, c = _leaf(POS2), _leaf(POS + 2.5), _leaf([0.2, 0.45, 0.9])
    assert tg.gradcheck(lambda s, al: D.kl_divergence(D.Pareto(s, al), D.Pareto(0.5, 2.0)),
                        [a, b])
    assert tg.gradcheck(lambda p, s: D.kl_divergence(D.ContinuousBernoulli(p),
                                                     D.Normal(0.3, s)), [c, a])
    assert tg.gradcheck(lambda s, al: D.kl_divergence(D.Pareto(s, al), D.Normal(1.0, 2.0))
                        + D.kl_divergence(D.Pareto(s, al), D.Gamma(2.0, 3.0)), [a, b])
    w, d = _leaf(LOW_RANK["cov_factor"]), _leaf(LOW_RANK["cov_diag"])
    other = D.LowRankMultivariateNormal(np.ones(3), np.eye(3)[:, :1], np.ones(3))
    assert tg.gradcheck(lambda w_, d_: D.kl_divergence(D.LowRankMultivariateNormal(
        np.zeros(3), w_, d_), other), [w, d])
    # inf where q gives 0 density to what p does not, with finite gradients elsewhere
    alpha = _leaf([0.5, 3.0])
    kl = D.kl_divergence(D.Pareto(1.0, alpha), D.Normal(0.0, 1.0))
    assert math.isinf(kl.data[0]) and math.isfinite(kl.data[1])
    kl[1].backward()
    assert np.all(np.isfinite(alpha.grad.data))
    assert np.all(np.isinf(D.kl_divergence(D.Normal(0.0, POS), D.Pareto(1.0, 2.0)).data))
    # KL of p and itself is 0
    for dist in (D.Pareto(POS2, POS), D.ContinuousBernoulli(logits=np.array([-3.0, 0.0, 2.0])),
                 D.LowRankMultivariateNormal(**LOW_RANK)):
        np.testing.assert_allclose(D.kl_divergence(dist, dist).data, 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(D.LowRankMultivariateNormal(**LOW_RANK), D.MultivariateNormal(
            np.zeros(2), np.eye(2)))


def test_kl_of_a_uniform_within_the_unit_interval_and_a_continuous_bernoulli_is_finite():
    """(torch's is inf whenever the Uniform touches 0 or 1: the true value is finite.)"""
    cb = D.ContinuousBernoulli(np.array([0.2, 0.4995, 0.9]))
    unit = D.Uniform(0.0, 1.0)
    np.testing.assert_allclose(D.kl_divergence(cb, unit).data, -cb.entropy().data)
    grid = (np.arange(200000) + 0.5) / 200000  # midpoint rule for -E_U[log q]
    expected = -cb.log_prob(grid[:, None]).data.mean(axis=0)
    np.testing.assert_allclose(D.kl_divergence(unit, cb).data, expected, rtol=1e-8)
    assert np.all(np.isinf(D.kl_divergence(cb, D.Uniform(0.1, 1.0)).data))
    assert np.all(np.isinf(D.kl_divergence(D.Uniform(-0.1, 0.5), cb).data))


# -- where torch's values are wrong -----------------------------------------------------------
def test_weibull_and_kumaraswamy_modes_are_the_densitys_maxima():
    grid = np.linspace(1e-6, 1 - 1e-6, 200001)
    a, b = np.array([2.0, 1.0, 3.0, 0.5]), np.array([3.0, 2.0, 1.0, 2.0])
    kuma = D.Kumaraswamy(a, b)
    densest = grid[np.argmax(kuma.log_prob(grid[:, None]).data, axis=0)]
    np.testing.assert_allclose(kuma.mode.data[:3], densest[:3], atol=1e-5)
    assert np.isnan(kuma.mode.data[3])  # (a < 1: the density is unbounded at 0)
    weibull = D.Weibull(2.0, np.array([0.5, 1.0, 3.0]))
    densest = (grid * 8)[np.argmax(weibull.log_prob(grid[:, None] * 8).data, axis=0)]
    np.testing.assert_allclose(weibull.mode.data, densest, atol=1e-4)


# -- edges -----------------------------------------------------------------------------------
def test_edges_empty_zero_and_the_supports_ends():
    empty = D.Weibull(np.ones(0), np.ones(0))  # (an empty batch)
    assert empty.log_prob(np.ones(0)).shape == (0,) and empty.sample((3,)).shape == (3, 0)
    assert D.LowRankMultivariateNormal(np.zeros((0, 2)), np.ones((2, 1)),
                                       np.ones(2)).entropy().shape == (0,)
    # HalfCauchy at 0, a Pareto at its scale, a continuous Bernoulli at 0 and 1: finite
    assert math.isfinite(float(D.HalfCauchy(2.0).log_prob(0.0).data))
    assert math.isfinite(float(D.Pareto(2.0, 3.0).log_prob(2.0).data))
    cb = D.ContinuousBernoulli(np.array([0.3, 0.5, 0.99]))
    assert np.all(np.isfinite(cb.log_prob(np.zeros(3)).data))
    np.testing.assert_array_equal(cb.cdf(np.ones(3)).data, 1.0)
    np.testing.assert_array_equal(cb.cdf(np.zeros(3)).data, 0.0)
    # a generalized Pareto of concentration 0 is the Exponential shifted by loc
    gp, exp = D.GeneralizedPareto(1.0, 2.0, 0.0), D.Exponential(0.5)
    np.testing.assert_allclose(gp.log_prob(3.5).data, exp.log_prob(2.5).data)
    np.testing.assert_allclose(gp.cdf(3.5).data, exp.cdf(2.5).data)
    np.testing.assert_allclose(gp.support.check(np.array([0.5, 1.0, 1e9])), [0, 1, 1])
    bounded = D.GeneralizedPareto(1.0, 2.0, -0.5)  # support [1, 5]
    np.testing.assert_array_equal(bounded.support.check(np.array([1.0, 5.0, 5.01])), [1, 1, 0])
    # expand: the values broadcast, the class kept
    for name, params, values, _ in CASES:
        dist = getattr(D, name)(**params)
        wide = dist.expand((4,) + dist.batch_shape)
        assert type(wide) is type(dist) and wide.batch_shape == (4,) + dist.batch_shape
        np.testing.assert_allclose(wide.log_prob(values[0]).data,
                                   np.broadcast_to(dist.log_prob(values[0]).data,
                                                   wide.batch_shape))


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make,message", [
    (lambda: D.Weibull(1.0, -2.0), "Weibull: parameter concentration"),
    (lambda: D.Pareto(0.0, 2.0), "Pareto: parameter scale"),
    (lambda: D.HalfCauchy(-1.0), "HalfCauchy: parameter scale"),
    (lambda: D.Kumaraswamy(np.array([1.0, -1.0]), 1.0), "Kumaraswamy: parameter concentration1"),
    (lambda: D.VonMises(0.0, 0.0), "VonMises: parameter concentration"),
    (lambda: D.FisherSnedecor(1.0, -1.0), "FisherSnedecor: parameter df2"),
    (lambda: D.GeneralizedPareto(0.0, -1.0, 0.1), "GeneralizedPareto: parameter scale"),
    (lambda: D.ContinuousBernoulli(1.5), "ContinuousBernoulli: parameter probs"),
    (lambda: D.ContinuousBernoulli(0.3, 0.1), "give probs= or logits=, exactly one"),
    (lambda: D.ContinuousBernoulli(0.3, lims=(0.6, 0.7)), "lims must be low < 0.5 < high"),
    (lambda: D.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), -np.ones(3)),
     "LowRankMultivariateNormal: parameter cov_diag"),
    (lambda: D.LowRankMultivariateNormal(np.zeros(3), np.ones((2, 1)), np.ones(3)),
     "cov_factor must be matrices of shape"),
    (lambda: D.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.ones(2)),
     "cov_diag must be vectors of shape"),
    (lambda: D.LowRankMultivariateNormal(np.zeros((2, 3)), np.ones((4, 3, 1)), np.ones(3)),
     "do not broadcast together"),
    (lambda: D.Pareto(2.0, 1.0).log_prob(1.0), "Pareto.log_prob: value 1.0 is outside"),
    (lambda: D.Weibull(2.0, 1.0).log_prob(-1.0), "Weibull.log_prob: value -1.0 is outside"),
    (lambda: D.Kumaraswamy(2.0, 1.0).cdf(1.5), "Kumaraswamy.cdf: value 1.5 is outside"),
    (lambda: D.LogisticNormal(np.zeros(2), 1.0).log_prob([0.5, 0.6, 0.1]), "outside the support"),
    (lambda: D.ContinuousBernoulli(0.3).log_prob(1.1), "is outside the support"),
    (lambda: D.LowRankMultivariateNormal(**LOW_RANK).log_prob(np.zeros(2)), "event_shape (3,)"),
])
def test_bad_input_is_one_line(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert message in str(info.value) and "\n" not in str(info.value)
