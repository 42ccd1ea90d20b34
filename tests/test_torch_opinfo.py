"""PyTorch's own sample inputs for its ops (its OpInfo database), run in both libraries.

PyTorch tests each of its ops on the inputs its `op_db` lists: `sample_inputs` gives, for
every op, the shapes, arguments and keywords its authors thought worth trying (0-d
tensors, empty ones, broadcasting, each keyword, negative axes, ...). Every op tinygrad_gd
has under the same name (`tg.X`, `tg.nn.functional.X`, `tg.linalg.X`, `tg.special.X`,
or the Tensor method) is called here on each of those samples, converted, in float64 (or
the op's integer or bool dtype where it takes no floats): what it returns must be torch's
(values to 1e-6 relative, shapes, dtypes, how many outputs), and the gradients of every
input that needs one, for one seeded cotangent per output, must be torch's. Where the
sample says how to compare an output (`output_process_fn_grad`: the signs of singular
vectors, say), both sides are compared so. An op written in the database as a small
function of torch's (`lambda x: x.T`) is run with `torch` meaning tinygrad_gd.

A sample that does not agree is listed in KNOWN with why (its first word the kind:
design, missing, random, torch, harness); a listed difference that goes away fails, so the
list stays true. Needs `expecttest` beside torch (PyTorch's test modules import it).
"""
from __future__ import annotations

import types
import warnings
from typing import Any

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
common = pytest.importorskip(  # (needs the package expecttest)
    "torch.testing._internal.common_methods_invocations")
from test_torch_edges import assert_as_known  # noqa: E402  (after the skips)

pytestmark = pytest.mark.torch

# relative tolerance by dtype (float32's: a few units of its last place, summed over axes)
RTOL = {"float64": 1e-6, "float32": 2e-5, "float16": 2e-2}
ATOL = 1e-9


class _AsTorch(types.ModuleType):
    """`torch` (or a submodule) as an op written as a function of torch's sees it here."""

    def __init__(self, target: Any):
        super().__init__(getattr(target, "__name__", "torch"))
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        return _AsTorch(value) if isinstance(value, types.ModuleType) and not callable(
            value) else value


def _ours(op: Any) -> Any:
    """tinygrad_gd's op of the same name as a function of (input, *args, **kwargs), or
    None where it has none."""
    if isinstance(op.op, types.FunctionType) and op.op.__module__.startswith("torch.testing"):
        names = {k: _AsTorch(tg) if v is torch else v for k, v in op.op.__globals__.items()}
        names["F"] = tg.nn.functional
        return types.FunctionType(op.op.__code__, names, op.op.__name__, op.op.__defaults__,
                                  op.op.__closure__)
    found: Any = tg
    for part in op.name.split("."):
        found = getattr(found, part, None)
    if found is not None and not op.name.startswith("__"):
        return found
    if "." not in op.name and hasattr(tg.Tensor, op.name):
        return lambda x, *args, **kwargs: getattr(x, op.name)(*args, **kwargs)
    return None


def _key(op: Any) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def _dtype(op: Any) -> Any:
    """float64 where the op takes it, else int64, else bool (None: complex numbers only)."""
    dtypes = op.supported_dtypes("cpu")
    return next((d for d in (torch.float64, torch.int64, torch.bool) if d in dtypes), None)


OPS = {_key(op): op for op in common.op_db
       if _ours(op) is not None and _dtype(op) is not None}


def _converted(value: Any) -> Any:
    """A sample's argument as tinygrad_gd takes it: tensors copied (a gradient asked for
    where torch's needs one), dtypes and sizes by name, torch's functions by theirs."""
    if isinstance(value, torch.Tensor):
        array = value.detach().numpy().copy()
        return tg.tensor(array, requires_grad=value.requires_grad)
    if isinstance(value, torch.dtype):
        return getattr(tg, str(value).removeprefix("torch."))
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_converted, value))
    if isinstance(value, (list, tuple)):
        return type(value)(_converted(v) for v in value)
    if isinstance(value, dict):
        return {k: _converted(v) for k, v in value.items()}
    if isinstance(value, torch.nn.Module):  # a distance function: the layer of that name
        return getattr(tg.nn, type(value).__name__)()
    if callable(value) and getattr(value, "__module__", "").startswith("torch"):
        return _ours(types.SimpleNamespace(op=value, name=value.__name__)) or value
    return value


