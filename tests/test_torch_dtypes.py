"""Every fuzzed op's result dtype and float32 numbers, against PyTorch's.

test_torch_edges.py runs every op of test_fuzz.py's table OPS at its edges in float64; here
the same examples (its SPECS: input shapes and params per op) run with ordinary values inside
each op's domain, in the dtypes a user brings: float32 inputs; int64 and bool inputs; and
float32 mixed with a Python float, with a float64 0-d tensor and with an int64 tensor (each
input of a two-input op in turn). Each case compares the result's dtype (by name), the
values, which calls raise, and, for float inputs, the gradients' dtypes and values (of a
fixed weighted sum of the output). Float values agree with torch's float32 result to 1e-5
relative plus 4 float32 ulps of the largest entry, or with torch's float64 result of the same
inputs to that tolerance (ours may be the more accurate); integer and bool values exactly.
The "wide" cases sum, average and multiply 100,000 float32 values: ours must be no further
from the float64 result than torch's is (twice its error, plus 4 ulps), which catches an
accumulation in float32 where torch accumulates wider. torch's prod multiplies float32 in
float32 too, in an order its thread count sets (its error is smaller than ours with one
thread, larger with two, by chance), so prod may also be as far as float32's own bound for
n roundings in any order (IN_FLOAT32_BY_TORCH); a product in float16 is still caught.

The project's default float dtype is float64 (api-guide, "The dtype rule": `i / 2` is
float64), torch's float32: integer and bool inputs are compared with torch run under
`torch.set_default_dtype(torch.float64)`, so an op turning integers into floats must give
float64 here. KNOWN lists the differences that stay, (op, case) -> why; a known difference
that went away fails too, so the list stays true.
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg
from tinygrad_gd.ops import reductions
from test_fuzz import OPS, TORCH_OPS, _edge
from test_torch_edges import SPECS, TWINS, assert_as_known

torch = pytest.importorskip("torch")  # (every test here compares with PyTorch)

RTOL = 1e-5
ULPS = 4

# ---------------------------------------------------------------------------------------
# Each op's inputs: ordinary values inside its domain

# (low, high) of every input's values; ops not named take +-[0.3, 2] (away from every kink)
DOMAINS: dict[str, tuple[float, float]] = {
    **{op: (0.2, 3.0) for op in "log sqrt rsqrt log2 log10 entr xlogy pow".split()},
    **{op: (-0.8, 0.8) for op in "arcsin arccos arctanh erfinv".split()},
    **{op: (0.1, 0.9) for op in "logit ndtri binary_cross_entropy".split()},
    **{op: (0.3, 4.0) for op in (
        "lgamma digamma bessel_y0 bessel_y1 modified_bessel_k0 modified_bessel_k1 "
        "scaled_modified_bessel_k0 scaled_modified_bessel_k1 igamma igammac").split()},
    **{op: (0.6, 4.0) for op in ("polygamma", "zeta")},
    "log1p": (-0.5, 3.0), "xlog1py": (-0.5, 2.0), "tan": (-1.2, 1.2), "arccosh": (1.2, 4.0),
    "mvlgamma": (1.3, 4.0), "airy_ai": (-3.0, 2.0),
}
# square matrices made well conditioned (3 I added) for the linear algebra
CONDITIONED = set("inv det slogdet solve solve_triangular pinv lu matrix_exp".split())


def _floats(op: str, shape: tuple, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if op in DOMAINS:
        values = rng.uniform(*DOMAINS[op], shape)
    else:
        values = rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    if op in CONDITIONED and len(shape) >= 2 and shape[-1] == shape[-2]:
        values = values + 3 * np.eye(shape[-1])
    if op == "matrix_exp":
        values = values / 4  # (exp of entries near 1: float32's relative error stays small)
    return values


def _integers(op: str, shape: tuple, seed: int) -> np.ndarray:
    low, high = DOMAINS.get(op, (-2.0, 2.0))
    rng = np.random.default_rng(seed)
    return np.rint(rng.uniform(np.floor(low), np.ceil(high), shape)).astype(np.int64)


# an input: ("float32" | "float64" | "int64" | "bool", array) or ("number", float)
Input = tuple[str, Any]


def cases(op: str) -> dict[str, tuple[list[Input], dict]]:
    """Every case of the op: name -> (inputs, params); each example of SPECS numbered."""
    found: dict[str, tuple[list[Input], dict]] = {}
    for e, (shapes, params) in enumerate(SPECS[op]):
        tag = f" #{e}" if len(SPECS[op]) > 1 else ""
        floats = [_floats(op, s, 10 * e + k) for k, s in enumerate(shapes)]
        ints = [_integers(op, s, 10 * e + k) for k, s in enumerate(shapes)]
        found["float32" + tag] = ([("float32", a.astype(np.float32)) for a in floats], params)
        found["int64" + tag] = ([("int64", a) for a in ints], params)
        found["bool" + tag] = ([("bool", a % 2 == 1) for a in ints], params)
        if len(shapes) < 2:
            continue
        for k in range(len(shapes)):
            others = [("float32", a.astype(np.float32)) for a in floats]
            scalar = float(floats[k].reshape(-1)[0]) if floats[k].size else 0.5
            for kind, value in (("python float", ("number", scalar)),
                                ("float64 0-d", ("float64", np.array(scalar))),
                                ("int64", ("int64", ints[k]))):
                found[f"float32 with {kind} as input {k}{tag}"] = (
                    others[:k] + [value] + others[k + 1:], params)
    return found


# ops that add up, average or multiply many values, and their params for a 1-d input
WIDE: dict[str, dict] = {
    **{op: {"axis": None, "keepdims": False} for op in ("sum", "mean", "norm", "logsumexp",
                                                         "prod")},
    **{op: {"axis": None, "keepdims": False, "ddof": 1} for op in ("var", "std")},
    **{op: {"axis": 0} for op in ("softmax", "log_softmax", "cumsum", "cumprod")},
    "dot": {}, "matmul": {},
}
WIDE_SIZE = 100_000
# Reductions torch does in float32 itself, so its error is chance (its order follows its
# thread count): these may also be off by float32's probabilistic bound for n roundings,
# BOUND_LAMBDA * sqrt(n) * u relative (Higham and Mary, SIAM J. Sci. Comput. 41(5), 2019;
# a correct float32 product, in any order, exceeds it with a chance below 1e-16)
IN_FLOAT32_BY_TORCH = {"prod"}
BOUND_LAMBDA = 10


def wide_inputs(op: str) -> list[Input]:
    rng = np.random.default_rng(5)
    if op in ("prod", "cumprod"):
        values = 1 + rng.uniform(-1e-3, 1e-3, WIDE_SIZE)  # (a product that stays near 1)
    else:
        values = rng.uniform(0.0, 1.0, WIDE_SIZE)
    inputs = [("float32", values.astype(np.float32))]
    if op in ("dot", "matmul"):
        inputs.append(("float32", rng.uniform(0.0, 1.0, WIDE_SIZE).astype(np.float32)))
    return inputs


# ---------------------------------------------------------------------------------------
# Running a case in each library


def _weights(shape: tuple, dtype: Any) -> np.ndarray:
    rng = np.random.default_rng(sum(shape) + 7 * len(shape))
    return np.asarray(rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape), dtype)


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def _detached(v: Any) -> Any:
    return v.detach() if isinstance(v, torch.Tensor) else v


def _torch_written(t: Any, x: Any, v: Any, *, index: Any) -> Any:
    out = x * 1  # (as test_fuzz's _written: the write lands in a product, bool * 1 int64)
    out[index] = v
    return out


# where test_fuzz's twin assumes float64 tensors: the same op written for any dtype, a
# number among the inputs too
OWN_TWINS: dict[str, Callable[..., Any]] = {
    "to": lambda t, x: x.to(t.float64).to(x.dtype),
    "digamma": lambda t, x: t.digamma(x),
    "polygamma": lambda t, x, *, n: t.polygamma(n, x),
    "floor_divide": lambda t, x, y: t.floor_divide(_detached(x), _detached(y)) + 0 * (x + y),
    "setitem": _torch_written,
    # (prepend a tensor of the default dtype, as a number becomes here)
    "diff": lambda t, x, *, n, axis, prepend: t.diff(x, n, axis, prepend=None if prepend is None
                                                     else t.full(_edge(x, axis), prepend)),
}


def run_ours(op: str, inputs: list[Input], params: dict) -> tuple:
    leaves = [value if kind == "number" else
              tg.Tensor(value.copy(), dtype=value.dtype,
                        requires_grad=value.dtype.kind == "f") for kind, value in inputs]
    out = OPS[op].call(*leaves, **params)
    if out.requires_grad:
        (out * _weights(out.shape, out.dtype)).sum().backward()
    grads = [None if not isinstance(t, tg.Tensor) or t.grad is None else t.grad.data
             for t in leaves]
    return _dtype_name(out.dtype), np.asarray(out.data), grads


def run_torch(op: str, inputs: list[Input], params: dict, wider: bool = False) -> tuple:
    """torch's outcome; wider: every float input in float64 (the reference)."""
    leaves = []
    for kind, value in inputs:
        if kind == "number":
            leaves.append(value)
            continue
        t = torch.tensor(value.astype(np.float64) if wider and kind == "float32" else value)
        leaves.append(t.requires_grad_() if t.is_floating_point() else t)
    out = OWN_TWINS.get(op, TWINS.get(op, TORCH_OPS[op]))(torch, *leaves, **params)
    if out.requires_grad:
        weights = torch.from_numpy(_weights(tuple(out.shape), _dtype_name(out.dtype)))
        (out * weights).sum().backward()
    grads = [None if not isinstance(t, torch.Tensor) or t.grad is None else t.grad.numpy()
             for t in leaves]
    return _dtype_name(out.dtype), out.detach().numpy(), grads


