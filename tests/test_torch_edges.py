"""Every fuzzed op at its edges, against PyTorch: values and gradients, float64.

test_fuzz.py keeps its inputs away from kinks, ties, poles and domain ends; here every op of
its table OPS (and its torch twin TORCH_OPS) runs exactly there. For each op, SPECS gives one
or more examples (input shapes and params, written per op in the spirit of its strategy in
test_fuzz.py), and EDGES fills the inputs: ties (small integers, repeated, the same in every
input), small integers (shifted between inputs), zeros, negative zeros, +-inf, a NaN, the
op's own kinks (KINKS: 0 for relu, the clip bounds, +-1 for arcsin, ...) and empty tensors
(a 0-length first or last axis, 0 x 0 matrices) where torch accepts them. Each case compares
the value (NaN at the same places, infinities equal, else to 1e-12 of the largest entry)
and the gradient of a fixed weighted sum of the output with respect to every input (the
same). A case either library refuses must be refused by both, except an empty one torch
refuses (then nothing is compared). KNOWN lists the differences that stay, each with its
reason; a known difference that went away fails too, so the list stays true.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
from test_bessel import torch_bessel  # (Ai's series: its derivative)
from test_fuzz import OPS, TORCH_OPS

torch = pytest.importorskip("torch")  # (every test here compares with PyTorch)

INF, NAN = math.inf, math.nan
RTOL = 1e-12

# ---------------------------------------------------------------------------------------
# Examples: (input shapes, params) per op

Example = tuple[tuple[tuple[int, ...], ...], dict]


def _unary(*params: dict) -> tuple[Example, ...]:
    return tuple((((2, 3),), p) for p in (params or ({},)))


BINARY: tuple[Example, ...] = ((((2, 3), (2, 3)), {}), (((2, 3), (3,)), {}))
REDUCED: tuple[Example, ...] = tuple((((2, 3),), {"axis": a, "keepdims": k})
                                     for a, k in ((None, False), (1, False), ((0, 1), True)))
ROWS = np.array([[0, 2, 0], [1, 1, 2]])  # an index along axis 1 of a (2, 3), repeating

SPECS: dict[str, tuple[Example, ...]] = {
    **{op: _unary() for op in (
        "neg exp log sqrt abs tanh sigmoid relu square reciprocal sin cos tan log1p expm1 log2 "
        "log10 exp2 sign floor ceil round softplus elu gelu silu hardtanh relu6 sinh cosh to "
        "clone arcsin arccos arctan arcsinh arccosh arctanh deg2rad rad2deg celu softsign mish "
        "hardswish quick_gelu rsqrt trunc frac logit nan_to_num sinc erf erfc erfinv erfcx "
        "ndtri log_ndtr i0 i0e i1 i1e entr lgamma digamma bessel_j0 bessel_j1 bessel_y0 "
        "bessel_y1 modified_bessel_k0 modified_bessel_k1 scaled_modified_bessel_k0 "
        "scaled_modified_bessel_k1 spherical_bessel_j0 airy_ai").split()},
    **{op: BINARY for op in (
        "add sub mul div maximum minimum logaddexp logaddexp2 remainder atan2 hypot fmod xlogy "
        "fmax fmin copysign heaviside xlog1py floor_divide nextafter").split()},
    "pow": BINARY + _unary(*({"exponent": e} for e in (0.0, 1.0, 2.0, 3.0, 0.5, -1.0, 2.5))),
    "leaky_relu": _unary({"negative_slope": 0.1}),
    "clip": _unary({"min": -1.0, "max": 1.0}, {"min": 0.0, "max": None},
                   {"min": None, "max": 2.0}, {"min": 1.0, "max": 1.0}),
    "polygamma": _unary(*({"n": n} for n in range(4))),
    "mvlgamma": _unary({"p": 1}, {"p": 3}),
    "zeta": _unary({"x": 2.0}, {"x": 1.5}),
    "igamma": _unary({"a": 0.5}, {"a": 3.0}),
    "igammac": _unary({"a": 0.5}, {"a": 3.0}),
    "where": ((((2, 3), (2, 3)), {"condition": np.array([[1, 0, 1], [0, 0, 1]], bool)}),),
    "binary_cross_entropy": ((((2, 3), (2, 3)), {}),),
    **{op: REDUCED for op in ("sum", "mean", "max", "min", "logsumexp", "norm")},
    "prod": tuple((((2, 3),), {"axis": a, "keepdims": k}) for a, k in ((None, False),
                                                                          (1, True))),
    **{op: tuple((((2, 3),), {"axis": a, "keepdims": k, "ddof": d})
                 for a, k, d in ((None, False, 1), (1, True, 0), ((0, 1), False, 0)))
       for op in ("var", "std")},
    **{op: tuple((((2, 3),), {"axis": a}) for a in (-1, 0)) for op in ("softmax",
                                                                       "log_softmax")},
    **{op: tuple((((2, 3),), {"axis": a}) for a in (1, None)) for op in ("cumsum",
                                                                         "cumprod")},
    "reshape": ((((2, 3),), {"shape": (3, 2)}),),
    "flatten": ((((2, 3, 1),), {"start_dim": 0, "end_dim": 1}),),
    "transpose": ((((2, 3),), {"axes": None}),),
    "broadcast_to": ((((1, 3),), {"shape": (2, 2, 3)}),),
    "getitem": ((((2, 3),), {"index": (slice(None), np.array([0, 2, 0]))}),
                (((2, 3),), {"index": (Ellipsis, slice(None, None, -1))})),
    "setitem": ((((2, 3), (3,)), {"index": (0,)}), (((2, 3), ()), {"index": (slice(None), 1)})),
    "concatenate": ((((2, 3), (1, 3)), {"axis": 0}),),
    "stack": ((((2, 3), (2, 3)), {"axis": 1}),),
    "expand_dims": ((((2, 3),), {"axis": 1}),),
    "squeeze": ((((2, 1, 3),), {"axis": (1,)}),),
    "permute": ((((2, 3),), {"dims": (1, 0)}),),
    "swapaxes": ((((2, 3),), {"axes": (0, 1)}),),
    "moveaxis": ((((2, 3),), {"axes": (0, -1)}),),
    "flip": ((((2, 3),), {"axis": (1,)}),),
    "pad": tuple((((2, 3),), {"widths": w, "mode": m, "value": v}) for w, m, v in (
        (((1, 0), (0, 2)), "constant", 1.5), (((1, 1), (2, 0)), "reflect", 0.0),
        (((0, 1), (2, 1)), "edge", 0.0), (((1, 1), (1, 2)), "wrap", 0.0))),
    "split": ((((2, 3),), {"axis": 1, "size": 2, "piece": 1}),),
    "chunk": ((((2, 3),), {"axis": 1, "size": 2, "piece": 0}),),
    "tile": ((((2, 3),), {"reps": (2, 1)}),),
    "repeat_interleave": ((((2, 3),), {"repeats": 2, "axis": 1}),
                          (((2, 3),), {"repeats": 2, "axis": None})),
    "take_along_axis": ((((2, 3),), {"index": ROWS, "axis": 1}),),
    "gather": ((((2, 3),), {"index": ROWS[:, :2], "axis": 1}),),
    "masked_fill": ((((2, 3), ()), {"mask": np.array([[1, 0, 1], [0, 0, 1]], bool)}),),
    "narrow": ((((2, 3),), {"dim": 1, "start": 1, "length": 2}),),
    "take": ((((2, 3),), {"index": np.array([0, 5, 0, -1]), "axis": None}),
             (((2, 3),), {"index": np.array([[2, 0], [2, 2]]), "axis": 1})),
    "index_select": ((((2, 3),), {"index": np.array([2, 0, 2]), "axis": 1}),),
    "topk": tuple((((2, 3),), {"k": 2, "dim": 1, "largest": b}) for b in (True, False)),
    "sort": ((((2, 3),), {"axis": 1, "descending": False}),
             (((2, 3),), {"axis": None, "descending": True})),
    "roll": ((((2, 3),), {"shift": 1, "axis": None}), (((2, 3),), {"shift": (1, -1),
                                                                   "axis": (0, 1)})),
    "diff": ((((2, 3),), {"n": 1, "axis": 1, "prepend": None}),
             (((2, 3),), {"n": 2, "axis": 1, "prepend": 0.5})),
    "tril": ((((3, 3),), {"k": 0}),),
    "triu": ((((2, 3),), {"k": 1}),),
    "diag": ((((3, 3),), {"k": 1}), (((3,),), {"k": 0})),
    "diagonal": ((((2, 3, 3),), {"offset": 0, "dim1": 1, "dim2": 2}),),
    "trace": ((((3, 3),), {}),),
    "unfold": ((((2, 3),), {"dimension": 1, "size": 2, "step": 1}),),
    "as_strided": ((((2, 3),), {"size": (2, 2), "stride": (1, 1), "storage_offset": 1}),),
    "diag_embed": ((((2, 3),), {"offset": 0, "dim1": -2, "dim2": -1}),),
    "matmul": ((((2, 3), (3, 2)), {}), (((3,), (3,)), {}), (((2, 2, 3), (3, 1)), {})),
    "dot": ((((2, 3), (3,)), {}),),
    "linear": ((((2, 3), (2, 3), (2,)), {}), (((2, 3), (2, 3)), {})),
    "einsum": ((((2, 3), (3, 2)), {"subscripts": "ab,bz->az"}),),
    "tensordot": ((((2, 3), (3, 2)), {"axes": 1}),),
    "outer": ((((3,), (2,)), {}),),
    "cross_entropy": tuple((((2, 3),), {"target": np.array([0, 2]), "reduction": r})
                           for r in ("mean", "none")),
    "conv2d": ((((1, 2, 3, 3), (2, 1, 2, 2), (2,)),
                {"stride": 1, "padding": 1, "dilation": (1, 1), "groups": 2}),
               (((1, 1, 3, 3), (1, 1, 2, 2)),
                {"stride": 2, "padding": 0, "dilation": (1, 1), "groups": 1})),
    "max_pool2d": ((((1, 1, 3, 4),), {"kernel_size": (2, 2), "stride": 1, "padding": (1, 1),
                                      "ceil_mode": False, "dilation": (1, 1)}),
                   (((1, 1, 3, 4),), {"kernel_size": (2, 2), "stride": 2, "padding": (0, 0),
                                      "ceil_mode": True, "dilation": (1, 1)})),
    "avg_pool2d": ((((1, 1, 3, 4),), {"kernel_size": (2, 2), "stride": 2, "padding": (1, 1),
                                      "ceil_mode": True, "count_include_pad": False,
                                      "divisor_override": None}),),
    **{op: ((((2, 2, 2),), {}),) for op in ("inv", "det", "slogdet", "matrix_exp",
                                            "cholesky", "eigvalsh", "pinv")},
    "solve": ((((2, 2), (2, 1)), {}),),
    "solve_triangular": ((((2, 2), (2, 1)), {"upper": True}),),
    "qr": tuple((((3, 2),), {"part": p}) for p in ("Q", "R")),
    "eigh": tuple((((2, 2),), {"part": p}) for p in ("eigenvalues", "eigenvectors")),
    "svd": tuple((((3, 2),), {"part": p}) for p in ("U", "S", "Vh")),
    "lu": tuple((((2, 2),), {"part": p}) for p in ("LU", "L", "U")),
    "scatter": ((((2, 3), (2, 2)), {"dim": 1, "index": np.array([[0, 2], [1, 0]])}),),
    "scatter_add": ((((2, 3), (2, 2)), {"dim": 1, "index": ROWS[:, :2]}),),
    "scatter_reduce": tuple(
        (((2, 3), (2, 3)), {"dim": 1, "index": ROWS, "reduce": r, "include_self": s})
        for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)),
    "index_add": ((((2, 3), (2, 2)), {"dim": 1, "index": np.array([0, 0]), "alpha": 2.0}),),
    "index_copy": ((((2, 3), (2, 2)), {"dim": 1, "index": np.array([2, 0])}),),
    "index_fill": ((((2, 3), ()), {"dim": 1, "index": np.array([0, 2])}),),
    "masked_scatter": ((((2, 3), (5,)), {"mask": np.array([[1, 0, 1], [0, 1, 1]], bool)}),),
}

# ---------------------------------------------------------------------------------------
# Edges: how each input is filled

# each op's own kinks, poles and domain ends (a function of its params where they set them)
KINKS: dict[str, Any] = {
    **{op: (0.0, -0.0, 1.0, -1.0) for op in (
        "abs relu sign leaky_relu elu celu softsign sqrt rsqrt log log2 log10 reciprocal "
        "sinc i0e spherical_bessel_j0 entr heaviside copysign atan2 hypot xlogy "
        "bessel_y0 bessel_y1 modified_bessel_k0 modified_bessel_k1 scaled_modified_bessel_k0 "
        "scaled_modified_bessel_k1 igamma igammac").split()},
    **{op: (1.0, -1.0, 0.0, 0.5) for op in ("arcsin", "arccos", "arctanh", "erfinv",
                                             "arccosh", "hardtanh")},
    **{op: (0.0, 1.0, 0.5, -0.5, 1.5) for op in ("logit", "ndtri", "binary_cross_entropy")},
    **{op: (0.5, -0.5, 1.5, -2.5, 2.0, 1.0) for op in ("floor", "ceil", "round", "trunc",
                                                       "frac")},
    **{op: (0.0, -1.0, -2.0, -0.0, 1.0) for op in ("lgamma", "digamma", "polygamma", "zeta",
                                                   "log1p", "xlog1py")},
    "relu6": (0.0, 6.0, -0.0, 3.0), "hardswish": (-3.0, 3.0, 0.0, 1.0),
    "mvlgamma": lambda p: (0.0, 0.5, 1.0, (p["p"] - 1) / 2, 1.5, 2.0),
    "clip": lambda p: tuple(b for b in (p["min"], p["max"]) if b is not None) + (0.0, 3.0),
    "remainder": (0.0, 2.0, -2.0, 4.0, -0.0, 1.0), "fmod": (0.0, 2.0, -2.0, 4.0, -0.0, 1.0),
    "floor_divide": (0.0, 2.0, -2.0, 4.0, -0.0, 1.0),
    "pow": (0.0, -0.0, 1.0, -1.0, 0.5, 2.0), "div": (0.0, -0.0, 1.0),
    "norm": (0.0, 0.0, 0.0, 1.0), "std": (1.0, 1.0, 1.0, 2.0), "var": (1.0, 1.0, 1.0, 2.0),
    "prod": (0.0, 1.0, 0.0, 2.0), "cumprod": (0.0, 1.0, 0.0, 2.0),
    **{op: (-INF, -INF, 0.0) for op in ("logsumexp", "softmax", "log_softmax", "logaddexp",
                                        "logaddexp2", "cross_entropy")},
}

EDGES: dict[str, tuple] = {  # name: (values, each input's shift along them)
    "ties": ((1.0, 2.0, 2.0, 1.0, 0.0, 2.0, -1.0, 1.0), 0),
    "small integers": ((1.0, 2.0, 2.0, 1.0, 0.0, 2.0, -1.0, 1.0), 3),
    "zeros": ((0.0,), 0),
    "negative zero": ((-0.0, 0.0, -0.0, 1.0, -0.0, -1.0), 1),
    "infinities": ((INF, -INF, 1.0, 0.0, -2.0, INF), 1),
    "NaN": ((NAN, 1.0, -1.0, 0.0, 2.0), 1),
    "kinks": (None, 1),
    "empty first axis": ((1.0, 2.0), 0),
    "empty last axis": ((1.0, 2.0), 0),
    "empty matrices": ((1.0, 2.0), 0),
}


def _emptied(shapes: tuple, edge: str) -> tuple | None:
    """The shapes with a 0-length axis: the first or last axis of the broadcast shape (right
    aligned), or both matrix axes; None where no input has such an axis."""
    ndim = max(len(s) for s in shapes)
    axes = {"empty first axis": (-ndim,), "empty last axis": (-1,),
            "empty matrices": (-2, -1)}[edge]
    if ndim < len(axes) or (edge == "empty matrices" and ndim < 2):
        return None
    out = []
    for s in shapes:
        s = list(s)
        for a in axes:
            if len(s) >= -a:
                s[a] = 0
        out.append(tuple(s))
    return tuple(out)


def edge_inputs(op: str, shapes: tuple, params: dict, edge: str) -> list[np.ndarray] | None:
    """The inputs of one case, or None where the edge does not apply to the op."""
    values, shift = EDGES[edge]
    if edge == "kinks":
        if op not in KINKS:
            return None
        values = KINKS[op](params) if callable(KINKS[op]) else KINKS[op]
    if edge.startswith("empty"):
        shapes = _emptied(shapes, edge)
        if shapes is None:
            return None
    pattern = np.array(values, dtype=np.float64)
    return [np.resize(np.roll(pattern, -k * shift), s) for k, s in enumerate(shapes)]


# ---------------------------------------------------------------------------------------
# Running a case in each library

# Where torch has no gradient (its Bessel functions, heaviside, floor_divide) or test_fuzz's
# twin is not torch's own op (digamma and polygamma by zeta, for accuracy): torch's values,
# and the derivative written out in torch's functions, applied by a torch.autograd.Function
# (so an infinite slope meets no inf * 0 that the twins' `slope * (x - x.detach())` makes)


class Jet(torch.autograd.Function):
    """value(*inputs), whose gradient is grad * slope for each slope of slopes(*inputs)."""

    @staticmethod
    def forward(ctx, value, slopes, *inputs):
        ctx.slopes = slopes
        ctx.save_for_backward(*inputs)
        return value(*inputs)

    @staticmethod
    def backward(ctx, grad):
        inputs = ctx.saved_tensors
        return (None, None) + tuple((grad * s).sum_to_size(x.shape)
                                    for s, x in zip(ctx.slopes(*inputs), inputs))


def _jet(value: Callable, *slopes: Callable) -> Callable[..., Any]:
    return lambda t, *xs: Jet.apply(value, lambda *v: [s(*v) for s in slopes], *xs)


def _zeta(t: Any, s: float, x: Any) -> Any:
    return t.special.zeta(t.full_like(x, s), x)


def _psi(n: int) -> Callable[[Any], Any]:
    """polygamma(n, .) in torch to float64: digamma, else (-1)**(n + 1) n! zeta(n + 1, .)"""
    if n == 0:
        return torch.digamma
    return lambda x: (-1) ** (n + 1) * math.factorial(n) * _zeta(torch, n + 1.0, x)


def _airy_slope(x: Any) -> Any:
    with torch.enable_grad():
        v = x.detach().requires_grad_()
        return torch.autograd.grad(torch_bessel(torch, "airy_ai", v).sum(), v)[0]


def _at_0(x: Any, limit: float, slope: Any) -> Any:
    return torch.where(x == 0, limit, slope)


S = torch.special
TWINS: dict[str, Callable[..., Any]] = {
    "bessel_j0": _jet(S.bessel_j0, lambda x: -S.bessel_j1(x)),
    "bessel_j1": _jet(S.bessel_j1, lambda x: torch.where(
        x == 0, 0.5, S.bessel_j0(x) - S.bessel_j1(x) / x)),
    "bessel_y0": _jet(S.bessel_y0, lambda x: -S.bessel_y1(x)),
    # (Y1, K1 and the scaled K's: at 0 their slopes' limits, where the formulas meet inf - inf)
    "bessel_y1": _jet(S.bessel_y1, lambda x: _at_0(x, INF, S.bessel_y0(x) - S.bessel_y1(x) / x)),
    "modified_bessel_k0": _jet(S.modified_bessel_k0, lambda x: -S.modified_bessel_k1(x)),
    "modified_bessel_k1": _jet(S.modified_bessel_k1, lambda x: _at_0(
        x, -INF, -S.modified_bessel_k0(x) - S.modified_bessel_k1(x) / x)),
    "scaled_modified_bessel_k0": _jet(S.scaled_modified_bessel_k0, lambda x: _at_0(
        x, -INF, S.scaled_modified_bessel_k0(x) - S.scaled_modified_bessel_k1(x))),
    "scaled_modified_bessel_k1": _jet(S.scaled_modified_bessel_k1, lambda x: _at_0(
        x, -INF, S.scaled_modified_bessel_k1(x) * (1 - 1 / x) - S.scaled_modified_bessel_k0(x))),
    "spherical_bessel_j0": _jet(S.spherical_bessel_j0, lambda x: torch.where(
        x == 0, 0.0, (x * torch.cos(x) - torch.sin(x)) / x**2)),
    "airy_ai": _jet(S.airy_ai, _airy_slope),
    "digamma": _jet(torch.digamma, _psi(1)),
    "heaviside": _jet(torch.heaviside, lambda x, y: torch.zeros_like(x),
                      lambda x, y: (x == 0) * torch.ones_like(y)),
    "floor_divide": _jet(torch.floor_divide, lambda x, y: torch.zeros_like(x),
                         lambda x, y: torch.zeros_like(y)),
}


def _polygamma(t: Any, x: Any, *, n: int) -> Any:
    return Jet.apply(_psi(n), lambda v: [_psi(n + 1)(v)], x)


TWINS["polygamma"] = _polygamma


def _weights(shape: tuple) -> np.ndarray:
    rng = np.random.default_rng(sum(shape) + 7 * len(shape))
    return np.asarray(rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape))


def run_ours(op: str, inputs: list[np.ndarray], params: dict) -> tuple:
    leaves = [tg.Tensor(a.copy(), requires_grad=True) for a in inputs]
    out = OPS[op].call(*leaves, **params)
    (out * _weights(out.shape)).sum().backward()
    return out.data, [np.zeros(a.shape) if t.grad is None else t.grad.data
                      for a, t in zip(inputs, leaves)]


def run_torch(op: str, inputs: list[np.ndarray], params: dict) -> tuple:
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in inputs]
    out = TWINS.get(op, TORCH_OPS[op])(torch, *leaves, **params)
    if out.requires_grad:
        (out * torch.from_numpy(_weights(tuple(out.shape)))).sum().backward()
    return out.detach().numpy(), [np.zeros(a.shape) if t.grad is None else t.grad.numpy()
                                  for a, t in zip(inputs, leaves)]


def outcome(run: Callable, *args: Any) -> Any:
    """`run(*args)` without NumPy's warnings, or how it refused (an outcome to compare)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run(*args)
    except Exception as err:  # noqa: BLE001  (a refusal is an outcome to compare)
        return f"refused ({type(err).__name__}: {str(err).splitlines()[0][:80]})"


