"""`gradcheck`: compare backward()'s gradients with central finite differences in float64.

The analytic Jacobian comes from the engine's backward pass (one pass per output
element; in fast mode one pass, `v . J` for a random `v`); the numeric one from
`(f(x + eps) - f(x - eps)) / 2eps` per input element. They must agree to
`atol + rtol * |numeric|` everywhere. A failure raises `GradcheckError` with the worst
elements and, where the pattern is a typical mistake (factor 2, sign flip, all zeros,
transposed), a hint. No `.grad` changes: the gradients come from `tg.autograd.grad`.
`gradgradcheck` checks second derivatives: the gradients themselves, as computed with
`create_graph=True` (higher_order.py), gradient-checked as a function of the inputs.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .autograd import grad as _grads
from .engine import toposort
from .functional import concatenate
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

_FULL_JACOBIAN_LIMIT = 20_000  # output size x input size above which fast mode is the default
_FAST_ENTRIES = 2_000  # fast mode: input entries checked one by one (all, when no more)
_WORST_SHOWN = 5


class GradcheckError(AssertionError):
    """The analytic gradient of an input disagrees with finite differences.

    Attributes: `input_index`, `analytic` and `numeric` (Jacobians, rows = output
    elements, or projections in fast mode), `worst` (rows of the report).
    """

    def __init__(self, message: str, input_index: int | None = None,
                 analytic: np.ndarray | None = None, numeric: np.ndarray | None = None,
                 worst: list | None = None) -> None:
        super().__init__(message)
        self.input_index = input_index
        self.analytic = analytic
        self.numeric = numeric
        self.worst = worst or []


def gradcheck(fn: Callable[..., Tensor], inputs: Tensor | Sequence[Any], *, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, fast_mode: bool | None = None,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """Check `fn`'s gradients with respect to every input that requires one.

    `fn(*inputs)` must return a Tensor (any shape). Inputs are copied to float64 first,
    so the check's precision does not depend on theirs; a float32 input's own backward
    pass is compared with the float64 one too (loosely). `fast_mode` compares `v . J`
    for a random `v` instead of the whole Jacobian, entry by entry (up to 2,000 entries of
    each input, drawn at random beyond that, plus the projection `v . J . u` of all):
    default on when the Jacobian has more than 20,000 entries. Also checks that each
    backward pass runs (an op's gradient of a shape that does not fit its input fails
    the check) and gives the same answer twice. No `.grad` changes, the inputs' nor a
    model's the function uses.

    Returns True, so `assert tg.gradcheck(...)` reads well; raises `GradcheckError`
    (an AssertionError) on failure, or returns False with `raise_exception=False` (a
    misuse raises still: bad arguments, a `fn` that ignores the inputs it is given).
    """
    _check_arguments(fn, inputs, eps, atol, rtol, fast_mode, raise_exception, seed)
    try:
        _run(fn, inputs, eps, atol, rtol, fast_mode, seed)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn: Callable[..., Tensor], inputs: Tensor | Sequence[Any],
                  grad_outputs: Any = None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, fast_mode: bool | None = None,
                  raise_exception: bool = True, seed: int = 0) -> bool:
    """Check `fn`'s second derivatives (PyTorch's torch.autograd.gradgradcheck).

    The gradients of `fn(*inputs)`, seeded with `grad_outputs` (random, drawn with
    `seed`, where not given), are computed with `create_graph=True`; first they must equal
    the plain backward pass's (the two backwards of each op agree), then `gradcheck` checks
    them as a function of the inputs and of `grad_outputs`, against finite differences.
    Returns True, or raises `GradcheckError` (False with `raise_exception=False`)."""
    _check_arguments(fn, inputs, eps, atol, rtol, fast_mode, raise_exception, seed)
    originals = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(originals) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input requires a gradient; create the inputs to "
                         "check with requires_grad=True")
    xs = [Tensor(t._data.astype(np.float64), requires_grad=t.requires_grad, name=t.name)
          if isinstance(t, Tensor) and t.dtype.kind == "f" else t for t in originals]
    out = _call(fn, xs)
    v = (np.random.default_rng(seed).standard_normal(out.shape) if grad_outputs is None
         else np.asarray(getattr(grad_outputs, "_data", grad_outputs), dtype=np.float64))
    if v.shape != out.shape:
        raise ValueError(f"gradgradcheck: grad_outputs has shape {v.shape} but fn's output "
                         f"has shape {out.shape}; they must be equal")

    def gradients(*args: Any) -> Tensor:  # the inputs' gradients, flattened into one tensor
        *ins, seed_grad = args
        found = _grads(_call(fn, ins), [ins[i] for i in checked], grad_outputs=seed_grad,
                       create_graph=True, materialize_grads=True)
        return concatenate([g.reshape(-1) for g in found])

    try:
        recorded = _pass_graph(gradients, xs, v)
        plain = np.concatenate([g.ravel() for g in _vjp(out, [xs[i] for i in checked], v)])
        differ = ~np.isclose(recorded, plain, rtol=1e-10, atol=1e-12, equal_nan=True)
        if differ.any():
            first = int(np.argmax(differ))
            raise GradcheckError(
                f"gradgradcheck failed: the gradients computed with create_graph=True differ "
                f"from backward()'s: {recorded[first]:.6e} where backward() gives "
                f"{plain[first]:.6e} (entry {first} of the inputs' gradients, flattened, the "
                f"first of {int(differ.sum())}); does an op's backward_graph compute other "
                f"than its backward?")
        return gradcheck(gradients, [*xs, Tensor(v, requires_grad=True)], eps=eps, atol=atol,
                         rtol=rtol, fast_mode=fast_mode, seed=seed)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _pass_graph(gradients, xs, v) -> np.ndarray:
    """The recorded gradients' values; a backward pass that raises is a failed check."""
    try:
        return gradients(*xs, Tensor(v, requires_grad=True))._data
    except (RuntimeError, ValueError, NotImplementedError) as err:
        raise GradcheckError(f"gradgradcheck failed: the backward pass with create_graph=True "
                             f"raised {type(err).__name__}: {str(err).splitlines()[0]}") from err