def _tensors(value: Any) -> list:
    """Every tensor in a value (nested lists, tuples and dicts), in order."""
    if isinstance(value, (torch.Tensor, tg.Tensor)):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _array(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):  # (torch's ZeroTensor: a gradient known to be zeros)
        return np.zeros(tuple(t.shape)) if t._is_zerotensor() else t.detach().numpy()
    return np.asarray(t.data)


def _mismatch(ours: Any, theirs: Any) -> str | None:
    """How two outputs differ (kind, shape, dtype, values), or None."""
    if isinstance(theirs, torch.Tensor):
        if not isinstance(ours, tg.Tensor):
            return f"torch gives a tensor, ours {type(ours).__name__}"
        a, b = _array(ours), _array(theirs)
        if a.shape != b.shape:
            return f"shape {a.shape}, torch's {b.shape}"
        if a.dtype.name != str(theirs.dtype).removeprefix("torch."):
            return f"dtype {a.dtype.name}, torch's {theirs.dtype}"
        if a.dtype.kind in "biu":
            return None if np.array_equal(a, b) else "values differ"
        if np.allclose(a, b, rtol=RTOL.get(a.dtype.name, 1e-6), atol=ATOL, equal_nan=True):
            return None
        worst = np.nanmax(np.abs(a - b)) if a.size else 0
        return f"values differ (by up to {worst:.3g})"
    if isinstance(theirs, (list, tuple)):
        if not isinstance(ours, (list, tuple)) or len(ours) != len(theirs):
            n = len(ours) if isinstance(ours, (list, tuple)) else "not a sequence"
            return f"{len(theirs)} outputs in torch, {n} here"
        for k, (a, b) in enumerate(zip(ours, theirs)):
            found = _mismatch(a, b)
            if found:
                return f"output {k}: {found}"
        return None
    if isinstance(ours, tg.Tensor):
        ours = ours.item() if ours.ndim == 0 else ours.tolist()
    if isinstance(theirs, float) and np.isclose(ours, theirs, rtol=1e-6, equal_nan=True):
        return None
    return None if ours == theirs else f"{ours!r}, torch's {theirs!r}"


def _processed(sample: Any, output: Any) -> Any:
    """The output as the sample says to compare it (its output_process_fn_grad)."""
    try:
        return sample.output_process_fn_grad(output)
    except Exception:  # noqa: BLE001  (a function of torch's only: compare it whole)
        return output


def _grads(outputs: list, inputs: list, cotangents: list) -> Any:
    """torch's gradients of `inputs` (None where its derivative is "not implemented")."""
    try:
        return torch.autograd.grad(outputs, inputs, [torch.from_numpy(c) for c in cotangents],
                                   allow_unused=True, retain_graph=True)
    except RuntimeError:
        return None


def compare(op: Any, sample: Any) -> str | None:
    """How tinygrad_gd's op differs from torch's on one sample, or None."""
    ours_op = _ours(op)
    args, kwargs = _converted(sample.args), _converted(sample.kwargs)
    ours_input = _converted(sample.input)
    theirs = _processed(sample, op(sample.input, *sample.args, **sample.kwargs))
    try:
        ours = _processed(sample, ours_op(ours_input, *args, **kwargs))
    except Exception as error:  # noqa: BLE001  (a refusal is what is compared)
        return f"refused: {type(error).__name__}: {str(error).splitlines()[0][:160]}"
    try:
        found = _mismatch(ours, theirs)
    except Exception as error:  # noqa: BLE001  (reading our output failed: a finding)
        return f"its output cannot be read: {type(error).__name__}: {error}"
    if found:
        return found
    pairs = [(a, b) for a, b in zip(_tensors(ours), _tensors(theirs))
             if b.requires_grad and b.dtype.is_floating_point]
    inputs = [t for t in _tensors([sample.input, sample.args, sample.kwargs]) if t.requires_grad]
    ours_inputs = [t for t in _tensors([ours_input, args, kwargs]) if t.requires_grad]
    if not inputs:
        return None
    # an output torch records but ours does not (slogdet's sign, lstsq's rank) must be one
    # whose gradient is zero in torch
    for a, b in pairs:
        if not a.requires_grad and any(g is not None and _array(g).any() for g in _grads(
                [b], inputs, [np.ones(tuple(b.shape))])):
            return "an output torch differentiates needs no gradient here"
    pairs = [(a, b) for a, b in pairs if a.requires_grad]
    if not pairs:
        return None
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(tuple(b.shape)) for _, b in pairs]
    theirs_grads = _grads([b for _, b in pairs], inputs, cotangents)
    if theirs_grads is None:
        return None
    try:
        ours_grads = tg.autograd.grad([a for a, _ in pairs], ours_inputs,
                                      [tg.tensor(c) for c in cotangents], allow_unused=True)
    except Exception as error:  # noqa: BLE001
        return f"backward refused: {type(error).__name__}: {str(error).splitlines()[0][:160]}"
    for k, (g, h, x) in enumerate(zip(ours_grads, theirs_grads, inputs)):
        g = np.zeros(tuple(x.shape)) if g is None else _array(g)
        h = np.zeros(tuple(x.shape)) if h is None else _array(h)
        rtol = RTOL.get(str(x.dtype).removeprefix("torch."), 1e-6)
        if g.shape != h.shape or not np.allclose(g, h, rtol=rtol, atol=ATOL, equal_nan=True):
            return f"gradient of input {k} differs"
    return None


