"""PyTorch's own error inputs for its ops (OpInfo's `error_inputs`), run through tinygrad_gd.

Beside the inputs an op computes on, PyTorch's op database lists inputs each op must
refuse (an `ErrorInput`: a sample, the error type and the words torch raises): shapes
that do not fit, axes out of range, negative sizes, bad keywords. Every op tinygrad_gd
has by torch's name (test_torch_opinfo.OPS) is called here on each of its error inputs,
converted as test_torch_opinfo converts samples (a broadcast view, torch's `expand`,
stays one here). Ours must refuse it as the project's rule for bad input says:

* an error a user can catch (ValueError, TypeError, RuntimeError, IndexError, ...: not
  an AssertionError, AttributeError or a bare Exception),
* one line,
* its own words: the message starts with the name of the function called (`cat: ...`,
  `amax() got ...`, an in-place `normal_:`) or of the tinygrad_gd function it is made of
  (ALIASES: `concatenate` for `cat`), followed by ':' or '(', and holds none of NumPy's
  phrasings (NUMPY_WORDS: "could not be broadcast", "out of bounds for", ...).

An input ours computes, or cannot even be made here (a tensor on torch's "meta" device,
complex numbers, 65 axes), is listed in KNOWN with why, its first word the kind: design
(NumPy's behaviour, documented), absent (what does not exist in tinygrad_gd), torch (a
limit of torch's own). A listed input that starts to be refused fails, so the list stays
true; a refusal that breaks the rule is never listed: it is fixed (test_error_inputs_fixes.py
holds what this found). Needs `expecttest` beside torch, as test_torch_opinfo does.
"""
from __future__ import annotations

import re
import warnings
from numbers import Number
from typing import Any

import numpy as np
import pytest

import tinygrad_gd as tg

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # (PyTorch's test modules import it)
import test_torch_opinfo as T  # noqa: E402  (after the skips)
from test_torch_edges import assert_as_known  # noqa: E402

pytestmark = pytest.mark.torch

# what a user catches for bad input (IndexError and KeyError are LookupErrors,
# NotImplementedError a RuntimeError, NumPy's AxisError a ValueError and an IndexError)
CATCHABLE = (ValueError, TypeError, RuntimeError, LookupError, ArithmeticError)
# NumPy's own wording (lowercase): a message holding one let NumPy's error through
NUMPY_WORDS = (
    "could not be broadcast", "out of bounds for", "array of dimension", "numpy boolean",
    "'numpy.", "setting an array element", "zero-size array", "cannot reshape array", "ufunc",
    "all the input array", "all input arrays", "the array at index", "not aligned",
    "casting rule", "only integer scalar arrays", "too many indices for array",
    "mismatch in its core dimension", "inhomogeneous", "repeated axis", "axes don't match",
    "non-broadcastable output", "truth value of an array", "object too deep",
    "duplicate value in 'axis'", "cannot cast array data")
# op -> the tinygrad_gd functions its refusals may be named by (what it is made of)
ALIASES = {"amax": ("max",), "amin": ("min",), "cat": ("concatenate",),
           "hsplit": ("tensor_split",), "vsplit": ("tensor_split",),
           "movedim": ("moveaxis",), "narrow_copy": ("narrow",),
           "reshape_as": ("reshape",), "view": ("reshape",), "view_as": ("reshape",)}

KEYS = sorted(key for key, op in T.OPS.items() if op.error_inputs_func is not None)


def error_inputs(key: str) -> list:
    """One op's error inputs from the database, drawn seeded (their tensors are random).
    Its function is called directly: `op.error_inputs` walks the stack (inspect.stack)
    for every input, looking for a unittest case, which takes seconds under pytest."""
    op = T.OPS[key]
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's deprecations inside its samples)
        return list(op.error_inputs_func(op, "cpu"))


def converted(value: Any) -> Any:
    """A sample's argument as test_torch_opinfo converts it, but a broadcast view (torch's
    expand: a stride 0 along an axis of more than one entry) made one here too."""
    if isinstance(value, torch.Tensor) and value.device.type == "cpu" and any(
            s == 0 and n > 1 for s, n in zip(value.stride(), value.shape)):
        one = value[tuple(slice(0, 1) if s == 0 else slice(None) for s in value.stride())]
        return T._converted(one).expand(tuple(value.shape))
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(converted(v) for v in value)
    if isinstance(value, dict):
        return {k: converted(v) for k, v in value.items()}
    return T._converted(value)


def _names(key: str) -> set[str]:
    name = T.OPS[key].name
    return {name, name.split(".")[-1], *ALIASES.get(key, ())}


