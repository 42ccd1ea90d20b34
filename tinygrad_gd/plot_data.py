"""The numbers behind the documents' pictures: NumPy and the framework only, no matplotlib.

Each function computes what one picture of `tg.plot` shows and returns it as a dict:
`error_curve_data` (error against one weight, with the slope from `backward()`),
`error_surface_data` (error over two weights, and a training run's path on it),
`weight_images_data` (each output's weights as an image), `dot_similarity_data` (dot
products of vectors) and `training_curves_data` (loss or accuracy per epoch). A loss is
a function of the weights, `loss_fn(weights) -> scalar Tensor`: `weight_loss` makes one
from a network function, data and a loss, `parameter_loss` from an `nn.Module` and the
name of one of its parameters.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

import numpy as np

from .engine import no_grad
from .tensor import Tensor, _raw

__all__ = ["weight_loss", "parameter_loss", "error_curve_data", "error_surface_data",
           "weight_images_data", "dot_similarity_data", "training_curves_data"]

LossFn = Callable[[Tensor], Tensor]
# a curve's values: y alone (x = 1, 2, ...), or (x, y)
Series = Union[Sequence[float], np.ndarray, tuple[Sequence[float], Sequence[float]]]
PathLike = Union[str, "os.PathLike[str]"]


# ---------------------------------------------------------------------------------------
# Losses as functions of the weights


def weight_loss(network: Callable[[Any, Tensor], Tensor], input: Any, target: Any,
                loss: Callable[[Tensor, Any], Tensor]) -> LossFn:
    """`loss(network(input, weights), target)` as a function of the weights.

    The documents' networks are functions `neural_network(input, weights)`: this turns
    one, its data and a loss (e.g. `nn.HalfSSELoss()`) into what the data functions take.
    """
    def loss_fn(weights: Tensor) -> Tensor:
        return loss(network(input, weights), target)
    return loss_fn


def _owner_of(model: Any, name: str) -> tuple[Any, str]:
    """The object holding the parameter `name` ("0.weight", "hidden.bias") and its key."""
    *path, last = name.split(".")
    owner = model
    for part in path:
        owner = owner[int(part)] if isinstance(owner, list) else getattr(owner, part)
    return owner, last


def parameter_loss(model: Any, name: str, input: Any, target: Any,
                   loss: Callable[[Tensor, Any], Tensor]) -> LossFn:
    """`loss(model(input), target)` as a function of the model's parameter `name`.

    While the returned function runs, the given weights stand in for that parameter
    and detached copies for the others (same values, no gradient), so a backward()
    through the loss leaves every `.grad` of the model as it was; the model gets its
    parameters back afterwards. `name` is one of `model.named_parameters()`' names,
    e.g. "weight" or "0.weight".
    """
    parameters = dict(model.named_parameters())
    if name not in parameters:
        raise KeyError(f"parameter_loss: {type(model).__name__} has no parameter {name!r}; "
                       f"its parameters are {', '.join(parameters) or 'none'}")
    places = {n: _owner_of(model, n) for n in parameters}

    def loss_fn(weights: Tensor) -> Tensor:
        if tuple(weights.shape) != parameters[name].shape:
            raise ValueError(f"parameter_loss: weights of shape {weights.shape} given for "
                             f"{name!r}, which has shape {parameters[name].shape}")
        for n, (owner, key) in places.items():
            _put(owner, key, weights if n == name else parameters[n].detach())
        try:
            return loss(model(input), target)
        finally:
            for n, (owner, key) in places.items():
                _put(owner, key, parameters[n])
    return loss_fn


def _put(owner: Any, key: str, value: Tensor) -> None:
    if isinstance(owner, list):
        owner[int(key)] = value
    else:  # a stand-in for a while: past Module's refusal of a plain Tensor in a Parameter's place
        object.__setattr__(owner, key, value)


# ---------------------------------------------------------------------------------------
# Checks shared by the data functions


def _weights_array(weights: Any, where: str) -> np.ndarray:
    """A float copy of the weights (a Tensor, Parameter, list or array)."""
    data = _raw(weights)
    try:
        array = np.array(data)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{where}: weights must be numbers (a Tensor, list or array), got "
                        f"{type(weights).__name__} ({err})") from None
    if array.dtype.kind not in "fiub" or array.size == 0:
        raise TypeError(f"{where}: weights must be a non-empty array of numbers, got dtype "
                        f"{array.dtype} and shape {array.shape}")
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def _check_index(index: Any, shape: tuple[int, ...], where: str) -> Any:
    """`index` if it picks exactly one entry of an array of `shape`."""
    probe = np.zeros(shape)
    try:
        picked = probe[index]
    except (IndexError, TypeError) as err:
        raise IndexError(f"{where}: index {index!r} does not pick an entry of weights of "
                         f"shape {shape} ({err}); give an int for a vector, a tuple such "
                         f"as (0, 2) for a matrix") from None
    if np.ndim(picked) != 0:
        raise IndexError(f"{where}: index {index!r} picks {np.size(picked)} entries of "
                         f"weights of shape {shape}; it must pick one, e.g. "
                         f"{(0,) * len(shape)}")
    return index


def _check_positive(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {what} must be a positive number, got {value!r}")
    return float(value)


def _check_num(num: Any, where: str) -> int:
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 3:
        raise ValueError(f"{where}: num must be an int >= 3 (points along each axis), "
                         f"got {num!r}")
    return int(num)


def _scalar_loss(loss_fn: LossFn, weights: Tensor, where: str) -> Tensor:
    """loss_fn(weights), checked to be a one-number Tensor."""
    if not callable(loss_fn):
        raise TypeError(f"{where}: loss_fn must be a function of the weights returning the "
                        f"loss as a Tensor, got {type(loss_fn).__name__}")
    loss = loss_fn(weights)
    if not isinstance(loss, Tensor):
        raise TypeError(f"{where}: loss_fn returned {type(loss).__name__}, not a Tensor; "
                        f"compute the loss with tinygrad_gd ops from the weights it is given")
    if loss.size != 1:
        raise ValueError(f"{where}: loss_fn returned a Tensor of shape {loss.shape}; it must "
                         f"be one number: reduce it, e.g. with .sum() or .mean()")
    return loss


def _loss_value(loss_fn: LossFn, weights: np.ndarray, where: str) -> float:
    with no_grad():
        return float(_scalar_loss(loss_fn, Tensor(weights), where).item())


def _gradient(loss_fn: LossFn, weights: np.ndarray, where: str) -> tuple[float, np.ndarray]:
    """The loss at `weights` and its gradient, from backward() on a fresh copy.

    A fresh leaf, not the model's Parameter: a frozen entry's gradient is zeroed by the
    freezing hook, but the picture needs the slope of the curve itself.
    """
    leaf = Tensor(weights.copy(), requires_grad=True)
    loss = _scalar_loss(loss_fn, leaf, where)
    if not loss.requires_grad:
        raise ValueError(f"{where}: the loss does not depend on the weights passed to "
                         f"loss_fn; compute it from loss_fn's argument (not from the "
                         f"model's own parameter)")
    loss.backward()
    if leaf.grad is None:
        raise ValueError(f"{where}: no gradient reached the weights passed to loss_fn; "
                         f"compute the loss from loss_fn's argument")
    return float(loss.item()), leaf.grad.numpy()


# ---------------------------------------------------------------------------------------
# Data: error against one weight


def error_curve_data(loss_fn: LossFn, weights: Any, index: Any, *, span: float = 1.0,
                     num: int = 201) -> dict[str, Any]:
    """The error as one weight varies and the others are held: Grokking's error curve.

    `weights[index]` runs over `num` evenly spaced values from `weight - span` to
    `weight + span` (the current weight in the middle when num is odd). The slope is
    d loss / d weights[index] from `backward()` at the current weights; the tangent is
    `error + slope * (values - weight)`.

    Returns a dict: `values`, `errors` (the curve), `weight`, `error` (the dot),
    `slope`, `tangent`, `index`, `minimum` (the value of least error on the curve).
    """
    where = "error_curve_data"
    base = _weights_array(weights, where)
    index = _check_index(index, base.shape, where)
    span = _check_positive(span, "span", where)
    num = _check_num(num, where)
    error, gradient = _gradient(loss_fn, base, where)
    weight = float(base[index])
    values = weight + np.linspace(-span, span, num)
    errors = np.empty(num)
    trial = base.copy()
    for k, value in enumerate(values):
        trial[index] = value
        errors[k] = _loss_value(loss_fn, trial, where)
    slope = float(gradient[index])
    return {"values": values, "errors": errors, "weight": weight, "error": error,
            "slope": slope, "tangent": error + slope * (values - weight), "index": index,
            "minimum": float(values[np.argmin(errors)])}


# ---------------------------------------------------------------------------------------
# Data: error over two weights, and the path of training on it


def error_surface_data(loss_fn: LossFn, weights: Any, indices: Sequence[Any] = (0, 1), *,
                       trajectory: Sequence[Any] | None = None, span: float | None = None,
                       num: int = 61) -> dict[str, Any]:
    """The error over two weights, the others held at `weights`: the documents' bowl.

    The grid is square in weight units (both axes get the same `span` either side of
    the centre), so the bowl's shape is not distorted. It is centred on the middle of
    the `trajectory` (the weights after each step of a training run) and of `weights`;
    without `span` it covers them with room to spare. Each point of the trajectory keeps
    its own error: the error of all its weights, not only the two drawn.

    Returns a dict: `x`, `y` (the two axes' values), `errors` (shape (num, num),
    `errors[j, i]` at `x[i]`, `y[j]`), `indices`, `weights` (where the others are held),
    and `path_x`, `path_y`, `path_errors` (empty without a trajectory).
    """
    where = "error_surface_data"
    base = _weights_array(weights, where)
    if len(indices) != 2:
        raise ValueError(f"{where}: indices must name two weights, e.g. (0, 1), got "
                         f"{indices!r}")
    first, second = (_check_index(i, base.shape, where) for i in indices)
    positions = np.arange(base.size).reshape(base.shape)
    if positions[first] == positions[second]:
        raise ValueError(f"{where}: indices {indices!r} name the same weight twice; give "
                         f"two different ones")
    num = _check_num(num, where)
    path = [_weights_array(step, where) for step in (trajectory or [])]
    for k, step in enumerate(path):
        if step.shape != base.shape:
            raise ValueError(f"{where}: trajectory step {k} has shape {step.shape}, the "
                             f"weights have shape {base.shape}; give the full weights of "
                             f"each step")
    path_x = np.array([step[first] for step in path], dtype=np.float64)
    path_y = np.array([step[second] for step in path], dtype=np.float64)

    xs, ys = np.append(path_x, base[first]), np.append(path_y, base[second])
    centre = ((xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2)
    if span is None:
        reach = max(xs.max() - xs.min(), ys.max() - ys.min()) / 2
        span = 1.5 * reach if reach > 0 else 1.0
    else:
        span = _check_positive(span, "span", where)
    x = centre[0] + np.linspace(-span, span, num)
    y = centre[1] + np.linspace(-span, span, num)

    errors = np.empty((num, num))
    trial = base.copy()
    for j, y_value in enumerate(y):
        trial[second] = y_value
        for i, x_value in enumerate(x):
            trial[first] = x_value
            errors[j, i] = _loss_value(loss_fn, trial, where)
    path_errors = np.array([_loss_value(loss_fn, step, where) for step in path])
    return {"x": x, "y": y, "errors": errors, "indices": (first, second), "weights": base,
            "path_x": path_x, "path_y": path_y, "path_errors": path_errors}


# ---------------------------------------------------------------------------------------
# Data: weights as images, dot products, training curves


def weight_images_data(weight: Any, shape: tuple[int, int] = (28, 28)) -> dict[str, Any]:
    """Each output's weights as an image: row k of `weight` reshaped to `shape`.

    `weight` has shape (outputs, inputs), as `nn.Linear.weight` (a 784 -> 10 layer's row
    k holds the weights from every pixel to output k). `limit` is the largest |weight|,
    so one colour scale from -limit to +limit puts zero at its neutral middle.
    """
    where = "weight_images_data"
    array = _weights_array(weight, where)
    if array.ndim != 2:
        raise ValueError(f"{where}: expected weights of shape (outputs, inputs), got "
                         f"shape {array.shape}")
    rows, columns = (int(n) for n in shape)
    if rows * columns != array.shape[1]:
        raise ValueError(f"{where}: each output has {array.shape[1]} weights, which cannot "
                         f"be shown as a {rows}x{columns} image; pass shape= with "
                         f"rows * columns == {array.shape[1]}")
    images = array.reshape(array.shape[0], rows, columns).copy()
    return {"images": images, "limit": float(np.abs(images).max())}


def _named_rows(vectors: Mapping[str, Any], where: str, what: str) -> tuple[list[str],
                                                                             np.ndarray]:
    if not isinstance(vectors, Mapping) or not vectors:
        raise TypeError(f"{where}: {what} must be a non-empty mapping of names to vectors, "
                        f"e.g. {{'a': [0, 1, 0, 1]}}")
    names = [str(name) for name in vectors]
    rows = [_weights_array(v, where).ravel() for v in vectors.values()]
    sizes = {row.size for row in rows}
    if len(sizes) != 1:
        lengths = ", ".join(f"{n}: {r.size}" for n, r in zip(names, rows))
        raise ValueError(f"{where}: the {what} must have one length, got {lengths}")
    return names, np.stack(rows)


def dot_similarity_data(vectors: Mapping[str, Any],
                        against: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Dot products as similarity: `scores[i, j] = vectors[i] . against[j]`.

    Without `against`, every vector against every other (a symmetric table). The dot
    products are computed with the framework (`Tensor @ Tensor`).
    """
    where = "dot_similarity_data"
    names, rows = _named_rows(vectors, where, "vectors")
    other_names, others = (names, rows) if against is None else \
        _named_rows(against, where, "vectors to compare against")
    if others.shape[1] != rows.shape[1]:
        raise ValueError(f"{where}: the vectors have {rows.shape[1]} entries, those to "
                         f"compare against {others.shape[1]}; a dot product needs equal "
                         f"lengths")
    with no_grad():
        scores = (Tensor(rows) @ Tensor(others).T).numpy()
    return {"names": names, "vectors": rows, "against_names": other_names,
            "against": others, "scores": scores}


