"""Second derivatives at the edges, against PyTorch: every twice-differentiable fuzzed op.

test_torch_edges.py compares values and gradients of every op of test_fuzz.py's OPS at ties,
zeros, -0.0, +-inf, NaN, the op's own kinks and empty tensors; test_fuzz_second_order.py
compares second derivatives away from those. Here every op with a `backward_graph`
(`second_order_ops()`) runs at the same edge inputs (test_torch_edges's SPECS and
`edge_cases`), and each case takes, in both libraries (float64), the gradient of a fixed
weighted sum of the output with `create_graph=True`, then the gradient of a fixed weighted
sum of that gradient (a Hessian-vector product). Both must agree (NaN at the same places,
infinities equal, else to 1e-12 of the largest entry), and the gradient taken with
`create_graph=True` must equal `backward()`'s at every edge (an op's `backward` and
`backward_graph` are one rule), whatever torch gives. Where PyTorch has no second derivative
of its own (its Bessel functions, digamma, polygamma: test_torch_edges's TWINS, exact to
first order only), or its own is a short series (lgamma's and mvlgamma's trigamma),
SECOND_TWINS writes the derivatives out in torch's functions, with their limits where the
formulas meet inf - inf or 0 / 0. Cases
test_torch_edges.py already lists as different to first order (its KNOWN) are skipped;
KNOWN_SECOND lists the second-order differences that stay, each with its reason, and a
known difference that went away fails too.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
from test_fuzz import OPS, TORCH_OPS
from test_fuzz_second_order import second_order_ops
from test_torch_edges import EDGES, KNOWN, RTOL, TWINS, Jet, _airy_slope, _psi, _weights, \
    assert_as_known, edge_cases, outcome, refusals
import test_torch_edges as first_order

torch = pytest.importorskip("torch")  # (every test here compares with PyTorch)

INF = math.inf

# ---------------------------------------------------------------------------------------
# PyTorch's side: where torch has no second derivative, the first and second written out


class Jet2(torch.autograd.Function):
    """value(x), whose gradient is grad * slope(x), itself differentiable: slope'(x) is
    curvature(x) (a Jet)."""

    @staticmethod
    def forward(ctx, value, slope, curvature, x):
        ctx.slope, ctx.curvature = slope, curvature
        ctx.save_for_backward(x)
        return value(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        curvature = ctx.curvature
        return None, None, None, grad * Jet.apply(ctx.slope, lambda v: [curvature(v)], x)


def _jet2(value: Callable, slope: Callable, curvature: Callable) -> Callable[..., Any]:
    return lambda t, x: Jet2.apply(value, slope, curvature, x)


def _at_0(x: Any, limit: float, formula: Any) -> Any:
    return torch.where(x == 0, limit, formula)


S = torch.special
J0, J1, Y0, Y1 = S.bessel_j0, S.bessel_j1, S.bessel_y0, S.bessel_y1
K0, K1, SK0, SK1 = (S.modified_bessel_k0, S.modified_bessel_k1,
                    S.scaled_modified_bessel_k0, S.scaled_modified_bessel_k1)


def _lgamma_sum(x: Any, p: int, n: int) -> Any:
    """The n-th derivative of mvlgamma(x, p) past the first: sum over j < p of psi(n)."""
    return sum(_psi(n)(x - j / 2) for j in range(p))


SECOND_TWINS: dict[str, Callable[..., Any]] = {
    "bessel_j0": _jet2(J0, lambda x: -J1(x), lambda x: _at_0(x, -0.5, J1(x) / x - J0(x))),
    "bessel_j1": _jet2(J1, lambda x: _at_0(x, 0.5, J0(x) - J1(x) / x),
                       lambda x: _at_0(x, 0.0, 2 * J1(x) / x**2 - J0(x) / x - J1(x))),
    "bessel_y0": _jet2(Y0, lambda x: -Y1(x), lambda x: _at_0(x, -INF, Y1(x) / x - Y0(x))),
    "bessel_y1": _jet2(Y1, lambda x: _at_0(x, INF, Y0(x) - Y1(x) / x),
                       lambda x: _at_0(x, -INF, 2 * Y1(x) / x**2 - Y0(x) / x - Y1(x))),
    "modified_bessel_k0": _jet2(K0, lambda x: -K1(x), lambda x: _at_0(x, INF, K0(x) + K1(x) / x)),
    "modified_bessel_k1": _jet2(K1, lambda x: _at_0(x, -INF, -K0(x) - K1(x) / x), lambda x: _at_0(
        x, INF, K1(x) + K0(x) / x + 2 * K1(x) / x**2)),
    "scaled_modified_bessel_k0": _jet2(
        SK0, lambda x: _at_0(x, -INF, SK0(x) - SK1(x)),
        lambda x: _at_0(x, INF, 2 * SK0(x) - 2 * SK1(x) + SK1(x) / x)),
    "scaled_modified_bessel_k1": _jet2(
        SK1, lambda x: _at_0(x, -INF, SK1(x) * (1 - 1 / x) - SK0(x)),
        lambda x: _at_0(x, INF, 2 * SK1(x) - 2 * SK0(x) + (SK0(x) - 2 * SK1(x)) / x
                        + 2 * SK1(x) / x**2)),
    "spherical_bessel_j0": _jet2(
        S.spherical_bessel_j0, lambda x: _at_0(x, 0.0, (x * torch.cos(x) - torch.sin(x)) / x**2),
        lambda x: _at_0(x, -1 / 3, 2 * torch.sin(x) / x**3 - 2 * torch.cos(x) / x**2
                        - torch.sin(x) / x)),
    "airy_ai": _jet2(S.airy_ai, _airy_slope, lambda x: x * S.airy_ai(x)),
    "digamma": _jet2(torch.digamma, _psi(1), _psi(2)),
    "lgamma": _jet2(torch.lgamma, torch.digamma, _psi(1)),
}


def _polygamma(t: Any, x: Any, *, n: int) -> Any:
    return Jet2.apply(_psi(n), _psi(n + 1), _psi(n + 2), x)


def _mvlgamma(t: Any, x: Any, *, p: int) -> Any:
    return Jet2.apply(lambda v: t.mvlgamma(v, p), lambda v: _lgamma_sum(v, p, 0),
                      lambda v: _lgamma_sum(v, p, 1), x)


SECOND_TWINS.update(polygamma=_polygamma, mvlgamma=_mvlgamma)


def torch_twin(op: str) -> Callable[..., Any]:
    return SECOND_TWINS.get(op) or TWINS.get(op) or TORCH_OPS[op]


# ---------------------------------------------------------------------------------------
# Running a case in each library


def _directions(shapes: list[tuple]) -> list[np.ndarray]:
    """A fixed direction per input, other than the output's weights and each other's."""
    return [np.asarray(-_weights(tuple(s) + (1,) * (k + 1)).reshape(s))
            for k, s in enumerate(shapes)]


def _arrays(grads: Any, shapes: list[tuple], values: Callable) -> list[np.ndarray]:
    return [np.zeros(s) if g is None else values(g) for g, s in zip(grads, shapes)]


def derivatives(autograd: Any, leaves: list, out: Any, weights: Any, directions: list,
                values: Callable) -> tuple[list, list]:
    """(gradient of (out . weights), gradient of (that . directions)) in one library."""
    shapes = [tuple(x.shape) for x in leaves]
    if not out.requires_grad:
        zeros = [np.zeros(s) for s in shapes]
        return zeros, zeros
    grads = autograd.grad((out * weights).sum(), leaves, create_graph=True, allow_unused=True)
    terms = [(g * v).sum() for g, v in zip(grads, directions) if g is not None and
             g.requires_grad]
    second = [None] * len(leaves) if not terms else autograd.grad(
        sum(terms[1:], terms[0]), leaves, allow_unused=True)
    return _arrays(grads, shapes, values), _arrays(second, shapes, values)


def run_ours(op: str, inputs: list[np.ndarray], params: dict) -> tuple:
    leaves = [tg.Tensor(a.copy(), requires_grad=True) for a in inputs]
    out = OPS[op].call(*leaves, **params)
    found = derivatives(tg.autograd, leaves, out, tg.Tensor(_weights(out.shape)),
                        [tg.Tensor(d) for d in _directions([a.shape for a in inputs])],
                        lambda g: np.array(g.data))
    plain = [tg.Tensor(a.copy(), requires_grad=True) for a in inputs]
    (OPS[op].call(*plain, **params) * _weights(out.shape)).sum().backward()
    return found + ([np.zeros(a.shape) if t.grad is None else t.grad.data
                     for a, t in zip(inputs, plain)],)


def run_torch(op: str, inputs: list[np.ndarray], params: dict) -> tuple:
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in inputs]
    out = torch_twin(op)(torch, *leaves, **params)
    return derivatives(torch.autograd, leaves, out, torch.from_numpy(_weights(tuple(out.shape))),
                       [torch.from_numpy(d) for d in _directions([a.shape for a in inputs])],
                       lambda g: g.detach().clone().numpy())


def compare(op: str, inputs: list[np.ndarray], params: dict, edge: str) -> str | None:
    """One case: None where both agree (or torch refuses an empty case, or both refuse),
    else how they differ, ours first."""
    ours = outcome(run_ours, op, inputs, params)
    theirs = outcome(run_torch, op, inputs, params)
    refused = refusals(ours, theirs, edge)
    if refused is not None:
        return refused or None
    # (the second derivative to 1e-12 of its largest entry or the gradient's, whichever is
    # larger: where the Hessian-vector product is a sum that cancels, its rounding is theirs)
    floor = max(_largest(h) for h in theirs[0])
    for name, order in (("gradient", 0), ("second derivative", 1)):
        for k, (g, h) in enumerate(zip(ours[order], theirs[order])):
            found = mismatch(g, h, floor if order else 0.0)
            if found:
                return f"{name} of input {k} {found}"
    return None


def _largest(a: np.ndarray) -> float:
    return float(np.abs(a[np.isfinite(a)]).max(initial=0.0))


def mismatch(ours: np.ndarray, theirs: np.ndarray, floor: float = 0.0) -> str | None:
    """Where two arrays differ: NaNs at other places, other infinities, else beyond RTOL of
    the largest finite entry of theirs (or `floor`, where larger); None where they agree."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if ours.shape != theirs.shape:
        return f"shape {ours.shape} vs {theirs.shape}"
    finite = np.isfinite(theirs) & np.isfinite(ours)
    scale = max(_largest(theirs), floor, 1e-300)
    bad = (np.isnan(ours) != np.isnan(theirs)) | \
        ((np.isinf(ours) | np.isinf(theirs)) & (ours != theirs)) | \
        (finite & (np.abs(np.where(finite, ours, 0) - np.where(finite, theirs, 0)) > RTOL * scale))
    if not bad.any():
        return None
    at = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"at {at}: {ours[at]!r} vs {theirs[at]!r}"


