"""Testing toolkit for users' own models and ops: hypothesis strategies and a pytest plugin.

Strategies (need `pip install hypothesis`; it is imported when a strategy is built, never
when this module is imported):

* `floats(...)`: finite floats in a range, kept `margin` away from the kinks you name
  (relu and abs at 0 by default), where finite differences would straddle a corner.
* `tensors(...)`: float64 Tensors (requires_grad=True) of random small shapes with such
  values; `distinct=True` keeps every pair of entries `margin` apart (no ties for max/min).
* `broadcastable_tensors(n, ...)`: n Tensors whose shapes broadcast together.
* `matmul_operands(...)`: two Tensors `x @ y` accepts: 1-D, 2-D and batched, with broadcast
  batch axes.

The pytest plugin (registered through the `pytest11` entry point, so installing
tinygrad_gd is enough) keeps the package's filter of NumPy's RuntimeWarnings for the
session (numpy_warnings.py) and provides the fixture `gradcheck`: `gradcheck(fn, inputs, **options)`
runs `tg.gradcheck` and, on failure, fails the test with the worst Jacobian entries and
attaches the graph's DOT source to the report (section "tinygrad_gd graph (DOT)").
`assert_gradcheck` is the same check for use outside the fixture: its error carries the
DOT source as `.dot` (and the plugin attaches it to the report too).

`assert_close(actual, expected)` is PyTorch's torch.testing.assert_close: values close by
rtol and atol (by default the dtype's: float64 1e-7 and 1e-7, float32 1.3e-6 and 1e-5),
same shape and, with check_dtype, same dtype; an AssertionError in one line otherwise.
`assert_allclose` is PyTorch's deprecated torch.testing.assert_allclose (a FutureWarning, as
PyTorch's): assert_close without the dtype check, NaN equal to NaN, looser tolerances.
`make_tensor(*shape, dtype=, device=)` is PyTorch's torch.testing.make_tensor: values drawn
uniformly from [low, high), by default the dtype's range of PyTorch's table.
"""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from .errors import user_stacklevel
from .creation import _leaf, _sizes, make_generator
from .grad_mode import check_flag
from .gradcheck import GradcheckError
from .gradcheck import gradcheck as _gradcheck
from .in_place import shown
from .memory_formats import check_memory_format, copied
from .numpy_warnings import quiet_numpy_in_package
from .op_errors import respelled
from .tensor import Tensor
from .values import check_cpu, numeric_dtype, uniform_draws

try:  # the strategies and assert_gradcheck work without pytest; the fixture needs it
    import pytest
except ImportError:  # pragma: no cover  (pytest loads this module as a plugin)
    pytest = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["floats", "tensors", "broadcastable_tensors", "matmul_operands", "assert_gradcheck",
           "graph_source", "assert_close", "assert_allclose", "make_tensor", "DEFAULT_KINKS"]

DEFAULT_KINKS = (0.0,)  # where relu, abs and leaky_relu have their corner
_MAX_DIMS = 3
_MAX_SIDE = 3


def _hypothesis() -> Any:
    """Import hypothesis on first use, with an error that says how to get it."""
    try:
        import hypothesis.extra.numpy as hnp
        import hypothesis.strategies as st
    except ImportError:
        raise ImportError("tinygrad_gd.testing: the strategies need hypothesis; install it with "
                          "`pip install hypothesis` (or `pip install tinygrad_gd[dev]`)") from None
    return st, hnp


# ---------------------------------------------------------------------------------------
# Strategies


def floats(min_value: float = -2.0, max_value: float = 2.0, *,
           avoid: Sequence[float] = DEFAULT_KINKS, margin: float = 0.1) -> "SearchStrategy[float]":
    """Finite floats in [min_value, max_value], each at least `margin` from every `avoid` point.

    The range is cut at the points to avoid and each piece drawn from directly, so no
    example is filtered away.
    """
    st, _ = _hypothesis()
    pieces = _allowed_intervals(min_value, max_value, avoid, margin, "floats")
    return st.one_of(*[st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                       for lo, hi in pieces])


