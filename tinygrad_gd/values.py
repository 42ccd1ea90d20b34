"""How user data becomes a tensor's values: numeric arrays and the dtypes they may take.

`_as_array` turns numbers, nested lists and arrays into a numeric ndarray, refusing in
one line what cannot be one (ragged lists, None, strings, objects, complex numbers,
dates); `numeric_dtype` refuses such a dtype given by name or object (`dtype=`, `to()`),
so that neither data nor a cast brings in values no op computes correctly. `_constant`
is an op's operand that is not a tensor; `_fitted` refuses a finite value that a float
dtype would make inf, `uniform_draws` draws from [low, high) in a float dtype by one rule
(tg.rand's, uniform_'s, make_tensor's, distributions.Uniform's). `is_device` and
`check_cpu` read PyTorch's devices (`to(device)`, a layer's `device=`). tensor.py, which
defines Tensor, imports them (and sets `Tensor` here); other modules import `_as_array`
from either. `default_float` is the dtype of new float tensors made without one (float64
unless tg.set_default_dtype changed it: properties.py), kept here, below everything that
makes tensors.
"""
from __future__ import annotations

from typing import Any

import numpy as np

# The Tensor class whose values `_as_array` unwraps: tensor.py sets it (it imports this module)
Tensor: Any = None
_DEFAULT_FLOAT = [np.dtype(np.float64)]  # (one entry, set by tg.set_default_dtype)
BFLOAT16_WHY = "NumPy has no bfloat16 dtype"
# the one refusal of a cast to bfloat16 (x.to, x.type, dtype=), with what to use instead
NO_BFLOAT16 = f"{BFLOAT16_WHY}: use x.half() (float16) or x.float() (float32)"


def is_bfloat16(dtype: Any) -> bool:
    """Whether `dtype` names bfloat16 (a string; torch.bfloat16 is one by then)."""
    return isinstance(dtype, str) and dtype == "bfloat16"


def default_float() -> np.dtype:
    """The dtype of new float tensors made without one: float64 unless set otherwise."""
    return _DEFAULT_FLOAT[0]


def python_floats(array: np.ndarray, data: Any) -> np.ndarray:
    """`array` made of `data` in the default float dtype where its float64 is not data's
    own: Python numbers and lists (NumPy reads them as float64), integers or bools made
    floats (`Tensor(np.arange(3))`). Floats of a dtype of their own (an array's, a
    tensor's, NumPy's or torch's) keep it."""
    if array.dtype != np.float64 or _DEFAULT_FLOAT[0] == array.dtype:
        return array
    own = getattr(data, "dtype", None)  # (torch's dtypes have no kind: is_floating_point)
    if getattr(own, "kind", None) == "f" or getattr(own, "is_floating_point", False) is True:
        return array
    return array.astype(_DEFAULT_FLOAT[0])


def _describe(data: Any) -> str:
    text = " ".join(repr(data).split())  # (one line: an array's repr runs over several)
    return text if len(text) <= 60 else text[:57] + "..."


def dtype_spelling(dtype: Any, where: str) -> Any:
    """`dtype` as NumPy reads it: PyTorch's `torch.float32` by its name; a Tensor refused
    in one line naming `where` (np.dtype would take its .dtype silently)."""
    if type(dtype).__module__ == "torch":  # torch.float32 is NumPy's float32 by name
        return str(dtype).removeprefix("torch.")
    if hasattr(dtype, "_data"):  # a Tensor
        raise TypeError(f"{where}: dtype must be a dtype (tg.float32, tg.int64, ...), got a "
                        f"{type(dtype).__name__} of shape {dtype.shape}; for its dtype give "
                        f"t.dtype")
    return dtype


def numeric_dtype(dtype: Any, where: str) -> np.dtype:
    """`dtype` (NumPy's, its name, or PyTorch's `torch.float32`, read by its name) as a
    NumPy dtype of bools, integers or floats; an unknown one, complex, strings, objects
    and dates refused in one line naming `where`. A name is NumPy's (PyTorch's functions
    take no strings): "float" is float64, where PyTorch's `tg.float` is float32."""
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        return dtype  # one already (a tensor's own, which its ops' constants take)
    dtype = dtype_spelling(dtype, where)
    try:
        out = np.dtype(dtype)
    except TypeError as err:
        if is_bfloat16(dtype):
            raise TypeError(f"{where}: {NO_BFLOAT16}") from None
        raise TypeError(f"{where}: unknown dtype {dtype!r}: {err}") from None
    if out.kind == "c":
        raise TypeError(f"{where}: complex dtypes are not supported, got {out}; keep the real "
                        f"and imaginary parts in two float tensors (dtype float64)")
    if out.kind not in "fiub":
        raise TypeError(f"{where}: dtype {out} does not hold numbers; give a float, integer "
                        f"or bool dtype (tg.float64, tg.float32, tg.int64, bool)")
    return out


