"""`tg.distributions`, second part: Poisson, Binomial, NegativeBinomial, Gamma, Chi2, Beta,
Dirichlet, StudentT, the transforms and TransformedDistribution, their kl pairs.

log_prob, cdf, entropy, the moments and kl_divergence against torch's on the same
parameters and values, with the gradients with respect to the parameters; tg.gradcheck in
float64 (without torch); sample moments from seeded draws (tolerances from the standard
error); Gamma's implicit rsample gradient against finite differences of the cdf and
against torch's; validation's one-line errors; float32 kept, empty batches, edges.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd.distributions import transforms as T
from tinygrad_gd.distributions.gamma_ops import standard_gamma_slope
from tinygrad_gd.ops.incomplete_gamma import incomplete_gamma

RNG = np.random.default_rng(11)
POSITIVE = np.array([0.5, 1.0, 3.5])
RATE = np.array([2.0, 1.0, 0.25])
VALUES = np.array([[0.3, 1.0, 4.0], [2.5, 0.05, 9.0]])  # (2, 3): broadcast over the batch
UNIT = np.array([[0.3, 0.5, 0.9], [0.01, 0.7, 0.2]])
COUNTS = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 7.0]])
TOTAL = np.array([3.0, 5.0, 10.0])
PROBS = np.array([0.1, 0.5, 0.8])
LOGITS = np.array([-3.0, 0.0, 2.5])

# name, parameters by keyword, values in the support, the methods torch has
CASES = [
    ("Gamma", dict(concentration=POSITIVE, rate=RATE), VALUES, ("log_prob", "cdf", "entropy")),
    ("Chi2", dict(df=POSITIVE * 2), VALUES, ("log_prob", "cdf", "entropy")),
    ("Beta", dict(concentration1=POSITIVE, concentration0=RATE), UNIT, ("log_prob", "entropy")),
    ("StudentT", dict(df=np.array([0.8, 2.5, 6.0]), loc=np.array([-1.0, 0.0, 2.0]),
                      scale=RATE), VALUES - 2, ("log_prob", "entropy")),
    ("Dirichlet", dict(concentration=np.array([[0.5, 0.6, 0.9], [2.0, 3.0, 4.0]])),
     np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]), ("log_prob", "entropy")),  # (mode: corner)
    ("Poisson", dict(rate=POSITIVE), COUNTS, ("log_prob",)),
    ("Binomial", dict(total_count=10.0, probs=PROBS), COUNTS, ("log_prob", "entropy")),
    ("Binomial", dict(total_count=TOTAL, logits=LOGITS), COUNTS, ("log_prob",)),
    ("NegativeBinomial", dict(total_count=TOTAL / 2, probs=PROBS), COUNTS, ("log_prob",)),
    ("NegativeBinomial", dict(total_count=TOTAL, logits=LOGITS), COUNTS, ("log_prob",)),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
LEAVES = ("concentration", "rate", "df", "concentration1", "concentration0", "loc", "scale",
          "probs", "logits")  # (total_count: a count, no gradient)


def _pair(name, params, frozen=()):
    """The same distribution in tg and in torch, and their parameter leaves (those not
    `frozen`)."""
    torch = pytest.importorskip("torch")
    ours, theirs, leaves = {}, {}, []
    for key, value in params.items():
        grad = key in LEAVES and key not in frozen
        ours[key] = tg.Tensor(np.asarray(value, dtype=np.float64), requires_grad=grad)
        theirs[key] = torch.tensor(np.asarray(value, dtype=np.float64), requires_grad=grad)
        if grad:
            leaves.append((ours[key], theirs[key]))
    return getattr(D, name)(**ours), getattr(torch.distributions, name)(**theirs), leaves


def _agree(ours, theirs, leaves, rtol=1e-10, atol=1e-12):
    """Values equal (inf and NaN where torch's are), and the gradients of a weighted sum
    (of the finite entries) with respect to the leaves."""
    torch = pytest.importorskip("torch")
    expected = theirs.detach().numpy()
    np.testing.assert_allclose(ours.data, expected, rtol=rtol, atol=atol)
    if not (ours.requires_grad and theirs.requires_grad):
        return
    weights = RNG.normal(size=ours.shape) * np.isfinite(expected)
    (ours * tg.Tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for a, b in leaves:
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.data)
        else:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name,params,values,methods", CASES, ids=IDS)
def test_values_and_gradients_are_pytorchs(name, params, values, methods):
    torch = pytest.importorskip("torch")
    for method in methods:
        ours, theirs, leaves = _pair(name, params)
        if method == "entropy":
            a, b = ours.entropy(), theirs.entropy()
        else:
            if method == "cdf":  # (gammainc: no gradient to the concentration, as torch's)
                ours, theirs, leaves = _pair(name, params, frozen=("concentration", "df"))
            a = getattr(ours, method)(tg.Tensor(values))
            b = getattr(theirs, method)(torch.tensor(values))
        _agree(a, b, leaves, rtol=1e-9)


@pytest.mark.parametrize("name,params,values,methods", CASES, ids=IDS)
def test_moments_are_pytorchs(name, params, values, methods):
    for moment in ("mean", "mode", "variance", "stddev"):
        ours, theirs, leaves = _pair(name, params)
        a, b = getattr(ours, moment), getattr(theirs, moment)
        _agree(a, b, leaves, rtol=1e-9)


def test_beta_mode_and_edges_are_pytorchs():
    torch = pytest.importorskip("torch")
    c1, c0 = np.array([0.5, 1.0, 3.0, 0.5]), np.array([0.5, 1.0, 1.0, 2.0])
    ours, theirs = D.Beta(c1, c0), torch.distributions.Beta(torch.tensor(c1), torch.tensor(c0))
    np.testing.assert_array_equal(ours.mode.data, theirs.mode.numpy())
    edge = np.array([0.0, 1.0, 1.0, 0.0])  # xlogy(c - 1, 0): 0 where c = 1, else +-inf
    np.testing.assert_allclose(ours.log_prob(edge).data, theirs.log_prob(
        torch.tensor(edge)).numpy(), rtol=1e-12)


KL_CASES = [
    ("Poisson", dict(rate=POSITIVE), "Poisson", dict(rate=RATE)),
    ("Gamma", dict(concentration=POSITIVE, rate=RATE), "Gamma",
     dict(concentration=RATE, rate=POSITIVE)),
    ("Beta", dict(concentration1=POSITIVE, concentration0=RATE), "Beta",
     dict(concentration1=RATE + 1, concentration0=POSITIVE)),
    ("Binomial", dict(total_count=TOTAL, probs=PROBS), "Binomial",
     dict(total_count=TOTAL, logits=LOGITS)),
    ("Binomial", dict(total_count=TOTAL + 1, logits=LOGITS), "Binomial",
     dict(total_count=TOTAL, probs=PROBS)),
    ("Exponential", dict(rate=RATE), "Gamma", dict(concentration=POSITIVE, rate=RATE)),
    ("Gamma", dict(concentration=POSITIVE, rate=RATE), "Exponential", dict(rate=POSITIVE)),
    ("Normal", dict(loc=LOGITS, scale=POSITIVE), "Laplace", dict(loc=PROBS, scale=RATE)),
    ("Bernoulli", dict(probs=PROBS), "Poisson", dict(rate=RATE)),
    ("Poisson", dict(rate=RATE), "Binomial", dict(total_count=TOTAL, probs=PROBS)),
]


@pytest.mark.parametrize("p_name,p_params,q_name,q_params", KL_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in KL_CASES])
def test_kl_divergence_is_pytorchs(p_name, p_params, q_name, q_params):
    torch = pytest.importorskip("torch")
    ours_p, theirs_p, leaves_p = _pair(p_name, p_params)
    ours_q, theirs_q, leaves_q = _pair(q_name, q_params)
    _agree(D.kl_divergence(ours_p, ours_q),
           torch.distributions.kl_divergence(theirs_p, theirs_q), leaves_p + leaves_q,
           rtol=1e-9)


def test_kl_dirichlet_transformed_and_binomial_counts():
    torch = pytest.importorskip("torch")
    a, b = np.array([[0.5, 2.0, 1.5], [3.0, 1.0, 0.7]]), np.array([1.2, 0.4, 2.2])
    leaves = [(tg.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)),
              (tg.Tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True))]
    ours = D.kl_divergence(D.Dirichlet(leaves[0][0]), D.Dirichlet(leaves[1][0]))
    theirs = torch.distributions.kl_divergence(torch.distributions.Dirichlet(leaves[0][1]),
                                               torch.distributions.Dirichlet(leaves[1][1]))
    _agree(ours, theirs, leaves)
    p = D.TransformedDistribution(D.Normal(tg.Tensor(b), 1.0), [T.ExpTransform()])
    q = D.TransformedDistribution(D.Normal(0.0, tg.Tensor(b)), [T.ExpTransform()])
    np.testing.assert_allclose(D.kl_divergence(p, q).data, D.kl_divergence(
        p.base_dist, q.base_dist).data)
    other = D.TransformedDistribution(D.Normal(0.0, tg.Tensor(b)), [T.SigmoidTransform()])
    with pytest.raises(NotImplementedError, match="different transforms"):
        D.kl_divergence(p, other)
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(3, probs=0.5), D.Binomial(4, probs=0.5))
    kl = D.kl_divergence(D.Binomial(5, probs=0.5), D.Binomial(4, probs=0.5))
    assert math.isinf(float(kl.data))


# -- gradients by finite differences (no torch) ---------------------------------------------
def test_log_prob_entropy_kl_gradcheck():
    c = tg.Tensor(POSITIVE + 0.3, requires_grad=True)
    r = tg.Tensor(RATE, requires_grad=True)
    x = tg.Tensor(VALUES, requires_grad=True)
    u = tg.Tensor(UNIT, requires_grad=True)
    assert tg.gradcheck(lambda v, a, b: D.Gamma(a, b).log_prob(v), [x, c, r])
    assert tg.gradcheck(lambda a, b: D.Gamma(a, b).entropy(), [c, r])
    assert tg.gradcheck(lambda v, a, b: D.Beta(a, b).log_prob(v), [u, c, r])
    assert tg.gradcheck(lambda a, b: D.Beta(a, b).entropy(), [c, r])
    assert tg.gradcheck(lambda v, a, b: D.StudentT(a, 0.5, b).log_prob(v), [x, c, r])
    assert tg.gradcheck(lambda a, b: D.StudentT(a, 0.5, b).entropy(), [c, r])
    counts = tg.Tensor(COUNTS)
    logits = tg.Tensor(LOGITS, requires_grad=True)
    assert tg.gradcheck(lambda a, l_: D.Poisson(a).log_prob(counts) + D.Binomial(
        10, logits=l_).log_prob(counts), [c, logits])
    assert tg.gradcheck(lambda a, l_: D.NegativeBinomial(a, logits=l_).log_prob(counts),
                        [c, logits])
    conc = tg.Tensor([[0.5, 2.0, 1.5], [3.0, 1.0, 0.7]], requires_grad=True)
    simplex = tg.Tensor([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    assert tg.gradcheck(lambda a: D.Dirichlet(a).log_prob(simplex) + D.Dirichlet(
        a).entropy(), [conc])
    assert tg.gradcheck(lambda a, b, a2, b2: D.kl_divergence(D.Gamma(a, b), D.Gamma(a2, b2))
                        + D.kl_divergence(D.Beta(a, b), D.Beta(b2, a2)),
                        [c, r, tg.Tensor(RATE + 1, requires_grad=True),
                         tg.Tensor(POSITIVE, requires_grad=True)])
    # the cdf: the value's and the rate's gradient (the concentration's is not defined)
    assert tg.gradcheck(lambda v, b: D.Gamma(POSITIVE + 0.3, b).cdf(v), [x, r])


def test_gamma_cdf_refuses_the_concentration_gradient_in_one_line():
    c = tg.Tensor(POSITIVE, requires_grad=True)
    out = D.Gamma(c, 1.0).cdf(VALUES).sum()
    with pytest.raises(NotImplementedError, match="derivative with respect to a .* is not "
                                                  "implemented") as err:
        out.backward()
    assert "\n" not in str(err.value)


def gammainc(a, x):
    """P(a, x), the op igamma's values (tests/test_special_polynomials.py checks them)."""
    return incomplete_gamma(np.asarray(a, dtype=float), np.asarray(x, dtype=float), False)


@pytest.mark.parametrize("alpha", [0.05, 0.7, 1.0, 4.0, 60.0, 2000.0])
def test_gamma_implicit_slope_by_finite_differences_of_the_cdf(alpha):
    # x held at its quantile u = P(alpha, x): dx/dalpha = -(dP/dalpha) / density
    x = np.random.default_rng(3).standard_gamma(alpha, size=50)
    x = np.maximum(x, 1e-300)
    h = 1e-5 * alpha
    d_alpha = (gammainc(alpha + h, x) - gammainc(alpha - h, x)) / (2 * h)
    d_x = (gammainc(alpha, x * (1 + 1e-6)) - gammainc(alpha, x * (1 - 1e-6))) / (2e-6 * x)
    np.testing.assert_allclose(standard_gamma_slope(np.full_like(x, alpha), x),
                               -d_alpha / d_x, rtol=1e-4, atol=1e-12)


def test_gamma_implicit_slope_is_near_pytorchs():
    torch = pytest.importorskip("torch")
    alpha = np.repeat([0.3, 1.0, 5.0, 50.0], 40)
    x = np.random.default_rng(4).standard_gamma(alpha)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    # (torch's is a fitted approximation, good to about 1e-3 relative)
    np.testing.assert_allclose(standard_gamma_slope(alpha, x), theirs, rtol=5e-3)


def test_rsample_gradients_reach_every_parameter_unbiased():
    n = 40000
    c = tg.Tensor([0.6, 2.0, 7.0], requires_grad=True)
    r = tg.Tensor([1.5, 1.0, 0.5], requires_grad=True)
    draws = D.Gamma(c, r).rsample((n,), seed=0)
    draws.mean(axis=0).sum().backward()
    # d E[x]/dc = 1/r and d E[x]/dr = -c/r**2; the sample's spread sets the tolerance
    standard = draws.data * r.data  # (the Gamma(c, 1) draws)
    slopes = standard_gamma_slope(np.broadcast_to(c.data, standard.shape), standard) / r.data
    se = slopes.std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(c.grad.data - 1 / r.data) < 5 * se)
    se_r = (draws.data / r.data).std(axis=0) / math.sqrt(n)
    assert np.all(np.abs(r.grad.data + c.data / r.data ** 2) < 5 * se_r)
    a, b = tg.Tensor([0.8, 3.0], requires_grad=True), tg.Tensor([2.0, 1.5], requires_grad=True)
    D.Beta(a, b).rsample((n,), seed=1).mean(axis=0).sum().backward()
    total = (a.data + b.data) ** 2  # mean a / (a + b): d/da b / total, d/db -a / total
    assert np.allclose(a.grad.data, b.data / total, rtol=0.05)
    assert np.allclose(b.grad.data, -a.data / total, rtol=0.05)