def _check_arguments(fn, inputs, eps, atol, rtol, fast_mode, raise_exception, seed) -> None:
    """gradcheck's own arguments, each refused in one line before anything runs (a bad eps
    or tolerance would otherwise read as a wrong gradient, or let any gradient pass)."""
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be a function returning a Tensor, got "
                        f"{type(fn).__name__} {repr(fn)[:40]}")
    if not isinstance(inputs, Tensor) and (  # (a dict's or a string's items: not inputs)
            isinstance(inputs, (dict, str, bytes, set)) or not hasattr(inputs, "__iter__")):
        raise TypeError(f"gradcheck: inputs must be a Tensor or a sequence of them (a tuple "
                        f"or list), got {type(inputs).__name__} {repr(inputs)[:40]}")
    for name, value, bound in (("eps", eps, "> 0"), ("atol", atol, ">= 0"),
                               ("rtol", rtol, ">= 0")):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"gradcheck: {name} must be a number, got {type(value).__name__} "
                            f"{value!r}")
        if not math.isfinite(value) or value < 0 or (value == 0 and name == "eps"):
            raise ValueError(f"gradcheck: {name} must be a finite number {bound}, got {value!r}")
    for name, value, or_none in (("fast_mode", fast_mode, " (or None: by size)"),
                                 ("raise_exception", raise_exception, "")):
        if not isinstance(value, (bool, np.bool_)) and not (or_none and value is None):
            raise TypeError(f"gradcheck: {name} must be True or False{or_none}, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        error = ValueError if isinstance(seed, (int, np.integer)) else TypeError
        raise error(f"gradcheck: seed must be an int >= 0 (it seeds the random v of fast "
                    f"mode), got {seed!r}")


def _run(fn, inputs, eps, atol, rtol, fast_mode, seed) -> None:
    originals = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(originals) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires a gradient; create the inputs to "
                         "check with requires_grad=True")
    own_dtype = _own_dtype_gradients(fn, originals, checked)

    xs = [Tensor(t._data.astype(np.float64), requires_grad=t.requires_grad, name=t.name)
          if isinstance(t, Tensor) and t.dtype.kind == "f" else t for t in originals]
    out = _call(fn, xs)
    rng = np.random.default_rng(seed)
    total = out.size * sum(xs[i].size for i in checked)
    fast = total > _FULL_JACOBIAN_LIMIT if fast_mode is None else fast_mode
    _check_repeatable(fn, xs, checked, out, rng)
    _check_own_dtype(fn, xs, checked, out, own_dtype)
    try:
        for i in checked:
            if fast:
                _check_fast(fn, xs, i, out, eps, atol, rtol, rng)
            else:
                _compare(i, xs[i], _analytic_jacobian(fn, xs, i, out.shape),
                         _numeric_jacobian(fn, xs, i, eps), atol, rtol, out.shape, eps,
                         out.dtype != np.float64)
    except GradcheckError as err:
        if out.dtype != np.float64:  # the finite differences measured float32 rounding
            err.args = (f"{err.args[0]}\n  note: {_narrow_note(out.dtype, eps)}",)
        raise


