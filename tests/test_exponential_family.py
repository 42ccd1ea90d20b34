"""ExponentialFamily as PyTorch's: the same classes derive from it, each with PyTorch's
natural parameters, log normalizer and mean carrier measure; its generic entropy and its
Bregman kl rule agree with each class's own closed forms and with PyTorch's."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd.distributions import discrete_more, exponential_family
from tinygrad_gd.distributions.kl import _kl_expfamily_expfamily as bregman_kl

EF = D.ExponentialFamily
SPD = [[[2.0, 0.3], [0.3, 1.0]], [[1.0, -0.2], [-0.2, 0.5]]]
SPD_Q = [[[1.0, 0.1], [0.1, 2.0]], [[3.0, 0.4], [0.4, 1.0]]]

# name -> (constructor args of p, of q), keyword args given as a dict last
FAMILIES = {
    "Normal": (([0.3, -1.0], [1.5, 0.7]), ([1.0, 0.2], [0.6, 2.0])),
    "Exponential": (([0.3, 2.0],), ([1.5, 0.4],)),
    "Gamma": (([0.3, 2.0], [1.2, 0.5]), ([1.5, 0.4], [2.0, 0.3])),
    "Chi2": (([0.3, 2.0],), ([1.5, 4.0],)),
    "Beta": (([0.3, 2.0], [1.2, 0.5]), ([1.5, 0.4], [2.0, 0.3])),
    "Dirichlet": (([[0.3, 2.0, 1.0], [1.2, 0.5, 4.0]],), ([[1.5, 0.4, 2.0], [2.0, 0.3, 0.7]],)),
    "Poisson": (([0.3, 2.0],), ([1.5, 4.0],)),
    "Bernoulli": (({"probs": [0.2, 0.7]},), ({"logits": [0.3, -2.0]},)),
    "ContinuousBernoulli": (({"probs": [0.2, 0.7]},), ({"logits": [0.3, -2.0]},)),
    "Wishart": (([3.0, 4.5], {"covariance_matrix": SPD}),
                ([2.5, 5.0], {"precision_matrix": SPD_Q})),
}
NO_CARRIER = {"Beta", "Dirichlet", "Poisson"}  # (PyTorch's define no _mean_carrier_measure)


def _make(module, name, args, tensor=tg.tensor, dtype=np.float64):
    """The distribution `name` of `module` (tg's, or torch's with tensor=torch.tensor)
    from plain args."""
    def convert(values):
        return tensor(np.asarray(values, dtype))
    positional = [convert(a) for a in args if not isinstance(a, dict)]
    keywords = {k: convert(v) for a in args if isinstance(a, dict) for k, v in a.items()}
    return getattr(module, name)(*positional, **keywords)


def _np(value):
    return value.data if isinstance(value, tg.Tensor) else value.detach().numpy()


def _close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=rtol, atol=atol)


# -- the class and who derives from it --------------------------------------------------
def test_one_class_exported_everywhere_it_was():
    assert EF is exponential_family.ExponentialFamily is discrete_more.ExponentialFamily
    assert issubclass(EF, D.Distribution) and "ExponentialFamily" in D.__all__


def test_isinstance_as_torchs_for_every_class_exported():
    torch = pytest.importorskip("torch")
    classes = [name for name in D.__all__ if isinstance(getattr(D, name), type)
               and issubclass(getattr(D, name), D.Distribution)]
    assert len(classes) > 30
    for name in classes:
        theirs = getattr(torch.distributions, name)
        assert issubclass(getattr(D, name), EF) == issubclass(
            theirs, torch.distributions.ExponentialFamily), name
    assert {name for name in classes if issubclass(getattr(D, name), EF)} == set(
        FAMILIES) | {"ExponentialFamily"}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_instances_are_exponential_families(name):
    assert isinstance(_make(D, name, FAMILIES[name][0]), EF)
    assert not isinstance(D.Laplace(0.0, 1.0), EF) and not isinstance(D.HalfNormal(1.0), EF)


# -- the three members against PyTorch's ---------------------------------------------------
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_natural_params_log_normalizer_and_carrier_measure_as_torchs(name):
    torch = pytest.importorskip("torch")
    for args in FAMILIES[name]:
        ours = _make(D, name, args)
        theirs = _make(torch.distributions, name, args, torch.tensor)
        params, their_params = ours._natural_params, theirs._natural_params
        assert isinstance(params, tuple) and len(params) == len(their_params)
        for mine, their in zip(params, their_params):
            assert mine.shape == tuple(their.shape)
            _close(mine, their)
        _close(ours._log_normalizer(*params), theirs._log_normalizer(*their_params))
        if name in NO_CARRIER:
            with pytest.raises(NotImplementedError):
                theirs._mean_carrier_measure
            with pytest.raises(NotImplementedError, match=f"{name} defines no "
                                                          f"_mean_carrier_measure"):
                ours._mean_carrier_measure
        else:
            assert ours._mean_carrier_measure == theirs._mean_carrier_measure


def test_continuous_bernoulli_log_normalizer_near_zero_takes_torchs_expansion():
    torch = pytest.importorskip("torch")
    # logits on both sides of PyTorch's cut (|x| <= 0.001: its Taylor expansion), 0 a tie
    x = np.array([-0.5, -0.001, -0.0005, 0.0, 0.0007, 0.001, 0.0011, 3.0])
    ours = D.ContinuousBernoulli(logits=tg.tensor(x))
    theirs = torch.distributions.ContinuousBernoulli(logits=torch.tensor(x))
    _close(ours._log_normalizer(ours.logits), theirs._log_normalizer(theirs.logits),
           rtol=1e-9)
    assert np.isfinite(ours._log_normalizer(ours.logits).data).all()


def test_log_normalizers_gradients_by_finite_differences():
    """F is made of Tensor ops: its gradient (the mean of t(x)) checks out."""
    for name in sorted(FAMILIES):
        dist = _make(D, name, FAMILIES[name][0])
        params = [p.detach().requires_grad_() for p in dist._natural_params]
        assert tg.gradcheck(lambda *theta: dist._log_normalizer(*theta), params), name


# -- the generic entropy -------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_generic_entropy_equals_own_and_torchs(name):
    torch = pytest.importorskip("torch")
    for args in FAMILIES[name]:
        ours = _make(D, name, args)
        theirs = _make(torch.distributions, name, args, torch.tensor)
        if name in NO_CARRIER:  # (PyTorch's generic entropy is refused for these too)
            with pytest.raises(NotImplementedError):
                torch.distributions.ExponentialFamily.entropy(theirs)
            with pytest.raises(NotImplementedError, match=name):
                EF.entropy(ours)
            continue
        generic = EF.entropy(ours)
        assert generic.shape == ours.batch_shape
        _close(generic, ours.entropy())
        _close(generic, torch.distributions.ExponentialFamily.entropy(theirs))


def test_own_entropy_wins_and_poisson_has_none_as_torchs():
    assert D.Normal.entropy is not EF.entropy and D.Wishart.entropy is not EF.entropy
    with pytest.raises(NotImplementedError, match="Poisson defines no _mean_carrier_measure"):
        D.Poisson(1.0).entropy()


def test_generic_entropy_edges_empty_and_float32():
    empty = D.Normal(tg.zeros(0), tg.ones(0))
    assert EF.entropy(empty).shape == (0,)
    small = D.Gamma(tg.tensor([0.5, 3.0], dtype=tg.float32), tg.tensor([2.0, 1.0],
                                                                          dtype=tg.float32))
    assert all(p.dtype == np.float32 for p in small._natural_params)
    result = EF.entropy(small)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.data, small.entropy().data, rtol=1e-5)
    # probs 0 and 1 (ties of the support): the entropy 0, finite natural parameters
    edge = D.Bernoulli(probs=tg.tensor([0.0, 1.0, 0.5]))
    np.testing.assert_allclose(EF.entropy(edge).data, edge.entropy().data, atol=1e-12)


# -- the generic kl rule -------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_bregman_kl_equals_own_rule_and_torchs(name):
    torch = pytest.importorskip("torch")
    p, q = (_make(D, name, args) for args in FAMILIES[name])
    generic = bregman_kl(p, q)
    assert generic.shape == p.batch_shape
    _close(generic, D.kl_divergence(p, q))
    tp, tq = (_make(torch.distributions, name, args, torch.tensor) for args in FAMILIES[name])
    if name == "Wishart":  # (PyTorch's sums df's term over a batch: compare one at a time)
        for i in range(2):
            one_p, one_q = (type(d)(d.df[i], covariance_matrix=d.covariance_matrix[i])
                            for d in (tp, tq))
            _close(generic[i], torch.distributions.kl_divergence(one_p, one_q))
        return
    _close(generic, torch.distributions.kl._kl_expfamily_expfamily(tp, tq))
    _close(generic, torch.distributions.kl_divergence(tp, tq))


def test_bregman_kl_broadcasts_batches_and_its_gradients_reach_q():
    torch = pytest.importorskip("torch")
    loc = tg.Tensor([0.3, -1.0, 2.0], requires_grad=True)
    q_loc = tg.Tensor(0.5, requires_grad=True)
    q_scale = tg.Tensor(1.7, requires_grad=True)
    p = D.Normal(loc, tg.tensor([1.5, 0.7, 1.0]))
    kl = bregman_kl(p, D.Normal(q_loc, q_scale))
    assert kl.shape == (3,)
    kl.sum().backward()
    assert loc.grad is None  # (p's natural parameters are detached, as PyTorch's)
    t_loc = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    t_scale = torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
    theirs = torch.distributions.kl._kl_expfamily_expfamily(
        torch.distributions.Normal(torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64),
                                   torch.tensor([1.5, 0.7, 1.0], dtype=torch.float64)),
        torch.distributions.Normal(t_loc, t_scale))
    _close(kl, theirs)
    theirs.sum().backward()
    _close(q_loc.grad, t_loc.grad)
    _close(q_scale.grad, t_scale.grad)


def test_bregman_kl_gradcheck_with_respect_to_q():
    concentration = tg.Tensor([[1.5, 0.4, 2.0], [2.0, 0.3, 0.7]], requires_grad=True)
    p = D.Dirichlet(tg.tensor([[0.3, 2.0, 1.0], [1.2, 0.5, 4.0]]))
    assert tg.gradcheck(lambda c: bregman_kl(p, D.Dirichlet(c)), [concentration])
    rate, c = tg.Tensor([1.5, 0.4], requires_grad=True), tg.Tensor([2.0, 0.3],
                                                                    requires_grad=True)
    p = D.Gamma(tg.tensor([0.3, 2.0]), tg.tensor([1.2, 0.5]))
    assert tg.gradcheck(lambda a, b: bregman_kl(p, D.Gamma(a, b)), [c, rate])
    df = tg.Tensor([2.5, 5.0], requires_grad=True)
    low = tg.Tensor(np.linalg.cholesky(np.array(SPD_Q)), requires_grad=True)
    p = _make(D, "Wishart", FAMILIES["Wishart"][0])
    assert tg.gradcheck(lambda n, l_: bregman_kl(p, D.Wishart(n, scale_tril=l_.tril())), [df, low])


def test_bregman_kl_wishart_batch_is_per_distribution():
    p, q = (_make(D, "Wishart", args) for args in FAMILIES["Wishart"])
    batched = bregman_kl(p, q)
    for i in range(2):
        one = bregman_kl(D.Wishart(p.df[i], covariance_matrix=p.covariance_matrix[i]),
                         D.Wishart(q.df[i], covariance_matrix=q.covariance_matrix[i]))
        np.testing.assert_allclose(batched.data[i], one.data, rtol=1e-12)


def test_bregman_kl_edges_empty_and_float32():
    empty = D.Exponential(tg.ones(0))
    assert bregman_kl(empty, D.Exponential(tg.ones(0))).shape == (0,)
    f32 = np.float32
    p = D.Beta(tg.tensor([0.5, 2.0], dtype=f32), tg.tensor([1.5, 0.5], dtype=f32))
    q = D.Beta(tg.tensor([1.0, 1.0], dtype=f32), tg.tensor([2.0, 3.0], dtype=f32))
    kl = bregman_kl(p, q)
    assert kl.dtype == np.float32
    np.testing.assert_allclose(kl.data, D.kl_divergence(p, q).data, rtol=1e-4)
    same = D.Poisson(tg.tensor([0.5, 3.0]))  # (p against itself: 0)
    np.testing.assert_allclose(bregman_kl(same, same).data, 0.0, atol=1e-12)


# -- bad input -----------------------------------------------------------------------------
def test_different_families_are_refused_as_torchs():
    torch = pytest.importorskip("torch")
    with pytest.raises(NotImplementedError):
        torch.distributions.kl._kl_expfamily_expfamily(
            torch.distributions.Chi2(torch.ones(2)), torch.distributions.Gamma(
                torch.ones(2), 1.0))
    with pytest.raises(NotImplementedError, match=r"^kl_divergence: Chi2 and Gamma are "
                                                  r"different exponential families.*"
                                                  r"@register_kl\(Chi2, Gamma\)"):
        bregman_kl(D.Chi2(tg.ones(2)), D.Gamma(tg.ones(2), 1.0))
    # kl_divergence of two families with no rule of their own: the same refusal
    with pytest.raises(NotImplementedError, match="Poisson and Dirichlet are different"):
        D.kl_divergence(D.Poisson(1.0), D.Dirichlet(tg.ones(2)))
    # a pair with a rule of its own keeps it (Chi2 is a Gamma)
    np.testing.assert_allclose(D.kl_divergence(D.Chi2(tg.ones(2)), D.Gamma(tg.ones(2), 1.0))
                               .data, torch.distributions.kl_divergence(
        torch.distributions.Chi2(torch.ones(2, dtype=torch.float64)),
        torch.distributions.Gamma(torch.ones(2, dtype=torch.float64), 1.0)).numpy(),
        rtol=1e-12)


def test_mismatched_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match=r"^kl_divergence: two Dirichlet of event shapes "
                                         r"\(2,\) and \(3,\)"):
        bregman_kl(D.Dirichlet(tg.ones(2)), D.Dirichlet(tg.ones(3)))
    with pytest.raises(ValueError, match=r"^kl_divergence: the batch shapes \(2,\) and \(3,\) "
                                         r"of the two Normal do not broadcast"):
        bregman_kl(D.Normal(tg.zeros(2), 1.0), D.Normal(tg.zeros(3), 1.0))
    with pytest.raises(NotImplementedError, match="ExponentialFamily defines no "
                                                  "_natural_params"):
        EF().entropy()