def test_student_and_dirichlet_rsample_carry_gradients():
    df = tg.Tensor([5.0, 9.0], requires_grad=True)
    scale = tg.Tensor([1.0, 2.0], requires_grad=True)
    draws = D.StudentT(df, 1.0, scale).rsample((3,), seed=0)
    draws.square().sum().backward()
    assert np.all(np.isfinite(df.grad.data)) and np.any(df.grad.data)
    conc = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = D.Dirichlet(conc).rsample((5,), seed=0)
    np.testing.assert_allclose(x.data.sum(-1), 1.0)
    x[..., 0].sum().backward()
    assert np.all(np.isfinite(conc.grad.data)) and np.any(conc.grad.data)


# -- draws -------------------------------------------------------------------------------------
DRAW_CASES = [
    ("Poisson", dict(rate=np.array([0.0, 0.7, 12.0]))),
    ("Binomial", dict(total_count=np.array([0.0, 5.0, 40.0]), probs=PROBS)),
    ("NegativeBinomial", dict(total_count=np.array([1.0, 2.5, 6.0]), logits=LOGITS / 2)),
    ("Gamma", dict(concentration=POSITIVE, rate=RATE)),
    ("Chi2", dict(df=np.array([1.0, 3.0, 10.0]))),
    ("Beta", dict(concentration1=POSITIVE, concentration0=RATE + 0.5)),
    ("StudentT", dict(df=np.array([5.0, 8.0, 30.0]), loc=LOGITS, scale=RATE)),
]