def _allowed_intervals(min_value: float, max_value: float, avoid: Sequence[float],
                       margin: float, where: str) -> list[tuple[float, float]]:
    if not min_value <= max_value:
        raise ValueError(f"{where}: min_value {min_value} is larger than max_value {max_value}")
    if margin < 0:
        raise ValueError(f"{where}: margin must be >= 0, got {margin}")
    pieces = [(float(min_value), float(max_value))]
    for point in sorted(avoid):
        below, above = _clear_of(float(point), float(margin))
        cut = []
        for lo, hi in pieces:
            if lo <= below:
                cut.append((lo, min(hi, below)))
            if hi >= above:
                cut.append((max(lo, above), hi))
        pieces = cut
    if not pieces:
        raise ValueError(f"{where}: no value in [{min_value}, {max_value}] is {margin} away from "
                         f"{list(avoid)}; widen the range or lower the margin")
    return pieces


def _clear_of(point: float, margin: float) -> tuple[float, float]:
    """The floats nearest `point` whose distance from it, as float64 computes it, is >= margin.

    `point + margin` itself may round to a value a hair closer than `margin` (0.5 + 0.1).
    """
    below, above = point - margin, point + margin
    while point - below < margin:
        below = float(np.nextafter(below, -np.inf))
    while above - point < margin:
        above = float(np.nextafter(above, np.inf))
    return below, above


def _grid(min_value: float, max_value: float, avoid: Sequence[float], margin: float,
          spacing: float, offset: float, where: str) -> list[float]:
    """Points `spacing` apart in the range, `margin` clear of the points to avoid."""
    if spacing <= 0:
        raise ValueError(f"{where}: distinct values need margin > 0, got {margin}")
    count = int(np.floor((max_value - min_value - offset) / spacing + 1e-9)) + 1
    points = [min_value + offset + k * spacing for k in range(max(count, 0))]
    return [p for p in points if all(abs(p - a) >= margin for a in avoid)]


def _shapes(shape: Any, min_dims: int, max_dims: int, min_side: int, max_side: int) -> Any:
    st, hnp = _hypothesis()
    if shape is None:
        return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                max_side=max_side)
    if isinstance(shape, (int, np.integer)):
        return st.just((int(shape),))
    if isinstance(shape, (tuple, list)):
        return st.just(tuple(int(n) for n in shape))
    return shape  # a strategy of shapes


def _to_tensor(array: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    return Tensor(np.asarray(array, dtype=np.float64).astype(dtype), requires_grad=requires_grad)


def tensors(shape: Any = None, *, min_value: float = -2.0, max_value: float = 2.0,
            avoid: Sequence[float] = DEFAULT_KINKS, margin: float = 0.1, distinct: bool = False,
            dtype: Any = np.float64, requires_grad: bool = True, min_dims: int = 0,
            max_dims: int = _MAX_DIMS, min_side: int = 1,
            max_side: int = _MAX_SIDE) -> "SearchStrategy[Tensor]":
    """Tensors with finite values in [min_value, max_value], `margin` away from `avoid`.

    `shape`: a fixed shape (tuple or int), a strategy of shapes, or None for any shape
    with `min_dims..max_dims` axes of `min_side..max_side` entries. `distinct=True`
    draws entries from a grid of step `margin`, all different: no two entries are
    closer than `margin` (up to float rounding), so max and min are differentiable.
    `dtype`: np.float64 (default) or np.float32. Each example is a new leaf Tensor.
    """
    st, hnp = _hypothesis()
    shapes = _shapes(shape, min_dims, max_dims, min_side, max_side)
    if distinct:
        points = _grid(min_value, max_value, avoid, margin, margin, 0.0, "tensors")
        elements = st.sampled_from(points)
        # a shape with more entries than grid points cannot hold distinct values
        shapes = shapes.filter(lambda s: int(np.prod(s)) <= len(points))
    else:
        elements = floats(min_value, max_value, avoid=avoid, margin=margin)
    arrays = shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=elements,
                                                 unique=distinct))
    return arrays.map(lambda a: _to_tensor(a, dtype, requires_grad))


