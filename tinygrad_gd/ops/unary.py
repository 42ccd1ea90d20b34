"""More elementwise functions of one input: powers, logarithms, trigonometry, rounding.

Each is its own op with its own local derivative, as in `elementwise.py`. The rounding
functions (`floor`, `ceil`, `round`, `trunc`) and `sign` are steps: their derivative is 0
wherever it exists, so their gradient is 0 everywhere (PyTorch's convention), which
stops the gradient without breaking the graph.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Function
from .arguments import floating, integer

LN2, LN10 = np.log(2.0), np.log(10.0)


class _Pointwise(Function, register=False):
    """out = fn(x) and its gradient g * derivative(...): what most ops here are.

    The derivative is written in terms of x, or of out where that is simpler
    (`of_output = True`). Only that array is saved: a write into it, or into an input,
    makes backward refuse (versions.py). `domain = True`: outside its domain the function (and its
    derivative) is NaN or infinite, as PyTorch's, without NumPy's warnings. `real =
    True`: its values are real numbers, so a bool or integer input is computed in float64
    (not NumPy's float16 for bool and int8); square keeps an integer dtype."""

    of_output = False
    domain = False
    real = True
    derivative_graph: Any = None  # the derivative in Tensor ops (None: no backward_graph)

    def __init_subclass__(cls, **declared: Any) -> None:
        super().__init_subclass__(**declared)
        if cls.backward_graph in (None, _Pointwise.backward_graph):  # (else: its own)
            cls.backward_graph = _Pointwise.backward_graph if cls.derivative_graph else None

    @classmethod
    def call(cls, input):  # noqa: A002  (PyTorch's name: a wrong count is refused here)
        return cls.apply(input)

    @staticmethod
    def fn(x):
        raise NotImplementedError

    @staticmethod
    def derivative(x_or_out):
        raise NotImplementedError

    def forward(ctx, x):
        op = type(ctx)
        if op.real:
            x = floating(x)
        out = _quietly(op.fn, x) if op.domain else op.fn(x)
        ctx.save_for_backward(out if op.of_output else x)
        return out

    def backward(ctx, g):
        op, (saved,) = type(ctx), ctx.saved_tensors
        return g * (_quietly(op.derivative, saved) if op.domain else op.derivative(saved))

    def backward_graph(ctx, out, g):  # (quietly: NaN and infinities are answers)
        op = type(ctx)
        return g * _quietly(op.derivative_graph, out if op.of_output else ctx.parents[0])


def _quietly(function: Any, x: np.ndarray) -> np.ndarray:
    """`function(x)` without NumPy's warnings, for an op with a `domain`: NaN and infinities
    are its answer there. (Only they pay for an errstate: on small arrays it costs more than
    the op itself.)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        return function(x)


class Square(_Pointwise, elementwise=True, methods=("square",), functions=("square",)):
    """x * x.

    forward: `x**2`
    gradient: `2 * x * g`
    """

    fn = staticmethod(lambda x: np.square(x, dtype=np.int64 if x.dtype == bool else None))
    real = False  # (an integer's square is one, a bool's int64 (NumPy's int8), as PyTorch's)

    @staticmethod
    def derivative(x):
        return 2 * x
    derivative_graph = derivative  # (operators only: Tensors too)


class Reciprocal(Function, elementwise=True, methods=("reciprocal",), functions=("reciprocal",)):
    """1 / x.

    forward: `1 / x`
    gradient: `-g * out**2`
    """

    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            out = np.reciprocal(floating(x))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * out * out

    def backward_graph(ctx, out, g):
        return -g * out * out


class Rsqrt(_Pointwise, elementwise=True, methods=("rsqrt",), functions=("rsqrt",)):
    """1 / sqrt(x) (PyTorch's rsqrt): infinite at 0, NaN below it.

    forward: `1 / sqrt(x)`
    gradient: `-g * out**3 / 2`
    """

    of_output, domain = True, True

    @staticmethod
    def fn(x):
        return 1 / np.sqrt(x)

    @staticmethod
    def derivative(out):
        return -0.5 * out ** 3
    derivative_graph = derivative  # (operators only: Tensors too)


class Sin(_Pointwise, elementwise=True, methods=("sin",), functions=("sin",)):
    """Sine.

    forward: `sin(x)`
    gradient: `g * cos(x)`
    """

    fn = staticmethod(np.sin)

    @staticmethod
    def derivative(x):
        return np.cos(x)
    derivative_graph = staticmethod(lambda x: x.cos())


class Cos(_Pointwise, elementwise=True, methods=("cos",), functions=("cos",)):
    """Cosine.

    forward: `cos(x)`
    gradient: `-g * sin(x)`
    """

    fn = staticmethod(np.cos)

    @staticmethod
    def derivative(x):
        return -np.sin(x)
    derivative_graph = staticmethod(lambda x: -x.sin())


class Tan(_Pointwise, elementwise=True, methods=("tan",), functions=("tan",)):
    """Tangent.

    forward: `tan(x)`
    gradient: `g * (1 + out**2)`
    """

    fn = staticmethod(np.tan)
    of_output = True

    @staticmethod
    def derivative(out):
        return 1 + out * out
    derivative_graph = derivative  # (operators only: Tensors too)


class Log1p(_Pointwise, elementwise=True, methods=("log1p",), functions=("log1p",)):
    """ln(1 + x), accurate for small x.

    forward: `ln(1 + x)`
    gradient: `g / (1 + x)`
    """

    fn = staticmethod(np.log1p)

    @staticmethod
    def derivative(x):
        return 1 / (1 + x)
    derivative_graph = derivative  # (operators only: Tensors too)


class Expm1(_Pointwise, elementwise=True, methods=("expm1",), functions=("expm1",)):
    """e**x - 1, accurate for small x.

    forward: `e**x - 1`
    gradient: `g * (out + 1)`
    """

    fn = staticmethod(np.expm1)
    of_output = True

    @staticmethod
    def derivative(out):
        return out + 1
    derivative_graph = derivative  # (operators only: Tensors too)


class Log2(_Pointwise, elementwise=True, methods=("log2",), functions=("log2",)):
    """Logarithm to base 2.

    forward: `log2(x)`
    gradient: `g / (x * ln 2)`
    """

    fn = staticmethod(np.log2)

    @staticmethod
    def derivative(x):
        return 1 / (x * LN2)
    derivative_graph = derivative  # (operators only: Tensors too)


class Log10(_Pointwise, elementwise=True, methods=("log10",), functions=("log10",)):
    """Logarithm to base 10.

    forward: `log10(x)`
    gradient: `g / (x * ln 10)`
    """

    fn = staticmethod(np.log10)

    @staticmethod
    def derivative(x):
        return 1 / (x * LN10)
    derivative_graph = derivative  # (operators only: Tensors too)


class Exp2(_Pointwise, elementwise=True, methods=("exp2",), functions=("exp2",)):
    """2**x.

    forward: `2**x`
    gradient: `g * out * ln 2`
    """

    fn = staticmethod(np.exp2)
    of_output = True

    @staticmethod
    def derivative(out):
        return out * LN2
    derivative_graph = derivative  # (operators only: Tensors too)


class Arcsin(_Pointwise, elementwise=True, methods=("arcsin", "asin"),
             functions=("arcsin", "asin")):
    """Inverse sine, for -1 <= x <= 1 (NaN outside; NumPy's arcsin, PyTorch's asin).

    forward: `arcsin(x)`
    gradient: `g / sqrt(1 - x**2)`
    """

    fn = staticmethod(np.arcsin)
    domain = True

    @staticmethod
    def derivative(x):
        return 1 / np.sqrt(1 - x * x)
    derivative_graph = staticmethod(lambda x: 1 / (1 - x * x).sqrt())


class Arccos(_Pointwise, elementwise=True, methods=("arccos", "acos"),
             functions=("arccos", "acos")):
    """Inverse cosine, for -1 <= x <= 1 (NaN outside; NumPy's arccos, PyTorch's acos).

    forward: `arccos(x)`
    gradient: `-g / sqrt(1 - x**2)`
    """

    fn = staticmethod(np.arccos)
    domain = True

    @staticmethod
    def derivative(x):
        return -1 / np.sqrt(1 - x * x)
    derivative_graph = staticmethod(lambda x: -1 / (1 - x * x).sqrt())


class Arctan(_Pointwise, elementwise=True, methods=("arctan", "atan"),
             functions=("arctan", "atan")):
    """Inverse tangent (NumPy's arctan, PyTorch's atan).

    forward: `arctan(x)`
    gradient: `g / (1 + x**2)`
    """

    fn = staticmethod(np.arctan)

    @staticmethod
    def derivative(x):
        return 1 / (1 + x * x)
    derivative_graph = derivative  # (operators only: Tensors too)


class Sinh(_Pointwise, elementwise=True, methods=("sinh",), functions=("sinh",)):
    """Hyperbolic sine.

    forward: `sinh(x)`
    gradient: `g * cosh(x)`
    """

    fn = staticmethod(np.sinh)

    @staticmethod
    def derivative(x):
        return np.cosh(x)
    derivative_graph = staticmethod(lambda x: x.cosh())


class Cosh(_Pointwise, elementwise=True, methods=("cosh",), functions=("cosh",)):
    """Hyperbolic cosine.

    forward: `cosh(x)`
    gradient: `g * sinh(x)`
    """

    fn = staticmethod(np.cosh)

    @staticmethod
    def derivative(x):
        return np.sinh(x)
    derivative_graph = staticmethod(lambda x: x.sinh())


class Arcsinh(_Pointwise, elementwise=True, methods=("arcsinh", "asinh"),
              functions=("arcsinh", "asinh")):
    """Inverse hyperbolic sine (NumPy's arcsinh, PyTorch's asinh).

    forward: `arcsinh(x)`
    gradient: `g / sqrt(x**2 + 1)`
    """

    fn = staticmethod(np.arcsinh)

    @staticmethod
    def derivative(x):
        return 1 / np.sqrt(x * x + 1)
    derivative_graph = staticmethod(lambda x: 1 / (x * x + 1).sqrt())


class Arccosh(_Pointwise, elementwise=True, methods=("arccosh", "acosh"),
              functions=("arccosh", "acosh")):
    """Inverse hyperbolic cosine, for x >= 1 (NaN below; NumPy's arccosh, PyTorch's acosh).

    forward: `arccosh(x)`
    gradient: `g / sqrt(x**2 - 1)`
    """

    fn = staticmethod(np.arccosh)
    domain = True

    @staticmethod
    def derivative(x):
        return 1 / np.sqrt(x * x - 1)
    derivative_graph = staticmethod(lambda x: 1 / (x * x - 1).sqrt())


class Arctanh(_Pointwise, elementwise=True, methods=("arctanh", "atanh"),
              functions=("arctanh", "atanh")):
    """Inverse hyperbolic tangent, for -1 < x < 1 (NumPy's arctanh, PyTorch's atanh).

    forward: `arctanh(x)`
    gradient: `g / (1 - x**2)`
    """

    fn = staticmethod(np.arctanh)
    domain = True

    @staticmethod
    def derivative(x):
        return 1 / (1 - x * x)
    derivative_graph = derivative  # (operators only: Tensors too)


class Deg2rad(Function, elementwise=True, methods=("deg2rad",),
              functions=("deg2rad", "radians")):
    """Degrees to radians (NumPy's deg2rad and radians, PyTorch's deg2rad).

    forward: `x * pi / 180`
    gradient: `g * pi / 180`
    """

    def forward(ctx, x):  # (its derivative is a constant: nothing saved)
        return np.deg2rad(floating(x))

    def backward(ctx, g):
        return g * (np.pi / 180)

    def backward_graph(ctx, out, g):
        return g * (np.pi / 180)


class Rad2deg(Function, elementwise=True, methods=("rad2deg",),
              functions=("rad2deg", "degrees")):
    """Radians to degrees (NumPy's rad2deg and degrees, PyTorch's rad2deg).

    forward: `x * 180 / pi`
    gradient: `g * 180 / pi`
    """

    def forward(ctx, x):  # (its derivative is a constant: nothing saved)
        return np.rad2deg(floating(x))

    def backward(ctx, g):
        return g * (180 / np.pi)

    def backward_graph(ctx, out, g):
        return g * (180 / np.pi)


class _Step(Function, register=False):
    """A piecewise-constant function (each subclass's `fn`): gradient 0 everywhere
    (PyTorch's convention)."""

    def forward(ctx, x):
        ctx.shape = x.shape
        return type(ctx).fn(x)

    def backward(ctx, g):
        return np.zeros(ctx.shape, dtype=g.dtype)

    def backward_graph(ctx, out, g):  # (0 where g is inf or NaN too, as backward's: not g * 0)
        return g.masked_fill(np.ones(ctx.shape, dtype=bool), 0.0)


class Sign(_Step, elementwise=True, methods=("sign", "sgn"), functions=("sign", "sgn")):
    """-1, 0 or 1 by the sign of x (0 at 0); gradient 0. `sgn` is PyTorch's other name
    (the same function for real numbers). NaN stays NaN, as NumPy's (PyTorch's gives 0:
    a NaN is not hidden here).

    forward: `sign(x)`
    gradient: `0`
    """

    def forward(ctx, x):
        ctx.shape = x.shape  # (booleans stay as they are, as PyTorch's: NumPy has no bool sign)
        return x.copy() if x.dtype == bool else np.sign(x)


class Floor(_Step, elementwise=True, methods=("floor",), functions=("floor",)):
    """The largest whole number <= x; gradient 0.

    forward: `floor(x)`
    gradient: `0`
    """

    fn = staticmethod(np.floor)


class Ceil(_Step, elementwise=True, methods=("ceil",), functions=("ceil",)):
    """The smallest whole number >= x; gradient 0.

    forward: `ceil(x)`
    gradient: `0`
    """

    fn = staticmethod(np.ceil)


class Trunc(_Step, elementwise=True, methods=("trunc", "fix"), functions=("trunc", "fix")):
    """x rounded toward 0, its whole part (PyTorch's trunc and fix, NumPy's trunc and
    fix); integers and booleans stay as they are; gradient 0.

    forward: `trunc(x)`
    gradient: `0`
    """

    def forward(ctx, x):
        ctx.shape = x.shape
        return x.copy() if x.dtype.kind in "biu" else np.trunc(x)


class Round(_Step, elementwise=True, methods=("round",), functions=("round",)):
    """The nearest whole number (or `decimals` places), halves to even (NumPy's and
    PyTorch's rule); gradient 0.

    forward: `round(x, decimals)` (halves to even)
    gradient: `0`
    """

    @classmethod
    def call(cls, x, decimals=0):
        decimals = integer("round", "decimals", decimals)  # (a 0-d integer tensor: its int)
        return cls.apply(x, decimals=int(decimals))

    def forward(ctx, x, *, decimals=0):
        ctx.shape = x.shape  # (booleans stay as they are, as floor's: not NumPy's float16)
        return x.copy() if x.dtype == bool else np.round(x, decimals)