def assert_as_known(op: str, found: dict, known: dict, name: str) -> None:
    """The differences `found` for `op` ({edge or case: how}) are exactly those `known`
    ({(op, edge or case): why}) lists: none unexplained, none listed that is gone."""
    unexpected = {at: diff for at, diff in found.items() if (op, at) not in known}
    gone = [at for o, at in known if o == op and at not in found]
    assert not unexpected, "\n".join(f"{op} at {at}: {diff}" for at, diff in unexpected.items())
    assert not gone, f"{op}: no difference left at {gone}: take them out of {name}"


def mismatch(ours: np.ndarray, theirs: np.ndarray) -> str | None:
    """Where two arrays differ: NaNs at other places, other infinities, else beyond RTOL of
    the largest finite entry; None where they agree."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if ours.shape != theirs.shape:
        return f"shape {ours.shape} vs {theirs.shape}"
    finite = np.isfinite(theirs) & np.isfinite(ours)
    scale = float(np.abs(theirs[finite]).max(initial=0.0))
    bad = (np.isnan(ours) != np.isnan(theirs)) | \
        ((np.isinf(ours) | np.isinf(theirs)) & (ours != theirs)) | \
        (finite & (np.abs(np.where(finite, ours, 0) - np.where(finite, theirs, 0))
                   > RTOL * max(scale, 1e-300)))
    if not bad.any():
        return None
    at = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"at {at}: {ours[at]!r} vs {theirs[at]!r}"


def refusals(ours: Any, theirs: Any, edge: str) -> str | None:
    """Where a side refused (its `outcome` a message): how the two differ, "" where that is
    no difference (both refused, or torch an empty case ours computes); None where both
    gave numbers, to be compared."""
    if isinstance(theirs, str):
        if isinstance(ours, str) or edge.startswith("empty"):
            return ""
        return f"ours gives numbers, torch {theirs}"
    if isinstance(ours, str):
        return f"ours {ours}, torch gives numbers"
    return None


def compare(op: str, inputs: list[np.ndarray], params: dict, edge: str) -> str | None:
    """One case: None where both agree (or an empty case torch refuses), else how they
    differ, ours first."""
    ours = outcome(run_ours, op, inputs, params)
    theirs = outcome(run_torch, op, inputs, params)
    refused = refusals(ours, theirs, edge)
    if refused is not None:
        return refused or None
    found = mismatch(ours[0], theirs[0])
    if found:
        return f"value {found}"
    for k, (g, h) in enumerate(zip(ours[1], theirs[1])):
        found = mismatch(g, h)
        if found:
            return f"gradient of input {k} {found}"
    return None


def edge_cases(op: str):
    """Every (edge, example, inputs) of the op."""
    for shapes, params in SPECS[op]:
        for edge in EDGES:
            inputs = edge_inputs(op, shapes, params, edge)
            if inputs is not None:
                yield edge, params, inputs


def differences(op: str, compare_case: Callable | None = None, skip: Any = ()) -> dict[str, str]:
    """edge: the first difference `compare_case(op, inputs, params, edge)` (this file's
    `compare` unless given) finds there, its example's params and inputs named; the edges
    of `skip`'s (op, edge) pairs left out."""
    found: dict[str, str] = {}
    for edge, params, inputs in edge_cases(op):
        if edge in found or (op, edge) in skip:
            continue
        diff = (compare_case or compare)(op, inputs, params, edge)
        if diff:
            shown = {k: v for k, v in params.items() if not isinstance(v, np.ndarray)}
            found[edge] = f"{diff} (params {shown}, inputs {[a.tolist() for a in inputs]})"
    return found