def broadcastable_tensors(num_tensors: int = 2, *, min_value: float = -2.0,
                          max_value: float = 2.0, avoid: Sequence[float] = DEFAULT_KINKS,
                          margin: float = 0.1, distinct: bool = False, dtype: Any = np.float64,
                          requires_grad: bool = True, min_dims: int = 0,
                          max_dims: int = _MAX_DIMS, min_side: int = 1,
                          max_side: int = _MAX_SIDE) -> "SearchStrategy[tuple[Tensor, ...]]":
    """`num_tensors` Tensors whose shapes broadcast together (NumPy's rule), as a tuple.

    Shapes differ in length and in size-1 axes, so binary ops exercise the summing of
    gradients back over broadcast axes. `distinct=True`: no entry of one tensor is within
    `margin` of any entry of another (the tensors never tie, as `maximum` needs).
    """
    st, hnp = _hypothesis()
    if num_tensors < 1:
        raise ValueError(f"broadcastable_tensors: num_tensors must be >= 1, got {num_tensors}")
    shapes = hnp.mutually_broadcastable_shapes(num_shapes=num_tensors, min_dims=min_dims,
                                               max_dims=max_dims, min_side=min_side,
                                               max_side=max_side)
    if distinct:
        # tensor i takes grid points i, i + n, i + 2n, ... (step margin): never two equal
        grids = [_grid(min_value, max_value, avoid, margin, num_tensors * margin, i * margin,
                       "broadcastable_tensors") for i in range(num_tensors)]
        element_strategies = [st.sampled_from(g) for g in grids]
    else:
        values = floats(min_value, max_value, avoid=avoid, margin=margin)
        element_strategies = [values] * num_tensors

    def draw_arrays(found: Any) -> Any:
        return st.tuples(*[hnp.arrays(np.float64, s, elements=e)
                           for s, e in zip(found.input_shapes, element_strategies)])

    return shapes.flatmap(draw_arrays).map(
        lambda arrays: tuple(_to_tensor(a, dtype, requires_grad) for a in arrays))


_MATMUL_KINDS = ("1@1", "1@2", "2@1", "2@2", "1@3", "3@1", "batched")


def matmul_operands(*, min_value: float = -2.0, max_value: float = 2.0,
                    dtype: Any = np.float64, requires_grad: bool = True,
                    max_side: int = _MAX_SIDE, kinds: Sequence[str] = _MATMUL_KINDS
                    ) -> "SearchStrategy[tuple[Tensor, Tensor]]":
    """Pairs (x, y) that `x @ y` accepts, as NumPy's matmul defines it.

    `kinds` chooses the cases: "1@1" (dot of vectors), "1@2", "2@1", "2@2", "1@3", "3@1"
    (a vector against a stack of matrices) and "batched" (leading batch axes that
    broadcast against each other, e.g. (2, 1, n, k) @ (3, k, m)).
    """
    st, hnp = _hypothesis()
    unknown = set(kinds) - set(_MATMUL_KINDS)
    if unknown or not kinds:
        raise ValueError(f"matmul_operands: unknown kinds {sorted(unknown)}; choose from "
                         f"{list(_MATMUL_KINDS)}")
    sides = st.integers(1, max_side)
    batches = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=max_side)

    @st.composite
    def pairs(draw: Callable) -> tuple[Tensor, Tensor]:
        kind = draw(st.sampled_from(list(kinds)))
        n, k, m, b = draw(sides), draw(sides), draw(sides), draw(sides)
        batch_x, batch_y = draw(batches).input_shapes if kind == "batched" else ((), ())
        shape_x, shape_y = {
            "1@1": ((k,), (k,)), "1@2": ((k,), (k, m)), "2@1": ((n, k), (k,)),
            "2@2": ((n, k), (k, m)), "1@3": ((k,), (b, k, m)), "3@1": ((b, n, k), (k,)),
            "batched": (batch_x + (n, k), batch_y + (k, m)),
        }[kind]
        values = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
        x = draw(hnp.arrays(np.float64, shape_x, elements=values))
        y = draw(hnp.arrays(np.float64, shape_y, elements=values))
        return _to_tensor(x, dtype, requires_grad), _to_tensor(y, dtype, requires_grad)

    return pairs()