def _as_array(data: Any, dtype: Any, where: str, copy: bool = True,
              default: Any = np.float64) -> np.ndarray:
    """Turn user data into a numeric ndarray, with a clear error for what cannot be one.

    A copy, as torch.tensor makes, unless `copy=False` (an array nobody else holds): an
    array the caller keeps could otherwise change values a graph saved, unseen. Without
    `dtype`, integers and booleans become `default` (float64; None keeps their dtype)."""
    if isinstance(data, Tensor):
        data = data._data
    try:
        array = np.array(data) if copy else np.asarray(data)
    except ValueError as err:
        if "inhomogeneous" in str(err) or "sequence" in str(err):
            raise ValueError(
                f"{where}: the data is a ragged nested list (rows of different lengths), "
                f"got {_describe(data)}; give rows of equal length") from None
        raise ValueError(f"{where}: cannot convert {_describe(data)} to a numeric array: "
                         f"{err}") from None
    except TypeError as err:
        raise TypeError(f"{where}: cannot convert {_describe(data)} to an array: {err}") from None
    kind = array.dtype.kind
    if kind not in "fiub":  # complex numbers, None, strings and objects: refused before any cast
        if kind == "c":
            raise TypeError(f"{where}: complex data is not supported, got dtype {array.dtype}; "
                            f"pass the real part (x.real) or split real and imaginary parts")
        raise TypeError(f"{where}: expected numeric data (numbers, nested lists of numbers or "
                        f"a numeric ndarray), got dtype {array.dtype} from {_describe(data)}")
    if dtype is not None:
        target = numeric_dtype(dtype, where)
        if target.kind in "iu" and array.size and array.dtype != target and not isinstance(
                data, (np.ndarray, np.generic)):  # (an array's cast wraps, as PyTorch's)
            _fit_whole(array, target, where)
        return array.astype(target, copy=False)
    return array if kind == "f" or default is None else array.astype(default)


def out_of_range(values: np.ndarray, dtype: np.dtype) -> Any:
    """The first of `values` (numbers, NaN, inf) an integer `dtype` cannot hold, or None."""
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        if values.dtype.kind == "f":  # (-0.5 into uint8 refused too, as PyTorch's; the
            # last test: int64's largest as a float rounds up to 2**63, which does not fit)
            bad = ~np.isfinite(values) | (values < info.min) | (values > info.max) | (
                values >= info.max + 1.0)
        else:
            bad = (values < info.min) | (values > info.max)
    return values[bad].flat[0].item() if bad.any() else None


def _fit_whole(array: np.ndarray, target: np.dtype, where: str) -> None:
    """Python numbers given for an integer dtype must lie in its range (`[-1, 256]` as uint8
    wrapped to [255, 0], silently); PyTorch refuses them too. Floats are cut toward zero."""
    bad = out_of_range(array, target)
    if bad is not None:
        info = np.iinfo(target)
        raise OverflowError(f"{where}: the value {bad} does not fit dtype {target} (whole "
                            f"numbers from {info.min} to {info.max}); give values within it, "
                            f"or a wider dtype (int64, float64)")


def _constant(value: Any, dtype: np.dtype | None, op: str) -> np.ndarray:
    """An op's operand that is not a tensor, beside a tensor of an integer or bool dtype
    (or none): a Python int takes an integer tensor's dtype, other data keep theirs."""
    if dtype is not None and dtype.kind in "iu" and isinstance(value, int):
        try:
            return np.array(value, dtype=dtype)
        except OverflowError:
            raise OverflowError(f"{op}: {value} does not fit the tensor's dtype {dtype}; "
                                f"convert the tensor first (x.to(tg.int64) or "
                                f"x.astype(np.int64))") from None
    default = None if dtype is not None else np.float64  # (no tensor: numbers are floats)
    array = _as_array(value, None, op, copy=isinstance(value, np.ndarray), default=default)
    return python_floats(array, value)  # (i * 0.5: the default float, as PyTorch's)