def _outcome(run: Callable, *args: Any, integers: bool = False) -> Any:
    default = torch.get_default_dtype()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if integers:  # (tinygrad_gd's default float dtype, for integers made floats)
                torch.set_default_dtype(torch.float64)
            return run(*args)
    except Exception as err:  # noqa: BLE001  (a refusal is an outcome to compare)
        return f"refused ({type(err).__name__}: {str(err).splitlines()[0][:90]})"
    finally:
        torch.set_default_dtype(default)


def _far(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Where ours is not theirs: NaN at another place, another infinity, or beyond
    RTOL * |theirs| + ULPS float32 ulps of theirs' largest finite entry."""
    finite = np.isfinite(ours) & np.isfinite(theirs)
    scale = float(np.abs(theirs[finite]).max(initial=0.0))
    room = RTOL * np.abs(theirs) + ULPS * np.finfo(np.float32).eps * scale
    apart = np.abs(np.where(finite, ours, 0) - np.where(finite, theirs, 0))
    return (np.isnan(ours) != np.isnan(theirs)) | \
        ((np.isinf(ours) | np.isinf(theirs)) & (ours != theirs)) | (finite & (apart > room))


def mismatch(ours: Any, theirs: Any, reference: Any) -> str | None:
    """How ours differs from torch's array (and from torch's float64 result of the same
    inputs, for floats); None where they agree."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if ours.shape != theirs.shape:
        return f"shape {ours.shape} vs {theirs.shape}"
    if ours.dtype.kind not in "fc" or theirs.dtype.kind not in "fc":
        bad = ours != theirs
    else:
        o, t = ours.astype(np.float64), theirs.astype(np.float64)
        bad = _far(o, t)
        if reference is not None and np.shape(reference) == ours.shape:
            bad &= _far(o, np.asarray(reference, np.float64))
    if not bad.any():
        return None
    at = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"at {at}: {ours[at]!r} vs {theirs[at]!r}"


def compare(op: str, case: str, inputs: list[Input], params: dict) -> str | None:
    """One case: None where both agree, else how they differ, ours first."""
    integers = not any(kind in ("float32", "float64", "number") for kind, _ in inputs)
    ours = _outcome(run_ours, op, inputs, params, integers=integers)
    theirs = _outcome(run_torch, op, inputs, params, integers=integers)
    if isinstance(ours, str) or isinstance(theirs, str):
        if isinstance(ours, str) and isinstance(theirs, str):
            return None
        return f"ours {'gives numbers' if isinstance(theirs, str) else ours}, torch " + \
            (theirs if isinstance(theirs, str) else "gives numbers")
    if ours[0] != theirs[0]:
        return f"dtype {ours[0]} vs {theirs[0]}"
    reference = "none" if integers else _outcome(run_torch, op, inputs, params, True)
    reference = (None, None, None) if isinstance(reference, str) else reference
    found = mismatch(ours[1], theirs[1], reference[1])
    if found:
        return f"value {found}"
    for k, (g, h) in enumerate(zip(ours[2], theirs[2])):
        if (g is None) != (h is None):
            return f"gradient of input {k}: {'none' if g is None else 'one'} vs " + \
                ("none" if h is None else "one")
        if g is None:
            continue
        if g.dtype != h.dtype:
            return f"gradient of input {k}: dtype {g.dtype} vs {h.dtype}"
        found = mismatch(g, h, reference[2][k] if reference[2] else None)
        if found:
            return f"gradient of input {k} {found}"
    return None


def compare_wide(op: str) -> str | None:
    """The wide case: ours no further from the float64 result than twice torch's error."""
    inputs, params = wide_inputs(op), WIDE[op]
    ours = _outcome(run_ours, op, inputs, params)
    theirs = _outcome(run_torch, op, inputs, params)
    exact = _outcome(run_torch, op, inputs, params, True)
    for outcome in (ours, theirs, exact):
        if isinstance(outcome, str):
            return outcome
    if ours[0] != theirs[0]:
        return f"dtype {ours[0]} vs {theirs[0]}"
    pairs = [("value", ours[1], theirs[1], exact[1])] + [
        (f"gradient of input {k}", g, h, e)
        for k, (g, h, e) in enumerate(zip(ours[2], theirs[2], exact[2]))]
    for what, o, t, e in pairs:
        o, t, e = (np.asarray(a, np.float64) for a in (o, t, e))
        scale = ULPS * np.finfo(np.float32).eps * float(np.abs(e).max(initial=0.0))
        ours_error, torch_error = np.abs(o - e), np.abs(t - e)
        room = 2 * torch_error + scale
        if op in IN_FLOAT32_BY_TORCH:
            half_ulp = np.finfo(np.float32).eps / 2
            room = np.maximum(room, BOUND_LAMBDA * np.sqrt(WIDE_SIZE) * half_ulp * np.abs(e))
        bad = ours_error > room
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            return (f"{what} at {at}: error {ours_error[at]:.3g} vs torch's "
                    f"{torch_error[at]:.3g} (float64 result {e[at]!r})")
    return None


def differences(op: str) -> dict[str, str]:
    """case: how ours differs from torch's there."""
    found = {}
    for case, (inputs, params) in cases(op).items():
        diff = compare(op, case, inputs, params)
        if diff:
            found[case] = diff
    if op in WIDE:
        diff = compare_wide(op)
        if diff:
            found["wide"] = diff
    return found


# ---------------------------------------------------------------------------------------
# The differences that stay: (op, case) -> why

INTEGERS = ("integers and bools in an op of real numbers: computed in float64, the default "
            "float; PyTorch's refuses them (api-guide, The dtype rule)")
BOOLS = ("bools where PyTorch's op refuses them: NumPy's result (bool; a matmul of masks their "
         "logical product) (api-guide, The dtype rule)")
MIXED = ("two dtypes where PyTorch's op asks for one: computed in the promoted dtype, float32 "
         "beside int64 or a 0-d float64 float32 (api-guide, The dtype rule)")
NUMBERS = ("a number where PyTorch's function asks for a tensor: taken as a 0-d tensor, as "
           "NumPy's functions take it (api-guide, The dtype rule)")
# (kind of case, reason, ops): every example's case of that kind, for each op
KNOWN_KINDS: tuple[tuple[str, str, str], ...] = (
    ("int64", INTEGERS, "binary_cross_entropy celu cholesky cross_entropy det eigh eigvalsh elu "
     "gelu hardswish hypot igamma igammac inv leaky_relu log_softmax logaddexp logaddexp2 lu "
     "matrix_exp mean mish norm pinv qr silu slogdet softmax softplus solve solve_triangular "
     "std svd var"),
    ("bool", INTEGERS, "avg_pool2d binary_cross_entropy celu cholesky cross_entropy det eigh "
     "eigvalsh elu gelu hardswish hardtanh hypot igamma igammac leaky_relu log_softmax "
     "logaddexp logaddexp2 lu matrix_exp mean mish mvlgamma norm pinv qr relu6 silu slogdet "
     "softmax softplus softsign solve_triangular std svd var"),
    ("bool", BOOLS, "abs ceil conv2d dot einsum floor frac linear matmul max_pool2d relu "
     "round tensordot topk trunc"),
    *((f"float32 with int64 as input {k}", MIXED, "binary_cross_entropy conv2d dot einsum "
       "heaviside linear matmul solve tensordot") for k in (0, 1)),
    ("float32 with int64 as input 2", MIXED, "conv2d linear"),
    *((f"float32 with float64 0-d as input {k}", MIXED, "heaviside") for k in (0, 1)),
    *((f"float32 with python float as input {k}", NUMBERS, "atan2 fmax fmin heaviside hypot "
       "logaddexp logaddexp2 maximum minimum nextafter outer") for k in (0, 1)),
    ("float32 with python float as input 0", NUMBERS, "copysign fmod"),
    ("float32 with python float as input 0", "2.0 % x: PyTorch has no gradient for x there "
     "(backward refuses); ours is -floor(2.0 / x), as for a tensor (api-guide)", "remainder"),
)
KNOWN: dict[tuple[str, str], str] = {
    **{(op, case): reason for kind, reason, ops in KNOWN_KINDS for op in ops.split()
       for case in cases(op) if case.split(" #")[0] == kind},
    ("frac", "int64"): "frac of integers: zeros in their dtype, as trunc keeps it; PyTorch's "
    "frac refuses integers (api-guide)",
    ("avg_pool2d", "int64"): "the average of integers is float64, as mean's; PyTorch's "
    "avg_pool2d of int64 is int64, rounded toward zero (api-guide)",
    ("solve_triangular", "float32 with int64 as input 0"): MIXED,
    **{("pad", f"bool #{e}"): BOOLS for e in (1, 2)},  # (reflect, edge; PyTorch's pads them)
    **{("scatter_reduce", f"bool #{e}"): BOOLS for e in (4, 5)},  # (the mean of bools)
    **{("pow", f"bool #{e}"): BOOLS for e in (0, 1)},  # (NumPy's int8; PyTorch refuses)
    **{("index_add", case): "a float alpha (2.0) for an integer tensor is refused, as "
       "torch.add refuses it; torch's index_add truncates it (2.5 acts as 2)"
       for case in ("int64", "bool")},
    ("setitem", "float32 with int64 as input 0 #0"): "a value that needs a gradient written "
    "into an int64 tensor is refused (api-guide, In place); PyTorch casts it, dropping the "
    "gradient silently",
}


# ---------------------------------------------------------------------------------------
# The tests


def test_every_fuzzed_op_has_cases_and_every_known_difference_names_one():
    assert set(SPECS) == set(OPS)
    assert {op for op, _ in KNOWN} <= set(OPS)
    for op, case in KNOWN:
        assert case in cases(op) or (case == "wide" and op in WIDE), (op, case)


@pytest.mark.torch
@pytest.mark.parametrize("op", sorted(SPECS))
def test_dtypes_and_float32_numbers_agree_with_pytorch(op):
    assert_as_known(op, differences(op), KNOWN, "KNOWN")


@pytest.mark.torch
def test_a_float32_op_done_in_float16_or_returned_in_float64_is_caught(monkeypatch):
    exp = OPS["exp"]
    monkeypatch.setitem(OPS, "exp", dataclasses.replace(
        exp, call=lambda x: tg.exp(x.to(np.float16)).to(x.dtype)))
    assert differences("exp")["float32"].startswith("value at")
    monkeypatch.setitem(OPS, "exp", dataclasses.replace(
        exp, call=lambda x: tg.exp(x.to(np.float64))))
    assert differences("exp")["float32"] == "dtype float64 vs float32"


@pytest.mark.torch
def test_a_product_multiplied_in_float16_is_caught_within_float32s_bound(monkeypatch):
    prod = OPS["prod"]
    monkeypatch.setitem(OPS, "prod", dataclasses.replace(
        prod, call=lambda x, **kw: x.to(np.float16).prod(**kw).to(x.dtype)))
    assert "error" in differences("prod")["wide"]


@pytest.mark.torch
def test_a_running_sum_added_up_in_float32_is_caught(monkeypatch):
    monkeypatch.setattr(reductions, "accumulator", lambda x: None)  # (NumPy's own: float32)
    assert "error" in differences("cumsum")["wide"]
