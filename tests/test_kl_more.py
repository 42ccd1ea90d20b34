"""tg.distributions.kl_divergence on every pair of classes PyTorch's kl registry has (the
rules of kl.py, continuous_bernoulli.py, low_rank.py and kl_more.py): values and gradients
against torch's, float64 and float32, batched, and the edges where ours differs (inf of
the broadcast batch shape, no NaN, digits kept near 0)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D

from test_distributions_continuous_more import _pair as _plain_pair

SHAPE = (2, 3)


def _pos(rng, low=0.5, high=2.0):
    return rng.uniform(low, high, SHAPE)


def _probs(rng):
    return rng.uniform(0.1, 0.9, SHAPE)


def _uniform(rng):
    low = rng.uniform(0.05, 0.4, SHAPE)
    low[0, 2] = -0.2  # (inf against a q on [0, oo) or [0, 1])
    return dict(low=low, high=low + rng.uniform(0.1, 0.55, SHAPE))


def _pareto(rng):
    alpha = rng.uniform(2.5, 4.0, SHAPE)
    alpha[1, 0], alpha[1, 1] = 0.8, 1.5  # (inf against an Exponential, a Gamma, a Normal)
    return dict(scale=_pos(rng), alpha=alpha)


def _lower(rng):
    tril = np.tril(rng.normal(size=SHAPE + (3, 3)) * 0.3, -1)
    return tril + np.eye(3) * rng.uniform(0.6, 1.5, SHAPE + (3,))[..., None]


# The parameters of each class, as numpy arrays of batch shape SHAPE (frozen: no gradient)
PARAMS = {
    "Normal": lambda r: dict(loc=r.normal(size=SHAPE), scale=_pos(r)),
    "Laplace": lambda r: dict(loc=r.normal(size=SHAPE), scale=_pos(r)),
    "Cauchy": lambda r: dict(loc=r.normal(size=SHAPE), scale=_pos(r)),
    "Gumbel": lambda r: dict(loc=r.normal(size=SHAPE), scale=_pos(r)),
    "HalfNormal": lambda r: dict(scale=_pos(r)),
    "Uniform": _uniform,
    "Exponential": lambda r: dict(rate=_pos(r)),
    "Poisson": lambda r: dict(rate=_pos(r)),
    "Gamma": lambda r: dict(concentration=_pos(r), rate=_pos(r)),
    "Beta": lambda r: dict(concentration1=_pos(r), concentration0=_pos(r)),
    "Bernoulli": lambda r: dict(probs=_probs(r)),
    "Geometric": lambda r: dict(probs=_probs(r)),
    "ContinuousBernoulli": lambda r: dict(probs=_probs(r)),
    "Binomial": lambda r: dict(total_count=np.full(SHAPE, 6.0), probs=_probs(r)),
    "Categorical": lambda r: dict(logits=r.normal(size=SHAPE + (4,))),
    "OneHotCategorical": lambda r: dict(logits=r.normal(size=SHAPE + (4,))),
    "Dirichlet": lambda r: dict(concentration=r.uniform(0.5, 2.0, SHAPE + (4,))),
    "Pareto": _pareto,
    "MultivariateNormal": lambda r: dict(loc=r.normal(size=SHAPE + (3,)), scale_tril=_lower(r)),
    "LowRankMultivariateNormal": lambda r: dict(loc=r.normal(size=SHAPE + (3,)),
                                                cov_factor=r.normal(size=SHAPE + (3, 2)),
                                                cov_diag=r.uniform(0.5, 1.5, SHAPE + (3,))),
}
FROZEN = {"total_count"}


def _rows(values):
    """`values` (one per column) on every row of the batch."""
    return np.broadcast_to(np.asarray(values, dtype=np.float64), SHAPE).copy()


# q's (p's) parameters where the general ones would make (nearly) every entry inf
Q_PARAMS = {
    ("Beta", "Uniform"): lambda r: dict(low=_rows([-0.2, 0.1, -0.2]), high=_rows([1.3, 1.3, 1.0])),
    ("ContinuousBernoulli", "Uniform"): lambda r: dict(low=np.full(SHAPE, -0.5),
                                                       high=r.uniform(0.9, 1.5, SHAPE)),
    ("Uniform", "Pareto"): lambda r: dict(scale=r.uniform(0.01, 0.1, SHAPE), alpha=_pos(r)),
    ("Binomial", "Binomial"): lambda r: dict(total_count=_rows([6.0, 6.0, 4.0]), probs=_probs(r)),
}
P_PARAMS = {
    ("Uniform", "Uniform"): lambda r: dict(low=np.full(SHAPE, 0.2),
                                           high=r.uniform(0.3, 0.8, SHAPE)),
    ("Uniform", "Beta"): lambda r: dict(low=_rows([0.0, 0.1, -0.1]), high=_rows([1.0, 0.6, 0.5])),
    ("Uniform", "Pareto"): lambda r: dict(low=_rows([0.3, 0.5, 0.005]), high=np.full(SHAPE, 1.5)),
}


def _wrapped(name, base):
    """Independent and TransformedDistribution: of a Normal."""
    torch = pytest.importorskip("torch")
    if name == "Independent":
        return D.Independent(base[0], 1), torch.distributions.Independent(base[1], 1)
    return (D.TransformedDistribution(base[0], [D.ExpTransform()]),
            torch.distributions.TransformedDistribution(base[1],
                                                        [torch.distributions.ExpTransform()]))


def _pair(name, params, dtype=np.float64):
    """The same distribution in tg and in torch, and their parameter leaves (a wrapper
    distribution around a Normal)."""
    if name in ("Independent", "TransformedDistribution"):
        ours, theirs, leaves = _pair("Normal", params, dtype)
        return (*_wrapped(name, (ours, theirs)), leaves)
    return _plain_pair(name, params, dtype, frozen=FROZEN)


def _params(p_name, q_name, seed):
    rng = np.random.default_rng(seed)
    p_base = "Normal" if p_name in ("Independent", "TransformedDistribution") else p_name
    q_base = "Normal" if q_name in ("Independent", "TransformedDistribution") else q_name
    p = P_PARAMS.get((p_name, q_name), PARAMS[p_base])(rng)
    q = Q_PARAMS.get((p_name, q_name), PARAMS[q_base])(rng)
    return p, q


def _agree(ours, theirs, leaves, rtol, grad_rtol):
    """Values equal (inf where torch's are); gradients of a weighted sum of the finite entries
    equal, finite where torch's are NaN (an inf it computes, then drops)."""
    torch = pytest.importorskip("torch")
    expected = theirs.detach().numpy()
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_allclose(ours.data, expected, rtol=rtol, atol=rtol * 1e-3)
    finite = np.isfinite(expected)
    weights = np.random.default_rng(7).normal(size=ours.shape).astype(expected.dtype)
    total = (tg.where(finite, ours, 0.0) * tg.Tensor(weights)).sum()
    if not theirs.requires_grad:  # (an inf rule: no gradient in either)
        assert not total.requires_grad
        return
    total.backward()
    if theirs.requires_grad:
        (torch.where(torch.tensor(finite), theirs, 0.0) * torch.tensor(weights)).sum().backward()
    for a, b in leaves:
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        got = np.zeros(a.shape) if a.grad is None else a.grad.data
        if a.shape == ours.shape:  # (0, not torch's NaN, where the divergence is inf)
            assert np.all(np.isfinite(got[~finite]))
        known = ~np.isnan(want)
        np.testing.assert_allclose(got[known], want[known], rtol=grad_rtol,
                                   atol=grad_rtol * 1e-2)


# Every (type_p, type_q) of torch 2.13's torch.distributions.kl._KL_REGISTRY but
# (ExponentialFamily, ExponentialFamily) (test_exponential_family_pairs)
PAIRS = [
    ("Bernoulli", "Bernoulli"), ("Bernoulli", "Poisson"), ("Beta", "Beta"),
    ("Beta", "ContinuousBernoulli"), ("Beta", "Exponential"), ("Beta", "Gamma"),
    ("Beta", "Normal"), ("Beta", "Pareto"), ("Beta", "Uniform"), ("Binomial", "Binomial"),
    ("Categorical", "Categorical"), ("Cauchy", "Cauchy"),
    ("ContinuousBernoulli", "ContinuousBernoulli"), ("ContinuousBernoulli", "Exponential"),
    ("ContinuousBernoulli", "Normal"), ("ContinuousBernoulli", "Pareto"),
    ("ContinuousBernoulli", "Uniform"), ("Dirichlet", "Dirichlet"), ("Exponential", "Beta"),
    ("Exponential", "ContinuousBernoulli"), ("Exponential", "Exponential"),
    ("Exponential", "Gamma"), ("Exponential", "Gumbel"), ("Exponential", "Normal"),
    ("Exponential", "Pareto"), ("Exponential", "Uniform"), ("Gamma", "Beta"),
    ("Gamma", "ContinuousBernoulli"), ("Gamma", "Exponential"), ("Gamma", "Gamma"),
    ("Gamma", "Gumbel"), ("Gamma", "Normal"), ("Gamma", "Pareto"), ("Gamma", "Uniform"),
    ("Geometric", "Geometric"), ("Gumbel", "Beta"), ("Gumbel", "ContinuousBernoulli"),
    ("Gumbel", "Exponential"), ("Gumbel", "Gamma"), ("Gumbel", "Gumbel"),
    ("Gumbel", "Normal"), ("Gumbel", "Pareto"), ("Gumbel", "Uniform"),
    ("HalfNormal", "HalfNormal"), ("Independent", "Independent"), ("Laplace", "Beta"),
    ("Laplace", "ContinuousBernoulli"), ("Laplace", "Exponential"), ("Laplace", "Gamma"),
    ("Laplace", "Laplace"), ("Laplace", "Normal"), ("Laplace", "Pareto"),
    ("Laplace", "Uniform"), ("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
    ("LowRankMultivariateNormal", "MultivariateNormal"),
    ("MultivariateNormal", "LowRankMultivariateNormal"),
    ("MultivariateNormal", "MultivariateNormal"), ("Normal", "Beta"),
    ("Normal", "ContinuousBernoulli"), ("Normal", "Exponential"), ("Normal", "Gamma"),
    ("Normal", "Gumbel"), ("Normal", "Laplace"), ("Normal", "Normal"), ("Normal", "Pareto"),
    ("Normal", "Uniform"), ("OneHotCategorical", "OneHotCategorical"), ("Pareto", "Beta"),
    ("Pareto", "ContinuousBernoulli"), ("Pareto", "Exponential"), ("Pareto", "Gamma"),
    ("Pareto", "Normal"), ("Pareto", "Pareto"), ("Pareto", "Uniform"),
    ("Poisson", "Bernoulli"), ("Poisson", "Binomial"), ("Poisson", "Poisson"),
    ("TransformedDistribution", "TransformedDistribution"), ("Uniform", "Beta"),
    ("Uniform", "ContinuousBernoulli"), ("Uniform", "Exponential"), ("Uniform", "Gamma"),
    ("Uniform", "Gumbel"), ("Uniform", "Normal"), ("Uniform", "Pareto"),
    ("Uniform", "Uniform"),
]
IDS = [f"{p}-{q}" for p, q in PAIRS]


def test_no_pair_of_torchs_registry_is_missed():
    torch = pytest.importorskip("torch")
    from torch.distributions.kl import _KL_REGISTRY
    registry = {(p.__name__, q.__name__) for p, q in _KL_REGISTRY}
    # (a class torch has and tg lacks would leave its pairs out: there is none)
    assert all(hasattr(D, name) for pair in registry for name in pair)
    assert registry - {("ExponentialFamily", "ExponentialFamily")} <= set(PAIRS)
    for p_name, q_name in sorted(registry - {("ExponentialFamily", "ExponentialFamily")}):
        p_params, q_params = _params(p_name, q_name, 0)
        ours_p, theirs_p, _ = _pair(p_name, p_params)
        ours_q, theirs_q, _ = _pair(q_name, q_params)
        expected = torch.distributions.kl_divergence(theirs_p, theirs_q).detach().numpy()
        np.testing.assert_allclose(D.kl_divergence(ours_p, ours_q).data, expected, rtol=1e-8,
                                   err_msg=f"{p_name}-{q_name}")


@pytest.mark.parametrize("p_name,q_name", PAIRS, ids=IDS)
def test_values_and_gradients_are_torchs(p_name, q_name):
    torch = pytest.importorskip("torch")
    p_params, q_params = _params(p_name, q_name, 1)
    ours_p, theirs_p, leaves_p = _pair(p_name, p_params)
    ours_q, theirs_q, leaves_q = _pair(q_name, q_params)
    _agree(D.kl_divergence(ours_p, ours_q), torch.distributions.kl_divergence(theirs_p, theirs_q),
           leaves_p + leaves_q, rtol=1e-8, grad_rtol=1e-6)


@pytest.mark.parametrize("p_name,q_name", PAIRS, ids=IDS)
def test_float32_is_kept_and_is_torchs(p_name, q_name):
    torch = pytest.importorskip("torch")
    p_params, q_params = _params(p_name, q_name, 2)
    ours_p, theirs_p, _ = _pair(p_name, p_params, np.float32)
    ours_q, theirs_q, _ = _pair(q_name, q_params, np.float32)
    ours = D.kl_divergence(ours_p, ours_q)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, torch.distributions.kl_divergence(
        theirs_p, theirs_q).detach().numpy(), rtol=2e-4, atol=2e-5)


def test_exponential_family_pairs():
    torch = pytest.importorskip("torch")
    # two different families without a rule: NotImplementedError, as torch's
    with pytest.raises(NotImplementedError, match="Poisson and Gamma"):
        D.kl_divergence(D.Poisson(1.0), D.Gamma(2.0, 1.0))
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(torch.distributions.Poisson(torch.tensor(1.0)),
                                          torch.distributions.Gamma(torch.tensor(2.0),
                                                                    torch.tensor(1.0)))
    # torch's Wishart pair takes the (ExponentialFamily, ExponentialFamily) rule
    cov_p, cov_q = np.array([[2.0, 0.3], [0.3, 1.0]]), np.array([[1.0, -0.2], [-0.2, 0.5]])
    ours = D.kl_divergence(D.Wishart(4.0, cov_p), D.Wishart(3.5, cov_q))
    theirs = torch.distributions.kl_divergence(
        torch.distributions.Wishart(torch.tensor(4.0, dtype=torch.float64), torch.tensor(cov_p)),
        torch.distributions.Wishart(torch.tensor(3.5, dtype=torch.float64), torch.tensor(cov_q)))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-8)


