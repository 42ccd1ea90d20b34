"""Forward-mode tangents at every fuzzed op's edges, against PyTorch and against reverse mode.

test_torch_edges.py runs every op of test_fuzz.py's OPS at ties, zeros, -0.0, +-inf, NaN,
the op's own kinks and empty tensors (its SPECS and `edge_cases`) and compares values and
gradients with torch; test_forward_ad_ops.py checks every op's tangent away from the edges.
Here each edge case runs inside a dual level with a fixed random tangent on every input, in
tinygrad_gd (`tg.autograd.forward_ad`) and in torch (`torch.autograd.forward_ad`, float64),
and the output's tangents must agree (NaN at the same places, infinities equal, else to
1e-12 of the largest entry). Cases test_torch_edges.py lists as different to first order
(its KNOWN) are skipped: the tangent is the same derivative. Where torch has no forward-mode
formula (TORCH_HAS_NONE: the twins test_torch_edges.py writes as a torch.autograd.Function
with a backward only) the op is skipped in that comparison, with the reason.

Whatever torch gives, our tangent must be our reverse mode's derivative: for L = sum(w *
out), the tangent of L along v, sum(w * tangent), equals sum(grad L * v) from backward()
(both NaN, the same infinity, or equal to 1e-12 of the larger sum of magnitudes), at every
edge, first-order known differences included. KNOWN_FORWARD lists the differences that
stay, each with its reason; a known difference that went away fails too.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_gd as tg
from test_fuzz import OPS, TORCH_OPS
from test_torch_edges import EDGES, KNOWN, RTOL, SPECS, TWINS, _weights, assert_as_known, \
    edge_cases, mismatch, outcome, refusals
import test_torch_edges as first_order
from tinygrad_gd.autograd import forward_ad as fwAD

torch = pytest.importorskip("torch")  # (every test here compares with PyTorch)

# (torch's own warning: its functorch imports torch.jit.script)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

# ---------------------------------------------------------------------------------------
# Tangents in each library


def _tangents(inputs: list[np.ndarray], edge: str) -> list[np.ndarray]:
    """A fixed random tangent per input (standard normal: no entry 0)."""
    rng = np.random.default_rng(sorted(EDGES).index(edge) + 11 * len(inputs))
    return [rng.standard_normal(a.shape) for a in inputs]


def ours(op: str, inputs: list[np.ndarray], tangents: list[np.ndarray], params: dict) -> tuple:
    """(output, its tangent) in tinygrad_gd's forward mode."""
    with fwAD.dual_level():
        duals = [fwAD.make_dual(tg.Tensor(a.copy()), tg.Tensor(t.copy()))
                 for a, t in zip(inputs, tangents)]
        out = OPS[op].call(*duals, **params)
        tangent = fwAD.unpack_dual(out).tangent
        return out.data.copy(), (np.zeros(out.shape) if tangent is None else
                                 np.array(tangent.data, np.float64))


def theirs(op: str, inputs: list[np.ndarray], tangents: list[np.ndarray], params: dict) -> tuple:
    """(output, its tangent) in torch's forward mode, float64."""
    fn = TWINS.get(op, TORCH_OPS[op])
    ad = torch.autograd.forward_ad
    with ad.dual_level():
        duals = [ad.make_dual(torch.tensor(a), torch.tensor(t)) for a, t in zip(inputs, tangents)]
        out = fn(torch, *duals, **params)
        tangent = ad.unpack_dual(out).tangent
        return out.detach().numpy().copy(), (np.zeros(tuple(out.shape)) if tangent is None
                                             else tangent.detach().numpy().copy())


def reverse_mode(op: str, inputs: list[np.ndarray], tangents: list[np.ndarray],
                 params: dict) -> tuple:
    """(sum(w * out's tangent), sum over inputs of sum(grad L * v)), L = sum(w * out), each
    with the sum of its terms' magnitudes (the scale of its rounding)."""
    _, tangent = ours(op, inputs, tangents, params)
    leaves = [tg.Tensor(a.copy(), requires_grad=True) for a in inputs]
    out = OPS[op].call(*leaves, **params)
    weights = _weights(out.shape)
    (out * weights).sum().backward()
    forward = weights * tangent
    backward = [t * (np.zeros(a.shape) if x.grad is None else x.grad.data)
                for a, t, x in zip(inputs, tangents, leaves)]
    scale = max(np.abs(forward[np.isfinite(forward)]).sum(),
                *(np.abs(b[np.isfinite(b)]).sum() for b in backward))
    return float(forward.sum()), float(sum(b.sum() for b in backward)), scale


def compare(op: str, inputs: list[np.ndarray], params: dict, edge: str) -> str | None:
    """One case against torch: None where both agree (or an empty case torch refuses), else
    how they differ, ours first."""
    tangents = _tangents(inputs, edge)
    mine = outcome(ours, op, inputs, tangents, params)
    other = outcome(theirs, op, inputs, tangents, params)
    refused = refusals(mine, other, edge)
    if refused is not None:
        return refused or None
    found = mismatch(mine[0], other[0])
    if found:
        return f"value {found}"
    found = mismatch(mine[1], other[1])
    return f"tangent {found}" if found else None


def _shown(params: dict, inputs: list[np.ndarray]) -> str:
    kept = {k: v for k, v in params.items() if not isinstance(v, np.ndarray)}
    return f"(params {kept}, inputs {[a.tolist() for a in inputs]})"


