"""tg.distributions' LKJCholesky and Wishart against PyTorch's: log_prob, entropy, mean,
mode, variance and their gradients, finite-difference gradients, sample shapes and
moments, Wishart's reparameterized draws, kl_divergence, expand, repr and the one-line
errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D

from test_distributions import _results

RNG = np.random.default_rng(7)


def _spd(batch=(), n=3):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _one_line(excinfo, *words):
    text = str(excinfo.value)
    assert "\n" not in text, text
    for word in words:
        assert word in text, text


def _within_standard_errors(draws, expected, k=5.0):
    """The mean of `draws` along axis 0 within k standard errors of `expected`."""
    error = draws.std(axis=0) / math.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - expected) <= k * error + 1e-12)


def _fold(grad, given):
    """A gradient compared where it means something: a symmetric matrix's folded onto its
    lower triangle (torch's cholesky symmetrizes, tg's reads one triangle), scale_tril's on
    its lower triangle (the upper one is not read)."""
    if grad.ndim < 2:
        return grad
    if given == "scale_tril":
        return np.tril(grad)
    return np.tril(grad + np.swapaxes(grad, -1, -2), -1) + np.tril(np.triu(grad))


def _agree(ours, theirs, ours_leaves, theirs_leaves, given="", rtol=1e-9):
    """Values equal, and the gradients of a weighted sum with respect to the leaves."""
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=1e-10)
    weights = RNG.normal(size=ours.shape)
    (ours * weights).sum().backward()
    (theirs * torch.tensor(weights, dtype=theirs.dtype)).sum().backward()
    for a, b in zip(ours_leaves, theirs_leaves):
        got = np.zeros(a.shape) if a.grad is None else np.asarray(a.grad.data, float)
        want = np.zeros(a.shape) if b.grad is None else b.grad.double().numpy()
        np.testing.assert_allclose(_fold(got, given), _fold(want, given), rtol=rtol * 100,
                                   atol=1e-8)


# -- LKJCholesky ----------------------------------------------------------------------------
def _corr_factors(batch, dim, seed=0):
    """Valid Cholesky factors of correlation matrices, from tg's own sampler."""
    return D.LKJCholesky(dim, 1.0).sample(batch, seed=seed).data


@pytest.mark.parametrize("dim,concentration", [(2, 0.5), (3, [0.5, 1.0, 3.0]), (5, 2.5)])
def test_lkj_log_prob_and_its_gradients_are_pytorchs(dim, concentration):
    torch = pytest.importorskip("torch")
    value = _corr_factors((4, np.size(concentration)), dim)
    conc = np.array(concentration, dtype=float)
    ours_leaves = [tg.Tensor(conc, requires_grad=True), tg.Tensor(value, requires_grad=True)]
    theirs_leaves = [torch.tensor(conc, requires_grad=True),
                     torch.tensor(value, requires_grad=True)]
    ours = D.LKJCholesky(dim, ours_leaves[0]).log_prob(ours_leaves[1])
    theirs = torch.distributions.LKJCholesky(dim, theirs_leaves[0]).log_prob(theirs_leaves[1])
    _agree(ours, theirs, ours_leaves, theirs_leaves, given="scale_tril")


def test_lkj_float32_is_kept_and_agrees_with_pytorchs():
    torch = pytest.importorskip("torch")
    conc = np.array([0.7, 2.0], np.float32)
    dist = D.LKJCholesky(3, tg.Tensor(conc))
    value = dist.sample((5,), seed=3)
    assert value.dtype == np.float32 and dist.log_prob(value).dtype == np.float32
    theirs = torch.distributions.LKJCholesky(3, torch.tensor(conc)).log_prob(
        torch.tensor(value.data))
    np.testing.assert_allclose(dist.log_prob(value).data, theirs.numpy(), rtol=1e-4, atol=1e-4)
    assert D.LKJCholesky(3).log_prob(_corr_factors((), 3)).dtype == np.float64


def test_lkj_gradients_by_finite_differences():
    value = tg.Tensor(_corr_factors((3,), 4))
    conc = tg.Tensor([0.6, 1.0, 2.5], requires_grad=True)
    assert tg.gradcheck(lambda c: D.LKJCholesky(4, c).log_prob(value), [conc])
    diag = tg.Tensor(value.data, requires_grad=True)  # (the value's diagonal gets one too)
    assert tg.gradcheck(lambda v: D.LKJCholesky(4, conc.detach(), validate_args=False)
                        .log_prob(v), [diag])