def _narrow_note(dtype: np.dtype, eps: float) -> str:
    """What a failure of a function that computes in float32 (or float16) means, and the
    two ways on: the function in float64, or the check as loose as its precision."""
    return (f"fn returned {dtype} although gradcheck gave it float64 copies of the inputs (a "
            f".float() or .to({dtype}) inside fn, or {dtype} tensors it closes over beside a "
            f"0-d input, which keep {dtype}), so the finite differences (eps={eps}) see "
            f"{dtype} rounding, not only the derivative: compute in float64 for the check "
            f"(no cast inside fn; model.double(), float64 tensors), or check {dtype} "
            f"loosely: eps=1e-3, atol=1e-3, rtol=1e-2")


def _check_fast(fn, xs, i, out, eps, atol, rtol, rng) -> None:
    """Fast mode: `v . J` entry by entry (a sample of the entries of a large input), and
    the projection `v . J . u` over every entry."""
    x = xs[i]
    v = rng.standard_normal(out.shape)
    analytic = _backward_grads(fn, xs, [i], v)[0].ravel()
    entries = np.arange(x.size) if x.size <= _FAST_ENTRIES else np.sort(
        rng.choice(x.size, _FAST_ENTRIES, replace=False))
    numeric = v.ravel() @ _numeric_jacobian(fn, xs, i, eps, entries)
    ok = _close(analytic[entries], numeric, atol, rtol)
    if not ok.all():
        if out.size * x.size <= 100 * _FULL_JACOBIAN_LIMIT:  # a full report if affordable
            _compare(i, x, _analytic_jacobian(fn, xs, i, out.shape),
                     _numeric_jacobian(fn, xs, i, eps), atol, rtol, out.shape, eps,
                     out.dtype != np.float64)
        k = int(np.argmax(np.where(ok, -1.0, np.abs(analytic[entries] - numeric))))
        where = tuple(int(n) for n in np.unravel_index(entries[k], x.shape))
        raise GradcheckError(
            f"gradcheck failed for input {_label(i, x)} (fast mode): {int((~ok).sum())} of "
            f"{ok.size} entries of v.J (a random v) differ from finite differences; at input "
            f"{where}: {analytic[entries[k]]:.6e} from backward() but {numeric[k]:.6e} "
            f"(atol={atol}, rtol={rtol})", i, analytic[entries], numeric)
    u = rng.standard_normal(x.shape)
    projected = np.array([np.vdot(analytic, u)])
    measured = np.array([np.vdot(_directional(fn, xs, i, u, eps), v)])
    if not _close(projected, measured, atol, rtol).all():
        raise GradcheckError(
            f"gradcheck failed for input {_label(i, x)} (fast mode): the projection v.J.u is "
            f"{projected[0]:.6e} from backward() but {measured[0]:.6e} from finite "
            f"differences (atol={atol}, rtol={rtol})", i, projected, measured)


def _call(fn, xs) -> Tensor:
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype.kind != "f":
        raise TypeError(f"gradcheck: fn returned a tensor of dtype {out.dtype}; "
                        f"it must be floating point")
    return out


def _vjp(out, which, seed_grad, retain_graph=False) -> list[np.ndarray]:
    """The gradients of `which` for one backward pass of `out` seeded with `seed_grad`
    (zeros for an input it does not use), through tg.autograd.grad: no `.grad` changes."""
    if not out.requires_grad:
        return [np.zeros(x.shape) for x in which]
    found = _pass(out, which, grad_outputs=seed_grad, retain_graph=retain_graph,
                  allow_unused=True)
    return [np.zeros(x.shape) if g is None else g._data for x, g in zip(which, found)]


def _pass(out, which, **options) -> tuple:
    """`tg.autograd.grad`; an error of the backward pass (an op's gradient of a shape that
    does not fit its input, or too few of them) is a failed check, not a crash."""
    try:
        return _grads(out, which, **options)
    except (RuntimeError, ValueError) as err:
        raise GradcheckError(f"gradcheck failed: the backward pass raised "
                             f"{type(err).__name__}: {str(err).splitlines()[0]}") from err


def _backward_grads(fn, xs, which, seed_grad) -> list[np.ndarray]:
    """Gradients of the inputs `which` for one backward pass seeded with `seed_grad`."""
    return _vjp(_call(fn, xs), [xs[i] for i in which], seed_grad)


