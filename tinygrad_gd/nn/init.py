"""PyTorch's `nn.init`: a tensor's starting values drawn or set in place.

`nn.init.xavier_uniform_(layer.weight)`, `nn.init.zeros_(layer.bias)`: each writes into
the tensor it is given, as PyTorch's do, and returns it. A parameter may be written so
at any time (an initialisation is not part of a graph, as under `tg.no_grad()`), and the
write counts as an in-place change; a tensor made by a recorded op (one in a graph) takes
the values too, as PyTorch's, its node kept (a node that saved its old values then refuses
backward). The random ones draw from `generator=` (a NumPy
Generator), else from `tg.manual_seed`'s generator, else fresh entropy. fan_in and
fan_out are PyTorch's: for a weight of shape (out, in, ...), fan_in = in x the rest,
fan_out = out x the rest; those that divide by a fan leave a zero-element tensor as it
is, with PyTorch's warning. `eye_` and `dirac_` set the identity, a layer that passes its
input through; `orthogonal_`, `trunc_normal_` and `sparse_` (normal values, a fraction of
each column zeroed) draw. PyTorch's old spellings without the underscore (`uniform`,
`xavier_normal`, ..., `sparse`) call them with PyTorch's FutureWarning.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from ..errors import user_stacklevel
from ..creation import make_generator
from ..grad_mode import no_grad
from ..in_place import _number, scalar
from ..in_place_draws import _draw
from ..inference import refuse_in_place
from ..op_errors import named
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "trunc_normal_", "orthogonal_", "eye_", "dirac_", "sparse_", "uniform", "normal",
           "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
           "kaiming_normal", "orthogonal", "sparse"]

_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0), "selu": 0.75,
          **{name: 1.0 for name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                    "conv_transpose2d", "conv_transpose3d")}}


def _real(where: str, name: str, value: Any, hint: str = "") -> float:
    """A number argument (a gain, a slope) as a float; a bool, a str, None: one line."""
    return float(_number(where, name, value, hint))


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for an activation: 1 for linear, sigmoid and the conv
    layers, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope**2)) for leaky_relu (slope
    0.01 unless `param`), 3/4 for selu."""
    return _gain_of(nonlinearity, param, "calculate_gain", "param")