@pytest.mark.parametrize("dim,eta", [(2, 1.0), (3, 0.5), (4, 3.0)])
def test_lkj_sample_shapes_support_and_moments(dim, eta):
    dist = D.LKJCholesky(dim, eta)
    assert dist.sample(seed=0).shape == (dim, dim)
    assert dist.sample((2, 3), seed=0).shape == (2, 3, dim, dim)
    draws = dist.sample((20000,), seed=1)
    assert not draws.requires_grad and draws.dtype == np.float64
    assert np.all(D.constraints.corr_cholesky.check(draws))
    corr = draws.data @ np.swapaxes(draws.data, -1, -2)
    off = corr[:, np.tril_indices(dim, -1)[0], np.tril_indices(dim, -1)[1]]
    # each correlation is (2 B - 1) for B ~ Beta(eta - 1 + dim / 2, same): mean 0, variance
    # 1 / (2 eta + dim - 1)
    # (PyTorch 2.13's draws fail this for dim >= 3: its Beta's first concentration is
    # i - 1/2 for row i, not the onion method's i / 2)
    _within_standard_errors(off, 0.0)
    _within_standard_errors(off ** 2, 1.0 / (2 * eta + dim - 1))


def test_lkj_sample_density_agrees_with_log_prob():
    """dim 2: L = [[1, 0], [r, sqrt(1 - r^2)]], r of density prop. to (1 - r^2)**(eta - 1);
    log_prob is the density of r = L[1, 0] (the factor's one free entry): integrating its
    exp over r gives 1, and the share of draws below r = 0.3 is its integral."""
    dist = D.LKJCholesky(2, 2.5)
    r = np.linspace(-1, 1, 4001)[1:-1]
    factors = np.zeros(r.shape + (2, 2))
    factors[:, 0, 0], factors[:, 1, 0], factors[:, 1, 1] = 1.0, r, np.sqrt(1 - r ** 2)
    density = np.exp(dist.log_prob(factors).data)
    assert np.trapezoid(density, r) == pytest.approx(1.0, abs=1e-4)
    below = np.trapezoid(np.where(r < 0.3, density, 0.0), r)
    draws = dist.sample((20000,), seed=2).data[:, 1, 0]
    _within_standard_errors((draws < 0.3).astype(float), below)


def test_lkj_is_pytorchs_in_what_it_has():
    torch = pytest.importorskip("torch")
    dist = D.LKJCholesky(3, tg.Tensor([0.5, 2.0]))
    theirs = torch.distributions.LKJCholesky(3, torch.tensor([0.5, 2.0]))
    assert dist.batch_shape == tuple(theirs.batch_shape) == (2,)
    assert dist.event_shape == tuple(theirs.event_shape) == (3, 3)
    assert dist.has_rsample is theirs.has_rsample is False
    assert repr(D.LKJCholesky(3, 0.5)) == "LKJCholesky(concentration: 0.5)"
    assert repr(dist) == "LKJCholesky(concentration: (2,))"
    assert repr(D.LKJCholesky.support) == "CorrCholesky()"
    assert list(D.LKJCholesky.arg_constraints) == ["concentration"]
    for missing in ("mean", "mode", "variance"):
        with pytest.raises(NotImplementedError):
            getattr(dist, missing)
    with pytest.raises(NotImplementedError):
        dist.entropy()
    with pytest.raises(NotImplementedError, match="has_rsample"):
        dist.rsample()
    wide = dist.expand((4, 2))
    assert wide.batch_shape == (4, 2) and wide.dim == 3
    value = dist.sample(seed=0)
    np.testing.assert_allclose(wide.log_prob(value).data,
                               np.broadcast_to(dist.log_prob(value).data, (4, 2)))
    assert wide.sample((5,), seed=0).shape == (5, 4, 2, 3, 3)


def test_lkj_concentration_gets_the_gradient_of_a_score_function_loss():
    conc = tg.Tensor(1.5, requires_grad=True)
    dist = D.LKJCholesky(3, conc)
    dist.log_prob(dist.sample((3,), seed=0)).sum().backward()
    assert conc.grad is not None and np.isfinite(conc.grad.data)