def _analytic_jacobian(fn, xs, i, out_shape) -> np.ndarray:
    out = _call(fn, xs)
    rows = np.zeros((int(np.prod(out_shape)), xs[i].size))
    for k in range(rows.shape[0] if out.requires_grad else 0):
        one_hot = np.zeros(out.size)
        one_hot[k] = 1.0
        rows[k] = _vjp(out, [xs[i]], one_hot.reshape(out.shape), retain_graph=True)[0].ravel()
    return rows


def _numeric_jacobian(fn, xs, i, eps, entries=None) -> np.ndarray:
    """Columns `(f(x + eps e_j) - f(x - eps e_j)) / 2eps` for each entry j (or those given).
    The graph is recorded, as in the analytic pass: fn may call register_hook or
    retain_grad, which a tensor that requires no gradient (under no_grad) refuses."""
    x = xs[i]
    flat = x._data.flat  # writes through to x in any memory layout (reshape(-1) may copy)
    columns = []
    for j in range(x._data.size) if entries is None else entries:
        kept = flat[j]
        flat[j] = kept + eps
        plus = _call(fn, xs)._data.ravel().copy()
        flat[j] = kept - eps
        minus = _call(fn, xs)._data.ravel().copy()  # outputs may be views of x
        flat[j] = kept
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1) if columns else np.zeros((_call(fn, xs).size, 0))


def _directional(fn, xs, i, u, eps) -> np.ndarray:
    x = xs[i]
    kept = x._data.copy()
    x.data = kept + eps * u  # (recording the graph, as _numeric_jacobian does)
    plus = _call(fn, xs)._data.copy()
    x.data = kept - eps * u
    minus = _call(fn, xs)._data.copy()
    x.data = kept
    return (plus - minus) / (2 * eps)


def _close(analytic, numeric, atol, rtol) -> np.ndarray:
    return np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)


def _label(i: int, x: Tensor) -> str:
    name = f" '{x.name}'" if x.name else ""
    return f"{i}{name} (shape {x.shape})"


def _compare(i, x, analytic, numeric, atol, rtol, out_shape, eps, narrow=False) -> None:
    ok = _close(analytic, numeric, atol, rtol)
    if ok.all():
        return
    error = np.abs(analytic - numeric)
    # worst first, NaN (a NaN on either side) the worst of all
    badness = np.where(ok, -1.0, np.where(np.isnan(error), np.inf, error))
    order = np.argsort(-badness, axis=None, kind="stable")[:_WORST_SHOWN]
    worst = []
    lines = []
    for flat_index in order:
        k, j = np.unravel_index(flat_index, analytic.shape)
        if ok[k, j]:
            break
        out_index = np.unravel_index(k, out_shape) if out_shape else ()
        in_index = np.unravel_index(j, x.shape) if x.shape else ()
        worst.append((out_index, in_index, analytic[k, j], numeric[k, j], error[k, j]))
        lines.append(f"    output {tuple(int(n) for n in out_index)}, input "
                     f"{tuple(int(n) for n in in_index)}: analytic {analytic[k, j]: .6e}  "
                     f"numeric {numeric[k, j]: .6e}  error {error[k, j]:.2e}")
    message = (
        f"gradcheck failed for input {_label(i, x)}: {int((~ok).sum())} of {ok.size} Jacobian "
        f"entries differ from finite differences (atol={atol}, rtol={rtol}).\n"
        f"  worst entries (d output / d input):\n" + "\n".join(lines))
    hint = (_step_hint(x._data, eps, ok)
            or _hint(analytic, numeric, x.shape, out_shape, atol, rtol, narrow))
    if hint:
        message += f"\n  hint: {hint}"
    raise GradcheckError(message, i, analytic, numeric, worst)


def _step_hint(x: np.ndarray, eps: float, ok: np.ndarray) -> str | None:
    """Name an eps too small to move input entries where the Jacobian differs: there
    x + eps == x in floats."""
    values = x.ravel()
    stuck = ((values + eps == values) | (values - eps == values)) & ~ok.all(axis=0)
    if not stuck.any():
        return None
    big, count = float(values[stuck][np.argmax(np.abs(values[stuck]))]), int(stuck.sum())
    return (f"eps={eps} is below the float spacing of the input at {count} "
            f"entr{'y' if count == 1 else 'ies'} ({big:.6g} is {np.spacing(abs(big)):.3g} from "
            f"the next float), so the step did not change it and finite differences see no "
            f"change there: raise eps (in proportion to the input's size) or scale the input")