# ---------------------------------------------------------------------------------------
# The check behind the fixture


def graph_source(fn: Callable[..., Tensor], inputs: Any) -> str:
    """The DOT source of the graph `fn(*inputs)` records, or a line saying why there is none."""
    from .graph import draw_graph  # graphviz is loaded only when a report needs a drawing

    args = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    try:
        out = fn(*args)
        return draw_graph(out, show_grad=False).source
    except Exception as err:  # noqa: BLE001  (the drawing must never hide the real failure)
        return f"// the graph could not be drawn: {type(err).__name__}: {err}"


def assert_gradcheck(fn: Callable[..., Tensor], inputs: Any, **options: Any) -> bool:
    """`tg.gradcheck(fn, inputs, **options)`; on failure the error also holds the graph.

    Raises `GradcheckError` whose message is gradcheck's report (the worst entries and a
    hint) and whose `.dot` attribute is the DOT source of the graph `fn(*inputs)` records
    (`graphviz.Source(err.dot).render(...)` draws it). Returns True on success.
    """
    __tracebackhide__ = True  # pytest shows the user's line, not this helper's
    try:
        return _gradcheck(fn, inputs, **options)
    except GradcheckError as err:
        err.dot = graph_source(fn, inputs)  # type: ignore[attr-defined]
        raise


# PyTorch's default tolerances (rtol, atol) by dtype; integers and bools compare exactly
_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def assert_close(actual: Any, expected: Any, *, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_dtype: bool = True,
                 msg: str | None = None) -> None:
    """PyTorch's torch.testing.assert_close for tensors, arrays and numbers: |actual -
    expected| <= atol + rtol * |expected| everywhere (NaN equal to NaN with equal_nan), the
    shapes equal and, with check_dtype, the dtypes; rtol and atol given together or not
    at all (then the dtype's, as PyTorch's). An AssertionError in one line otherwise."""
    a, e = (np.asarray(getattr(v, "_data", v)) for v in (actual, expected))
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither (then the "
                         "dtype's defaults)")
    if a.shape != e.shape:
        raise AssertionError(msg or f"assert_close: the shapes differ: {a.shape} and {e.shape}")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"assert_close: the dtypes differ: {a.dtype} and {e.dtype} "
                                    f"(check_dtype=False compares the values alone)")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    with np.errstate(invalid="ignore", over="ignore"):
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
        difference = np.abs(a64 - e64)
        close = (difference <= atol + rtol * np.abs(e64)) | (a64 == e64)
        if equal_nan:
            close |= np.isnan(a64) & np.isnan(e64)
    if close.all():
        return
    far = np.where(close, -np.inf, np.nan_to_num(difference, nan=np.inf))
    worst = np.unravel_index(int(np.argmax(far)), a.shape)
    raise AssertionError(msg or (
        f"assert_close: {int((~close).sum())} of {close.size} entries differ: at index "
        f"{tuple(int(i) for i in worst)} {float(a64[worst])!r} against "
        f"{float(e64[worst])!r}, difference "
        f"{difference[worst]:.3g} (allowed {atol + rtol * abs(e64[worst]):.3g}: atol {atol:g}, "
        f"rtol {rtol:g})"))