def _series(values: Series, where: str, label: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(values, tuple) and len(values) == 2 and np.ndim(values[0]) == 1:
        x, y = (np.asarray(part, dtype=np.float64) for part in values)
    else:
        y = np.asarray(values, dtype=np.float64).ravel()
        x = np.arange(1, y.size + 1, dtype=np.float64)
    if x.shape != y.shape or y.size == 0:
        raise ValueError(f"{where}: the curve {label!r} needs as many x as y values (and "
                         f"at least one), got {x.size} x and {y.size} y")
    return x, y


def training_curves_data(panels: Mapping[str, Mapping[str, Series]]) -> dict[str, Any]:
    """Curves per panel, each as arrays: {panel: {label: (x, y)}}.

    `panels` maps a panel's y-axis label ("loss", "accuracy") to its curves, each a
    list of values per epoch (x = 1, 2, ...) or a pair (x, y), e.g. a loss recorded
    every 100 epochs, or a single test accuracy at the last epoch.
    """
    where = "training_curves_data"
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError(f"{where}: expected a mapping {{panel label: {{curve label: "
                        f"values}}}}, e.g. {{'loss': {{'train': losses}}}}")
    result: dict[str, Any] = {}
    for panel, curves in panels.items():
        if not isinstance(curves, Mapping) or not curves:
            raise TypeError(f"{where}: panel {panel!r} must map curve labels to values, "
                            f"e.g. {{'train': [0.9, 0.5, 0.3]}}")
        result[panel] = {label: _series(values, where, label)
                         for label, values in curves.items()}
    return result


# ---------------------------------------------------------------------------------------