@pytest.mark.parametrize("name,params", DRAW_CASES, ids=[c[0] for c in DRAW_CASES])
def test_sample_moments(name, params):
    n = 20000
    dist = getattr(D, name)(**params)
    draws = dist.sample((n,), seed=5).data
    assert draws.shape == (n, 3) and draws.dtype == np.float64
    mean, var = dist.mean.data, dist.variance.data
    assert np.all(np.abs(draws.mean(0) - mean) <= 5 * np.sqrt(var / n) + 1e-12)
    if dist.support.is_discrete:
        assert np.all(draws % 1 == 0) and np.all(draws >= 0)
    # the variance's standard error from the fourth moment
    fourth = ((draws - mean) ** 4).mean(0)
    assert np.all(np.abs(draws.var(0) - var) <= 6 * np.sqrt((fourth - var ** 2) / n) + 1e-12)


def test_dirichlet_sample_moments_and_seeds():
    conc = np.array([0.5, 2.0, 4.0])
    dist = D.Dirichlet(conc)
    draws = dist.sample((20000,), seed=2).data
    assert np.all(np.abs(draws.mean(0) - dist.mean.data) <= 5 * np.sqrt(
        dist.variance.data / 20000))
    np.testing.assert_array_equal(dist.sample((4,), seed=9).data, dist.sample((4,),
                                                                               seed=9).data)
    assert not dist.sample((4,), seed=9).requires_grad