# torch.testing.assert_allclose's own defaults (rtol, atol), looser than assert_close's
_ALLCLOSE_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-3), np.dtype(np.float32): (1e-4, 1e-5),
                        np.dtype(np.float64): (1e-5, 1e-8)}


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """PyTorch's torch.testing.assert_allclose, deprecated there (a FutureWarning here too:
    use assert_close): assert_close with check_dtype=False, NaN equal to NaN by default,
    and, where neither rtol nor atol is given, its own looser defaults by dtype (float64:
    rtol 1e-5, atol 1e-8; float32 1e-4 and 1e-5; the larger of the two inputs'). A number
    or list for expected is taken in actual's float dtype; an integer actual is not
    rounded to (PyTorch's would pass 1 against 1.5)."""
    warnings.warn("assert_allclose is deprecated, as PyTorch's torch.testing.assert_allclose "
                  "(since 1.12): use tg.testing.assert_close instead", FutureWarning,
                  stacklevel=user_stacklevel())
    a = np.asarray(getattr(actual, "_data", actual))
    e = np.asarray(getattr(expected, "_data", expected))
    if a.dtype.kind == "f" and not isinstance(expected, (Tensor, np.ndarray)):
        e = e.astype(a.dtype)  # (a number, a list: in actual's float dtype, as PyTorch's)
    if rtol is None and atol is None:
        (rtol_a, atol_a), (rtol_e, atol_e) = (_ALLCLOSE_TOLERANCES.get(d, (0.0, 0.0))
                                              for d in (a.dtype, e.dtype))
        rtol, atol = max(rtol_a, rtol_e), max(atol_a, atol_e)
    try:
        assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                     msg=msg or None)
    except (AssertionError, ValueError) as err:  # (said of the name called)
        raise respelled(err, "assert_close", "assert_allclose") from None


def make_tensor(*shape: Any, dtype: Any, device: Any, low: Any = None, high: Any = None,
                requires_grad: bool = False, noncontiguous: bool = False,
                exclude_zero: bool = False, memory_format: Any = None) -> Tensor:
    """PyTorch's torch.testing.make_tensor: a new leaf of `shape` (sizes, or one sequence)
    and `dtype`, its values drawn uniformly from [low, high) (tg.manual_seed's generator,
    else fresh entropy). Left out, the bounds are PyTorch's: bool 0 and 2, unsigned
    integers 0 and 10, signed -9 and 10, floats -9 and 9; given, they are clamped to the
    dtype's finite range, and for bools and integers rounded up (whole numbers drawn).
    `exclude_zero` puts 1 (a float dtype's smallest normal number) for every 0;
    `noncontiguous` gives a strided view (of two entries or more); `memory_format` lays
    the values out so. low >= high, a NaN bound, bounds outside the dtype's range and
    requires_grad=True for bools and integers are refused, ValueErrors as PyTorch's."""
    where = "make_tensor"
    sizes = _sizes(where, shape[0] if len(shape) == 1 and isinstance(shape[0], (list, tuple))
                   else shape)
    if dtype is None:
        raise TypeError(f"{where}: dtype= is required, as PyTorch's: give tg.float64, "
                        f"tg.int64, tg.bool, ...")
    kind = numeric_dtype(dtype, where)
    check_cpu(device, where)
    for flag, value in (("requires_grad", requires_grad), ("noncontiguous", noncontiguous),
                        ("exclude_zero", exclude_zero)):
        check_flag(where, flag, value)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"{where}: noncontiguous and memory_format exclude each other, got "
                         f"noncontiguous=True and memory_format={memory_format}; give one")
    fmt = None if memory_format is None else check_memory_format(where, memory_format,
                                                                 len(sizes))
    if requires_grad and kind.kind != "f":
        raise ValueError(f"{where}: requires_grad=True needs a float dtype, got {kind}; give "
                         f"dtype=tg.float64 or leave requires_grad out")
    if noncontiguous and int(np.prod(sizes)) > 1:
        sizes = sizes[:-1] + (2 * sizes[-1],)  # (every other entry kept below)
    else:
        noncontiguous = False
    rng = make_generator(None, None, where)
    low, high = _bounds(where, kind, low, high)
    if kind.kind == "f":
        values = uniform_draws(rng, sizes, kind, low, high)
    else:
        values = rng.integers(low, high, sizes, dtype=np.int64 if kind == np.bool_ else kind,
                              endpoint=False).astype(kind)
    if exclude_zero:
        values[values == 0] = np.finfo(kind).tiny if kind.kind == "f" else 1
    if noncontiguous:
        values = values[..., 1::2]
    elif fmt is not None:
        values = copied(where, values, fmt)
    return _leaf(values, requires_grad, where)