def broken_rule(key: str, err: BaseException) -> str | None:
    """How a refusal breaks the rule (the module's docstring), or None where it keeps it."""
    text = str(err)
    kind = type(err).__name__
    if not isinstance(err, CATCHABLE) or isinstance(err, (AssertionError, AttributeError)):
        return f"refused as {kind}, which is no error for bad input: {text[:120]!r}"
    if not text.strip() or "\n" in text:
        return f"refused in {text.count(chr(10)) + 1} lines ({kind}): {text[:160]!r}"
    first = re.match(r"[A-Za-z_][\w.]*", text)
    said = first.group().rstrip("_") if first else ""  # (an in-place function: normal_)
    if said not in {n.rstrip("_") for n in _names(key)} or \
            text[len(first.group()):][:1] not in (":", "("):
        return f"the message names none of {sorted(_names(key))} ({kind}): {text[:160]!r}"
    leaked = [words for words in NUMPY_WORDS if words in text.lower()]
    if leaked:
        return f"NumPy's wording {leaked[0]!r} ({kind}): {text[:160]!r}"
    return None


def _shown(result: Any) -> str:
    if isinstance(result, tg.Tensor):
        return f"a tensor of shape {tuple(result.shape)}, dtype {result.dtype}"
    return f"{type(result).__name__} {str(result)[:60]!r}"


def outcome(key: str, error: Any) -> str | None:
    """How ours answers one error input where it does not refuse it by the rule: computed,
    not made here, or a refusal breaking the rule; None where it keeps the rule."""
    sample = error.sample_input
    try:
        given = converted(sample.input), converted(sample.args), converted(sample.kwargs)
    except Exception as err:  # noqa: BLE001  (an input that cannot exist here)
        return f"cannot be made here: {type(err).__name__}: {str(err).splitlines()[0][:100]}"
    ours = T._ours(T.OPS[key])
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = ours(given[0], *given[1], **given[2])
    except Exception as err:  # noqa: BLE001  (the refusal is what is checked)
        return broken_rule(key, err)
    return f"computed {_shown(result)} (torch: {error.error_type.__name__} " \
           f"{error.error_regex[:60]!r})"


def problems(key: str) -> dict[int, str]:
    """{error input number: how ours answers it} where ours does not refuse it by the rule."""
    found = {}
    for number, error in enumerate(error_inputs(key)):
        how = outcome(key, error)
        if how:
            found[number] = how
    return found


def _a_number_operand(sample: Any) -> bool:
    """A Python number as the input or the other operand, where torch wants a tensor."""
    def number(v: Any) -> bool:
        return isinstance(v, Number) and not isinstance(v, torch.Tensor)
    return number(sample.input) or bool(sample.args) and number(sample.args[0])


def _bfloat16(sample: Any) -> bool:
    return sample.kwargs.get("dtype") is torch.bfloat16


_NUMBER = ("design: a Python number is taken where torch's function wants a tensor, as NumPy "
           "takes it (a 0-d operand; the values were torch's for a 0-d tensor when listed)")
_ABSENT_DEVICE = "absent: a tensor on torch's 'meta' device (no devices but the CPU here)"
_ABSENT_COMPLEX = "absent: complex numbers (no complex dtypes here)"
_AXES_65 = ("absent: a tensor of 65 axes, which NumPy cannot make (its limit is 64, as "
            "torch's)")
_EMPTY_CHANNELS = ("torch: an unbatched input of 0 channels is refused (torch reads its first "
                   "axis as a batch, which may be 0, only for a batched input); ours pools "
                   "the 0 channels, an empty result of the right shape")