def test_lkj_bad_input_is_one_line():
    with pytest.raises(ValueError) as e:
        D.LKJCholesky(1)
    _one_line(e, "LKJCholesky", "dim", ">= 2", "dim=1")
    with pytest.raises(TypeError) as e:
        D.LKJCholesky(2.0)
    _one_line(e, "LKJCholesky", "dim", "int")
    with pytest.raises(ValueError) as e:
        D.LKJCholesky(3, tg.Tensor([1.0, -0.5]))
    _one_line(e, "LKJCholesky", "concentration", "GreaterThan", "-0.5")
    dist = D.LKJCholesky(2)
    with pytest.raises(ValueError) as e:
        dist.log_prob(np.array([[1.0, 0.0], [0.5, 0.5]]))  # (row 1 not of unit length)
    _one_line(e, "LKJCholesky.log_prob", "CorrCholesky")
    with pytest.raises(ValueError) as e:
        dist.log_prob(np.eye(3))
    _one_line(e, "LKJCholesky.log_prob", "event_shape (2, 2)")
    with pytest.raises(ValueError) as e:
        D.LKJCholesky(2, tg.Tensor([1.0, 2.0])).expand((3,))
    _one_line(e, "LKJCholesky.expand", "(2,)", "(3,)")
    assert D.LKJCholesky(2, tg.Tensor([1.0, 2.0])).expand((0, 2)).batch_shape == (0, 2)


# -- Wishart --------------------------------------------------------------------------------
GIVEN = ["covariance_matrix", "precision_matrix", "scale_tril"]


def _matrix(given, cov):
    return {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
            "scale_tril": np.linalg.cholesky(cov)}[given]


@pytest.mark.parametrize("given", GIVEN)
def test_wishart_statistics_and_their_gradients_are_pytorchs(given):
    torch = pytest.importorskip("torch")
    cov, df = _spd((2,)), np.array([3.5, 6.0])
    matrix = _matrix(given, cov)
    value = D.Wishart(tg.Tensor(df), covariance_matrix=cov).sample((4,), seed=0).data
    for method in ("log_prob", "entropy", "mean", "mode", "variance", "stddev",
                   "covariance_matrix", "precision_matrix", "scale_tril"):
        ours_leaves = [tg.Tensor(df, requires_grad=True), tg.Tensor(matrix, requires_grad=True)]
        theirs_leaves = [torch.tensor(df, requires_grad=True),
                         torch.tensor(matrix, requires_grad=True)]
        ours = D.Wishart(ours_leaves[0], **{given: ours_leaves[1]})
        theirs = torch.distributions.Wishart(theirs_leaves[0], **{given: theirs_leaves[1]})
        a, b = _results(torch, ours, theirs, method, value)
        if method == "mode":  # (NaN for df <= p + 1, as PyTorch's; compare the rest)
            assert np.isnan(a.data[0]).all() and np.isnan(b.detach().numpy()[0]).all()
            a, b = a[1], b[1]
        _agree(a, b, ours_leaves, theirs_leaves, given)
    assert ours.batch_shape == (2,) and ours.event_shape == (3, 3)


def test_wishart_broadcasts_df_and_the_matrix_as_pytorchs():
    torch = pytest.importorskip("torch")
    cov, df = _spd(), np.array([[4.0], [5.0]])
    ours = D.Wishart(tg.Tensor(df), covariance_matrix=_spd((3,)))
    assert ours.batch_shape == (2, 3) and ours.df.shape == (2, 3)
    ours, theirs = D.Wishart(5.0, scale_tril=np.linalg.cholesky(cov)), \
        torch.distributions.Wishart(torch.tensor(5.0, dtype=torch.float64),
                                    scale_tril=torch.tensor(np.linalg.cholesky(cov)))
    value = ours.sample((2, 3), seed=1)
    assert value.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(ours.log_prob(value).data,
                               theirs.log_prob(torch.tensor(value.data)).numpy(), rtol=1e-10)


def test_wishart_float32_is_kept_and_agrees_with_pytorchs():
    torch = pytest.importorskip("torch")
    cov = _spd().astype(np.float32)
    ours = D.Wishart(4.0, covariance_matrix=tg.Tensor(cov))
    theirs = torch.distributions.Wishart(4.0, covariance_matrix=torch.tensor(cov))
    value = ours.rsample((3,), seed=0)
    assert value.dtype == np.float32 and ours.df.dtype == np.float32
    for ours_result, theirs_result in (
            (ours.log_prob(value), theirs.log_prob(torch.tensor(value.data))),
            (ours.entropy(), theirs.entropy()), (ours.mean, theirs.mean),
            (ours.variance, theirs.variance), (ours.mode, theirs.mode)):
        assert ours_result.dtype == np.float32
        np.testing.assert_allclose(ours_result.data, theirs_result.numpy(), rtol=2e-4,
                                   atol=1e-4)