def samples(key: str) -> list:
    """One op's samples from the database, drawn as torch's own tests draw them (seeded)."""
    op = OPS[key]
    torch.manual_seed(0)
    dtype = _dtype(op)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's deprecations inside its samples)
        return list(op.sample_inputs("cpu", dtype, requires_grad=op.supports_autograd
                                     and dtype.is_floating_point))


def differences(key: str, listed: list | None = None) -> dict[int, str]:
    """{sample number: how it differs} for one op of the database (its `samples`, unless
    they are given)."""
    op = OPS[key]
    listed = samples(key) if listed is None else listed
    tg.manual_seed(0)  # (ours draw too where torch's sample leaves it: fractional pools)
    found = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number, sample in enumerate(listed):
            difference = compare(op, sample)
            if difference:
                found[number] = difference
    return found


def _repeated_indices(spatial: int):
    """max_unpool's samples whose indices repeat within a plane (pooling windows that
    overlap): there each library keeps one write, and the gradients differ (below)."""
    def repeats(sample: Any) -> bool:
        indices = (sample.args[0] if sample.args else sample.kwargs["indices"]).numpy()
        planes = indices.reshape(-1, int(np.prod(indices.shape[-spatial:])))
        return any(len(set(plane.tolist())) < len(plane) for plane in planes)
    return repeats


def _unsorted_edges(sample: Any) -> bool:
    """histogramdd's sample gives bin edges, one tensor per axis, that do not increase."""
    bins = sample.args[0] if sample.args else sample.kwargs.get("bins")
    return isinstance(bins, (list, tuple)) and any(
        isinstance(b, torch.Tensor) and bool((b.diff() < 0).any()) for b in bins)


def _without_pytorchs_keywords(sample: Any) -> bool:
    return not {"dim", "descending", "stable"} & set(sample.kwargs)


_UNPOOL = ("torch: at an index that repeats (overlapping windows) the forward keeps one "
           "write; ours gives that write's value the gradient (the derivative of what forward "
           "computed, gradchecked), torch's every repeat; torch's own OpInfo skips these")
_RANDOM = "random: draws of each library's own generator"
_TARGETS = ("design: a target other than 1 and -1 is refused in one line (torch computes the "
            "formula with it)")
_EPS = "design: a negative eps is refused in one line (torch's sample takes eps=-0.5)"
_NORM = ("design: tg.norm(x, ord) of a matrix over no axis is refused, naming NumPy's matrix "
         "norm and PyTorch's vector norm of the entries (give p= for PyTorch's)")
_FLOAT64 = "design: the default float is float64 (torch's float32), for bounds given as ints"
_CHOLESKY = ("torch: its gradient of the factor treats it as a full matrix (nonzero on the "
             "triangle forward never reads); ours is the derivative of what forward computes, "
             "equal to torch's on the triangle")