def differences(op: str) -> dict[str, str]:
    """edge: the first difference from torch found there; KNOWN's edges left out."""
    return first_order.differences(op, compare, KNOWN)


def reverse_mode_differences(op: str) -> dict[str, str]:
    """edge: the first case where the tangent is not reverse mode's derivative (NaN on one
    side only, other infinities, or numbers beyond RTOL of the larger sum of magnitudes)."""
    found: dict[str, str] = {}
    for edge, params, inputs in edge_cases(op):
        if edge in found:
            continue
        sums = outcome(reverse_mode, op, inputs, _tangents(inputs, edge), params)
        if isinstance(sums, str):
            continue  # (a refusal: test_forward_ad_ops.py and test_torch_edges.py check them)
        fwd, bwd, scale = sums
        if math.isnan(fwd) != math.isnan(bwd) or (math.isinf(fwd) or math.isinf(bwd)) and \
                fwd != bwd or abs(fwd - bwd) > RTOL * max(scale, 1e-300):
            found[edge] = f"forward {fwd!r} vs backward {bwd!r} {_shown(params, inputs)}"
    return found


# ---------------------------------------------------------------------------------------
# What torch cannot compute, and the differences that stay: (op, edge) -> why

NO_FORWARD_TWIN = ("test_torch_edges.py's twin is a torch.autograd.Function with a backward "
                   "only (torch has no derivative of its own here): no forward-mode formula")
NO_FORWARD = "torch 2.13 has no forward-mode formula for it (torch.func.jvp neither): " \
    "NotImplementedError"
TORCH_HAS_NONE: dict[str, str] = {**{op: NO_FORWARD_TWIN for op in TWINS},
                                  **{op: NO_FORWARD for op in ("igamma", "igammac", "zeta")}}

OURS_BACKWARD = "the tangent is J·t of backward()'s J, which both libraries' backward give; " \
    "PyTorch's forward formula "
EMPTY_MEAN = "a reduction of no entries: the tangent is 0, the sum of no terms; PyTorch's " \
    "divides it by the count 0 or subtracts the max -inf: NaN (api-guide)"
LAPACK = "a singular or non-finite matrix, or repeated eigen/singular values: undefined " \
    "(LAPACK's numbers, inf * 0 in another order; api-guide)"
KNOWN_FORWARD: dict[tuple[str, str], str] = {
    **{("setitem", edge): "forward mode refuses an in-place change of a dual tensor "
       "(forward_ad.py); torch follows it" for edge in EDGES if edge not in (
           "kinks", "empty matrices")},  # (no kinks; torch refuses the empty matrices)
    **{("atan2", edge): OURS_BACKWARD + "divides 0 by 0 at (0, 0): NaN (api-guide)"
       for edge in ("ties", "small integers", "zeros", "negative zero", "kinks")},
    **{("div", edge): "x / 0 or infinite x, y: the two inputs' terms summed, inf - inf is NaN, "
       "as reverse mode's; PyTorch's (tx - out ty) / y gives +-inf (api-guide)"
       for edge in ("infinities", "kinks", "negative zero")},
    **{("fmax", edge): OURS_BACKWARD + "takes the second input's tangent at a tie (api-guide)"
       for edge in ("ties", "small integers", "zeros", "negative zero", "infinities")},
    **{(op, "NaN"): OURS_BACKWARD + "takes the other input's tangent beside a NaN (api-guide)"
       for op in ("maximum", "minimum")},
    ("logit", "negative zero"): OURS_BACKWARD + "divides by -0.0: -inf where backward gives "
    "inf (api-guide)",
    ("index_fill", "empty matrices"): "an index past an empty axis is refused, as torch's "
    "reverse mode; torch's forward mode does not check it",
    **{(op, edge): EMPTY_MEAN for op in ("mean", "std", "logsumexp")
       for edge in ("empty first axis", "empty last axis", "empty matrices")},
    **{(op, edge): LAPACK for op, edge in (
        ("eigh", "zeros"), ("svd", "negative zero"), ("lu", "zeros"), ("lu", "infinities"),
        ("lu", "NaN"))},
}
KNOWN_REVERSE: dict[tuple[str, str], str] = {
    **{("lu", edge): LAPACK for edge in ("zeros", "negative zero", "infinities")},
}


# ---------------------------------------------------------------------------------------
# The tests


def test_every_known_difference_names_an_op_and_an_edge():
    for table in (KNOWN_FORWARD, KNOWN_REVERSE):
        assert {op for op, _ in table} <= set(OPS) and {e for _, e in table} <= set(EDGES)
    assert not set(KNOWN_FORWARD) & set(KNOWN) and set(TORCH_HAS_NONE) <= set(OPS)


@pytest.mark.torch
@pytest.mark.parametrize("op", sorted(SPECS))
def test_tangents_at_the_edges_agree_with_pytorch(op):
    if op in TORCH_HAS_NONE:
        pytest.skip(TORCH_HAS_NONE[op])
    assert_as_known(op, differences(op), KNOWN_FORWARD, "KNOWN_FORWARD")


@pytest.mark.torch  # (torch is only imported here: every case at every edge, ours alone)
@pytest.mark.parametrize("op", sorted(SPECS))
def test_tangent_is_reverse_modes_derivative_at_every_edge(op):
    assert_as_known(op, reverse_mode_differences(op), KNOWN_REVERSE, "KNOWN_REVERSE")