def _gain_of(nonlinearity: str, slope: Any, where: str, name: str) -> float:
    """calculate_gain, its errors naming `where` and leaky_relu's slope `name`: a slope
    that is no number is a ValueError, as PyTorch's (read only for leaky_relu, as there)."""
    if nonlinearity == "leaky_relu":
        if slope is not None:
            try:
                slope = _real(where, f"{name} (leaky_relu's negative slope)", slope,
                              "; give e.g. 0.2, or None for 0.01")
            except TypeError as error:
                raise ValueError(str(error)) from None
        return math.sqrt(2.0 / (1 + (0.01 if slope is None else slope) ** 2))
    if not isinstance(nonlinearity, str) or nonlinearity not in _GAINS:
        raise ValueError(f"{where}: unknown nonlinearity {nonlinearity!r}; use one of "
                         f"{sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def _check_tensor(tensor: Any, where: str) -> None:
    """A Tensor to initialise; anything else one line (a TypeError)."""
    if not isinstance(tensor, Tensor):
        hint = (f"; pass the tensor itself, nn.init.{where}(m.weight, ...), not m.weight.data "
                f"(a NumPy array here)" if isinstance(tensor, np.ndarray) else "")
        raise TypeError(f"{where}: expected a Tensor (a layer's weight or bias), got "
                        f"{type(tensor).__name__}{hint}")


def _set(tensor: Any, write: Any, where: str) -> Tensor:
    """`write(tensor)`, one of the tensor's own in-place methods (fill_, uniform_, ...), as
    an initialisation: under no_grad, counted; a tensor made by a recorded op is refused."""
    _check_tensor(tensor, where)
    refuse_in_place(tensor, where)  # (an inference tensor: named here, not as fill_ or zero_)
    with no_grad():
        write(tensor)
    return tensor


def _empty(tensor: Any, where: str) -> bool:
    """Whether `tensor` has no elements: then a fan is 0 and there is nothing to draw, so
    it is left as it is, with PyTorch's warning."""
    if isinstance(tensor, Tensor) and tensor.numel() == 0:
        warnings.warn(f"{where}: initializing a zero-element tensor (shape {tensor.shape}) "
                      f"is a no-op; it is returned unchanged", UserWarning,
                      stacklevel=user_stacklevel())
        return True
    return False


def _fans(tensor: Tensor, where: str) -> tuple[int, int]:
    _check_tensor(tensor, where)
    if tensor.ndim < 2:
        raise ValueError(f"{where}: fan_in and fan_out need a tensor of at least 2 axes "
                         f"(out, in, ...), got shape {tensor.shape}; a bias takes zeros_ or "
                         f"uniform_")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, where: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, where)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Values drawn from U(a, b) (the tensor's own `uniform_`)."""
    return _set(tensor, lambda t: t.uniform_(a, b, generator=generator), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Values drawn from N(mean, std**2) (the tensor's own `normal_`)."""
    return _set(tensor, lambda t: t.normal_(mean, std, generator=generator), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every value `val` (one number)."""
    val = scalar("constant_", "val", val)
    # fill_'s write, its errors (1e300 into float32: one line) naming constant_
    return _set(tensor, lambda t: t._write_at(..., val, "constant_"), "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Every value 0."""
    return _set(tensor, lambda t: t.zero_(), "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Every value 1."""
    return _set(tensor, lambda t: t.fill_(1.0), "ones_")


_GAIN_HINT = "; e.g. gain=nn.init.calculate_gain('relu')"


def _xavier_gain(gain: Any, where: str) -> float:
    """A Glorot gain: a number >= 0 (a negative one is refused here, in `where`'s name, not
    by the draw that would get the reversed bounds)."""
    gain = _real(where, "gain", gain, _GAIN_HINT)
    if not gain >= 0:
        raise ValueError(f"{where}: gain must be >= 0, got {gain}{_GAIN_HINT}")
    return gain


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot's)."""
    gain = _xavier_gain(gain, "xavier_uniform_")
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    if _empty(tensor, "xavier_uniform_"):
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _set(tensor, lambda t: t.uniform_(-bound, bound, generator=generator),
                "xavier_uniform_")


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot's)."""
    gain = _xavier_gain(gain, "xavier_normal_")
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    if _empty(tensor, "xavier_normal_"):
        return tensor
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _set(tensor, lambda t: t.normal_(0.0, std, generator=generator), "xavier_normal_")


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He's; gain from `nonlinearity`,
    with negative slope `a` for leaky_relu)."""
    gain = _gain(nonlinearity, a, "kaiming_uniform_")
    fan = _fan(tensor, mode, "kaiming_uniform_")
    if _empty(tensor, "kaiming_uniform_"):
        return tensor
    bound = gain * math.sqrt(3.0 / fan)
    return _set(tensor, lambda t: t.uniform_(-bound, bound, generator=generator),
                "kaiming_uniform_")


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan) (He's; `nn.Linear(init="he")` draws the
    same for relu)."""
    gain = _gain(nonlinearity, a, "kaiming_normal_")
    fan = _fan(tensor, mode, "kaiming_normal_")
    if _empty(tensor, "kaiming_normal_"):
        return tensor
    return _set(tensor, lambda t: t.normal_(0.0, gain / math.sqrt(fan), generator=generator),
                "kaiming_normal_")


def _gain(nonlinearity: str, a: Any, where: str) -> float:
    """kaiming's gain: `a` (leaky_relu's negative slope) checked in `where`'s name."""
    return _gain_of(nonlinearity, a, where, "a")


def _drawn(tensor: Any, where: str, draw: Any) -> Tensor:
    """Write `draw(shape, dtype)`'s values into a float tensor, as an initialisation (_set)."""
    def write(t: Tensor) -> None:
        _draw(t, where)  # (a float dtype, a tensor that may be written: one line otherwise)
        t._write_at(..., draw(t.shape).astype(t.dtype), where)
    return _set(tensor, write, where)


_SQRT2 = math.sqrt(2.0)


def _mass(low: float, high: float) -> float:
    """P(low <= Z <= high) for a standard normal Z, without cancellation in a tail."""
    if low >= 0:
        return 0.5 * (math.erfc(low / _SQRT2) - math.erfc(high / _SQRT2))
    if high <= 0:
        return 0.5 * (math.erfc(-high / _SQRT2) - math.erfc(-low / _SQRT2))
    return 0.5 * (math.erf(high / _SQRT2) - math.erf(low / _SQRT2))


def _proposals(low: float, high: float) -> tuple[float, float, float]:
    """For drawing a standard normal Z kept to [low, high]: the share of draws of Z kept,
    that of draws of U(low, high) kept with probability exp((near**2 - z**2) / 2), and
    near, the point of [low, high] nearest 0 (each share 0 where it underflows)."""
    mass, near = _mass(low, high), 0.0 if low <= 0 <= high else min(abs(low), abs(high))
    envelope = (high - low) * math.exp(-near * near / 2)
    return mass, mass * math.sqrt(2 * math.pi) / envelope if 0 < envelope < math.inf else 0.0, near


def _truncated(rng: np.random.Generator, count: int, low: float, high: float) -> np.ndarray:
    """`count` draws of a standard normal Z kept to [low, high], by rejection from whichever
    proposal keeps more (_proposals); exact either way."""
    mass, flat, near = _proposals(low, high)
    out, filled = np.empty(count), 0
    while filled < count:
        want = int((count - filled) / max(mass, flat) * 1.2) + 16
        if mass >= flat:
            z = rng.standard_normal(want)
            z = z[(z >= low) & (z <= high)]
        else:
            z = rng.uniform(low, high, want)
            z = z[rng.random(want) < np.exp((near * near - z * z) / 2)]
        taken = min(z.size, count - filled)
        out[filled:filled + taken], filled = z[:taken], filled + taken
    return out


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: np.random.Generator | None = None) -> Tensor:
    """Values drawn from N(mean, std**2) truncated to [a, b] (redrawn until inside), as
    PyTorch's trunc_normal_. a and b are absolute bounds, not numbers of std. Where [a, b]
    lies so far in a tail that neither proposal (normal draws, or uniform ones on [a, b]
    kept by their density) keeps 1 draw in 1000, PyTorch's warns that its values may be
    wrong; here that is refused in one line. a = -inf or b = inf is one side left open."""
    mean, std = (_real("trunc_normal_", n, v) for n, v in (("mean", mean), ("std", std)))
    a, b = (_real("trunc_normal_", n, v) for n, v in (("a", a), ("b", b)))
    if not (math.isfinite(mean) and math.isfinite(std) and std >= 0):
        raise ValueError(f"trunc_normal_: mean must be finite and std finite and >= 0, got "
                         f"mean={mean}, std={std}")
    if not a < b:
        raise ValueError(f"trunc_normal_: expects a < b (values come from [a, b]), got a={a}, "
                         f"b={b}; give the bounds in order")
    if std == 0:  # (every value the mean, where it lies within [a, b])
        low, high = (-math.inf, math.inf) if a <= mean <= b else (math.inf, math.inf)
    else:
        low, high = (a - mean) / std, (b - mean) / std
    mass, flat, _ = _proposals(low, high)
    if not max(mass, flat) >= 1e-3:  # (a proposal keeping under 1 in 1000 would crawl)
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] lies far in the tail of "
                         f"N({mean}, {std}**2) (it holds {mass:.3g} of it); give bounds within "
                         f"a few std of mean")
    return _drawn(tensor, "trunc_normal_", lambda shape: np.clip(mean + std * _truncated(
        make_generator(None, generator, "trunc_normal_"), math.prod(shape), low, high
    ).reshape(shape), a, b))


def orthogonal_(tensor: Tensor, gain: float = 1.0,
                generator: np.random.Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix times `gain` (Saxe et al.; PyTorch's orthogonal_): the
    tensor seen as (rows, cols) = (shape[0], the rest) gets W @ W.T = gain**2 I when rows
    <= cols, W.T @ W = gain**2 I when rows >= cols, drawn uniformly (the QR of a normal
    draw, signs made canonical). A zero-element tensor is left as it is, as PyTorch's."""
    gain = _real("orthogonal_", "gain", gain, _GAIN_HINT)
    if isinstance(tensor, Tensor) and tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor of at least 2 axes (rows, cols, ...), "
                         f"got shape {tensor.shape}")
    if isinstance(tensor, Tensor) and tensor.numel() == 0:
        return tensor

    def draw(shape: tuple[int, ...]) -> np.ndarray:
        rows, cols = shape[0], math.prod(shape[1:])
        flat = make_generator(None, generator, "orthogonal_").standard_normal((rows, cols))
        q, r = np.linalg.qr(flat.T if rows < cols else flat)
        q = q * np.where(np.diagonal(r) < 0, -1.0, 1.0)  # (the signs that make q uniform)
        return gain * (q.T if rows < cols else q).reshape(shape)
    return _drawn(tensor, "orthogonal_", draw)


def eye_(tensor: Tensor) -> Tensor:
    """The identity: ones on the main diagonal of a 2-d tensor, zeros elsewhere (PyTorch's
    eye_; any dtype)."""
    if isinstance(tensor, Tensor) and tensor.ndim != 2:
        raise ValueError(f"eye_: needs a 2-d tensor, got shape {tensor.shape}")
    return _set(tensor, lambda t: t._write_at(..., np.eye(*t.shape), "eye_"), "eye_")


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a 3-, 4- or 5-d convolution weight (out, in, *kernel) (PyTorch's
    dirac_): a 1 at the kernel's centre for out channel i and in channel i (each of
    `groups` groups of out channels counted from 0), zeros elsewhere, so that the
    convolution passes its input through (as many channels as both have)."""
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"dirac_: groups must be an int >= 1, got {groups!r}")
    if isinstance(tensor, Tensor):
        if tensor.ndim not in (3, 4, 5):
            raise ValueError(f"dirac_: needs a 3-, 4- or 5-d tensor (out, in, *kernel), got "
                             f"shape {tensor.shape}")
        if tensor.shape[0] % groups:
            raise ValueError(f"dirac_: the out channels ({tensor.shape[0]}) must divide into "
                             f"groups={groups}")

    def write(t: Tensor) -> None:
        values, per_group = np.zeros(t.shape), t.shape[0] // groups
        centre = tuple(n // 2 for n in t.shape[2:])
        for d in range(min(per_group, t.shape[1])):
            values[(np.arange(groups) * per_group + d, d, *centre)] = 1
        t._write_at(..., values, "dirac_")
    return _set(tensor, write, "dirac_")


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: np.random.Generator | None = None) -> Tensor:
    """A 2-d tensor's values drawn from N(0, std**2), then in each column
    ceil(sparsity * rows) entries, at rows drawn at random, set to 0 (Martens' "sparse
    initialisation", PyTorch's sparse_; the tensor stays dense)."""
    if isinstance(tensor, Tensor) and tensor.ndim != 2:
        raise ValueError(f"sparse_: needs a 2-d tensor (rows, cols), got shape {tensor.shape}")
    sparsity = _real("sparse_", "sparsity", sparsity)
    std = _real("sparse_", "std", std) + 0.0  # (-0.0 + 0.0 is 0.0: NumPy refuses -0.0)
    if not 0 <= sparsity <= 1:  # (PyTorch's zeroes all but a few rows below 0, silently)
        raise ValueError(f"sparse_: sparsity is the fraction of each column set to zero, in "
                         f"[0, 1]; got {sparsity}")
    if not std >= 0:
        raise ValueError(f"sparse_: std must be >= 0, got {std}")

    def draw(shape: tuple[int, ...]) -> np.ndarray:
        rows, cols = shape
        rng = make_generator(None, generator, "sparse_")
        values = rng.normal(0.0, std, shape)
        zeroed = rng.random(shape).argsort(axis=0)[:math.ceil(sparsity * rows)]
        values[zeroed, np.arange(cols)] = 0.0
        return values
    return _drawn(tensor, "sparse_", draw)


def _deprecated(initialiser: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """PyTorch's old spelling of `initialiser`, without the trailing underscore: the same
    call, with PyTorch's FutureWarning naming the new one."""
    new = initialiser.__name__
    old = new[:-1]
    as_called = named(initialiser, old)  # (a copy: wrong arguments said of the old name)

    def deprecated(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.",
                      FutureWarning, stacklevel=user_stacklevel())
        return as_called(*args, **kwargs)
    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"Deprecated (PyTorch's old spelling): use nn.init.{new}."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