# op -> (why it differs, on which samples: their numbers, "*" for all, or a test of one)
KNOWN: dict[str, tuple[str, Any]] = {
    # random: each library draws from its own generator (values; shapes, dtypes agree)
    **{key: (_RANDOM, "*") for key in (
        "bernoulli", "cauchy", "exponential", "geometric", "log_normal", "multinomial",
        "normal", "normal.in_place", "normal.number_mean", "rand_like", "randint",
        "randint_like", "randn", "randn_like", "uniform")},
    **{key: ("random: torch's is memory never written (ours zeros)", "*") for key in (
        "empty", "new_empty", "empty_like", "empty_permuted", "empty_strided",
        "new_empty_strided")},
    "nn.functional.dropout": (_RANDOM + " (p > 0)", (2, 8, 18)),
    "nn.functional.dropout2d": (_RANDOM + " (p > 0)", (2, 8, 12)),
    "nn.functional.dropout3d": (_RANDOM + " (p > 0)", (2, 8, 12)),
    "nn.functional.alpha_dropout": (_RANDOM + " (p > 0)", (2, 8)),
    "nn.functional.feature_alpha_dropout.with_train": (_RANDOM + " (p > 0)", (1, 4)),
    "nn.functional.rrelu": (_RANDOM + " (training)", (0, 2)),
    "nn.functional.scaled_dot_product_attention": (
        _RANDOM + " (dropout_p 0.5)", (2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23)),
    "nn.functional.multi_head_attention_forward": (_RANDOM + " (dropout 0.5)", (0,)),
    "nn.functional.fractional_max_pool2d": (
        _RANDOM + " (no _random_samples given); #36: design, _random_samples outside [0, 1] "
        "(torch's sample draws them with randn) are refused in one line", (7, 8, 10, 11, 36)),
    "nn.functional.fractional_max_pool3d": (
        _RANDOM + " (no _random_samples given)",
        (1, 4, 7, 10, 13, 16, 17, 19, 20, 22, 23, 29, 31, 38)),
    # design: documented choices of ours (docs/reference/api-guide.md)
    "sort": ("design: tg.sort(x) without dim=, descending= or stable= is NumPy's, the values "
             "only", _without_pytorchs_keywords),
    "std": ("design: without PyTorch's keywords var and std divide by n (NumPy's)", (0, 8)),
    "var": ("design: without PyTorch's keywords var and std divide by n (NumPy's)", (0, 8)),
    "norm": (_NORM, (0, 1, 2, 3, 4, 5, 6, 7, 8, 37)),
    "norm.nuc": (_NORM, (0, 1)),
    "norm.inf": (_NORM, (0, 1)),
    "linspace": (_FLOAT64, (61,)),
    "logspace": (_FLOAT64, (400,)),
    "linspace.tensor_overload": (_FLOAT64, (181,)),
    "logspace.tensor_overload": (_FLOAT64, (1200,)),
    "nn.functional.soft_margin_loss": (_TARGETS, "*"),
    "nn.functional.margin_ranking_loss": (_TARGETS, "*"),
    "nn.functional.hinge_embedding_loss": (_TARGETS, (9,)),
    "nn.functional.multilabel_soft_margin_loss": (
        "design: a target outside [0, 1] is refused in one line", "*"),
    "nn.functional.group_norm": (_EPS, (4, 5, 6, 7)),
    "nn.functional.layer_norm": (_EPS, (1,)),
    "nn.functional.rms_norm": (_EPS, (1,)),
    "native_group_norm": (_EPS, (4, 5, 6, 7)),
    "native_layer_norm": (_EPS, (4, 5, 6, 7)),
    "histogramdd": ("design: bin edges that do not increase are refused in one line (torch's "
                    "docs ask for increasing edges; its samples draw them unsorted and it "
                    "counts anyway)", _unsorted_edges),
    "bfloat16": ("design: NumPy has no bfloat16; refused in one line, naming half and float",
                 "*"),
    "cfloat": ("design: the values are real; a complex cast is refused in one line", "*"),
    "cdouble": ("design: the values are real; a complex cast is refused in one line", "*"),
    # torch: PyTorch's own conventions or quirks, ours checked against finite differences
    "cholesky_inverse": (_CHOLESKY, (6, 7, 8, 9, 10, 11)),
    "cholesky_solve": (_CHOLESKY, (6, 7, 8, 9, 10, 11)),
    "as_strided_scatter": ("torch: its gradient of the input is backwards (its own OpInfo "
                           "marks gradcheck an expected failure); ours passes gradcheck", "*"),
    "nn.functional.ctc_loss": ("torch: its gradient is that of the loss through a log_softmax "
                               "of log_probs (ours: of log_probs themselves, gradchecked)", "*"),
    "nn.functional.max_unpool1d": (_UNPOOL, _repeated_indices(1)),
    "nn.functional.max_unpool2d": (_UNPOOL, _repeated_indices(2)),
    "nn.functional.max_unpool3d": (_UNPOOL, _repeated_indices(3)),
    "special.bessel_j0": ("torch: off by 2e-7 near x = 5.5 (ours within 1e-15 of mpmath)",
                          (0,)),
    "special.bessel_y1": ("torch: off by 3e-7 near x = 5.5 (ours within 1e-14 of mpmath)",
                          (0,)),
    "cov": ("torch: float32 rounding noise (2e-7) around a gradient that is exactly 0", (6, 15)),
    "gather": ("torch: an empty index of another number of axes than x is taken", (4,)),
    "cat": ("torch: its legacy rule skips a 1-d empty tensor beside tensors of more axes", (5,)),
    "as_strided.partial_views": ("torch: the sample is a view reading storage beyond its "
                                 "entries, which a copy cannot reach (on a view: torch's)",
                                 (1, 2)),
    # missing: names or keywords tinygrad_gd does not have
    "svd_lowrank": ("random: with M, A - M has full rank, so the rank-q result depends on each "
                    "library's own Gaussian test matrix (without M it is exact)",
                    (8, 9, 10, 11, 12, 13, 14, 15)),
    **{key: ("missing: " + why, "*") for key, why in (
        ("max_pool2d_with_indices_backward", "torch's internal aten backward op"),
        ("chalf", "complex dtypes"), ("to_sparse", "sparse tensors"))},
}
KINDS = ("design", "missing", "random", "torch")