# -- transforms ------------------------------------------------------------------------------
def _transform_pairs(torch):
    TT = torch.distributions.transforms
    scale = np.array([0.5, -2.0, 3.0])
    return [
        (T.ExpTransform(), TT.ExpTransform()),
        (T.SigmoidTransform(), TT.SigmoidTransform()),
        (T.TanhTransform(), TT.TanhTransform()),
        (T.AffineTransform(1.0, -2.0), TT.AffineTransform(1.0, -2.0)),
        (T.AffineTransform(tg.Tensor(LOGITS), tg.Tensor(scale), event_dim=1),
         TT.AffineTransform(torch.tensor(LOGITS), torch.tensor(scale), event_dim=1)),
        (T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.ExpTransform(),
                             T.PowerTransform(tg.Tensor(0.5))]),
         TT.ComposeTransform([TT.AffineTransform(0.5, 2.0), TT.ExpTransform(),
                              TT.PowerTransform(torch.tensor(0.5, dtype=torch.float64))])),
        (T.identity_transform, TT.identity_transform),
    ]


def test_transforms_are_pytorchs():
    torch = pytest.importorskip("torch")
    x = np.array([[-1.2, 0.3, 2.0], [0.5, -0.1, 0.7]])
    for ours, theirs in _transform_pairs(torch):
        xt = tg.Tensor(x, requires_grad=True)
        y, y_theirs = ours(xt), theirs(torch.tensor(x))
        np.testing.assert_allclose(y.data, y_theirs.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.inv(y).data, x, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.log_abs_det_jacobian(xt, y).data,
                                   theirs.log_abs_det_jacobian(torch.tensor(x),
                                                               y_theirs).numpy(), rtol=1e-12)
        assert (ours.bijective, ours.domain.event_dim, ours.codomain.event_dim) == (
            theirs.bijective, theirs.domain.event_dim, theirs.codomain.event_dim)
        assert ours.inv.inv is ours or ours.inv.inv == ours
    positive = np.abs(x)
    assert np.allclose(T.AbsTransform()(x).data, positive)
    assert np.allclose(T.SoftmaxTransform()(x).data, torch.softmax(torch.tensor(x), -1).numpy())
    ldj = T.PowerTransform(2.5).log_abs_det_jacobian(positive, positive ** 2.5).data
    theirs = torch.distributions.transforms.PowerTransform(torch.tensor(2.5))
    np.testing.assert_allclose(ldj, theirs.log_abs_det_jacobian(
        torch.tensor(positive), torch.tensor(positive ** 2.5)).numpy(), rtol=1e-12)


