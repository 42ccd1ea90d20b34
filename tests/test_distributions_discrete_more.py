"""tg.distributions' Multinomial, OneHotCategoricalStraightThrough, the relaxed
distributions (RelaxedBernoulli, RelaxedOneHotCategorical and their Logit/Exp bases),
MixtureSameFamily and ExponentialFamily.

log_prob, cdf, entropy and the moments against torch's on the same parameters and
values, with the gradients with respect to the parameters; tg.gradcheck in float64
(values, parameters, the temperature, seeded rsample); sample shapes and moments from
seeded draws (tolerances from the standard error); the one-line errors, float32,
empty batches, expand and repr.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd.distributions.discrete_more import ExponentialFamily
from tinygrad_gd.distributions.distribution import broadcast_all
from tinygrad_gd.distributions.relaxed import ExpRelaxedCategorical, LogitRelaxedBernoulli

from test_distributions import _results

RNG = np.random.default_rng(3)
PROBS = np.array([[0.2, 0.3, 0.5], [0.6, 0.0, 0.4]])  # (a category of probability 0)
COUNTS = np.array([[1.0, 2.0, 2.0], [3.0, 0.0, 2.0]])
P = np.array([0.2, 0.5, 0.9])
TEMPERATURE = np.array(0.7)


def _log_simplex(shape):
    x = RNG.normal(size=shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _leaves(torch, params):
    return {key: (tg.Tensor(np.asarray(v, dtype=np.float64), requires_grad=True),
                  torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True))
            for key, v in params.items()}


def _agree(ours, theirs, leaves, rtol=1e-10):
    """Equal values, and equal gradients of a weighted sum with respect to the leaves."""
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=1e-12)
    weights = RNG.normal(size=ours.shape)
    (ours * tg.Tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    for a, b in leaves:
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.data)
        else:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-8, atol=1e-10)


# name, constructor's positional args, keyword parameters (leaves), values, methods
def _cases(torch):
    TD = torch.distributions
    return [
        (D.Multinomial, TD.Multinomial, (5,), dict(probs=PROBS), COUNTS,
         ("log_prob", "entropy", "mean", "variance")),
        (D.Multinomial, TD.Multinomial, (5,), dict(logits=np.log(PROBS + 0.1)), COUNTS,
         ("log_prob", "entropy", "mean", "variance")),
        (LogitRelaxedBernoulli, TD.relaxed_bernoulli.LogitRelaxedBernoulli, (),
         dict(temperature=TEMPERATURE, probs=P), RNG.normal(size=(2, 3)), ("log_prob",)),
        (LogitRelaxedBernoulli, TD.relaxed_bernoulli.LogitRelaxedBernoulli, (),
         dict(temperature=np.array([0.3, 1.0, 2.0]), logits=np.log(P)),
         RNG.normal(size=(2, 3)), ("log_prob",)),
        (D.RelaxedBernoulli, TD.RelaxedBernoulli, (), dict(temperature=TEMPERATURE, probs=P),
         RNG.uniform(size=(2, 3)), ("log_prob",)),
        (D.RelaxedBernoulli, TD.RelaxedBernoulli, (),
         dict(temperature=TEMPERATURE, logits=np.log(P)), RNG.uniform(size=(2, 3)),
         ("log_prob",)),
        (ExpRelaxedCategorical, TD.relaxed_categorical.ExpRelaxedCategorical, (),
         dict(temperature=TEMPERATURE, probs=PROBS + 0.1), _log_simplex((4, 2, 3)),
         ("log_prob",)),
        (D.RelaxedOneHotCategorical, TD.RelaxedOneHotCategorical, (),
         dict(temperature=TEMPERATURE, logits=np.log(PROBS + 0.1)),
         np.exp(_log_simplex((4, 2, 3))), ("log_prob",)),
        (D.OneHotCategoricalStraightThrough, TD.OneHotCategoricalStraightThrough, (),
         dict(probs=PROBS + 0.1), np.eye(3)[[0, 2]], ("log_prob", "entropy", "mean",
                                                        "variance")),
    ]


def test_values_and_gradients_are_pytorchs():
    torch = pytest.importorskip("torch")
    for ours_class, theirs_class, args, params, values, methods in _cases(torch):
        for method in methods:
            leaves = _leaves(torch, params)
            ours = ours_class(*args, **{k: v[0] for k, v in leaves.items()})
            theirs = theirs_class(*args, **{k: v[1] for k, v in leaves.items()})
            a, b = _results(torch, ours, theirs, method, values)
            # (torch's Multinomial entropy takes lgamma(n + 1) of an int tensor: float32)
            rtol = 1e-7 if (method, ours_class) == ("entropy", D.Multinomial) else 1e-10
            _agree(a, b, list(leaves.values()), rtol=rtol)
        assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape),
                                                        tuple(theirs.event_shape))
        assert repr(ours.support) == repr(theirs.support)
        assert ours.has_rsample == theirs.has_rsample
        assert set(ours.arg_constraints) == set(theirs.arg_constraints)


def test_multinomial_edges_are_pytorchs():
    torch = pytest.importorskip("torch")
    logits = np.array([0.0, -np.inf, 1.0])  # an impossible category, counted 0 times
    ours = D.Multinomial(4, logits=logits).log_prob([1.0, 0.0, 3.0])
    theirs = torch.distributions.Multinomial(4, logits=torch.tensor(logits)).log_prob(
        torch.tensor([1.0, 0.0, 3.0], dtype=torch.float64))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    zero = D.Multinomial(0, probs=PROBS)
    assert zero.entropy().data.tolist() == [0.0, 0.0]
    assert zero.sample((2,), seed=0).data.sum() == 0
    # log_prob takes any total (total_count is for sample and entropy only), as torch's
    big = D.Multinomial(probs=PROBS, validate_args=False).log_prob(COUNTS * 3)
    expected = torch.distributions.Multinomial(probs=torch.tensor(PROBS), validate_args=False
                                               ).log_prob(torch.tensor(COUNTS * 3))
    np.testing.assert_allclose(big.data, expected.numpy(), rtol=1e-12)


def test_mixture_same_family_is_pytorchs():
    torch = pytest.importorskip("torch")
    TD = torch.distributions
    shapes = [  # mixture weights, component locs, scales, values, event axes
        (np.array([0.2, 0.5, 0.3]), RNG.normal(size=3), RNG.uniform(0.5, 2, 3),
         RNG.normal(size=(4,)) * 2, 0),
        (RNG.uniform(size=(2, 3)), RNG.normal(size=(2, 3)), RNG.uniform(0.5, 2, (2, 3)),
         RNG.normal(size=(5, 2)), 0),
        (np.array([0.2, 0.5, 0.3]), RNG.normal(size=(2, 3)), RNG.uniform(0.5, 2, (2, 3)),
         RNG.normal(size=(5, 2)), 0),  # (the mixture broadcast over the batch)
        (np.array([0.2, 0.5, 0.3]), RNG.normal(size=(3, 2)), RNG.uniform(0.5, 2, (3, 2)),
         RNG.normal(size=(5, 2)), 1),
    ]
    for weights, loc, scale, values, event in shapes:
        methods = ("log_prob", "cdf", "mean", "variance") if event == 0 else (
            "log_prob", "mean", "variance")
        for method in methods:
            leaves = _leaves(torch, dict(w=weights, loc=loc, scale=scale))
            (w, w_t), (m, m_t), (s, s_t) = leaves.values()
            ours_comp, theirs_comp = D.Normal(m, s), TD.Normal(m_t, s_t)
            if event:
                ours_comp, theirs_comp = D.Independent(ours_comp, 1), TD.Independent(
                    theirs_comp, 1)
            ours = D.MixtureSameFamily(D.Categorical(w), ours_comp)
            theirs = TD.MixtureSameFamily(TD.Categorical(w_t), theirs_comp)
            if method in ("log_prob", "cdf"):
                a, b = getattr(ours, method)(values), getattr(theirs, method)(
                    torch.tensor(values))
            else:
                a, b = getattr(ours, method), getattr(theirs, method)
            _agree(a, b, list(leaves.values()))
        assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape),
                                                        tuple(theirs.event_shape))
        assert repr(ours.support) == repr(theirs.support)
    far = D.MixtureSameFamily(D.Categorical(tg.tensor([0.5, 0.5])),
                              D.Normal(tg.tensor([0.0, 1.0]), 1.0)).log_prob(60.0)
    assert np.isfinite(far.data)  # (logsumexp: each component's density underflows)


def test_straight_through_gradient_is_pytorchs():
    torch = pytest.importorskip("torch")
    logits = RNG.normal(size=(2, 4))
    ours_l, theirs_l = tg.Tensor(logits, requires_grad=True), torch.tensor(
        logits, requires_grad=True)
    draws = D.OneHotCategoricalStraightThrough(logits=ours_l).rsample((5,), seed=1)
    theirs = torch.distributions.OneHotCategoricalStraightThrough(logits=theirs_l).rsample(
        (5,))
    assert D.constraints.one_hot.check(draws).all()  # (the value is the one-hot draw)
    weights = RNG.normal(size=(2, 4))
    (draws * tg.Tensor(weights)).sum().backward()  # (the gradient is probs', any draw)
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours_l.grad.data, theirs_l.grad.numpy(), rtol=1e-10)


class _NormalFamily(ExponentialFamily):
    """Normal written as an exponential family (natural parameters mu/s^2, -1/(2 s^2))."""

    _given = ("loc", "scale")

    def __init__(self, loc, scale):
        self.loc, self.scale = broadcast_all("_NormalFamily", loc, scale)
        super().__init__(self.loc.shape)

    @property
    def _natural_params(self):
        return self.loc / self.scale.square(), -0.5 / self.scale.square()

    def _log_normalizer(self, x, y):
        return -0.25 * x.square() / y + 0.5 * (-math.pi / y).log()

    @property
    def _mean_carrier_measure(self):
        return 0


def test_exponential_family_entropy_and_kl_by_bregman():
    loc, scale = tg.tensor([0.0, 1.0]), tg.tensor([1.0, 2.0])
    q_loc = tg.Tensor([0.5, -1.0], requires_grad=True)
    q_scale = tg.Tensor([2.0, 0.5], requires_grad=True)
    p, q = _NormalFamily(loc, scale), _NormalFamily(q_loc, q_scale)
    np.testing.assert_allclose(p.entropy().data, D.Normal(loc, scale).entropy().data,
                               rtol=1e-12)
    np.testing.assert_allclose(D.kl_divergence(p, q).data, D.kl_divergence(
        D.Normal(loc, scale), D.Normal(q_loc, q_scale)).data, rtol=1e-12)
    # gradients reach q's parameters (p's natural parameters are detached, as torch's)
    assert tg.gradcheck(lambda m, s: D.kl_divergence(p, _NormalFamily(m, s)),
                        [q_loc, q_scale])
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(p, type("Other", (_NormalFamily,), {})(loc, scale))
    with pytest.raises(NotImplementedError, match="defines no _natural_params"):
        ExponentialFamily().entropy()


# -- gradients by finite differences (no torch) ---------------------------------------------
def test_gradcheck_parameters_values_and_temperature():
    logits = tg.Tensor(np.log(PROBS + 0.1), requires_grad=True)
    probs = tg.Tensor(PROBS + 0.1, requires_grad=True)
    assert tg.gradcheck(lambda l_: D.Multinomial(5, logits=l_).log_prob(COUNTS), [logits])
    assert tg.gradcheck(lambda p_: D.Multinomial(5, probs=p_).entropy(), [probs])
    temperature = tg.Tensor([0.4, 0.9, 1.7], requires_grad=True)
    unit = tg.Tensor(RNG.uniform(0.1, 0.9, size=(2, 3)), requires_grad=True)
    bern = tg.Tensor(np.log(P), requires_grad=True)
    assert tg.gradcheck(lambda v, t, l_: D.RelaxedBernoulli(t, logits=l_).log_prob(v),
                        [unit, temperature, bern])
    assert tg.gradcheck(lambda t, l_: D.RelaxedBernoulli(t, logits=l_).rsample((4,), seed=2),
                        [temperature, bern])
    t0 = tg.Tensor(0.6, requires_grad=True)
    simplex = tg.Tensor(np.exp(_log_simplex((4, 2, 3))), requires_grad=True)
    # (the value's steps leave the simplex: the density's formula still holds there)
    assert tg.gradcheck(lambda v, t, l_: D.RelaxedOneHotCategorical(
        t, logits=l_, validate_args=False).log_prob(v), [simplex, t0, logits])
    assert tg.gradcheck(lambda t, p_: D.RelaxedOneHotCategorical(t, probs=p_).rsample(
        (3,), seed=4), [t0, probs])
    w = tg.Tensor([0.2, 0.5, 0.3], requires_grad=True)
    loc = tg.Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    scale = tg.Tensor([0.5, 1.0, 2.0], requires_grad=True)
    x = tg.Tensor(RNG.normal(size=(4,)), requires_grad=True)
    mixture = lambda w_, m, s: D.MixtureSameFamily(D.Categorical(w_), D.Normal(m, s))  # noqa: E731
    assert tg.gradcheck(lambda v, w_, m, s: mixture(w_, m, s).log_prob(v), [x, w, loc, scale])
    assert tg.gradcheck(lambda v, w_, m, s: mixture(w_, m, s).cdf(v), [x, w, loc, scale])
    assert tg.gradcheck(lambda w_, m, s: mixture(w_, m, s).variance, [w, loc, scale])


# -- draws ---------------------------------------------------------------------------------------
def test_multinomial_sample_moments_and_shapes():
    n, dist = 20000, D.Multinomial(6, probs=tg.Tensor(PROBS))
    draws = dist.sample((n,), seed=0).data
    assert draws.shape == (n, 2, 3) and draws.dtype == np.float64
    assert np.all(draws.sum(-1) == 6) and np.all(draws % 1 == 0)
    mean, var = dist.mean.data, dist.variance.data
    assert np.all(np.abs(draws.mean(0) - mean) <= 5 * np.sqrt(var / n) + 1e-12)
    fourth = ((draws - mean) ** 4).mean(0)
    assert np.all(np.abs(draws.var(0) - var) <= 6 * np.sqrt((fourth - var ** 2) / n) + 1e-12)
    np.testing.assert_array_equal(dist.sample((3,), seed=4).data, dist.sample((3,),
                                                                               seed=4).data)
    assert dist.sample(seed=1).shape == (2, 3) and not dist.sample(seed=1).requires_grad


def test_relaxed_draws_keep_the_discrete_probabilities():
    n = 20000
    # logit(u) + logit(p) > 0 exactly when u > 1 - p: P(draw > 1/2) = p at any temperature
    for dist, threshold in ((D.RelaxedBernoulli(0.3, probs=tg.Tensor(P)), 0.5),
                            (LogitRelaxedBernoulli(2.0, probs=tg.Tensor(P)), 0.0)):
        draws = dist.sample((n,), seed=5).data
        assert draws.shape == (n, 3)
        above = (draws > threshold).mean(0)
        assert np.all(np.abs(above - P) <= 5 * np.sqrt(P * (1 - P) / n))
    # the Gumbel-max trick: the largest entry is category k with probability p_k
    probs = PROBS[0]
    dist = D.RelaxedOneHotCategorical(tg.tensor(0.5), probs=tg.Tensor(probs))
    draws = dist.rsample((n,), seed=6).data
    assert draws.shape == (n, 3) and np.allclose(draws.sum(-1), 1.0)
    counts = np.bincount(draws.argmax(-1), minlength=3) / n
    assert np.all(np.abs(counts - probs) <= 5 * np.sqrt(probs * (1 - probs) / n))
    assert np.all(ExpRelaxedCategorical(0.5, probs=tg.Tensor(PROBS + 0.1)).sample(
        (4,), seed=0).data <= 0)


def test_mixture_sample_moments_and_shapes():
    n = 40000
    dist = D.MixtureSameFamily(D.Categorical(tg.tensor([0.2, 0.5, 0.3])),
                               D.Normal(tg.tensor([[-2.0, 0.5, 3.0], [0.0, 1.0, 2.0]]),
                                        tg.tensor([0.5, 1.0, 2.0])))
    draws = dist.sample((n,), seed=7).data
    assert draws.shape == (n, 2)
    mean, var = dist.mean.data, dist.variance.data
    assert np.all(np.abs(draws.mean(0) - mean) <= 5 * np.sqrt(var / n))
    fourth = ((draws - mean) ** 4).mean(0)
    assert np.all(np.abs(draws.var(0) - var) <= 6 * np.sqrt((fourth - var ** 2) / n))
    vectors = D.MixtureSameFamily(D.Categorical(tg.tensor([0.5, 0.5])), D.Independent(
        D.Normal(tg.tensor([[-5.0, -5.0], [5.0, 5.0]]), 0.1), 1))
    picked = vectors.sample((200,), seed=8).data
    assert picked.shape == (200, 2)
    # each draw is one component's whole vector: both entries on the same side
    assert np.all(np.sign(picked[:, 0]) == np.sign(picked[:, 1]))


def test_rsample_gradients_flow_and_sample_is_detached():
    temperature = tg.Tensor(0.5, requires_grad=True)
    logits = tg.Tensor(np.log(P), requires_grad=True)
    dist = D.RelaxedBernoulli(temperature, logits=logits)
    assert dist.has_rsample and not dist.sample(seed=0).requires_grad
    dist.rsample((10,), seed=0).sum().backward()
    assert np.isfinite(temperature.grad.data) and np.all(logits.grad.data > 0)
    assert not LogitRelaxedBernoulli(0.5, probs=0.3).has_rsample  # (torch's says False)
    with pytest.raises(NotImplementedError, match="no rsample"):
        D.MixtureSameFamily(D.Categorical(tg.ones(2)), D.Normal(tg.zeros(2), 1.0)).rsample()


# -- errors, dtypes, shapes ------------------------------------------------------------------
@pytest.mark.parametrize("make,kind,match", [
    (lambda: D.Multinomial(2.5, probs=P), NotImplementedError,
     "Multinomial: total_count must be one Python int"),
    (lambda: D.Multinomial(-1, probs=P), ValueError, "Multinomial: total_count must be >= 0"),
    (lambda: D.Multinomial(3), ValueError, "Categorical: give probs= or logits="),
    (lambda: D.Multinomial(3, probs=[0.5, -0.5, 1.0]), ValueError,
     "^Multinomial: parameter probs"),  # (the class called, not the Categorical inside)
    (lambda: D.RelaxedOneHotCategorical(0.5, probs=[0.5, -0.5, 1.0]), ValueError,
     "^ExpRelaxedCategorical: parameter probs"),  # (its base's name, as torch's)
    (lambda: D.RelaxedBernoulli(tg.ones(4), probs=P), ValueError,
     r"LogitRelaxedBernoulli: temperature of shape \(4,\) does not broadcast with the probs"),
    (lambda: D.RelaxedOneHotCategorical(tg.ones(4), logits=P), ValueError,
     r"ExpRelaxedCategorical: temperature of shape \(4,\) does not broadcast"),
    (lambda: D.Multinomial(3, probs=P).log_prob([2.0, 2.0, 1.0]), ValueError,
     r"Multinomial.log_prob: value \[2., 2., 1.\] is outside the support"),
    (lambda: D.Multinomial(3, probs=P).log_prob([1.0, 2.0]), ValueError,
     r"Multinomial.log_prob: the last axes of value \(shape \(2,\)\) must be the event_shape"),
    (lambda: D.RelaxedBernoulli(0.0, probs=P), ValueError,
     "LogitRelaxedBernoulli: temperature .* must be > 0, got 0.0"),
    (lambda: D.RelaxedBernoulli(0.5, probs=1.5), ValueError,
     "LogitRelaxedBernoulli: parameter probs"),
    (lambda: D.RelaxedBernoulli(0.5), ValueError, "LogitRelaxedBernoulli: give probs= or"),
    (lambda: D.RelaxedBernoulli(0.5, probs=P).log_prob(1.5), ValueError,
     "RelaxedBernoulli.log_prob: value 1.5 is outside the support"),
    (lambda: D.RelaxedOneHotCategorical(-1.0, probs=P), ValueError,
     "ExpRelaxedCategorical: temperature"),
    (lambda: D.RelaxedOneHotCategorical(0.5, probs=0.3), ValueError,
     "Categorical: probs must have at least one axis"),
    (lambda: D.RelaxedOneHotCategorical(0.5, probs=P).log_prob([0.5, 0.6, 0.1]), ValueError,
     "RelaxedOneHotCategorical.log_prob: value .* outside the support Simplex"),
    (lambda: D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(tg.zeros(2), 1.0)), ValueError,
     "MixtureSameFamily: mixture_distribution must be a Categorical, got Normal"),
    (lambda: D.MixtureSameFamily(D.Categorical(tg.ones(2)), "normal"), ValueError,
     "MixtureSameFamily: component_distribution must be a Distribution"),
    (lambda: D.MixtureSameFamily(D.Categorical(tg.ones(3)), D.Normal(tg.zeros(2), 1.0)),
     ValueError, "MixtureSameFamily: the mixture has 3 components but"),
    (lambda: D.MixtureSameFamily(D.Categorical(tg.ones(2, 3)), D.Normal(tg.zeros(4, 3), 1.0)),
     ValueError, r"MixtureSameFamily: mixture_distribution.batch_shape \(2,\) is not"),
    (lambda: D.MixtureSameFamily(D.Categorical(tg.ones(2)), D.Normal(0.0, 1.0)), ValueError,
     "MixtureSameFamily: component_distribution .* has no batch axis"),
    (lambda: D.MixtureSameFamily(D.Categorical(tg.ones(2)), D.Exponential(tg.ones(2))
                                 ).log_prob(-1.0), ValueError,
     "MixtureSameFamily.log_prob: value -1.0 is outside the support"),
])
def test_bad_input_is_one_line(make, kind, match):
    with pytest.raises(kind, match=match) as err:
        make()
    assert "\n" not in str(err.value)


def test_float32_empty_batches_expand_and_repr():
    p32 = tg.Tensor(np.float32(PROBS + 0.1))
    for dist in (D.Multinomial(4, probs=p32), D.RelaxedBernoulli(0.5, probs=p32[0]),
                 D.RelaxedOneHotCategorical(0.5, probs=p32),
                 D.OneHotCategoricalStraightThrough(probs=p32),
                 D.MixtureSameFamily(D.Categorical(p32[0]), D.Normal(p32, 1.0))):
        value = dist.sample((2,), seed=0)
        assert value.dtype == np.float32, type(dist).__name__
        assert dist.log_prob(value).dtype == np.float32, type(dist).__name__
    assert D.RelaxedOneHotCategorical(0.5, probs=p32).rsample(seed=0).dtype == np.float32
    empty = D.Multinomial(3, probs=tg.ones(0, 2))
    assert empty.sample((2,), seed=0).shape == (2, 0, 2)
    assert empty.log_prob(tg.zeros(0, 2)).shape == (0,)
    assert D.RelaxedBernoulli(0.5, probs=tg.zeros(0) + 0.5).rsample((3,), seed=0).shape == (3, 0)
    assert D.Multinomial(3, probs=tg.Tensor(P)).expand((4,)).sample(seed=0).shape == (4, 3)
    assert D.RelaxedBernoulli(0.5, logits=tg.zeros(2)).expand((3, 2)).batch_shape == (3, 2)
    relaxed = D.RelaxedOneHotCategorical(tg.tensor(0.5), probs=tg.Tensor(P)).expand((4,))
    assert relaxed.rsample((2,), seed=0).shape == (2, 4, 3) and relaxed.temperature.shape == ()
    mixture = D.MixtureSameFamily(D.Categorical(tg.Tensor(P)), D.Normal(tg.zeros(3), 1.0))
    assert mixture.expand((5,)).sample((2,), seed=0).shape == (2, 5)
    assert repr(D.Multinomial(3, probs=tg.Tensor(P))) == "Multinomial(probs: (3,))"
    assert repr(D.RelaxedBernoulli(0.5, probs=0.3)) == \
        "RelaxedBernoulli(temperature: 0.5, probs: 0.3)"
    assert repr(mixture) == ("MixtureSameFamily(Categorical(probs: (3,)), "
                             "Normal(loc: (3,), scale: (3,)))")