# ---------------------------------------------------------------------------------------
# The differences that stay: (op, edge) -> why

LIMIT = ("at +-inf the limit (0, inf or the slope's), where PyTorch's formula or series gives "
         "NaN (api-guide)")
LAPACK = ("a matrix holding inf or NaN, or singular where a pivot is 0: LAPACK's results, "
          "undefined (api-guide)")
KNOWN: dict[tuple[str, str], str] = {
    **{(op, "infinities"): LIMIT for op in (
        "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 digamma erfcx i0 i1 igamma igammac "
        "log_ndtr polygamma softsign spherical_bessel_j0 zeta").split()},
    ("abs", "NaN"): "sign(NaN) is NaN, abs's gradient there too; PyTorch's 0 hides it (api-guide)",
    ("sign", "NaN"): "sign(NaN) is NaN, as NumPy's; PyTorch's 0 hides the NaN (api-guide)",
    **{(op, "NaN"): "the gradient at a NaN is NaN; PyTorch's i1 backward gives 1/2 there "
       "(api-guide)" for op in ("i1", "i1e")},
    **{("cumprod", edge): "cumprod's gradient multiplies the other entries, no division: at "
       "inf and NaN PyTorch's divides by x or takes a product past a 0 as 0 (api-guide)"
       for edge in ("infinities", "NaN")},
    **{("scatter_reduce", edge): "amax/amin with include_self=False: tied scattered values "
       "share all of it; PyTorch counts x's own tie too, then drops its share (api-guide)"
       for edge in ("ties", "small integers", "zeros", "negative zero", "infinities", "NaN")},
    **{(op, "NaN"): "a NaN extreme gives the gradient to the NaNs, as torch.max(); torch.amax's "
       "is NaN everywhere (0/0: no entry equals NaN) (api-guide)" for op in ("max", "min")},
    ("mvlgamma", "negative zero"): "lgamma's gradient at -0.0, digamma(-0.0) = inf; PyTorch's "
    "mvlgamma adds 0.0 to x first (-0.0 + 0 = +0: -inf) (api-guide)",
    **{(op, edge): LAPACK for op, edge in (
        ("eigh", "NaN"), ("qr", "infinities"), ("qr", "NaN"), ("svd", "NaN"), ("pinv", "NaN"),
        ("slogdet", "zeros"), ("slogdet", "negative zero"), ("lu", "negative zero"))},
    **{("pow", edge): "x ** 0.5's gradient is y * x ** (y - 1) by C's pow (at -0.0 inf, at "
       "-inf 0); PyTorch's computes ** 0.5 as sqrt (-inf; NaN) (api-guide)"
       for edge in ("negative zero", "kinks", "infinities")},
    ("remainder", "infinities"): "the divisor's gradient is -floor(x / y) by C's floor (-2 % "
    "inf: 0; inf % 3: -inf), where PyTorch's gives 1 and NaN (api-guide)",
}


# ---------------------------------------------------------------------------------------
# The tests


def test_every_fuzzed_op_has_examples_and_every_known_difference_names_one():
    assert set(SPECS) == set(OPS), (sorted(set(OPS) - set(SPECS)), sorted(set(SPECS) - set(OPS)))
    assert {op for op, _ in KNOWN} <= set(OPS) and {e for _, e in KNOWN} <= set(EDGES)


@pytest.mark.torch
@pytest.mark.parametrize("op", sorted(SPECS))
def test_edges_agree_with_pytorch(op):
    assert_as_known(op, differences(op), KNOWN, "KNOWN")