def test_wishart_gradients_by_finite_differences():
    low = tg.Tensor(np.linalg.cholesky(_spd()), requires_grad=True)
    df = tg.Tensor([3.5, 5.0], requires_grad=True)
    value = tg.Tensor(_spd((2,)), requires_grad=True)
    assert tg.gradcheck(lambda v, d, s: D.Wishart(d, scale_tril=s.tril(), validate_args=False)
                        .log_prob((v + v.mT) / 2), [value, df, low])
    assert tg.gradcheck(lambda d, s: D.Wishart(d, scale_tril=s.tril()).entropy(), [df, low])
    cov = tg.Tensor(_spd(), requires_grad=True)
    assert tg.gradcheck(lambda d, c: D.Wishart(d, precision_matrix=(c + c.mT) / 2).variance,
                        [df, cov])


def test_wishart_sample_shapes_support_and_moments():
    cov = _spd(n=2)
    dist = D.Wishart(tg.Tensor([2.5, 7.0]), covariance_matrix=cov)
    assert dist.sample(seed=0).shape == (2, 2, 2)
    assert dist.sample((3, 4), seed=0).shape == (3, 4, 2, 2, 2)
    draws = dist.sample((20000,), seed=1)
    assert not draws.requires_grad and np.all(D.constraints.positive_definite.check(draws))
    _within_standard_errors(draws.data, dist.mean.data)
    centred = (draws.data - dist.mean.data) ** 2
    _within_standard_errors(centred, dist.variance.data)


def test_wishart_rsample_sends_gradients_to_df_and_the_matrix():
    """The gradient of the mean of many draws is that of their expectation df Sigma: to df
    through the Chi2 draws' implicit gradient, to scale_tril through L A (L A)^T; per draw
    with the draws held (one seed), it is finite differences' to scale_tril."""
    low = np.linalg.cholesky(_spd(n=2))
    df = tg.Tensor(3.0, requires_grad=True)
    tril = tg.Tensor(low, requires_grad=True)
    weights = np.array([[1.0, 0.5], [0.5, 2.0]])
    draws = D.Wishart(df, scale_tril=tril).rsample((20000,), seed=3)
    per_draw_df = []
    for k in range(20):  # the df gradient's spread over the draws, by batches
        part = D.Wishart(tg.Tensor(3.0, requires_grad=True), scale_tril=low)
        (part.rsample((1000,), seed=100 + k) * weights).sum().backward()
        per_draw_df.append(part.df.grad.item() / 1000)
    (draws * weights).sum().backward()
    expected_df = (weights * (low @ low.T)).sum()
    spread = np.std(per_draw_df) / math.sqrt(len(per_draw_df))
    assert abs(df.grad.item() / 20000 - expected_df) <= 5 * spread
    expected_low = 3.0 * (weights + weights.T) @ low  # d/dL of df <W, L L^T>
    np.testing.assert_allclose(np.tril(tril.grad.data) / 20000, np.tril(expected_low),
                               rtol=0.05, atol=0.05 * np.abs(expected_low).max())
    assert tg.gradcheck(lambda s: D.Wishart(3.0, scale_tril=s.tril()).rsample((2,), seed=5),
                        [tg.Tensor(low, requires_grad=True)])