# op -> (why ours computes, or cannot take, its error inputs: their numbers, "*" for all, or
# a test of one), or a list of such pairs
KNOWN: dict[str, Any] = {
    **{key: (_NUMBER, _a_number_operand) for key in (
        "atan2", "bitwise_and", "bitwise_left_shift", "bitwise_or", "bitwise_right_shift",
        "bitwise_xor", "clamp_max", "clamp_min", "copysign", "eq", "float_power", "fmax",
        "fmin", "fmod", "gcd", "ge", "gt", "heaviside", "hypot", "igamma", "igammac",
        "isclose", "lcm", "ldexp", "le", "logaddexp", "logical_and", "logical_or",
        "logical_xor", "lt", "maximum", "minimum", "ne", "pow", "remainder",
        "rsub", "special.chebyshev_polynomial_t", "special.chebyshev_polynomial_u",
        "special.chebyshev_polynomial_v", "special.chebyshev_polynomial_w",
        "special.hermite_polynomial_h", "special.hermite_polynomial_he",
        "special.laguerre_polynomial_l", "special.legendre_polynomial_p",
        "special.shifted_chebyshev_polynomial_t", "special.shifted_chebyshev_polynomial_u",
        "special.shifted_chebyshev_polynomial_v", "special.shifted_chebyshev_polynomial_w",
        "special.xlog1py", "special.zeta", "xlogy")},
    # max(x, 2) and min(x, 2) are a reduction along axis 2 here as in torch (refused)
    "max.binary": (_NUMBER, (1,)),
    "nextafter": (_NUMBER, (2,)),  # (#0 and #1: int64 tensors, refused)
    "min.binary": (_NUMBER, (1,)),
    **{key: ("absent: torch.Tensor's method called on a Python number (the sample's input, "
             "torch.Tensor.__radd__(2, t)); here the number's own method answers, no "
             "tinygrad_gd Tensor is called", "*") for key in (
        "__radd__", "__rand__", "__rmod__", "__rmul__", "__ror__", "__rpow__", "__rsub__",
        "__rxor__")},
    "arange": ("design: bounds the step does not lead from start to end give an empty range, "
               "as NumPy's arange", (1, 2, 3)),
    "gather": ("design: out= of a dtype the result casts to (float32 into float64) is "
               "written, NumPy's casting rule for out=", (1,)),
    "take": ("design: out= sharing memory with the index is written after the result is "
             "computed, so it gets the right values (the sample's views are copies here)",
             (2,)),
    "linalg.cross": ("design: operands of different numbers of axes broadcast, as NumPy's "
                     "cross and every other binary op here (torch's wants as many)", (1,)),
    "mean": ("design: the mean of integers is a float64 (NumPy's), and a positional [] is "
             "NumPy's axis=() (no axis reduced; dim=[] is refused)", (0,)),
    **{key: [("design: mixed dtypes are promoted (an int64 input and weight, a float64 "
              "bias), as every op here does (torch's convolutions want one dtype)", (0,)),
             (_ABSENT_COMPLEX, (1,))]
       for key in ("nn.functional.conv1d", "nn.functional.conv2d", "nn.functional.conv3d")},
    "masked_fill": (_ABSENT_COMPLEX, (2,)),
    **{key: ("absent: dtype=bfloat16 (NumPy has none, so neither has tinygrad_gd)", _bfloat16)
       for key in KEYS if key.startswith("signal.windows.")},
    "nn.functional.max_pool1d": (_EMPTY_CHANNELS, (5, 17)),
    "nn.functional.max_pool3d": (_EMPTY_CHANNELS, (4,)),
    **{key: (_AXES_65, (1, 2)) for key in ("amax", "amin", "aminmax")},
    "gradient": [(_ABSENT_DEVICE, (3, 10, 17)), (_ABSENT_COMPLEX, (14, 15, 16, 18))],
}
KINDS = ("design", "absent", "torch")


def _entries(key: str) -> list[tuple[str, Any]]:
    entry = KNOWN.get(key, [])
    return entry if isinstance(entry, list) else [entry]


def _known(key: str, listed: list) -> dict:
    """{(key, error input number): why} for the inputs KNOWN lists of one op."""
    known = {}
    for why, which in _entries(key):
        if which == "*":
            numbers = range(len(listed))
        elif callable(which):
            numbers = [n for n, error in enumerate(listed) if which(error.sample_input)]
        else:
            numbers = which
        known.update({(key, n): why for n in numbers})
    return known


@pytest.mark.parametrize("key", KEYS)
def test_pytorchs_error_inputs_are_refused_in_one_line_naming_the_op(key):
    listed = error_inputs(key)
    found = problems(key)
    known = _known(key, listed)
    # a listed input is one ours computes or cannot make: a refusal breaking the rule is
    # never listed, it is fixed
    broken = {n: how for n, how in found.items()
              if (key, n) in known and not how.startswith(("computed", "cannot be made"))}
    assert not broken, "\n".join(f"{key} at {n}: {how}" for n, how in broken.items())
    assert_as_known(key, found, known, "KNOWN")


def test_every_known_entry_names_an_op_with_error_inputs_and_a_kind():
    for key in KNOWN:
        assert key in KEYS, f"KNOWN names {key}, which has no error inputs checked here"
        for why, _ in _entries(key):
            assert why.split(":")[0] in KINDS, f"{key}: {why!r} starts with no kind"
    for key, names in ALIASES.items():
        assert key in KEYS and all(hasattr(tg, name) for name in names), (key, names)


def test_the_rule_fails_numpys_error_a_silent_result_and_a_long_message(monkeypatch):
    """A dot that lets NumPy's error through, one that gives a number for any input, one
    whose message runs over lines, one that asserts, one that names NumPy's words after
    its own: each breaks the rule on every error input of dot."""
    assert problems("dot") == {}
    planted = {
        "numpy's error": lambda a, b, **k: tg.tensor(np.dot(a.data, b.data)),
        "a silent result": lambda a, b, **k: tg.tensor(0.0),
        "two lines": lambda a, b, **k: (_ for _ in ()).throw(ValueError("dot: no\nfit")),
        "an assertion": lambda a, b, **k: (_ for _ in ()).throw(AssertionError("dot: no")),
        "numpy's words": lambda a, b, **k: (_ for _ in ()).throw(ValueError(
            "dot: shapes (1,) (3,): operands could not be broadcast together")),
        "another name": lambda a, b, **k: (_ for _ in ()).throw(ValueError("matmul: no")),
    }
    count = len(error_inputs("dot"))
    for what, function in planted.items():
        monkeypatch.setattr(tg, "dot", function)
        found = problems("dot")
        assert len(found) == count, (what, found)