def _fitted(values: Any, dtype: np.dtype, where: str, instead: str, name: str = "") -> Any:
    """`values` to be written into (or made as) a float `dtype`: cast when the cast is not
    safe (float64 into float32), refusing a finite value the cast would make inf, as
    PyTorch's "cannot be converted without overflow" (inf given as inf is kept). `name`
    ("a=") is shown before the value (an argument's: a bound of a draw)."""
    source = np.asarray(values._data if isinstance(values, Tensor) else values)
    if source.dtype.kind == "O" and isinstance(values, int):  # (beyond int64: an object)
        try:
            source = np.asarray(float(values))
        except OverflowError:
            return values  # (beyond any float: the write's own error)
    if source.dtype.kind not in "fiu" or np.can_cast(source.dtype, dtype):
        return values  # (no cast that could overflow)
    with np.errstate(over="ignore", invalid="ignore"):
        cast = source.astype(dtype)
    if np.isfinite(cast).all():
        return cast
    lost = source[np.isinf(cast) & np.isfinite(source)]
    if lost.size:
        raise OverflowError(f"{where}: {name}{lost.flat[0].item()!r} does not fit dtype "
                            f"{dtype} (finite values {float_range(dtype)}) and would become "
                            f"inf; {instead}, or give values within that range")
    return cast


def uniform_draws(rng: np.random.Generator, shape: Any, dtype: Any, low: float = 0.0,
                  high: float = 1.0) -> np.ndarray:
    """Draws from [low, high) in the float `dtype` by one rule (tg.rand, uniform_,
    testing.make_tensor, distributions.Uniform, the layers' starting weights): u from [0, 1)
    on the grid of the type the draw is computed in (k * 2**-53 in float64, NumPy's own;
    k * 2**-24 in float32, which float16 is computed in, as PyTorch's), then low + u * (high
    - low) there, with the bounds as `dtype` holds them. float16 takes the value at or below
    each, not PyTorch's nearest (each value drawn as often as the width up to the next:
    rounding to the nearest drew the one below high half as often again), and a draw that
    rounding carries to high is the value below it."""
    dtype = np.dtype(dtype)
    work = np.dtype(np.float64 if dtype.itemsize >= 8 else np.float32)
    u = np.asarray(rng.random(shape))
    if work != np.float64:  # (on float32's grid: a cast would round draws near 1 up to 1)
        np.multiply(u, 2.0 ** 24, out=u)
        np.floor(u, out=u)
        np.multiply(u, 2.0 ** -24, out=u)
        u = u.astype(work)
    with np.errstate(over="ignore"):
        lo, hi = dtype.type(low), dtype.type(high)
        start, width, scale = work.type(lo), work.type(hi) - work.type(lo), 1
        if not np.isfinite(width):  # (wider than the largest float: at half scale)
            start, width, scale = start / 2, work.type(hi) / 2 - start / 2, 2
        np.multiply(u, width, out=u)
        np.add(u, start, out=u)
        if scale != 1:
            np.multiply(u, scale, out=u)
        values = u
        if dtype != work:
            values = u.astype(dtype)
            above = values.astype(work) > u
            values[above] = np.nextafter(values[above], dtype.type(-np.inf))
        if lo < hi:
            np.minimum(values, np.nextafter(hi, dtype.type(-np.inf)), out=values)
    return values


def float_range(dtype: Any) -> str:
    """A float dtype's finite values in words: "from -65504 to 65504" (float16)."""
    most = float(np.finfo(dtype).max)
    return f"from {-most:.8g} to {most:.8g}"


# PyTorch's names of devices: a string starting with one (before ":0") is read as a device
_DEVICES = ("cpu", "cuda", "mps", "xpu", "meta", "hip")


def is_device(value: Any) -> bool:
    """PyTorch's device: "cpu", "cuda:0", ... or a torch.device (not imported for it)."""
    if type(value).__name__ == "device":
        return True
    return isinstance(value, str) and value.split(":")[0] in _DEVICES


def check_cpu(device: Any, where: str, expected: str = "the device 'cpu'") -> None:
    """Refuse a device other than the CPU, tinygrad_gd's only one ("cpu", "cpu:0" and
    torch.device("cpu") pass; None is no device given), in one line naming `where`."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise TypeError(f"{where}: expected {expected}, got {type(device).__name__} "
                        f"{str(device)!r}; tinygrad_gd runs on the CPU only: leave the device "
                        f"out (or give 'cpu')")
