"""Integrals and derivatives of sampled values, as PyTorch's, made of registered ops.

`trapezoid` (and its older name `trapz`) and `cumulative_trapezoid`: the trapezoidal rule
along `dim`, with even spacing `dx` or sample points `x` (getitem, add, mul, sum or
cumsum). `gradient`: the derivative along each axis asked for by central differences
inside and one-sided ones at the edges (`edge_order` 1 or 2), with even spacing or
sample coordinates, as torch.gradient (and np.gradient, whose spacing is given
positionally there). Gradients come from `backward()`, to the values and to sample
points or spacings given as tensors. NumPy's `axis` is taken beside `dim`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import functional
from .composed_reductions import axis_slice
from .nn.layer_arguments import _as_tensor, _floated
from .ops.arguments import broadcast, check_axis, either, integer, one_axis
from .tensor import Tensor

__all__ = ["trapezoid", "trapz", "cumulative_trapezoid", "gradient"]


def _samples(name: str, y: Any, dim: Any, axis: Any) -> tuple[Tensor, int]:
    """y as a float tensor (integers: the default float) and the axis to integrate along,
    >= 0."""
    values = _as_tensor(name, y, what="y")
    if values.ndim == 0:
        raise IndexError(f"{name}: y is 0-d, so it has no dimension to integrate along; give "
                         f"a tensor of at least 1 dimension")
    values = _floated(values)
    where = either(name, "axis", axis, "dim", dim, -1)
    return values, one_axis(name, where, values.ndim) % values.ndim


def _steps(name: str, values: Tensor, where: int, x: Any, dx: Any) -> Any:
    """The widths of the intervals along `where`: dx (a number or a 0-d tensor, default 1)
    or the differences of the sample points x, shaped to broadcast with y's intervals."""
    if x is not None and dx is not None:
        raise TypeError(f"{name}: give x (the sample points) or dx (their spacing), not both")
    if x is None:
        if dx is None:
            return 1.0
        if isinstance(dx, (bool, np.bool_)) or np.ndim(getattr(dx, "_data", dx)) != 0:
            raise TypeError(f"{name}: dx must be a number or a 0-d tensor, got "
                            f"{type(dx).__name__} {dx!r:.40}")
        return dx if isinstance(dx, Tensor) else float(_as_tensor(name, dx, what="dx").item())
    points = _as_tensor(name, x, like=values, what="x")
    n, back = values.shape[where], where - values.ndim  # (the axis counted from the end)
    if points.ndim == 1:
        if points.shape[0] != n:
            raise RuntimeError(f"{name}: there must be one x value for each sample point: x "
                               f"has {points.shape[0]}, y has {n} along dimension {where}")
        points = points.reshape((n,) + (1,) * (-back - 1))
    elif points.ndim < -back or points.shape[back] != n:
        raise RuntimeError(f"{name}: x of shape {points.shape} must have one value for each "
                           f"of y's {n} sample points along dimension {where} (y of shape "
                           f"{values.shape}), counted from the last dimension")
    steps = axis_slice(points, points.ndim + back, 1, None) - \
        axis_slice(points, points.ndim + back, 0, -1)
    broadcast(name, steps, axis_slice(values, where, 1, None))
    return steps


def _integrate(name: str, running: bool, y: Any, x: Any, dx: Any, dim: Any,
               axis: Any) -> Tensor:
    values, where = _samples(name, y, dim, axis)
    steps = _steps(name, values, where, x, dx)
    pairs = axis_slice(values, where, 1, None) + axis_slice(values, where, 0, -1)
    areas = steps * pairs / 2
    back = where - values.ndim  # (counted from the end: x may add leading dimensions)
    return areas.cumsum(axis=areas.ndim + back) if running else areas.sum(axis=back)


def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: Any = None,
              axis: Any = None) -> Tensor:
    """The integral of y along `dim` (the last by default) by the trapezoidal rule, as
    PyTorch's trapezoid: the sample points `x` (1-D of y's length along dim, or a tensor
    whose differences along dim broadcast with y's) or their even spacing `dx` (default
    1). Fewer than 2 samples give 0. Integer y counts as the default float."""
    return _integrate("trapezoid", False, y, x, dx, dim, axis)


def trapz(y: Any, x: Any = None, *, dx: Any = None, dim: Any = None,
          axis: Any = None) -> Tensor:
    """`trapezoid`, by its older name (PyTorch's and NumPy's trapz)."""
    return _integrate("trapz", False, y, x, dx, dim, axis)


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: Any = None,
                         axis: Any = None) -> Tensor:
    """The running integral of y along `dim` by the trapezoidal rule, one entry fewer than
    y along it (PyTorch's cumulative_trapezoid; `x` and `dx` as in `trapezoid`)."""
    return _integrate("cumulative_trapezoid", True, y, x, dx, dim, axis)


# ------------------------------------------------------------------ gradient