def test_transform_jacobians_by_finite_differences():
    x = tg.Tensor(np.array([-1.5, -0.2, 0.4, 2.0]), requires_grad=True)
    for transform in (T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform(),
                      T.AffineTransform(0.3, -1.7)):
        assert tg.gradcheck(transform, [x])
        if not isinstance(transform, T.AffineTransform):  # (its is a constant)
            assert tg.gradcheck(lambda v, t=transform: t.log_abs_det_jacobian(v, t(v)), [x])
        # ln|dy/dx| is the log of the numerical derivative
        h = 1e-6
        slope = (transform(x.data + h).data - transform(x.data - h).data) / (2 * h)
        np.testing.assert_allclose(transform.log_abs_det_jacobian(x, transform(x)).data,
                                   np.log(np.abs(slope)), rtol=1e-6, atol=1e-8)
    assert T.TanhTransform().log_abs_det_jacobian(40.0, 1.0).data == pytest.approx(
        2 * (math.log(2) - 40))  # (exact far out, where 1 - tanh(x)**2 rounds to 0)


def test_transformed_distribution_is_pytorchs():
    torch = pytest.importorskip("torch")
    TT = torch.distributions.transforms
    loc, scale = np.array([0.0, 1.0, -0.5]), np.array([1.0, 0.5, 2.0])
    leaves = [(tg.Tensor(loc, requires_grad=True), torch.tensor(loc, requires_grad=True)),
              (tg.Tensor(scale, requires_grad=True), torch.tensor(scale, requires_grad=True))]
    values = np.array([[0.3, 1.0, 4.0], [2.0, 0.5, 0.1]])
    probabilities = np.array([0.1, 0.5, 0.9])
    for method in ("log_prob", "cdf", "icdf"):
        ours = D.TransformedDistribution(D.Normal(leaves[0][0], leaves[1][0]),
                                         [T.AffineTransform(1.0, -2.0), T.ExpTransform()])
        theirs = torch.distributions.TransformedDistribution(
            torch.distributions.Normal(leaves[0][1], leaves[1][1]),
            [TT.AffineTransform(1.0, -2.0), TT.ExpTransform()])
        arg = probabilities if method == "icdf" else values
        _agree(getattr(ours, method)(arg), getattr(theirs, method)(torch.tensor(arg)),
               leaves, rtol=1e-9)
        for a, b in leaves:
            a.grad, b.grad = None, None
    assert ours.batch_shape == (3,) and ours.event_shape == ()
    assert repr(ours.support) == repr(theirs.support)
    # a transform of vectors makes the base's last batch axis an event axis
    vectors = D.TransformedDistribution(D.Normal(tg.zeros(2, 3), 1.0),
                                        T.AffineTransform(0.0, tg.Tensor(scale), event_dim=1))
    assert vectors.batch_shape == (2,) and vectors.event_shape == (3,)
    x = np.array([[0.2, -0.3, 1.0], [1.0, 2.0, -1.0]])
    expected = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.zeros(2, 3, dtype=torch.float64), 1.0),
        TT.AffineTransform(0.0, torch.tensor(scale), event_dim=1)).log_prob(torch.tensor(x))
    np.testing.assert_allclose(vectors.log_prob(x).data, expected.numpy(), rtol=1e-12)
    simplex = D.TransformedDistribution(D.Normal(tg.zeros(2, 3), 1.0), T.SoftmaxTransform())
    assert simplex.event_shape == (3,) and repr(simplex.support) == "Simplex()"