def test_wishart_kl_divergence_is_the_closed_form_and_pytorchs_for_one():
    torch = pytest.importorskip("torch")
    cov_p, cov_q = _spd(), _spd()
    ours_leaves = [tg.Tensor(4.5, requires_grad=True), tg.Tensor(cov_p, requires_grad=True)]
    theirs_leaves = [torch.tensor(4.5, dtype=torch.float64, requires_grad=True),
                     torch.tensor(cov_p, requires_grad=True)]
    ours = D.kl_divergence(D.Wishart(ours_leaves[0], covariance_matrix=ours_leaves[1]),
                           D.Wishart(6.0, precision_matrix=cov_q))
    theirs = torch.distributions.kl_divergence(
        torch.distributions.Wishart(theirs_leaves[0], covariance_matrix=theirs_leaves[1]),
        torch.distributions.Wishart(torch.tensor(6.0, dtype=torch.float64),
                                    precision_matrix=torch.tensor(cov_q)))
    # (the values: PyTorch's Bregman KL detaches p's parameters, so it has no gradient for
    # them; ours is checked by finite differences)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-9)
    assert tg.gradcheck(lambda d, c: D.kl_divergence(
        D.Wishart(d, covariance_matrix=(c + c.mT) / 2),
        D.Wishart(6.0, precision_matrix=cov_q)), ours_leaves)
    # a batch: each entry the KL of its own pair (PyTorch's Bregman sum mixes them)
    batch = D.kl_divergence(D.Wishart(tg.Tensor([4.5, 7.0]), covariance_matrix=cov_p),
                            D.Wishart(6.0, precision_matrix=cov_q))
    for k, df in enumerate((4.5, 7.0)):
        one = D.kl_divergence(D.Wishart(df, covariance_matrix=cov_p),
                              D.Wishart(6.0, precision_matrix=cov_q))
        assert batch.data[k] == pytest.approx(one.item(), rel=1e-12)
    with pytest.raises(ValueError) as e:
        D.kl_divergence(D.Wishart(tg.Tensor([4.5, 7.0]), covariance_matrix=cov_p),
                        D.Wishart(tg.Tensor([4.5, 7.0, 8.0]), covariance_matrix=cov_q))
    _one_line(e, "kl_divergence", "(2,)", "(3,)")
    with pytest.raises(ValueError) as e:
        D.kl_divergence(D.Wishart(4.5, covariance_matrix=cov_p),
                        D.Wishart(4.5, covariance_matrix=np.eye(2)))
    _one_line(e, "kl_divergence", "(3, 3)", "(2, 2)")
    assert D.kl_divergence(D.Wishart(4.5, covariance_matrix=cov_p),
                           D.Wishart(4.5, scale_tril=np.linalg.cholesky(cov_p))).item() \
        == pytest.approx(0.0, abs=1e-12)


def test_wishart_is_pytorchs_in_shape_repr_and_expand():
    torch = pytest.importorskip("torch")
    dist = D.Wishart(5.0, covariance_matrix=np.eye(3))
    assert repr(dist) == "Wishart(covariance_matrix: (3, 3), df: 5.0)"
    assert isinstance(dist, D.ExponentialFamily) and dist.has_rsample
    theirs = torch.distributions.Wishart(torch.tensor(5.0), covariance_matrix=torch.eye(3))
    assert list(dist.arg_constraints) == list(theirs.arg_constraints)
    assert repr(dist.arg_constraints["df"]) == "GreaterThan(lower_bound=2.0)"
    assert repr(D.Wishart.support) == "PositiveDefinite()"
    wide = D.Wishart(tg.Tensor([5.0, 6.0]), scale_tril=np.eye(3)).expand((4, 2))
    assert wide.batch_shape == (4, 2) and wide.scale_tril.shape == (4, 2, 3, 3)
    assert wide.rsample((5,), seed=0).shape == (5, 4, 2, 3, 3)
    np.testing.assert_allclose(wide.entropy().data[3], wide.entropy().data[0])
    assert repr(wide) == "Wishart(scale_tril: (4, 2, 3, 3), df: (4, 2))"


def test_wishart_low_df_warns_and_singular_draws_are_drawn_again():
    with pytest.warns(UserWarning, match="Wishart: low df"):
        dist = D.Wishart(2.05, covariance_matrix=np.eye(3))
    with pytest.warns(UserWarning, match="singular sample detected"):
        draws = dist.sample((2000,), seed=0)
    assert draws.shape == (2000, 3, 3)
    assert np.all(D.constraints.positive_definite.check(draws))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no warning where no draw is singular)
        D.Wishart(6.0, covariance_matrix=np.eye(3)).sample((100,), seed=0)


def test_wishart_draws_repeat_under_a_seed_and_a_generator():
    dist = D.Wishart(4.0, covariance_matrix=_spd())
    np.testing.assert_array_equal(dist.sample((3,), seed=4).data, dist.sample((3,), seed=4).data)
    one = dist.sample((3,), generator=np.random.default_rng(9)).data
    np.testing.assert_array_equal(one, dist.sample((3,), seed=9).data)