def _hint(analytic, numeric, in_shape, out_shape, atol, rtol, narrow=False) -> str | None:
    """Name the typical mistake when the mismatch has its telltale pattern (`narrow`: fn
    computes in float32, whose rounding gives the numeric side a small factor of its own)."""
    if not analytic.any() and numeric.any():
        return ("backward() gives zero everywhere: does the op's backward return zeros, or is "
                "the input cut from the graph (detach(), no_grad(), using .data)?")
    if analytic.any() and not numeric.any():
        return ("finite differences see no change but backward() gives a gradient: the "
                "function may be flat here (a step, rounding) or not use this input")
    significant = np.abs(numeric) > atol
    if significant.any():
        ratios = analytic[significant] / numeric[significant]
        median = float(np.median(ratios))
        if np.allclose(ratios, median, rtol=1e-2) and abs(median - 1) > 1e-2:
            if abs(median + 1) < 1e-2:
                return "the gradient has the wrong sign everywhere: a sign flip in backward?"
            for factor, text in ((2.0, "2x"), (0.5, "half")):
                if abs(median - factor) < 1e-2 * factor:
                    return (f"the analytic gradient is {text} the numeric one everywhere: a "
                            f"factor of 2 in backward?")
            if not narrow or abs(median - 1) > 0.1:  # (float32's rounding: within 10%)
                return f"the analytic gradient is {median:.4g} times the numeric one everywhere"
    if len(in_shape) >= 2:
        swapped = np.swapaxes(analytic.reshape((-1,) + tuple(in_shape)), -1, -2)
        if swapped.shape[1:] == tuple(in_shape) and _close(
                swapped.reshape(analytic.shape), numeric, atol, rtol).all():
            return "the gradient matches once transposed: backward returns its transpose"
    return None


def _own_dtype_gradients(fn, originals, checked) -> dict[int, np.ndarray]:
    """One backward pass in the inputs' own dtypes: the gradients of the inputs that are
    not float64, for `_check_own_dtype` (a backward that fails here fails the check)."""
    xs = [Tensor(t._data, requires_grad=True, name=t.name) if i in checked else t
          for i, t in enumerate(originals)]
    out = _call(fn, xs)
    if not out.requires_grad:
        raise GradcheckError("gradcheck failed: the output does not depend on any input that "
                             "requires a gradient (no graph was recorded: no_grad()? detach()?)")
    reached = {id(t) for t in toposort(out)}  # (a backward returning None reaches it too)
    if not any(id(xs[i]) in reached for i in checked):  # (the float64 copies: all zero)
        raise ValueError("gradcheck: fn's output requires a gradient, but none of the inputs "
                         "given reaches it: fn must compute from the tensors it is given (it "
                         "gets copies), not from others it closes over")
    found = _pass(out, [xs[i] for i in checked], grad_outputs=np.ones(out.shape, out.dtype),
                  allow_unused=True)
    # (each gradient has its input's shape and dtype: the engine fits them, or refuses)
    return {i: grad._data for i, grad in zip(checked, found)
            if grad is not None and xs[i].dtype != np.float64}


def _check_own_dtype(fn, xs, checked, out, own) -> None:
    """A float32 input's backward pass, loosely against the float64 one (a backward that
    is wrong only in float32 would pass the float64 comparison)."""
    if not own:
        return
    exact = _vjp(out, [xs[i] for i in own], np.ones(out.shape))
    for (i, got), want in zip(own.items(), exact):
        scale = float(np.abs(want).max()) if want.size else 0.0
        if not np.allclose(got, want, rtol=1e-2, atol=1e-3 * scale + 1e-6):
            worst = int(np.argmax(np.abs(got - want)))
            raise GradcheckError(
                f"gradcheck failed for input {_label(i, xs[i])}: in its own dtype "
                f"({got.dtype}) backward() gives {got.ravel()[worst]:.6e} at entry {worst} "
                f"where float64 gives {want.ravel()[worst]:.6e} (more than float32 rounding): "
                f"does backward compute differently in {got.dtype}?", i)


def _check_repeatable(fn, xs, checked, out, rng) -> None:
    v = rng.standard_normal(out.shape)
    first = _backward_grads(fn, xs, checked, v)
    second = _backward_grads(fn, xs, checked, v)
    for i, a, b in zip(checked, first, second):
        if not np.array_equal(a, b, equal_nan=True):  # (a NaN: the Jacobians' report says)
            raise GradcheckError(
                f"gradcheck failed for input {_label(i, xs[i])}: two backward passes of the "
                f"same computation gave different gradients (max difference "
                f"{np.abs(a - b).max():.2e}); does backward depend on state it changes?", i)