def test_transformed_distribution_samples_and_gradcheck():
    loc = tg.Tensor([0.1, -0.4], requires_grad=True)
    scale = tg.Tensor([0.6, 1.3], requires_grad=True)

    def log_prob(value, m, s):
        return D.TransformedDistribution(D.Normal(m, s), [T.TanhTransform(),
                                                          T.AffineTransform(2.0, 3.0)]
                                         ).log_prob(value)
    value = tg.Tensor([[1.5, 2.4], [0.2, 4.1]], requires_grad=True)
    assert tg.gradcheck(log_prob, [value, loc, scale])
    d = D.TransformedDistribution(D.Normal(loc, scale), [T.ExpTransform()])
    draws = d.rsample((20000,), seed=3)
    lognormal = D.LogNormal(loc, scale)  # (the same distribution, written out)
    assert np.all(np.abs(draws.data.mean(0) - lognormal.mean.data)
                  <= 5 * lognormal.stddev.data / math.sqrt(20000))
    draws.mean().backward()
    assert loc.grad is not None and np.all(np.isfinite(loc.grad.data))
    np.testing.assert_allclose(d.log_prob(draws.data[:5]).data,
                               lognormal.log_prob(draws.data[:5]).data, rtol=1e-12)
    assert d.expand((4, 2)).batch_shape == (4, 2)