def _spacings(spacing: Any, count: int, dims_given: bool, ndim: int) -> list[Any]:
    """gradient's `spacing` as one entry per axis: a number, a 0-d tensor or a 1-D tensor
    of coordinates."""
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != count:
            given = "the dim argument" if dims_given else f"self.dim() = {ndim}"
            raise RuntimeError(f"gradient: expected spacing to be a number or a list with one "
                               f"entry per dimension ({count}, from {given}), got a list of "
                               f"{len(spacing)}")
        return list(spacing)
    if np.ndim(getattr(spacing, "_data", spacing)) != 0:
        raise TypeError("gradient: spacing must be a number, a 0-d tensor or a list (one "
                        "entry per dimension) of them or of 1-D coordinate tensors; wrap "
                        "coordinates in a list: spacing=[x]")
    return [spacing] * count


def _derivative(f: Tensor, where: int, spacing: Any, edge_order: int) -> Tensor:
    """df/d(coordinate) along `where`: second-order central differences inside, first- or
    second-order one-sided ones at the two edges (NumPy's and PyTorch's formulas)."""
    n = f.shape[where]

    def at(start: int, stop: int | None) -> Tensor:
        return axis_slice(f, where, start, stop)

    if np.ndim(getattr(spacing, "_data", spacing)) == 0:
        h = spacing if isinstance(spacing, Tensor) else \
            float(_as_tensor("gradient", spacing, what="spacing").item())
        inside = (at(2, None) - at(0, -2)) / (2 * h)
        if edge_order == 1:
            first, last = (at(1, 2) - at(0, 1)) / h, (at(n - 1, n) - at(n - 2, n - 1)) / h
        else:
            first = (-1.5 * at(0, 1) + 2 * at(1, 2) - 0.5 * at(2, 3)) / h
            last = (0.5 * at(n - 3, n - 2) - 2 * at(n - 2, n - 1) + 1.5 * at(n - 1, n)) / h
        return functional.concatenate([first, inside, last], axis=where)
    points = _as_tensor("gradient", spacing, like=f, what="spacing")
    if points.ndim != 1 or points.shape[0] != n:
        raise RuntimeError(f"gradient: coordinates in spacing must be 1-D, one per entry "
                           f"along dimension {where} ({n}), got shape {points.shape}")
    steps = (points[1:] - points[:-1]).reshape((n - 1,) + (1,) * (f.ndim - where - 1))
    left, right = axis_slice(steps, 0, 0, -1), axis_slice(steps, 0, 1, None)
    inside = (-right / (left * (left + right)) * at(0, -2)
              + (right - left) / (left * right) * at(1, -1)
              + left / (right * (left + right)) * at(2, None))
    if edge_order == 1:
        first = (at(1, 2) - at(0, 1)) / steps[:1]
        last = (at(n - 1, n) - at(n - 2, n - 1)) / steps[n - 2:]
    else:
        a, b = steps[:1], steps[1:2]
        first = (-(2 * a + b) / (a * (a + b)) * at(0, 1) + (a + b) / (a * b) * at(1, 2)
                 - a / (b * (a + b)) * at(2, 3))
        a, b = steps[n - 3:n - 2], steps[n - 2:]
        last = (b / (a * (a + b)) * at(n - 3, n - 2) - (a + b) / (a * b) * at(n - 2, n - 1)
                + (2 * b + a) / (b * (a + b)) * at(n - 1, n))
    return functional.concatenate([first, inside, last], axis=where)


def gradient(input: Any, *, spacing: Any = 1, dim: Any = None,  # noqa: A002
             edge_order: Any = 1, axis: Any = None) -> tuple[Tensor, ...]:
    """The derivative of input along each axis of `dim` (default all), one tensor per axis
    in a tuple, as torch.gradient: central differences inside, one-sided ones at the
    edges, of order `edge_order` (1 or 2; each axis needs edge_order + 1 entries).
    `spacing`: the distance between neighbours (a number or 0-d tensor, default 1, as
    None is in PyTorch's), or a list with one entry per axis of numbers or of 1-D
    coordinate tensors (one per entry along it; PyTorch does not check that length).
    Integer input counts as the default float."""
    f = _floated(_as_tensor("gradient", input))
    order = integer("gradient", "edge_order", edge_order)
    if order not in (1, 2):
        raise RuntimeError(f"gradient: only edge_order=1 and edge_order=2 are supported, got "
                           f"{order}")
    where = either("gradient", "axis", axis, "dim", dim)
    axes = tuple(range(f.ndim)) if where is None else check_axis("gradient", where, f.ndim)
    axes = tuple(a % f.ndim for a in ((axes,) if isinstance(axes, int) else axes))
    spacings = _spacings(1 if spacing is None else spacing, len(axes), where is not None,
                         f.ndim)
    short = [a for a in axes if f.shape[a] < order + 1]
    if short:
        raise RuntimeError(f"gradient: each dimension needs at least edge_order + 1 = "
                           f"{order + 1} entries, dimension {short[0]} of the tensor of shape "
                           f"{f.shape} has {f.shape[short[0]]}")
    with np.errstate(divide="ignore", invalid="ignore"):  # (a spacing of 0: inf, as PyTorch's)
        return tuple(_derivative(f, a, h, order) for a, h in zip(axes, spacings))