def test_wishart_bad_input_is_one_line():
    with pytest.raises(ValueError) as e:
        D.Wishart(4.0)
    _one_line(e, "Wishart", "exactly one", "none")
    with pytest.raises(ValueError) as e:
        D.Wishart(4.0, covariance_matrix=np.eye(2), scale_tril=np.eye(2))
    _one_line(e, "Wishart", "covariance_matrix, scale_tril")
    with pytest.raises(ValueError) as e:
        D.Wishart(4.0, covariance_matrix=np.ones(3))
    _one_line(e, "Wishart", "covariance_matrix", "square", "(3,)")
    with pytest.raises(ValueError) as e:
        D.Wishart(tg.Tensor([4.0, 1.5]), covariance_matrix=np.eye(3))
    _one_line(e, "Wishart", "df", "> p - 1 = 2", "1.5")
    with pytest.raises(ValueError) as e:
        D.Wishart(tg.Tensor([4.0, 5.0, 6.0]), covariance_matrix=_spd((2,)))
    _one_line(e, "Wishart", "df", "(3,)", "(2, 3, 3)", "broadcast")
    with pytest.raises(ValueError) as e:
        D.Wishart(4.0, covariance_matrix=-np.eye(3))
    _one_line(e, "Wishart", "covariance_matrix", "PositiveDefinite")
    with pytest.raises(ValueError) as e:
        D.Wishart(4.0, scale_tril=np.ones((3, 3)))
    _one_line(e, "Wishart", "scale_tril", "LowerCholesky")
    dist = D.Wishart(4.0, covariance_matrix=np.eye(3))
    with pytest.raises(ValueError) as e:
        dist.log_prob(-np.eye(3))
    _one_line(e, "Wishart.log_prob", "PositiveDefinite")
    with pytest.raises(ValueError) as e:
        dist.log_prob(np.eye(2))
    _one_line(e, "Wishart.log_prob", "event_shape (3, 3)")
    with pytest.raises(ValueError) as e:
        D.Wishart(tg.Tensor([4.0, 5.0]), covariance_matrix=np.eye(3)).expand((2, 3))
    _one_line(e, "Wishart.expand", "(2,)", "(2, 3)")
    with pytest.raises(TypeError) as e:
        dist.rsample(max_try_correction=1.5)
    _one_line(e, "Wishart.rsample", "max_try_correction")


def test_edges_empty_batches_one_by_one_matrices_and_the_identity():
    empty = D.Wishart(tg.Tensor(np.zeros(0) + 4.0), covariance_matrix=np.eye(3))
    assert empty.batch_shape == (0,) and empty.sample((2,), seed=0).shape == (2, 0, 3, 3)
    assert empty.log_prob(np.eye(3)).shape == empty.entropy().shape == (0,)
    assert empty.mean.shape == empty.mode.shape == empty.variance.shape == (0, 3, 3)
    assert D.Wishart(4.0, covariance_matrix=np.eye(3)).rsample((0,), seed=0).shape == (0, 3, 3)
    lkj = D.LKJCholesky(3, tg.Tensor(np.zeros(0)))
    assert lkj.sample((2,), seed=0).shape == (2, 0, 3, 3)
    assert lkj.log_prob(np.eye(3)).shape == (0,)
    # 1 x 1: Wishart(df, [[s]]) is Gamma(df / 2, rate 1 / (2 s))
    df, s, x = tg.Tensor([0.5, 3.0]), 2.0, np.array([0.3, 4.0])
    with pytest.warns(UserWarning, match="low df"):  # (df = 0.5 < p = 1)
        one = D.Wishart(df, covariance_matrix=[[s]])
    gamma = D.Gamma(df / 2, 1 / (2 * s))
    np.testing.assert_allclose(one.log_prob(x[:, None, None]).data, gamma.log_prob(x).data,
                               rtol=1e-12)
    np.testing.assert_allclose(one.entropy().data, gamma.entropy().data, rtol=1e-12)
    # the identity (every correlation 0): the LKJ density's log is its normalizer's, the
    # largest of all for concentration > 1 (a tie between the log terms, all 0)
    lkj = D.LKJCholesky(4, 2.0)
    at_identity = lkj.log_prob(np.eye(4)).item()
    assert at_identity > lkj.log_prob(lkj.sample((50,), seed=1)).data.max()
