"""`tg.distributions`: PyTorch's torch.distributions (first part).

log_prob, cdf, icdf, entropy, the moments and kl_divergence against torch's on the same
parameters and values, with the gradients of each with respect to the parameters (torch's
autograd); tg.gradcheck in float64 (without torch); sample shapes and moments from many
seeded draws (tolerances from the standard error); rsample's pathwise gradient;
validation's one-line errors; float32 kept, empty batches, confident logits.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D

RNG = np.random.default_rng(7)
LOC = np.array([-1.0, 0.3, 2.0])
SCALE = np.array([0.5, 1.0, 2.5])
REAL = np.array([[-1.2, 0.4, 3.0], [0.1, -0.7, 1.5]])  # (2, 3): broadcast over the batch
POSITIVE = np.abs(REAL) + 0.1
PROBS = np.array([0.1, 0.5, 0.8])

# name, parameters (positionally), values inside the support, whether torch has cdf/icdf
CONTINUOUS = [
    ("Normal", (LOC, SCALE), REAL),
    ("Laplace", (LOC, SCALE), REAL),
    ("Cauchy", (LOC, SCALE), REAL),
    ("Gumbel", (LOC, SCALE), REAL),
    ("LogNormal", (LOC, SCALE), POSITIVE),
    ("HalfNormal", (SCALE,), POSITIVE),
    ("Exponential", (SCALE,), POSITIVE),
    ("Uniform", (LOC, LOC + SCALE), LOC + SCALE * np.array([[0.1], [0.7]])),
]
IDS = [c[0] for c in CONTINUOUS]


def _pair(name, params, requires_grad=True):
    """The same distribution in tg and in torch, and their parameter leaves."""
    torch = pytest.importorskip("torch")
    ours = [tg.Tensor(p, requires_grad=requires_grad) for p in params]
    theirs = [torch.tensor(p, requires_grad=requires_grad) for p in params]
    return (getattr(D, name)(*ours), ours,
            getattr(torch.distributions, name)(*theirs), theirs)


def _agree(ours, theirs, ours_leaves, theirs_leaves, rtol=1e-10, atol=1e-12):
    """Values equal, and the gradients of a weighted sum with respect to the leaves."""
    torch = pytest.importorskip("torch")
    expected = theirs.detach().numpy()
    np.testing.assert_allclose(ours.data, expected, rtol=rtol, atol=atol)
    if not ours.requires_grad:  # (a constant: HalfNormal's mode, Exponential's)
        assert not theirs.requires_grad
        return
    weights = RNG.normal(size=ours.shape)
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours_leaves, theirs_leaves):
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.data)
        else:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-8, atol=1e-10)


def _results(torch, ours, theirs, method, value):
    """`method` of the same distribution in tg and in torch: log_prob at `value` (torch's
    given it as a tensor), entropy(), or a property (mean, variance, mode, ...)."""
    if method == "log_prob":
        given = value.numpy() if isinstance(value, tg.Tensor) else value
        return ours.log_prob(value), theirs.log_prob(torch.tensor(given))
    if method == "entropy":
        return ours.entropy(), theirs.entropy()
    return getattr(ours, method), getattr(theirs, method)


@pytest.mark.parametrize("method", ["log_prob", "cdf", "entropy", "icdf"])
@pytest.mark.parametrize("name,params,values", CONTINUOUS, ids=IDS)
def test_continuous_values_and_gradients_are_pytorchs(name, params, values, method):
    torch = pytest.importorskip("torch")
    ours, ours_leaves, theirs, theirs_leaves = _pair(name, params)
    if method == "entropy":
        a, b = ours.entropy(), theirs.entropy()
    elif method == "icdf":
        p = np.array([[0.05, 0.5, 0.9], [0.3, 0.999, 1e-4]])
        a, b = ours.icdf(tg.Tensor(p)), theirs.icdf(torch.tensor(p))
    else:
        a, b = getattr(ours, method)(tg.Tensor(values)), getattr(theirs, method)(
            torch.tensor(values))
    _agree(a, b, ours_leaves, theirs_leaves, rtol=1e-9 if method == "icdf" else 1e-10)


@pytest.mark.parametrize("name,params,values", CONTINUOUS, ids=IDS)
def test_continuous_moments_are_pytorchs(name, params, values):
    for moment in ("mean", "mode", "variance", "stddev"):
        ours, ours_leaves, theirs, theirs_leaves = _pair(name, params)
        a, b = getattr(ours, moment), getattr(theirs, moment)
        if not np.isfinite(b.detach().numpy()).all():  # Cauchy's mean and variance, a mode
            np.testing.assert_array_equal(a.data, b.detach().numpy())
            continue
        _agree(a, b, ours_leaves, theirs_leaves)


@pytest.mark.parametrize("name,params,values", CONTINUOUS, ids=IDS)
def test_continuous_gradients_by_finite_differences(name, params, values):
    def through(method):
        def fn(value, *leaves):
            dist = getattr(D, name)(*leaves)
            return getattr(dist, method)(value)
        return fn
    value = tg.Tensor(values, requires_grad=name not in ("Uniform",))
    leaves = [tg.Tensor(p, requires_grad=True) for p in params]
    assert tg.gradcheck(through("log_prob"), [value, *leaves])
    assert tg.gradcheck(through("cdf"), [value, *leaves])
    probability = tg.Tensor([[0.05, 0.5, 0.9], [0.3, 0.99, 0.01]], requires_grad=True)
    assert tg.gradcheck(through("icdf"), [probability, *leaves])
    assert tg.gradcheck(lambda *ps: getattr(D, name)(*ps).entropy(), leaves)


def test_parameters_broadcast_as_pytorchs():
    loc = tg.Tensor([0.0, 1.0, 2.0], requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert d.batch_shape == (3,) and d.event_shape == () and d.scale.shape == (3,)
    assert d.loc is loc  # (nothing to broadcast: the very tensor, as PyTorch's)
    d = D.Normal(tg.zeros(2, 1), tg.ones(3))
    assert d.batch_shape == (2, 3) and d.sample((4,)).shape == (4, 2, 3)
    assert D.Normal(0.0, 1.0).batch_shape == ()


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_bernoulli_and_geometric_are_pytorchs(kind):
    torch = pytest.importorskip("torch")
    param = PROBS if kind == "probs" else np.array([-3.0, 0.0, 2.5])
    value = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    counts = np.array([[0.0, 3.0, 1.0], [5.0, 0.0, 2.0]])
    for name, v in (("Bernoulli", value), ("Geometric", counts)):
        for method in ("log_prob", "entropy", "mean", "variance"):
            leaf, theirs_leaf = tg.Tensor(param, requires_grad=True), torch.tensor(
                param, requires_grad=True)
            ours = getattr(D, name)(**{kind: leaf})
            theirs = getattr(torch.distributions, name)(**{kind: theirs_leaf})
            a, b = _results(torch, ours, theirs, method, tg.Tensor(v))
            _agree(a, b, [leaf], [theirs_leaf], rtol=1e-9)
    leaf = tg.Tensor(param)
    np.testing.assert_array_equal(
        D.Bernoulli(**{kind: leaf}).mode.data,
        torch.distributions.Bernoulli(**{kind: torch.tensor(param)}).mode.numpy())


def test_bernoulli_from_confident_logits_is_exact():
    torch = pytest.importorskip("torch")
    logits = np.array([-1000.0, -40.0, 40.0, 1000.0])
    for v in (0.0, 1.0):
        value = np.full(4, v)
        ours = D.Bernoulli(logits=tg.Tensor(logits)).log_prob(value).data
        theirs = torch.distributions.Bernoulli(logits=torch.tensor(logits)).log_prob(
            torch.tensor(value)).numpy()
        exact = -np.logaddexp(0.0, -logits) if v else -np.logaddexp(0.0, logits)
        np.testing.assert_allclose(ours, exact, rtol=1e-15)  # (-4.2e-18 at -40, not 0)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_categorical_and_one_hot_are_pytorchs(kind):
    torch = pytest.importorskip("torch")
    param = RNG.uniform(0.1, 2.0, (2, 4)) if kind == "probs" else RNG.normal(size=(2, 4))
    index = np.array([[0, 3], [2, 1], [3, 3]])  # (3, 2): broadcast over the batch
    for method in ("log_prob", "entropy", "one_hot_log_prob", "one_hot_entropy", "probs",
                   "logits"):
        leaf = tg.Tensor(param, requires_grad=True)
        theirs_leaf = torch.tensor(param, requires_grad=True)
        one_hot = method.startswith("one_hot")
        ours = (D.OneHotCategorical if one_hot else D.Categorical)(**{kind: leaf})
        theirs = (torch.distributions.OneHotCategorical if one_hot else
                  torch.distributions.Categorical)(**{kind: theirs_leaf})
        if method.endswith("log_prob"):
            value = np.eye(4)[index] if one_hot else index
            a, b = ours.log_prob(value), theirs.log_prob(torch.tensor(value))
        elif method.endswith("entropy"):
            a, b = ours.entropy(), theirs.entropy()
        else:
            a, b = getattr(ours, method), getattr(theirs, method)
        _agree(a, b, [leaf], [theirs_leaf])
    ours = D.OneHotCategorical(**{kind: tg.Tensor(param)})
    theirs = torch.distributions.OneHotCategorical(**{kind: torch.tensor(param)})
    for moment in ("mean", "mode", "variance"):
        np.testing.assert_allclose(getattr(ours, moment).data, getattr(theirs, moment).numpy(),
                                   rtol=1e-12)
    np.testing.assert_array_equal(D.Categorical(**{kind: tg.Tensor(param)}).mode.data,
                                  torch.distributions.Categorical(
                                      **{kind: torch.tensor(param)}).mode.numpy())


def test_categorical_with_a_zero_probability_has_a_finite_entropy():
    torch = pytest.importorskip("torch")
    probs = np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])
    ours = D.Categorical(probs=tg.Tensor(probs)).entropy()
    assert np.isfinite(ours.data).all()
    np.testing.assert_allclose(
        ours.data, torch.distributions.Categorical(probs=torch.tensor(probs)).entropy().numpy())
    logits = np.array([-math.inf, 0.0, 1.0])
    ours = D.Categorical(logits=tg.Tensor(logits)).entropy()
    np.testing.assert_allclose(
        ours.data, torch.distributions.Categorical(logits=torch.tensor(logits)).entropy())


def test_discrete_gradients_by_finite_differences():
    logits = tg.Tensor([[0.3, -1.0, 2.0], [1.0, 0.0, -0.5]], requires_grad=True)
    probs = tg.Tensor([0.2, 0.6, 0.9], requires_grad=True)
    index = tg.as_tensor([[0, 2], [1, 1]])
    assert tg.gradcheck(lambda x: D.Categorical(logits=x).log_prob(index), [logits])
    assert tg.gradcheck(lambda x: D.Categorical(logits=x).entropy(), [logits])
    assert tg.gradcheck(lambda x: D.Categorical(probs=x.exp()).entropy(), [logits])
    assert tg.gradcheck(lambda p: D.Bernoulli(probs=p).log_prob([1.0, 0.0, 1.0]), [probs])
    assert tg.gradcheck(lambda p: D.Bernoulli(probs=p).entropy(), [probs])
    assert tg.gradcheck(lambda p: D.Geometric(probs=p).log_prob([0.0, 2.0, 5.0]), [probs])
    assert tg.gradcheck(lambda p: D.Geometric(probs=p).entropy(), [probs])


def _spd(batch=(), n=3):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("given", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal_is_pytorchs(given):
    torch = pytest.importorskip("torch")
    cov = _spd((2,))
    matrix = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
              "scale_tril": np.linalg.cholesky(cov)}[given]
    loc, value = RNG.normal(size=3), RNG.normal(size=(4, 1, 3))
    for method in ("log_prob", "entropy", "variance", "covariance_matrix", "precision_matrix",
                   "scale_tril", "mean"):
        ours_leaves = [tg.Tensor(loc, requires_grad=True), tg.Tensor(matrix, requires_grad=True)]
        theirs_leaves = [torch.tensor(loc, requires_grad=True),
                         torch.tensor(matrix, requires_grad=True)]
        ours = D.MultivariateNormal(ours_leaves[0], **{given: ours_leaves[1]})
        theirs = torch.distributions.MultivariateNormal(theirs_leaves[0],
                                                        **{given: theirs_leaves[1]})
        a, b = _results(torch, ours, theirs, method, value)
        _agree_matrix(a, b, ours_leaves, theirs_leaves, given)
    assert ours.batch_shape == (2,) and ours.event_shape == (3,)
    assert ours.rsample((5,)).shape == (5, 2, 3)


def _agree_matrix(ours, theirs, ours_leaves, theirs_leaves, given):
    """_agree, the matrix's gradient compared where it means something: a symmetric
    matrix's folded onto its lower triangle (torch's cholesky reads one triangle and
    symmetrizes), scale_tril's on its lower triangle (the upper one is not read; torch's
    precision_matrix gives it a gradient of its own)."""
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    weights = RNG.normal(size=ours.shape)
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours_leaves, theirs_leaves):
        got = np.zeros(a.shape) if a.grad is None else a.grad.data
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        if given != "scale_tril" and got.ndim >= 2:
            got, want = (np.tril(g + np.swapaxes(g, -1, -2), -1) + np.tril(np.triu(g))
                         for g in (got, want))
        elif got.ndim >= 2:
            got, want = np.tril(got), np.tril(want)
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)


def test_multivariate_normal_gradients_by_finite_differences():
    low = np.linalg.cholesky(_spd())
    loc = tg.Tensor(RNG.normal(size=3), requires_grad=True)
    tril = tg.Tensor(low, requires_grad=True)
    value = tg.Tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda v, m, s: D.MultivariateNormal(m, scale_tril=s.tril()).log_prob(v),
                        [value, loc, tril])
    assert tg.gradcheck(lambda s: D.MultivariateNormal(loc, scale_tril=s.tril()).entropy(), [tril])


# p's parameters, q's parameters, for each pair kl_divergence has a rule for
KL_PAIRS = [
    ("Normal", (LOC, SCALE), (LOC[::-1].copy(), SCALE[::-1].copy())),
    ("Laplace", (LOC, SCALE), (LOC[::-1].copy(), SCALE[::-1].copy())),
    ("Exponential", (SCALE,), (SCALE[::-1].copy(),)),
    ("Uniform", (LOC, LOC + 1.0), (LOC - 0.5, LOC + 2.0)),
    ("Bernoulli", (PROBS,), (PROBS[::-1].copy(),)),
    ("Categorical", (RNG.dirichlet(np.ones(4), 2),), (RNG.dirichlet(np.ones(4), 2),)),
    ("OneHotCategorical", (RNG.dirichlet(np.ones(4), 2),), (RNG.dirichlet(np.ones(4), 2),)),
]


@pytest.mark.parametrize("name,p_params,q_params", KL_PAIRS, ids=[k[0] for k in KL_PAIRS])
def test_kl_divergence_is_pytorchs(name, p_params, q_params):
    torch = pytest.importorskip("torch")
    ours_p, p_leaves, theirs_p, tp_leaves = _pair(name, p_params)
    ours_q, q_leaves, theirs_q, tq_leaves = _pair(name, q_params)
    _agree(D.kl_divergence(ours_p, ours_q), torch.distributions.kl_divergence(theirs_p, theirs_q),
           p_leaves + q_leaves, tp_leaves + tq_leaves)
    if name != "Uniform":  # (KL of a distribution from itself)
        np.testing.assert_allclose(D.kl_divergence(ours_p, ours_p).data, 0.0, atol=1e-12)


def test_kl_of_uniforms_outside_and_of_a_zero_probability_is_inf():
    wide, narrow = D.Uniform(0.0, 2.0), D.Uniform(0.5, 1.0)
    assert D.kl_divergence(wide, narrow).item() == math.inf
    assert D.kl_divergence(narrow, wide).item() == pytest.approx(math.log(4.0))
    p, q = D.Categorical(probs=tg.Tensor([0.5, 0.5, 0.0])), D.Categorical(
        probs=tg.Tensor([0.0, 0.5, 0.5]))
    assert D.kl_divergence(p, q).item() == math.inf
    assert D.kl_divergence(q, q).item() == 0.0


def test_kl_of_multivariate_normals_and_independents_is_pytorchs():
    torch = pytest.importorskip("torch")
    mats = [np.linalg.cholesky(_spd((2,))), np.linalg.cholesky(_spd())]
    locs = [RNG.normal(size=(2, 3)), RNG.normal(size=3)]
    ours_leaves = [tg.Tensor(a, requires_grad=True) for a in locs + mats]
    theirs_leaves = [torch.tensor(a, requires_grad=True) for a in locs + mats]
    ours = D.kl_divergence(D.MultivariateNormal(ours_leaves[0], scale_tril=ours_leaves[2]),
                           D.MultivariateNormal(ours_leaves[1], scale_tril=ours_leaves[3]))
    mvn = torch.distributions.MultivariateNormal
    theirs = torch.distributions.kl_divergence(
        mvn(theirs_leaves[0], scale_tril=theirs_leaves[2]),
        mvn(theirs_leaves[1], scale_tril=theirs_leaves[3]))
    _agree(ours, theirs, ours_leaves, theirs_leaves, rtol=1e-9)
    loc, scale = tg.Tensor(RNG.normal(size=(2, 3)), requires_grad=True), tg.Tensor(
        SCALE, requires_grad=True)
    assert tg.gradcheck(lambda m, s: D.kl_divergence(D.Independent(D.Normal(m, s), 1),
                                                     D.Independent(D.Normal(0.0, 1.0).expand(
                                                         (2, 3)), 1)), [loc, scale])
    ind = D.kl_divergence(D.Independent(D.Normal(loc, scale), 1),
                          D.Independent(D.Normal(tg.zeros(2, 3), 1.0), 1))
    theirs = torch.distributions.kl_divergence(
        torch.distributions.Independent(torch.distributions.Normal(
            torch.tensor(loc.data), torch.tensor(SCALE)), 1),
        torch.distributions.Independent(torch.distributions.Normal(
            torch.zeros(2, 3, dtype=torch.float64), 1.0), 1))
    assert ind.shape == (2,)
    np.testing.assert_allclose(ind.data, theirs.numpy(), rtol=1e-12)


def test_kl_gradients_by_finite_differences():
    a, b = tg.Tensor(LOC, requires_grad=True), tg.Tensor(SCALE, requires_grad=True)
    for name in ("Normal", "Laplace"):
        cls = getattr(D, name)
        assert tg.gradcheck(lambda m, s: D.kl_divergence(cls(m, s), cls(s, m.exp())), [a, b])
    assert tg.gradcheck(lambda r, s: D.kl_divergence(D.Exponential(r), D.Exponential(s)),
                        [b, a.exp()])
    logits = tg.Tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda x: D.kl_divergence(D.Categorical(logits=x),
                                                  D.Categorical(logits=x.flip(-1))), [logits])
    assert tg.gradcheck(lambda x: D.kl_divergence(D.Bernoulli(logits=x),
                                                  D.Bernoulli(logits=-x)), [logits])


def test_kl_without_a_rule_names_both_classes_and_register_kl_adds_one():
    with pytest.raises(NotImplementedError, match="Normal and Cauchy"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Cauchy(0.0, 1.0))

    class Wide(D.Normal):
        pass
    # a subclass inherits its parent's rule
    assert D.kl_divergence(Wide(0.0, 1.0), D.Normal(1.0, 1.0)).item() == pytest.approx(0.5)

    @D.register_kl(D.Normal, D.Cauchy)
    def _normal_cauchy(p, q):  # (not the true divergence: a marker)
        return p.loc * 0 + 42.0
    try:
        assert D.kl_divergence(D.Normal(0.0, 1.0), D.Cauchy(0.0, 1.0)).item() == 42.0
    finally:
        from tinygrad_gd.distributions import kl
        del kl._KL_REGISTRY[D.Normal, D.Cauchy]
    with pytest.raises(NotImplementedError, match="reinterpreted_batch_ndims"):
        D.kl_divergence(D.Independent(D.Normal(tg.zeros(2, 3), 1.0), 1),
                        D.Independent(D.Normal(tg.zeros(2, 3), 1.0), 2))
    with pytest.raises(TypeError, match="register_kl"):
        D.register_kl(D.Normal, float)


def _within_standard_errors(draws, expected, axis=0, k=5.0):
    """The mean of `draws` along `axis` within k standard errors of `expected`."""
    n = draws.shape[axis]
    error = draws.std(axis=axis) / math.sqrt(n)
    assert np.all(np.abs(draws.mean(axis=axis) - expected) <= k * error + 1e-12)


@pytest.mark.parametrize("name,params,values", CONTINUOUS, ids=IDS)
def test_sample_shapes_and_the_empirical_cdf(name, params, values):
    dist = getattr(D, name)(*[tg.Tensor(p) for p in params])
    draws = dist.sample((20000,), seed=0)
    assert draws.shape == (20000, 3) and draws.dtype == np.float64
    assert not draws.requires_grad
    assert dist.sample(seed=1).shape == (3,) and dist.sample((2, 5), seed=1).shape == (2, 5, 3)
    at = np.asarray(dist.icdf(tg.Tensor([[0.2], [0.5], [0.9]]).broadcast_to((3, 3))).data)
    for row, p in zip(at, (0.2, 0.5, 0.9)):  # the share below each quantile is p
        _within_standard_errors((draws.data < row).astype(float), p)
    if name not in ("Cauchy",):  # (no mean)
        _within_standard_errors(draws.data, dist.mean.data)
        centred = (draws.data - dist.mean.data) ** 2
        _within_standard_errors(centred, dist.variance.data)


def test_discrete_and_multivariate_sample_moments():
    bern = D.Bernoulli(probs=tg.Tensor(PROBS)).sample((20000,), seed=0).data
    _within_standard_errors(bern, PROBS)
    geo = D.Geometric(probs=tg.Tensor([0.3, 0.9])).sample((20000,), seed=0).data
    assert np.all(geo == np.floor(geo)) and geo.min() >= 0
    _within_standard_errors(geo, 1 / np.array([0.3, 0.9]) - 1)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    cat = D.Categorical(probs=tg.Tensor(probs)).sample((20000,), seed=0).data
    assert cat.shape == (20000, 2) and cat.dtype == np.int64
    _within_standard_errors(np.eye(3)[cat], probs)
    one_hot = D.OneHotCategorical(logits=tg.Tensor(np.log(probs[:1]))).sample((20000,), seed=0)
    assert one_hot.shape == (20000, 1, 3) and np.all(one_hot.data.sum(-1) == 1)
    _within_standard_errors(one_hot.data, probs[:1])
    cov = _spd()
    mvn = D.MultivariateNormal(tg.Tensor(LOC), tg.Tensor(cov)).sample((20000,), seed=0).data
    _within_standard_errors(mvn, LOC)
    centred = mvn - LOC
    products = centred[:, :, None] * centred[:, None, :]
    _within_standard_errors(products, cov)


def test_rsample_sends_the_pathwise_gradient_to_the_parameters():
    loc, scale = tg.Tensor(LOC, requires_grad=True), tg.Tensor(SCALE, requires_grad=True)
    draws = D.Normal(loc, scale).rsample((1000,), seed=0)
    assert draws.requires_grad
    draws.mean(axis=0).sum().backward()
    np.testing.assert_allclose(loc.grad.data, 1.0)  # d mean / d loc = 1
    eps = (draws.data - LOC) / SCALE
    np.testing.assert_allclose(scale.grad.data, eps.mean(axis=0))  # d / d scale = mean(eps)
    for name in ("Laplace", "Gumbel", "Cauchy", "LogNormal"):
        loc.grad = None
        getattr(D, name)(loc, scale).rsample((10,), seed=0).sum().backward()
        assert loc.grad is not None and np.all(np.isfinite(loc.grad.data))
    low, high = tg.Tensor(0.0, requires_grad=True), tg.Tensor(3.0, requires_grad=True)
    D.Uniform(low, high).rsample((5000,), seed=0).mean().backward()
    assert low.grad.item() == pytest.approx(0.5, abs=0.03)
    assert high.grad.item() == pytest.approx(0.5, abs=0.03)
    tril = tg.Tensor(np.linalg.cholesky(_spd()), requires_grad=True)
    loc.grad = None
    D.MultivariateNormal(loc, scale_tril=tril).rsample((100,), seed=0).mean(axis=0).sum(
    ).backward()
    np.testing.assert_allclose(loc.grad.data, 1.0)
    with pytest.raises(NotImplementedError, match="Bernoulli has no rsample"):
        D.Bernoulli(0.5).rsample()


def test_an_elbo_trains_through_rsample_and_kl():
    # q = N(mu, softplus(rho)) fitted to N(2, 0.5) by the reparameterized KL estimate
    mu, rho = tg.Tensor([0.0], requires_grad=True), tg.Tensor([0.0], requires_grad=True)
    target = D.Normal(2.0, 0.5)
    optimizer = tg.optim.Adam([mu, rho], lr=0.05)
    generator = np.random.default_rng(0)
    for _ in range(300):
        q = D.Normal(mu, rho.softplus())
        z = q.rsample((64,), generator=generator)
        loss = (q.log_prob(z) - target.log_prob(z)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert mu.item() == pytest.approx(2.0, abs=0.1)
    assert rho.softplus().item() == pytest.approx(0.5, abs=0.1)
    kl = D.kl_divergence(D.Normal(mu, rho.softplus()), target)
    assert kl.item() < 0.05


def test_draws_repeat_under_manual_seed_seed_and_generator():
    dist = D.Normal(tg.Tensor(LOC), 1.0)
    tg.manual_seed(3)
    first = dist.sample((4,)).data
    tg.manual_seed(3)
    np.testing.assert_array_equal(dist.sample((4,)).data, first)
    np.testing.assert_array_equal(dist.sample((4,), seed=5).data, dist.sample((4,), seed=5).data)
    a = D.Categorical(tg.Tensor(PROBS)).sample((6,), generator=np.random.default_rng(1))
    b = D.Categorical(tg.Tensor(PROBS)).sample((6,), generator=np.random.default_rng(1))
    np.testing.assert_array_equal(a.data, b.data)


def test_float32_parameters_give_float32():
    loc, scale = tg.Tensor(LOC, dtype="float32"), tg.Tensor(SCALE, dtype="float32")
    for dist in (D.Normal(loc, 1.0), D.Laplace(loc, scale), D.Gumbel(loc, scale),
                 D.Exponential(scale), D.Uniform(loc, loc + scale), D.HalfNormal(scale)):
        assert dist.sample((2,), seed=0).dtype == np.float32
        assert dist.rsample(seed=0).dtype == np.float32
        assert dist.log_prob(dist.mean).dtype == np.float32
        assert dist.entropy().dtype == np.float32
        assert dist.icdf(tg.Tensor([0.25], dtype="float32")).dtype == np.float32
    logits = tg.Tensor(RNG.normal(size=(2, 3)), dtype="float32")
    assert D.Categorical(logits=logits).entropy().dtype == np.float32
    assert D.Bernoulli(logits=logits).sample(seed=0).dtype == np.float32
    assert D.Normal(0.0, 1.0).sample(seed=0).dtype == np.float64


def test_edges_empty_batches_zero_width_tails_and_unvalidated_values():
    empty = D.Normal(tg.zeros(0), 1.0)
    assert empty.sample((3,), seed=0).shape == (3, 0)
    assert empty.log_prob(tg.zeros(0)).shape == (0,) and empty.entropy().shape == (0,)
    assert D.Categorical(logits=tg.zeros(0, 3)).sample((2,), seed=0).shape == (2, 0)
    normal = D.Normal(0.0, 1.0)
    assert 0 < normal.cdf(-30.0).item() < 1e-190  # (the lower tail: no 1 + erf rounding)
    assert normal.icdf(0.0).item() == -math.inf and normal.icdf(1.0).item() == math.inf
    assert normal.icdf(normal.cdf(-30.0)).item() == pytest.approx(-30.0, rel=1e-12)
    assert D.Uniform(0.0, 1.0, validate_args=False).log_prob(2.0).item() == -math.inf
    assert D.HalfNormal(1.0, validate_args=False).log_prob(-1.0).item() == -math.inf
    assert D.Geometric(probs=1.0).log_prob(0.0).item() == 0.0
    ties = D.Categorical(logits=tg.zeros(3))  # a tie: the first of the largest, as argmax
    assert ties.mode.item() == 0 and ties.entropy().item() == pytest.approx(math.log(3))
    # Laplace's cdf and icdf are smooth at loc: the true derivative there (PyTorch's is 0)
    at = tg.Tensor(0.0, requires_grad=True)
    D.Laplace(0.0, 2.0).cdf(at).backward()
    assert at.grad.item() == pytest.approx(0.25)  # the density 1 / (2 scale)
    half = tg.Tensor(0.5, requires_grad=True)
    D.Laplace(0.0, 2.0).icdf(half).backward()
    assert half.grad.item() == pytest.approx(4.0)  # 1 / density
    assert D.Laplace(0.0, 1.0).cdf(-800.0).item() == 0.0  # (no overflow on the other side)


def test_the_package_is_tg_distributions():
    assert tg.distributions is D and "distributions" in tg.__all__
    assert D.Normal.has_rsample and not D.Categorical.has_rsample
    assert D.Independent(D.Normal(tg.zeros(2), 1.0), 1).has_rsample


def test_repr_shapes_expand_and_enumerate_support():
    assert repr(D.Normal(tg.zeros(2), 1.0)) == "Normal(loc: (2,), scale: (2,))"
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Bernoulli(logits=tg.zeros(3))) == "Bernoulli(logits: (3,))"
    assert repr(D.Independent(D.Normal(tg.zeros(2, 3), 1.0), 1)) == (
        "Independent(Normal(loc: (2, 3), scale: (2, 3)), 1)")
    assert repr(D.MultivariateNormal(tg.zeros(2), tg.eye(2))) == (
        "MultivariateNormal(loc: (2,), covariance_matrix: (2, 2))")
    assert repr(D.constraints.positive) == "GreaterThan(lower_bound=0.0)"
    assert repr(D.Uniform(0.0, 1.0).support) == "Interval(lower_bound=0.0, upper_bound=1.0)"
    loc = tg.Tensor([0.0, 1.0], requires_grad=True)
    wide = D.Normal(loc, 1.0).expand((4, 2))
    assert wide.batch_shape == (4, 2) and wide.sample(seed=0).shape == (4, 2)
    wide.log_prob(tg.zeros(4, 2)).sum().backward()
    np.testing.assert_allclose(loc.grad.data, [0.0, -4.0])
    assert D.Categorical(tg.Tensor(PROBS)).expand((5,)).batch_shape == (5,)
    mvn = D.MultivariateNormal(tg.zeros(2), tg.eye(2)).expand((3,))
    assert mvn.batch_shape == (3,) and mvn.event_shape == (2,)
    with pytest.raises(ValueError, match="cannot expand"):
        D.Normal(tg.zeros(2), 1.0).expand((3,))
    assert D.Bernoulli(probs=tg.Tensor(PROBS)).enumerate_support().shape == (2, 3)
    assert D.Categorical(tg.ones(2, 4)).enumerate_support(expand=False).shape == (4, 1)
    assert D.OneHotCategorical(tg.ones(2, 4)).enumerate_support().shape == (4, 2, 4)
    ind = D.Independent(D.Normal(tg.zeros(2, 3), tg.ones(2, 3)), 1)
    assert ind.batch_shape == (2,) and ind.event_shape == (3,)
    assert ind.log_prob(tg.zeros(2, 3)).shape == (2,) and ind.entropy().shape == (2,)
    assert ind.expand((5, 2)).batch_shape == (5, 2)
    assert D.Normal(0.0, 2.0).stddev.item() == 2.0
    assert D.Normal(0.0, 1.0).perplexity().item() == pytest.approx(math.sqrt(2 * math.pi * math.e))


def _one_line(excinfo, *words):
    text = str(excinfo.value)
    assert "\n" not in text, text
    for word in words:
        assert word in text, text


def test_bad_parameters_and_values_are_one_line_errors():
    with pytest.raises(ValueError) as e:
        D.Normal(tg.zeros(2), -1.0)
    _one_line(e, "Normal", "scale", "GreaterThan", "-1.0", "validate_args=False")
    with pytest.raises(ValueError) as e:
        D.Normal(float("nan"), 1.0)
    _one_line(e, "Normal", "loc")
    with pytest.raises(ValueError) as e:
        D.Uniform(1.0, 0.0)
    _one_line(e, "Uniform", "low must be < high")
    with pytest.raises(ValueError) as e:
        D.Bernoulli(probs=1.5)
    _one_line(e, "Bernoulli", "probs")
    with pytest.raises(ValueError) as e:
        D.Bernoulli(probs=0.5, logits=0.0)
    _one_line(e, "Bernoulli", "probs=", "logits=", "both")
    with pytest.raises(ValueError) as e:
        D.Categorical()
    _one_line(e, "Categorical", "neither")
    with pytest.raises(ValueError) as e:
        D.Categorical(probs=tg.Tensor([0.5, -0.1, 0.6]))
    _one_line(e, "Categorical", "probs", "Simplex")
    with pytest.raises(ValueError) as e:
        D.Geometric(probs=0.0)
    _one_line(e, "Geometric", "probs", "> 0")
    with pytest.raises(ValueError) as e:
        D.Normal(tg.zeros(2), tg.ones(3))
    _one_line(e, "Normal", "(2,) and (3,)", "broadcast")
    with pytest.raises(ValueError) as e:
        D.MultivariateNormal(tg.zeros(2))
    _one_line(e, "MultivariateNormal", "exactly one", "none")
    with pytest.raises(ValueError) as e:
        D.MultivariateNormal(tg.zeros(2), tg.Tensor([[1.0, 2.0], [2.0, 1.0]]))
    _one_line(e, "MultivariateNormal", "covariance_matrix", "PositiveDefinite")
    with pytest.raises(ValueError) as e:
        D.MultivariateNormal(tg.zeros(3), tg.eye(2))
    _one_line(e, "MultivariateNormal", "(..., n, n)", "(2, 2)")
    with pytest.raises(ValueError) as e:
        D.Independent(D.Normal(tg.zeros(2), 1.0), 2)
    _one_line(e, "Independent", "reinterpreted_batch_ndims", "[0, 1]")
    with pytest.raises(ValueError) as e:
        D.Uniform(0.0, 1.0).log_prob(tg.Tensor([0.5, 2.0]))
    _one_line(e, "Uniform.log_prob", "2.0", "outside the support", "Interval")
    with pytest.raises(ValueError) as e:
        D.Categorical(tg.ones(3)).log_prob(3)
    _one_line(e, "Categorical.log_prob", "IntegerInterval")
    with pytest.raises(ValueError) as e:
        D.Categorical(tg.ones(3)).log_prob(1.5)
    _one_line(e, "Categorical.log_prob", "1.5")
    with pytest.raises(ValueError) as e:
        D.Normal(tg.zeros(3), 1.0).log_prob(tg.zeros(2))
    _one_line(e, "Normal.log_prob", "(2,)", "(3,)")
    with pytest.raises(ValueError) as e:
        D.MultivariateNormal(tg.zeros(3), tg.eye(3)).log_prob(tg.zeros(2))
    _one_line(e, "MultivariateNormal.log_prob", "event_shape (3,)")
    with pytest.raises(TypeError) as e:
        D.Normal(0.0, 1.0, validate_args="no")
    _one_line(e, "Normal", "validate_args", "True or False")
    with pytest.raises(ValueError) as e:
        D.Normal(0.0, 1.0).sample((-1,))
    _one_line(e, "Normal.sample")
    with pytest.raises(TypeError) as e:
        D.Normal("a", 1.0)
    _one_line(e, "Normal")
    with pytest.raises(TypeError) as e:
        D.kl_divergence(D.Normal(0.0, 1.0), 3.0)
    _one_line(e, "kl_divergence", "q")


def test_validation_can_be_switched_off_per_distribution_and_by_default():
    with np.errstate(invalid="ignore"):  # (log of a negative scale: NaN, as PyTorch's)
        assert math.isnan(D.Normal(0.0, -1.0, validate_args=False).log_prob(0.0).item())
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)  # accepted
        assert D.Bernoulli(probs=0.5).log_prob(0.5).item() == pytest.approx(math.log(0.5))
        with pytest.raises(ValueError):
            D.Normal(0.0, -1.0, validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)
    with pytest.raises(TypeError, match="set_default_validate_args"):
        D.Distribution.set_default_validate_args(1)


def test_parameters_given_as_numbers_take_the_default_dtype():
    try:
        tg.set_default_dtype(tg.float32)
        assert D.Normal(0.0, 1.0).sample((2,)).dtype == np.float32
        assert D.Normal(tg.tensor([0.0], dtype=tg.float64), 1.0).loc.dtype == np.float64
    finally:
        tg.set_default_dtype(tg.float64)
    assert D.Normal(0.0, 1.0).loc.dtype == np.float64