def differences(op: str) -> dict[str, str]:
    """edge: the first difference found there, edges test_torch_edges.py knows to differ to
    first order left out."""
    return first_order.differences(op, compare, KNOWN)


def create_graph_differences(op: str) -> list[str]:
    """Every case, known differences from torch included, where the gradient taken with
    create_graph=True is not backward()'s (NaN and inf at other places, or other numbers
    beyond rounding: 1e-12 of the largest entry)."""
    found = []
    for edge, params, inputs in edge_cases(op):
        ours = outcome(run_ours, op, inputs, params)
        if isinstance(ours, str):
            continue
        for k, (g, h) in enumerate(zip(ours[0], ours[2])):
            diff = mismatch(g, h)
            if diff:
                shown = {k: v for k, v in params.items() if not isinstance(v, np.ndarray)}
                found.append(f"{edge}, input {k} {diff} (params {shown}, inputs "
                             f"{[a.tolist() for a in inputs]})")
    return found


# ---------------------------------------------------------------------------------------
# The differences that stay: (op, edge) -> why

ALL = tuple(EDGES)[:7]  # (every edge but the empty ones)
ZERO_LIMIT = ("at +-inf the limit, 0, where PyTorch's formula meets inf / inf or its series "
              "NaN (api-guide)")
KNOWN_SECOND: dict[tuple[str, str], str] = {
    **{("div", edge): "the divisor's second derivative is that of -g * x / y**2: NaN at y = 0 "
       "or infinite inputs (0 * inf), torch's +-inf from (x / y) / y, a form that broke "
       "scatter_reduce prod's third derivatives where zeros meet (api-guide)"
       for edge in ("negative zero", "infinities", "kinks")},
    **{(op, edge): ZERO_LIMIT for op, edge in (
        ("lgamma", "infinities"), ("mvlgamma", "infinities"), ("logit", "infinities"),
        ("logaddexp", "infinities"), ("logaddexp2", "infinities"), ("logaddexp", "kinks"),
        ("logaddexp2", "kinks"))},
    **{("atan2", edge): "at (0, 0) the gradient is 0, as PyTorch's, and so its derivative; "
       "PyTorch's differentiates 0 / 0: NaN (api-guide)" for edge in (
           "ties", "small integers", "zeros", "negative zero", "kinks")},
    **{("copysign", edge): "the gradient sign(x) sign(y) is piecewise constant: second "
       "derivative 0; PyTorch's differentiates out / x: NaN at x = 0, inf, NaN (api-guide)"
       for edge in ALL},
    **{("sinc", edge): "at 0 the limit -pi**2 / 3; PyTorch's differentiates its gradient "
       "masked at 0: NaN (api-guide)" for edge in ALL},
    **{(op, edge): "at x = 0 the density's derivative's limit (-inf, 0, ... by a); "
       "PyTorch's formula gives NaN (api-guide)" for op in ("igamma", "igammac")
       for edge in ("ties", "small integers", "zeros", "negative zero", "NaN", "kinks")},
    **{("norm", edge): "a zero vector: second derivative 0, as abs's at 0; PyTorch's divides "
       "by the norm 0: NaN (api-guide)" for edge in ("zeros", "negative zero", "kinks")},
    **{("prod", edge): "the Hessian's entries are products of the other entries, no division: "
       "NaN where one holds inf * 0, finite beside a NaN; PyTorch's the reverse (api-guide)"
       for edge in ("infinities", "NaN")},
    **{("pow", edge): "x = y = 0: the x gradient's mask at y = 0 is a constant 0; PyTorch's "
       "differentiates through it: NaN (api-guide)" for edge in (
           "ties", "small integers", "zeros")},
    ("pow", "NaN"): "x < 0, y = 0: the mixed derivative holds log(x), NaN, as the y gradient "
    "does; PyTorch's gives a number (api-guide)",
    ("i0", "NaN"): "i0'' = i1' is NaN at a NaN; PyTorch's i1 backward gives 1/2 there "
    "(api-guide)",
    ("binary_cross_entropy", "zeros"): "at x = 0 the derivative of backward's gradient, "
    "whose denominator is kept from float32's 1e-12; PyTorch's double backward has float64's "
    "(4e-9 apart; losses.py)",
    ("logit", "negative zero"): "the gradient at -0.0 is backward()'s, inf, also with "
    "create_graph=True, where PyTorch's gives -inf (api-guide)",
    **{("det", edge): "a singular matrix: the gradient is 0, PyTorch's backward()'s, also with "
       "create_graph=True, and its derivative 0; PyTorch's create_graph=True gives the "
       "adjugate and NaN (api-guide)" for edge in ("zeros", "negative zero")},
}


# ---------------------------------------------------------------------------------------
# The tests


def test_every_known_difference_names_a_twice_differentiable_op_and_an_edge():
    assert {op for op, _ in KNOWN_SECOND} <= set(second_order_ops())
    assert {e for _, e in KNOWN_SECOND} <= set(EDGES)
    assert not set(KNOWN_SECOND) & set(KNOWN)


@pytest.mark.torch
@pytest.mark.parametrize("op", second_order_ops())
def test_second_derivatives_at_the_edges_agree_with_pytorch(op):
    assert_as_known(op, differences(op), KNOWN_SECOND, "KNOWN_SECOND")


@pytest.mark.torch  # (torch is only imported here: every case at every edge, ours alone)
@pytest.mark.parametrize("op", second_order_ops())
def test_create_graph_gives_backwards_gradient_at_every_edge(op):
    found = create_graph_differences(op)
    assert not found, f"{op}: create_graph=True's gradient vs backward()'s at " + \
        "\n".join(found)
