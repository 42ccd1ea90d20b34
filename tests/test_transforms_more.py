"""tg.distributions' second set of transforms (SoftplusTransform, ReshapeTransform,
IndependentTransform, CatTransform, StackTransform, StickBreakingTransform,
LowerCholeskyTransform, PositiveDefiniteTransform, CorrCholeskyTransform,
CumulativeDistributionTransform), biject_to / transform_to and the constraints they need.

Forward, inverse and log_abs_det_jacobian against torch's on the same values, with the
gradients with respect to the values; tg.gradcheck in float64 and the log-determinants
against finite-difference Jacobians (without torch); the registries against torch's for
every constraint the package has; shapes, float32, and the one-line errors.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd import distributions as D
from tinygrad_gd.distributions import constraints as C
from tinygrad_gd.distributions import transforms as T

RNG = np.random.default_rng(7)


def _pairs(torch):
    """(ours, torch's, an input of the domain's shape) for each transform."""
    TT = torch.distributions.transforms
    normal = torch.distributions.Normal(torch.tensor([0.5], dtype=torch.float64), 2.0)
    return [
        (D.SoftplusTransform(), TT.SoftplusTransform(), RNG.normal(size=(2, 3)) * 6),
        (D.ReshapeTransform((2, 3), (3, 2)), TT.ReshapeTransform((2, 3), (3, 2)),
         RNG.normal(size=(4, 2, 3))),
        (D.IndependentTransform(T.ExpTransform(), 1),
         TT.IndependentTransform(TT.ExpTransform(), 1), RNG.normal(size=(4, 3))),
        (D.IndependentTransform(D.SoftplusTransform(), 2),
         TT.IndependentTransform(TT.SoftplusTransform(), 2), RNG.normal(size=(2, 3, 4))),
        (D.StickBreakingTransform(), TT.StickBreakingTransform(), RNG.normal(size=(4, 3))),
        (D.LowerCholeskyTransform(), TT.LowerCholeskyTransform(), RNG.normal(size=(2, 3, 3))),
        (D.PositiveDefiniteTransform(), TT.PositiveDefiniteTransform(),
         RNG.normal(size=(2, 3, 3))),
        (D.CorrCholeskyTransform(), TT.CorrCholeskyTransform(), RNG.normal(size=(4, 6))),
        (D.CorrCholeskyTransform(), TT.CorrCholeskyTransform(), RNG.normal(size=(1,))),
        (D.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], 1, [2, 1]),
         TT.CatTransform([TT.ExpTransform(), TT.AffineTransform(1.0, 2.0)], 1, [2, 1]),
         RNG.normal(size=(4, 3))),
        # event transforms side by side along the batch axis: their terms are joined
        (D.CatTransform([D.IndependentTransform(T.SigmoidTransform(), 1),
                         D.IndependentTransform(T.ExpTransform(), 1)], 0, [1, 3]),
         TT.CatTransform([TT.IndependentTransform(TT.SigmoidTransform(), 1),
                          TT.IndependentTransform(TT.ExpTransform(), 1)], 0, [1, 3]),
         RNG.normal(size=(4, 5))),
        # ... and along the event axis: their terms add up
        (D.CatTransform([D.IndependentTransform(T.AffineTransform(0.0, 3.0), 1),
                         D.IndependentTransform(T.ExpTransform(), 1)], -1, [2, 3]),
         TT.CatTransform([TT.IndependentTransform(TT.AffineTransform(0.0, 3.0), 1),
                          TT.IndependentTransform(TT.ExpTransform(), 1)], -1, [2, 3]),
         RNG.normal(size=(4, 5))),
        (D.StackTransform([T.ExpTransform(), T.SigmoidTransform()], 1),
         TT.StackTransform([TT.ExpTransform(), TT.SigmoidTransform()], 1),
         RNG.normal(size=(4, 2))),
        (D.CumulativeDistributionTransform(D.Normal(tg.tensor([0.5]), 2.0)),
         TT.CumulativeDistributionTransform(normal), RNG.normal(size=(4, 1))),
    ]


def test_transforms_are_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs, x in _pairs(torch):
        name = type(ours).__name__
        xt, x_torch = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, y_torch = ours(xt), theirs(x_torch)
        np.testing.assert_allclose(y.data, y_torch.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
        np.testing.assert_allclose(ours.inv(y).data, theirs.inv(y_torch).detach().numpy(),
                                   rtol=1e-8, atol=1e-10, err_msg=name)
        assert (ours.bijective, ours.domain.event_dim, ours.codomain.event_dim) == (
            theirs.bijective, theirs.domain.event_dim, theirs.codomain.event_dim), name
        assert repr(ours) == repr(theirs)
        assert ours.forward_shape(x.shape) == tuple(theirs.forward_shape(x.shape))
        assert ours.inverse_shape(y.shape) == tuple(theirs.inverse_shape(y_torch.shape))
        if not theirs.bijective:  # (PyTorch's defines no log-determinant for them)
            with pytest.raises(NotImplementedError):
                ours.log_abs_det_jacobian(xt, y)
            continue
        ldj = ours.log_abs_det_jacobian(xt, y)
        ldj_torch = theirs.log_abs_det_jacobian(x_torch, y_torch)
        np.testing.assert_allclose(ldj.data, ldj_torch.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
        if ldj_torch.requires_grad:
            weights = RNG.normal(size=ldj.shape)
            (ldj * tg.Tensor(weights)).sum().backward()
            (ldj_torch * torch.tensor(weights)).sum().backward()
            np.testing.assert_allclose(xt.grad.data, x_torch.grad.numpy(), rtol=1e-8,
                                       atol=1e-10, err_msg=name)


def test_signs_and_equality_are_pytorchs():
    torch = pytest.importorskip("torch")
    TT = torch.distributions.transforms
    assert D.SoftplusTransform().sign == TT.SoftplusTransform().sign == 1
    assert D.IndependentTransform(T.ExpTransform(), 1).sign == 1
    assert D.CumulativeDistributionTransform(D.Normal(0.0, 1.0)).sign == 1
    assert D.SoftplusTransform() == D.SoftplusTransform()
    assert D.StickBreakingTransform() == D.StickBreakingTransform()
    assert D.LowerCholeskyTransform() == D.LowerCholeskyTransform()
    with pytest.raises(NotImplementedError):
        D.StickBreakingTransform().sign  # (not monotone in one coordinate, as PyTorch's)
    reshape = D.ReshapeTransform((6,), (2, 3))
    assert reshape.inv.inv is reshape and reshape.with_cache(1).in_shape == (6,)


def _jacobian(fn, x, h=1e-6):
    """The Jacobian of fn (a map of arrays of one event) by central differences."""
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = h
        columns.append((fn(x + step) - fn(x - step)).ravel() / (2 * h))
    return np.stack(columns, axis=-1)


def test_log_abs_det_jacobians_by_finite_differences():
    x = RNG.normal(size=4)

    def stick(v):  # (the first n entries: the last is 1 minus their sum)
        return D.StickBreakingTransform()(tg.Tensor(v)).data[:-1]
    expected = np.linalg.slogdet(_jacobian(stick, x))[1]
    y = D.StickBreakingTransform()(tg.Tensor(x))
    assert float(D.StickBreakingTransform().log_abs_det_jacobian(x, y).data) == pytest.approx(
        expected, rel=1e-6)
    x6 = RNG.normal(size=6) * 0.7

    def corr(v):  # (the strictly lower part: the diagonal follows from the rows' norms)
        matrix = D.CorrCholeskyTransform()(tg.Tensor(v)).data
        return matrix[np.tril_indices(4, -1)]
    expected = np.linalg.slogdet(_jacobian(corr, x6))[1]
    y = D.CorrCholeskyTransform()(tg.Tensor(x6))
    assert float(D.CorrCholeskyTransform().log_abs_det_jacobian(x6, y).data) == pytest.approx(
        expected, rel=1e-6)
    xs = RNG.normal(size=5) * 4
    slope = _jacobian(lambda v: D.SoftplusTransform()(tg.Tensor(v)).data, xs).diagonal()
    np.testing.assert_allclose(D.SoftplusTransform().log_abs_det_jacobian(
        xs, D.SoftplusTransform()(xs)).data, np.log(slope), rtol=1e-6)


def test_gradcheck_forward_inverse_and_log_determinants():
    x = tg.Tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    for transform in (D.SoftplusTransform(), D.StickBreakingTransform(),
                      D.CorrCholeskyTransform(), D.IndependentTransform(D.SoftplusTransform(), 1),
                      D.CatTransform([T.ExpTransform(), D.SoftplusTransform()], -1, [1, 2]),
                      D.StackTransform([T.ExpTransform(), T.TanhTransform()], 0)):
        assert tg.gradcheck(transform, [x])
        assert tg.gradcheck(lambda v, t=transform: t.log_abs_det_jacobian(v, t(v)), [x])
    y = tg.Tensor(D.StickBreakingTransform()(x).data, requires_grad=True)
    assert tg.gradcheck(D.StickBreakingTransform().inv, [y])
    corr = tg.Tensor(D.CorrCholeskyTransform()(x).data, requires_grad=True)
    assert tg.gradcheck(lambda c: D.CorrCholeskyTransform().inv(c), [corr])
    square = tg.Tensor(RNG.normal(size=(2, 3, 3)), requires_grad=True)
    assert tg.gradcheck(D.LowerCholeskyTransform(), [square])
    assert tg.gradcheck(D.PositiveDefiniteTransform(), [square])
    loc = tg.Tensor([0.3, -0.2], requires_grad=True)
    values = tg.Tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    assert tg.gradcheck(lambda v, m: D.CumulativeDistributionTransform(D.Normal(m, 1.5))(v),
                        [values, loc])


def test_values_land_in_the_codomain_and_come_back():
    x = RNG.normal(size=(5, 6)) * 3
    for transform, value in ((D.StickBreakingTransform(), x), (D.CorrCholeskyTransform(), x),
                             (D.SoftplusTransform(), x),
                             (D.LowerCholeskyTransform(), x[:, :4].reshape(5, 2, 2)),
                             (D.PositiveDefiniteTransform(), x[:, :4].reshape(5, 2, 2))):
        y = transform(value)
        assert transform.codomain.check(y).all(), type(transform).__name__
        again = transform(transform.inv(y))
        np.testing.assert_allclose(again.data, y.data, rtol=1e-8, atol=1e-10)
    assert D.StickBreakingTransform()(np.zeros(3)).data.tolist() == pytest.approx([0.25] * 4)
    assert np.allclose(D.CorrCholeskyTransform()(np.zeros(3)).data, np.eye(3))


def test_transformed_distributions_through_the_new_transforms_are_pytorchs():
    torch = pytest.importorskip("torch")
    TD, TT = torch.distributions, torch.distributions.transforms
    loc = np.array([0.2, -0.5, 1.0])
    leaves = (tg.Tensor(loc, requires_grad=True), torch.tensor(loc, requires_grad=True))
    ours = D.TransformedDistribution(D.Normal(leaves[0], 1.0), D.StickBreakingTransform())
    theirs = TD.TransformedDistribution(TD.Normal(leaves[1], 1.0), TT.StickBreakingTransform())
    assert ours.event_shape == tuple(theirs.event_shape) == (4,)
    value = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    a, b = ours.log_prob(value), theirs.log_prob(torch.tensor(value))
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(leaves[0].grad.data, leaves[1].grad.numpy(), rtol=1e-9)
    # a Gaussian copula's margin: uniform values, log_prob 0 less the normal's
    copula = D.TransformedDistribution(D.Normal(tg.zeros(2), 1.0),
                                       D.CumulativeDistributionTransform(D.Normal(0.0, 1.0)))
    np.testing.assert_allclose(copula.log_prob([0.2, 0.9]).data, [0.0, 0.0], atol=1e-12)


# -- the registries ----------------------------------------------------------------------------
def _constraint_pairs(torch):
    TC = torch.distributions.constraints
    return [(C.real, TC.real, (3,)), (C.positive, TC.positive, (3,)),
            (C.nonnegative, TC.nonnegative, (3,)),
            (C.greater_than(2.0), TC.greater_than(2.0), (3,)),
            (C.greater_than_eq(-1.0), TC.greater_than_eq(-1.0), (3,)),
            (C.unit_interval, TC.unit_interval, (3,)),
            (C.interval(-1.0, 3.0), TC.interval(-1.0, 3.0), (3,)),
            (C.half_open_interval(-1.0, 3.0), TC.half_open_interval(-1.0, 3.0), (3,)),
            (C.simplex, TC.simplex, (2, 3)), (C.real_vector, TC.real_vector, (2, 3)),
            (C.independent(C.positive, 1), TC.independent(TC.positive, 1), (2, 3)),
            (C.lower_cholesky, TC.lower_cholesky, (2, 3, 3)),
            (C.positive_definite, TC.positive_definite, (2, 3, 3)),
            (C.corr_cholesky, TC.corr_cholesky, (2, 6)),
            (C.cat([C.positive, C.real], 0, [2, 1]), TC.cat([TC.positive, TC.real], 0, [2, 1]),
             (3, 4)),
            (C.stack([C.positive, C.unit_interval], 1),
             TC.stack([TC.positive, TC.unit_interval], 1), (3, 2)),
            (C.boolean, TC.boolean, (3,)), (C.nonnegative_integer, TC.nonnegative_integer, (3,))]


def test_biject_to_and_transform_to_are_pytorchs():
    torch = pytest.importorskip("torch")
    for ours_c, theirs_c, shape in _constraint_pairs(torch):
        x = RNG.normal(size=shape)
        for ours_registry, theirs_registry in ((D.biject_to, torch.distributions.biject_to),
                                               (D.transform_to,
                                                torch.distributions.transform_to)):
            try:
                theirs = theirs_registry(theirs_c)
            except NotImplementedError:
                with pytest.raises(NotImplementedError, match="cannot transform"):
                    ours_registry(ours_c)
                continue
            ours = ours_registry(ours_c)
            assert repr(ours).split() == repr(theirs).split(), repr(ours_c)
            y, y_torch = ours(tg.Tensor(x)), theirs(torch.tensor(x))
            np.testing.assert_allclose(y.data, y_torch.numpy(), rtol=1e-10, atol=1e-12)
            assert ours_c.check(y).all(), repr(ours_c)
            np.testing.assert_allclose(ours.inv(y).data, theirs.inv(y_torch).numpy(),
                                       rtol=1e-8, atol=1e-10)
            if theirs.bijective:
                np.testing.assert_allclose(
                    ours.log_abs_det_jacobian(tg.Tensor(x), y).data,
                    theirs.log_abs_det_jacobian(torch.tensor(x), y_torch).numpy(),
                    rtol=1e-10, atol=1e-12)


def test_biject_to_optimizes_a_constrained_parameter():
    # an unconstrained leaf mapped onto (0, inf): gradients reach it through the map
    raw = tg.Tensor([0.3, -1.0], requires_grad=True)
    scale = D.biject_to(D.Normal.arg_constraints["scale"])(raw)
    assert np.all(scale.data > 0)
    D.Normal(0.0, scale).log_prob([1.0, 2.0]).sum().backward()
    assert raw.grad is not None and np.all(np.isfinite(raw.grad.data))
    assert isinstance(D.transform_to(C.simplex), T.SoftmaxTransform)
    assert isinstance(D.biject_to(C.simplex), D.StickBreakingTransform)


def test_register_a_constraint_and_refusals():
    class Odd(C.Constraint):
        def check(self, value):
            return np.asarray(value) % 2 == 1

    registry = type(D.biject_to)("mine")
    registry.register(Odd, lambda c: T.AffineTransform(1.0, 2.0))
    assert isinstance(registry(Odd()), T.AffineTransform)

    @registry.register(Odd())
    def _odd(constraint):
        return T.ExpTransform()
    assert isinstance(registry(Odd()), T.ExpTransform)
    with pytest.raises(TypeError, match="mine.register: constraint must be a Constraint"):
        registry.register(3, _odd)
    with pytest.raises(NotImplementedError, match="biject_to: cannot transform Boolean") as err:
        D.biject_to(C.boolean)
    assert "\n" not in str(err.value)
    with pytest.raises(NotImplementedError, match="biject_to: cannot transform LowerCholesky"):
        D.biject_to(C.lower_cholesky)  # (none in PyTorch's either)


def test_the_new_constraints_are_pytorchs():
    torch = pytest.importorskip("torch")
    TC = torch.distributions.constraints
    counts = np.array([[1.0, 2.0, 0.0], [3.0, 2.0, 1.0], [-1.0, 2.0, 0.0]])
    assert C.multinomial(5).check(counts).tolist() == TC.multinomial(5).check(
        torch.tensor(counts)).tolist() == [True, False, False]
    assert C.multinomial(5).is_discrete and C.multinomial(5).event_dim == 1
    factor = D.CorrCholeskyTransform()(RNG.normal(size=(2, 3))).data
    bad = factor * 1.1
    for value in (factor, bad, np.eye(3)):
        assert C.corr_cholesky.check(value).tolist() == TC.corr_cholesky.check(
            torch.tensor(value)).tolist()
    value = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 0.2]])
    ours, theirs = C.cat([C.positive, C.real, C.unit_interval], 1), TC.cat(
        [TC.positive, TC.real, TC.unit_interval], 1)
    assert ours.check(value).tolist() == theirs.check(torch.tensor(value)).tolist()
    ours, theirs = C.stack([C.positive, C.real], 0), TC.stack([TC.positive, TC.real], 0)
    assert ours.check(value).tolist() == theirs.check(torch.tensor(value)).tolist()
    assert (repr(C.corr_cholesky), repr(C.multinomial(3))) == (
        repr(TC.corr_cholesky), repr(TC.multinomial(3)))
    assert ours.event_dim == theirs.event_dim and not ours.is_discrete


# -- shapes, dtypes, errors ----------------------------------------------------------------------
def test_float32_empty_and_shapes():
    x32 = tg.Tensor(np.float32(RNG.normal(size=(2, 3))))
    for transform in (D.SoftplusTransform(), D.StickBreakingTransform(),
                      D.CorrCholeskyTransform()):
        y = transform(x32)
        assert y.dtype == np.float32
        assert transform.log_abs_det_jacobian(x32, y).dtype == np.float32
        assert transform.inv(y).dtype == np.float32
    empty = tg.zeros(0, 3)
    assert D.StickBreakingTransform()(empty).shape == (0, 4)
    assert D.ReshapeTransform((3,), (3, 1))(empty).shape == (0, 3, 1)
    assert D.ReshapeTransform((3,), (3, 1)).log_abs_det_jacobian(empty, tg.zeros(0, 3, 1)
                                                                ).shape == (0,)
    assert D.CorrCholeskyTransform().forward_shape((5, 10)) == (5, 5, 5)
    assert D.CorrCholeskyTransform().inverse_shape((5, 5, 5)) == (5, 10)
    assert D.StickBreakingTransform().inverse_shape((2, 4)) == (2, 3)
    assert D.CatTransform([T.ExpTransform()] * 2, lengths=[1, 2]).length == 3
    assert math.isclose(float(D.SoftplusTransform().inv(D.SoftplusTransform()(40.0)).data),
                        40.0)


@pytest.mark.parametrize("make,kind,match", [
    (lambda: D.ReshapeTransform((2, 3), (5,)), ValueError,
     r"ReshapeTransform: in_shape \(2, 3\) and out_shape \(5,\) have different numbers"),
    (lambda: D.ReshapeTransform((2, 3), (6,))(tg.zeros(3, 2)), ValueError,
     r"ReshapeTransform: a value of shape \(3, 2\) does not end in the event shape \(2, 3\)"),
    (lambda: D.IndependentTransform(T.ExpTransform(), -1), ValueError,
     "IndependentTransform: reinterpreted_batch_ndims must be >= 0"),
    (lambda: D.IndependentTransform("exp", 1), TypeError,
     "IndependentTransform: base_transform must be a Transform"),
    (lambda: D.IndependentTransform(T.ExpTransform(), 2)(tg.zeros(3)), ValueError,
     r"IndependentTransform: x of shape \(3,\) has fewer than 2 axes"),
    (lambda: D.CatTransform([T.ExpTransform()], 0, [1, 2]), ValueError,
     "CatTransform: 2 lengths for 1 transforms"),
    (lambda: D.CatTransform([T.ExpTransform(), "exp"]), TypeError,
     r"CatTransform: tseq\[1\] must be a Transform"),
    (lambda: D.CatTransform([T.ExpTransform()] * 2, 0, [1, 2])(tg.zeros(4)), ValueError,
     "CatTransform: x has 4 entries along dim 0 .* need 3"),
    (lambda: D.CatTransform([T.ExpTransform()] * 2, 2)(tg.zeros(2, 2)), IndexError,
     "CatTransform: dim 2 is out of range"),
    (lambda: D.StackTransform([T.ExpTransform()] * 2, 0)(tg.zeros(3)), ValueError,
     "StackTransform: x has 3 entries along dim 0 .* need 2"),
    (lambda: D.StickBreakingTransform()(tg.tensor(1.0)), ValueError,
     r"StickBreakingTransform: x of shape \(\) has fewer than 1 axes"),
    (lambda: D.CorrCholeskyTransform()(tg.zeros(4)), ValueError,
     "CorrCholeskyTransform: x's last axis has 4 entries, not D"),
    (lambda: D.CorrCholeskyTransform().inv(tg.zeros(2, 3)), ValueError,
     "CorrCholeskyTransform: y must be square matrices"),
    (lambda: D.LowerCholeskyTransform()(tg.zeros(2, 3)), ValueError,
     "LowerCholeskyTransform: values must be square matrices"),
    (lambda: D.CumulativeDistributionTransform("normal"), TypeError,
     "CumulativeDistributionTransform: distribution must be a Distribution"),
    (lambda: C.cat([C.real], 0, [1, 2]), ValueError, "constraints.cat: 2 lengths for 1"),
    (lambda: C.stack([C.real], 3).check(np.zeros(2)), IndexError,
     "constraints.stack: dim 3 is out of range"),
])
def test_bad_input_is_one_line(make, kind, match):
    with pytest.raises(kind, match=match) as err:
        make()
    assert "\n" not in str(err.value)


def test_the_transforms_module_has_every_transform_as_pytorchs():
    """`from torch.distributions.transforms import X` ports as it is written."""
    torch = pytest.importorskip("torch")
    ours = tg.distributions.transforms
    assert set(ours.__all__) == {name for name in ours.__all__ if hasattr(ours, name)}
    assert {"StickBreakingTransform", "SoftplusTransform", "ExpTransform"} <= set(ours.__all__)
    missing = {name for name in torch.distributions.transforms.__all__
               if not hasattr(ours, name)}
    assert missing == set(), missing