def _known(key: str, listed: list) -> dict:
    """{(key, sample number): why} for the differences KNOWN expects of one op's samples."""
    if key not in KNOWN:
        return {}
    why, which = KNOWN[key]
    if which == "*":
        numbers = range(len(listed))
    elif callable(which):
        numbers = [n for n, sample in enumerate(listed) if which(sample)]
    else:
        numbers = which
    return {(key, n): why for n in numbers}


@pytest.mark.parametrize("key", sorted(OPS))
def test_pytorchs_samples_give_pytorchs_values_and_gradients(key):
    listed = samples(key)
    known = _known(key, listed)  # (before the comparison, which may change a sample)
    found = differences(key, listed)
    if KNOWN.get(key, ("",))[0].startswith("random"):
        # two generators' draws may agree by chance: a listed sample may agree too
        unexpected = {n: how for n, how in found.items() if (key, n) not in known}
        assert not unexpected, "\n".join(f"{key} at {n}: {how}" for n, how in unexpected.items())
        return
    assert_as_known(key, found, known, "KNOWN")


def test_every_known_difference_names_an_op_here_and_a_kind():
    for key, (why, which) in KNOWN.items():
        assert key in OPS, f"KNOWN names {key}, which is not compared"
        assert why.split(":")[0] in KINDS, f"{key}: {why!r} starts with no kind"


def test_the_comparison_catches_a_wrong_value_and_a_wrong_gradient(monkeypatch):
    """A tanh off by 1e-5 and a sin whose gradient is doubled are both reported."""
    import tinygrad_gd.ops.unary as unary
    real = tg.tanh
    monkeypatch.setattr(tg, "tanh", lambda x, *a, **k: real(x, *a, **k) * (1 + 1e-5))
    assert differences("tanh")
    monkeypatch.undo()
    backward = unary.Sin.backward
    monkeypatch.setattr(unary.Sin, "backward", lambda ctx, g: backward(ctx, g) * 2)
    assert any("gradient" in how for how in differences("sin").values())


if __name__ == "__main__":  # a triage list: python tests/test_torch_opinfo.py [op ...]
    import sys
    for key in sys.argv[1:] or OPS:
        for number, how in differences(key).items():
            print(f"{key} #{number}: {how}")