def test_a_specific_rule_wins_over_the_exponential_family_one():
    # Beta, Exponential, Gamma and Normal are exponential families: their mixed pairs
    # dispatch to kl_more's rules, a subclass (Chi2 of Gamma) to its parent's
    kl = D.kl_divergence(D.Beta(2.0, 3.0), D.Normal(0.5, 1.0))
    assert kl.shape == () and math.isfinite(kl.item())
    np.testing.assert_allclose(D.kl_divergence(D.Chi2(3.0), D.Normal(1.0, 2.0)).data,
                               D.kl_divergence(D.Gamma(1.5, 0.5), D.Normal(1.0, 2.0)).data)
    assert math.isinf(D.kl_divergence(D.Normal(0.0, 1.0), D.Chi2(2.0)).item())


def _leaf(values):
    return tg.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


A, B = np.array([0.7, 1.3, 2.1]), np.array([1.6, 0.8, 1.1])
C = np.array([-0.4, 0.3, 1.2])
# kl_more's finite rules as functions of p's and q's parameters, for gradcheck
GRADCHECKS = {
    "Cauchy-Cauchy": (lambda a, b, c, d: D.Cauchy(a, b), lambda a, b, c, d: D.Cauchy(c, d),
                      [C, A, -C, B]),
    "Geometric-Geometric": (lambda a, b: D.Geometric(a), lambda a, b: D.Geometric(b),
                            [A / 3, B / 2]),
    "Gumbel-Gumbel": (lambda a, b, c, d: D.Gumbel(a, b), lambda a, b, c, d: D.Gumbel(c, d),
                      [C, A, -C, B]),
    "HalfNormal-HalfNormal": (lambda a, b: D.HalfNormal(a), lambda a, b: D.HalfNormal(b),
                              [A, B]),
    "LogNormal-LogNormal": (lambda a, b, c, d: D.LogNormal(a, b),
                            lambda a, b, c, d: D.LogNormal(c, d), [C, A, -C, B]),
    "Beta-Exponential": (lambda a, b, c: D.Beta(a, b), lambda a, b, c: D.Exponential(c),
                         [A, B, A]),
    "Beta-Gamma": (lambda a, b, c, d: D.Beta(a, b), lambda a, b, c, d: D.Gamma(c, d),
                   [A, B, B, A]),
    "Beta-Normal": (lambda a, b, c, d: D.Beta(a, b), lambda a, b, c, d: D.Normal(c, d),
                    [A, B, C, B]),
    "Beta-Uniform": (lambda a, b, c, d: D.Beta(a, b), lambda a, b, c, d: D.Uniform(c, d),
                     [A, B, -A, B + 1]),
    "Exponential-Gumbel": (lambda a, b, c: D.Exponential(a), lambda a, b, c: D.Gumbel(b, c),
                           [A, C, B]),
    "Exponential-Normal": (lambda a, b, c: D.Exponential(a), lambda a, b, c: D.Normal(b, c),
                           [A, C, B]),
    "Gamma-Gumbel": (lambda a, b, c, d: D.Gamma(a, b), lambda a, b, c, d: D.Gumbel(c, d),
                     [A, B, C, A]),
    "Gamma-Normal": (lambda a, b, c, d: D.Gamma(a, b), lambda a, b, c, d: D.Normal(c, d),
                     [A, B, C, A]),
    "Gumbel-Normal": (lambda a, b, c, d: D.Gumbel(a, b), lambda a, b, c, d: D.Normal(c, d),
                      [C, A, -C, B]),
    "Laplace-Normal": (lambda a, b, c, d: D.Laplace(a, b), lambda a, b, c, d: D.Normal(c, d),
                       [C, A, -C, B]),
    "Normal-Gumbel": (lambda a, b, c, d: D.Normal(a, b), lambda a, b, c, d: D.Gumbel(c, d),
                      [C, A, -C, B]),
    "Uniform-Beta": (lambda a, b, c, d: D.Uniform(a, b), lambda a, b, c, d: D.Beta(c, d),
                     [A / 10, A / 3, A, B]),
    "Uniform-Exponential": (lambda a, b, c: D.Uniform(a, b), lambda a, b, c: D.Exponential(c),
                            [A / 10, A, B]),
    "Uniform-Gamma": (lambda a, b, c, d: D.Uniform(a, b), lambda a, b, c, d: D.Gamma(c, d),
                      [A / 10, A, B, A]),
    "Uniform-Gumbel": (lambda a, b, c, d: D.Uniform(a, b), lambda a, b, c, d: D.Gumbel(c, d),
                       [C, C + A, -C, B]),
    "Uniform-Normal": (lambda a, b, c, d: D.Uniform(a, b), lambda a, b, c, d: D.Normal(c, d),
                       [C, C + A, -C, B]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_in_both_distributions_parameters(name):
    make_p, make_q, values = GRADCHECKS[name]
    assert tg.gradcheck(lambda *x: D.kl_divergence(make_p(*x), make_q(*x)),
                        [_leaf(v) for v in values])


def test_batches_broadcast_where_torchs_do_not():
    # p of batch (2, 3), q of batch (3,): the same as q expanded to (2, 3)
    p = D.Uniform(np.array([[0.1, -0.2, 0.3], [0.2, 0.4, 0.0]]), 0.9)
    for q in (D.Exponential(B), D.Gamma(A, B), D.Beta(A, B), D.Gumbel(C, A), D.Normal(C, B)):
        kl = D.kl_divergence(p, q)
        assert kl.shape == (2, 3)
        np.testing.assert_array_equal(kl.data, D.kl_divergence(p, q.expand((2, 3))).data)
        kl_back = D.kl_divergence(D.Beta(A, B).expand((2, 3)), D.Uniform(-C, 2.0))
        assert kl_back.shape == (2, 3)
    assert math.isinf(D.kl_divergence(p, D.Exponential(B)).data[0, 1])
    # an infinite divergence of the broadcast batch shape (torch's has p's)
    for q in (D.Exponential(np.ones((4, 3))), D.Uniform(np.zeros((4, 1)), 1.0)):
        kl = D.kl_divergence(D.Normal(C, 1.0), q)
        assert kl.shape == (4, 3) and np.all(np.isinf(kl.data)) and kl.dtype == np.float64
    assert D.kl_divergence(D.Normal(tg.zeros(3, dtype=tg.float32), 1.0),
                           D.Beta(1.0, 1.0)).dtype == np.float32


def test_empty_batches():
    for p, q in ((D.Cauchy(np.zeros(0), 1.0), D.Cauchy(0.0, np.ones(0))),
                 (D.Uniform(np.zeros((0, 2)), 1.0), D.Beta(2.0, 3.0)),
                 (D.Gamma(np.ones(0), 1.0), D.Uniform(0.0, 1.0))):
        kl = D.kl_divergence(p, q)
        assert kl.shape == np.broadcast_shapes(p.batch_shape, q.batch_shape) and kl.size == 0


def test_kl_of_a_distribution_and_itself_is_zero():
    for dist in (D.Cauchy(C, A), D.Geometric(A / 3), D.Gumbel(C, A), D.HalfNormal(A),
                 D.LogNormal(C, A), D.Geometric(np.array([1.0, 0.5]))):
        np.testing.assert_allclose(D.kl_divergence(dist, dist).data, 0.0, atol=1e-12)
    np.testing.assert_allclose(D.kl_divergence(D.Uniform(0.0, 1.0), D.Beta(1.0, 1.0)).data, 0.0,
                               atol=1e-15)


def test_edges_of_the_supports():
    # two Geometrics certain of no failure: 0 (torch's is inf); q certain, p not: inf
    kl = D.kl_divergence(D.Geometric(np.array([1.0, 0.5])), D.Geometric(np.array([1.0, 1.0])))
    assert kl.data[0] == 0.0 and math.isinf(kl.data[1])
    # a Uniform touching 0 and 1 within a Beta, Gamma, Exponential: finite
    for q in (D.Beta(0.5, 0.7), D.Gamma(0.5, 2.0), D.Exponential(3.0)):
        assert math.isfinite(D.kl_divergence(D.Uniform(0.0, 1.0), q).item())
    # a Beta within a Uniform of exactly [0, 1]: finite; a Uniform missing part of [0, 1]: inf
    kl = D.kl_divergence(D.Beta(2.0, 3.0), D.Uniform(np.array([0.0, 0.01]), 1.0))
    assert math.isfinite(kl.data[0]) and math.isinf(kl.data[1])
    # inf entries give 0 gradients, not NaN, and the finite ones the true ones
    low, high = _leaf([-0.5, 0.2]), _leaf([0.5, 0.9])
    kl = D.kl_divergence(D.Uniform(low, high), D.Gamma(2.0, 1.0))
    assert math.isinf(kl.data[0]) and math.isfinite(kl.data[1])
    kl[1].backward()
    assert low.grad.data[0] == 0 and high.grad.data[0] == 0 and np.all(
        np.isfinite(low.grad.data)) and low.grad.data[1] != 0


def test_digits_are_kept_near_zero_and_for_a_narrow_uniform():
    # Cauchy: log1p(d^2 / 4) for loc d apart, which log(...) - log(...) rounds to 0
    d = 1e-9
    kl = D.kl_divergence(D.Cauchy(0.0, 1.0), D.Cauchy(d, 1.0))
    np.testing.assert_allclose(kl.item(), math.log1p(d * d / 4), rtol=1e-12)
    # a Uniform of width w against a Gumbel: -log w - log q(midpoint) + O(w^2)
    high, q = 1.2 + 1e-7, D.Gumbel(0.3, 0.7)
    w = high - 1.2  # (the width as stored)
    kl = D.kl_divergence(D.Uniform(1.2, high), q)
    expected = -math.log(w) - q.log_prob(1.2 + w / 2).item()
    np.testing.assert_allclose(kl.item(), expected, rtol=1e-12)
    # exp(loc / scale) times rate s / (rate s + 1), summed in log space: finite where the
    # divergence is (exp(710) alone overflows)
    kl = D.kl_divergence(D.Exponential(1.0), D.Gumbel(710.0, 1.0))
    assert math.isfinite(kl.item()) and kl.item() > 1e307


def test_lognormal_and_a_transformed_distribution_are_torchs_rule():
    torch = pytest.importorskip("torch")
    base_p, base_q = D.Normal(C, A), D.Normal(-C, B)
    expected = D.kl_divergence(base_p, base_q).data
    td = D.TransformedDistribution(base_q, [D.ExpTransform()])
    np.testing.assert_allclose(D.kl_divergence(D.LogNormal(C, A), td).data, expected)
    np.testing.assert_allclose(D.kl_divergence(D.TransformedDistribution(
        base_p, [D.ExpTransform()]), D.LogNormal(-C, B)).data, expected)
    theirs = torch.distributions.kl_divergence(
        torch.distributions.LogNormal(torch.tensor(C), torch.tensor(A)),
        torch.distributions.LogNormal(torch.tensor(-C), torch.tensor(B)))
    np.testing.assert_allclose(D.kl_divergence(D.LogNormal(C, A), D.LogNormal(-C, B)).data,
                               theirs.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="LogNormal and TransformedDistribution"):
        D.kl_divergence(D.LogNormal(C, A),
                        D.TransformedDistribution(base_q, [D.SigmoidTransform()]))


@pytest.mark.parametrize("p,q", [
    (D.Cauchy(np.zeros(2), 1.0), D.Cauchy(np.zeros(3), 1.0)),
    (D.Uniform(np.zeros(2), 1.0), D.Gamma(np.ones(3), 1.0)),
    (D.Normal(np.zeros(2), 1.0), D.Exponential(np.ones(3))),
], ids=["Cauchy-Cauchy", "Uniform-Gamma", "Normal-Exponential"])
def test_batch_shapes_that_do_not_broadcast_are_one_line(p, q):
    with pytest.raises(ValueError) as info:
        D.kl_divergence(p, q)
    message = str(info.value)
    assert "\n" not in message and message.startswith("kl_divergence:")
    assert "(2,)" in message and "(3,)" in message and type(q).__name__ in message