# -- errors, dtypes, shapes --------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: D.Poisson(-1.0), "Poisson: parameter rate .* GreaterThanEq"),
    (lambda: D.Binomial(2.5, probs=0.3), "Binomial: parameter total_count .* got 2.5"),
    (lambda: D.Binomial(-1, probs=0.3), "Binomial: parameter total_count"),
    (lambda: D.Binomial(3, probs=1.5), "Binomial: parameter probs"),
    (lambda: D.Binomial(3), "Binomial: give probs= or logits="),
    (lambda: D.NegativeBinomial(2.0, probs=1.0), "NegativeBinomial: parameter probs .* "
                                                 "HalfOpenInterval"),
    (lambda: D.Gamma(0.0, 1.0), "Gamma: parameter concentration"),
    (lambda: D.Gamma(1.0, -2.0), "Gamma: parameter rate"),
    (lambda: D.Chi2(-1.0), "Chi2: parameter df"),
    (lambda: D.Beta(1.0, 0.0), "Beta: parameter concentration0"),
    (lambda: D.Dirichlet([1.0, -1.0]), "Dirichlet: parameter concentration"),
    (lambda: D.Dirichlet(2.0), "Dirichlet: concentration must have at least one axis"),
    (lambda: D.StudentT(0.0), "StudentT: parameter df"),
    (lambda: D.Gamma(tg.ones(2), tg.ones(3)), "Gamma: the parameters' shapes"),
    (lambda: D.Binomial(3, probs=0.5).log_prob(4.0), "Binomial.log_prob: value 4.0 is outside"),
    (lambda: D.Poisson(2.0).log_prob(1.5), "Poisson.log_prob: value 1.5 is outside"),
    (lambda: D.Gamma(1.0, 1.0).log_prob(-1.0), "Gamma.log_prob: value -1.0 is outside"),
    (lambda: D.Beta(1.0, 1.0).log_prob(1.5), "Beta.log_prob: value 1.5 is outside"),
    (lambda: D.Dirichlet([1.0, 1.0]).log_prob([0.5, 0.6]), "Dirichlet.log_prob: value"),
    (lambda: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
     "TransformedDistribution: transforms must be a Transform"),
    (lambda: T.ExpTransform(cache_size=2), "ExpTransform: cache_size must be 0 or 1"),
])
def test_bad_input_is_one_line(make, match):
    with pytest.raises(ValueError, match=match) as err:
        make()
    assert "\n" not in str(err.value)