def _bounds(where: str, dtype: np.dtype, low: Any, high: Any) -> tuple[Any, Any]:
    """PyTorch's make_tensor bounds for `dtype`: its defaults, checked, clamped to what
    the dtype holds ([lowest, highest) below), whole numbers rounded up for integers."""
    for name, value in (("low", low), ("high", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating))):
            raise TypeError(f"{where}: {name} must be a number or None, got {shown(value)}")
    if dtype == np.bool_:
        lowest, highest, default = 0, 2, (0, 2)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)  # (int64's highest left out: PyTorch's randint cannot draw it)
        lowest, highest = int(info.min), int(info.max) + (dtype != np.int64)
        default = (-9, 10)  # (an unsigned one clamped to 0 below, as PyTorch's)
    else:
        lowest, highest, default = float(np.finfo(dtype).min), float(np.finfo(dtype).max), (-9, 9)
    low = default[0] if low is None else low
    high = default[1] if high is None else high
    if np.isnan(float(low)) or np.isnan(float(high)):
        raise ValueError(f"{where}: low and high cannot be NaN, got low={low} and high={high}; "
                         f"give numbers")
    if low == high and dtype.kind == "f":
        warnings.warn(f"{where}: low == high ({low}) is deprecated for float dtypes, as in "
                      f"PyTorch; use tg.full(shape, {low})", FutureWarning,
                      stacklevel=user_stacklevel())
    elif low >= high:
        raise ValueError(f"{where}: low must be less than high, got {low} >= {high}; give "
                         f"low < high")
    elif high <= lowest or low >= highest:  # (either holds nothing the dtype holds)
        raise ValueError(f"{where}: the values [low, high) = [{low}, {high}) lie outside "
                         f"[{lowest}, {highest}), all that {dtype} holds; give bounds inside it")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype.kind in "biu":
        return math.ceil(low), math.ceil(high)
    return float(low), float(high)


if pytest is not None:

    @pytest.fixture(scope="session")  # stateless: safe to share across hypothesis examples
    def gradcheck() -> Callable[..., bool]:
        """`gradcheck(fn, inputs, **options)`: tg.gradcheck with a report made for pytest.

        On failure the test fails with gradcheck's report (worst Jacobian entries, hint);
        the graph's DOT source is attached to the report as the section
        "tinygrad_gd graph (DOT)". Options are tg.gradcheck's: eps, atol, rtol, fast_mode, seed.
        """

        def check(fn: Callable[..., Tensor], inputs: Any, **options: Any) -> bool:
            __tracebackhide__ = True
            try:
                return assert_gradcheck(fn, inputs, **options)
            except GradcheckError as err:
                failure = GradcheckError(
                    f"{err}\n  the graph's DOT source is attached to this report as "
                    f"'tinygrad_gd graph (DOT)' (render it with `dot -Tsvg`)",
                    err.input_index, err.analytic, err.numeric, err.worst)
                failure.dot = getattr(err, "dot", "")  # type: ignore[attr-defined]
                raise failure from None

        return check

    def pytest_configure(config: Any) -> None:
        """The package's filter of NumPy's RuntimeWarnings (numpy_warnings.py) set again
        for the session: pytest puts the filters back after importing plugins and after
        collecting, where tinygrad_gd is imported; after pytest's own, so -W error wins."""
        quiet_numpy_in_package()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item: Any, call: Any) -> Any:
        """Attach the DOT source a failed gradient check carries (`err.dot`) to the report."""
        outcome = yield
        report = outcome.get_result()
        dot = getattr(call.excinfo.value, "dot", None) if call.excinfo is not None else None
        if report.failed and isinstance(dot, str) and dot:
            report.sections.append(("tinygrad_gd graph (DOT)", dot))