def test_not_defined_is_refused_as_pytorch_does():
    with pytest.raises(NotImplementedError, match="total_count differs"):
        D.Binomial(tg.Tensor([3.0, 4.0]), probs=0.5).entropy()
    with pytest.raises(NotImplementedError):
        D.Poisson(1.0).entropy()  # (PyTorch's has none either)
    with pytest.raises(NotImplementedError, match="no rsample"):
        D.Poisson(1.0).rsample()
    with pytest.raises(NotImplementedError, match="not bijective"):
        T.AbsTransform().log_abs_det_jacobian(1.0, 1.0)
    assert D.Gamma(1.0, 1.0).has_rsample and not D.Binomial(3, probs=0.5).has_rsample
    assert np.isfinite(D.Poisson(2.0, validate_args=False).log_prob(1.5).data)


def test_float32_is_kept_and_empty_batches_work():
    c32 = tg.Tensor(np.float32([0.5, 2.0]))
    for dist in (D.Gamma(c32, 1.0), D.Beta(c32, c32), D.StudentT(c32 + 2),
                 D.Poisson(c32), D.Binomial(5, probs=c32 / 3), D.Dirichlet(c32),
                 D.NegativeBinomial(c32, logits=c32), D.Chi2(c32)):
        value = dist.sample((2,), seed=0)
        assert value.dtype == np.float32, type(dist).__name__
        assert dist.log_prob(value).dtype == np.float32, type(dist).__name__
    assert D.Gamma(c32, 1.0).rsample((3,), seed=0).dtype == np.float32
    empty = D.Gamma(tg.zeros(0) + 1.0, 1.0)
    assert empty.sample((2,), seed=0).shape == (2, 0)
    assert empty.log_prob(tg.zeros(0) + 1.0).shape == (0,)
    assert D.Poisson(tg.zeros(0)).sample((3,), seed=0).shape == (3, 0)
    assert D.Binomial(tg.zeros(0), probs=tg.zeros(0)).log_prob(tg.zeros(0)).shape == (0,)


def test_zero_rates_counts_and_confident_logits():
    torch = pytest.importorskip("torch")
    assert float(D.Poisson(0.0).log_prob(0.0).data) == 0.0
    assert D.Poisson(0.0).sample((5,), seed=0).data.tolist() == [0.0] * 5
    assert float(D.NegativeBinomial(0.0, probs=0.5).log_prob(0.0).data) == 0.0
    logits, counts = np.array([-60.0, 45.0]), np.array([0.0, 20.0])
    np.testing.assert_allclose(
        D.Binomial(20, logits=logits).log_prob(counts).data,
        torch.distributions.Binomial(20, logits=torch.tensor(logits)).log_prob(
            torch.tensor(counts)).numpy(), rtol=1e-12, atol=1e-20)
    assert D.Binomial(4, probs=0.5).enumerate_support().data.tolist() == [0, 1, 2, 3, 4]


def test_expand_and_repr():
    assert D.Gamma(tg.Tensor([1.0, 2.0]), 1.0).expand((3, 2)).sample(seed=0).shape == (3, 2)
    assert D.Chi2(tg.Tensor([1.0, 2.0])).expand((4, 2)).df.shape == (4, 2)
    assert D.Dirichlet(tg.Tensor([1.0, 2.0, 3.0])).expand((5,)).batch_shape == (5,)
    assert D.Binomial(5, logits=tg.zeros(2)).expand((3, 2)).batch_shape == (3, 2)
    assert repr(D.Poisson(2.0)) == "Poisson(rate: 2.0)"
    assert repr(T.ExpTransform().inv) == "_InverseTransform(ExpTransform())"


def test_lognormal_is_its_base_dist_under_its_transforms_as_pytorchs():
    d = D.LogNormal(tg.tensor([0.5, -1.0]), 2.0)
    t = D.TransformedDistribution(d.base_dist, d.transforms)
    x = tg.tensor([0.3, 2.0])
    np.testing.assert_allclose(t.log_prob(x).data, d.log_prob(x).data, rtol=1e-13)
    assert repr(D.constraints.half_open_interval(0.0, 1.0)) == \
        "HalfOpenInterval(lower_bound=0.0, upper_bound=1.0)"
    assert D.constraints.half_open_interval(0.0, 1.0).check(np.array([0.0, 1.0])).tolist() == \
        [True, False]
