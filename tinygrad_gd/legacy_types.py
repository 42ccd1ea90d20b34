"""PyTorch's legacy tensor types: `tg.LongTensor([4, 0, 58])`, `tg.FloatTensor(2, 3)`,
`isinstance(x, tg.LongTensor)`, `x.type(tg.LongTensor)`.

Each names a dtype, as PyTorch's do: calling one makes a plain `Tensor` of that dtype
(`type(tg.LongTensor([1]))` is `tg.Tensor`, as `type(torch.LongTensor([1]))` is
`torch.Tensor`); `isinstance(x, tg.LongTensor)` asks whether x is a Tensor of dtype
int64; `tg.LongTensor.dtype` is that dtype (NumPy's), so `x.type(tg.LongTensor)` casts
as `x.type(tg.int64)` does. None is a base class (PyTorch's refuse that too).

The calls, as PyTorch's legacy constructors:

- with data (a list, tuple or array of numbers): a new tensor of the values in the
  type's dtype (floats cut toward zero into an integer type, as PyTorch's); a list's
  value that the integer dtype cannot hold (300 into ByteTensor, nan, 1e30) is refused,
  a RuntimeError as PyTorch's (a NumPy array's wrap around, as both libraries cast it);
- with a tensor of the same dtype: that tensor (PyTorch's is a view of it); of another
  dtype: a TypeError (cast it: `x.type(tg.LongTensor)`);
- with sizes (`tg.FloatTensor(2, 3)`, `size=(2, 3)`): zeros of that shape. PyTorch's
  values are uninitialised memory, whatever was there; zeros are the honest choice for
  values never set. A tuple is data, as PyTorch reads it (`tg.LongTensor((2, 3))` holds
  2 and 3): a shape here is a plain tuple, so give the sizes unpacked,
  `tg.FloatTensor(*x.shape)` (PyTorch's `torch.FloatTensor(x.size())`);
- with nothing: an empty tensor of shape (0,).

`device=` takes the CPU only (a RuntimeError otherwise, as PyTorch's legacy
constructors give for another device); `dtype=` and `requires_grad=` are refused, as
PyTorch's (use `tg.tensor(data, dtype=..., requires_grad=True)`). PyTorch's
BFloat16Tensor is left out: NumPy has no bfloat16.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .creation import _whole, zeros
from .tensor import Tensor
from .values import out_of_range

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_fits(where: str, data: Any, dtype: np.dtype) -> None:
    """A list's values: rectangular, and into an integer dtype each must fit it (PyTorch
    checks each Python number; NaN, inf, 300 into uint8 refused), never wrapped around."""
    try:
        values = np.asarray(data)
    except ValueError:  # (NumPy's words run over several lines)
        raise ValueError(f"{where}: the data's rows have different lengths (a ragged list); "
                         f"give a rectangular list of numbers") from None
    if dtype.kind not in "iu" or values.dtype.kind not in "iuf" or not values.size:
        return  # (bool takes any number; floats too big become inf, as PyTorch's)
    bad = out_of_range(values, dtype)
    if bad is not None:
        info = np.iinfo(dtype)
        raise RuntimeError(f"{where}: value {bad!r} cannot be converted to type {dtype} "
                           f"without overflow; give values from {info.min} to {info.max}, or "
                           f"use a wider type")


class _LegacyType(type):
    """The type of `tg.LongTensor` and the others: calling one makes a Tensor of its dtype;
    isinstance asks for that dtype."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict) -> "_LegacyType":
        for base in bases:
            if isinstance(base, _LegacyType):
                raise TypeError(f"type 'tinygrad_gd.{base.__name__}' is not an acceptable base "
                                f"type (it names a dtype; subclass tg.Tensor instead)")
        return super().__new__(mcs, name, bases, namespace)

    def __call__(cls, *args: Any, size: Any = None, device: Any = None, **unknown: Any
                 ) -> Tensor:
        where = f"{cls.__name__}()"
        if unknown:
            raise TypeError(f"{where}: unexpected keyword(s) {sorted(unknown)}; the legacy "
                            f"constructor takes data or sizes, size= and device= only: use "
                            f"tg.tensor(data, dtype=tg.{cls.dtype}, requires_grad=...)")
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"{where}: legacy constructor expects device type: cpu but "
                               f"device type: {str(device).split(':')[0]} was passed; "
                               f"tinygrad_gd runs on the CPU only")
        if size is not None:
            if args:
                raise TypeError(f"{where}: give the sizes as arguments or as size=, not both")
            args = tuple(size) if isinstance(size, (list, tuple)) else (size,)
            if not all(_is_size(n) for n in args):
                raise TypeError(f"{where}: size must be a tuple of ints, got {size!r}")
        elif not args:
            return zeros(0, dtype=cls.dtype)  # (an empty tensor, as PyTorch's)
        if all(_is_size(n) for n in args):
            negative = [int(n) for n in args if n < 0]
            if negative:
                raise RuntimeError(f"{where}: trying to create a tensor with negative "
                                   f"dimension {negative[0]}: {[int(n) for n in args]}; give "
                                   f"each size >= 0")
            return zeros(*(int(n) for n in args), dtype=cls.dtype)  # (PyTorch's: unset values)
        if len(args) > 1:
            raise TypeError(f"{where}: takes data (one list, tuple or array) or sizes (ints), "
                            f"got {len(args)} arguments of types "
                            f"{[type(a).__name__ for a in args]}")
        return cls._from_data(where, args[0])

    def _from_data(cls, where: str, data: Any) -> Tensor:
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise TypeError(f"{where}: expected a tensor of dtype {cls.dtype}, got one of "
                                f"dtype {data.dtype}; cast it: x.type(tg.{cls.__name__})")
            return data  # (PyTorch's is a view of it: the same values)
        if not isinstance(data, (list, tuple, np.ndarray)) or getattr(data, "ndim", 1) == 0:
            raise TypeError(f"{where}: data must be a sequence (a list, tuple or array of "
                            f"numbers) or sizes (ints), got {type(data).__name__}")
        if isinstance(data, (list, tuple)):
            _check_fits(where, data, cls.dtype)
        with np.errstate(over="ignore"):  # (1e6 into float16: inf, as PyTorch's)
            return _whole(data, cls.dtype, False, where)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'tinygrad_gd.{cls.__name__}'>"


class FloatTensor(metaclass=_LegacyType):
    """PyTorch's torch.FloatTensor: float32 (`tg.FloatTensor([[1, 2]])`, `tg.FloatTensor(2, 3)`
    zeros)."""
    dtype = np.dtype(np.float32)


class DoubleTensor(metaclass=_LegacyType):
    """PyTorch's torch.DoubleTensor: float64, tinygrad_gd's default float."""
    dtype = np.dtype(np.float64)


class HalfTensor(metaclass=_LegacyType):
    """PyTorch's torch.HalfTensor: float16."""
    dtype = np.dtype(np.float16)


class LongTensor(metaclass=_LegacyType):
    """PyTorch's torch.LongTensor: int64, the dtype of labels and indices
    (`tg.LongTensor([4, 0, 58])`)."""
    dtype = np.dtype(np.int64)


class IntTensor(metaclass=_LegacyType):
    """PyTorch's torch.IntTensor: int32."""
    dtype = np.dtype(np.int32)


class ShortTensor(metaclass=_LegacyType):
    """PyTorch's torch.ShortTensor: int16."""
    dtype = np.dtype(np.int16)


class CharTensor(metaclass=_LegacyType):
    """PyTorch's torch.CharTensor: int8."""
    dtype = np.dtype(np.int8)


class ByteTensor(metaclass=_LegacyType):
    """PyTorch's torch.ByteTensor: uint8."""
    dtype = np.dtype(np.uint8)


class BoolTensor(metaclass=_LegacyType):
    """PyTorch's torch.BoolTensor: bool (`tg.BoolTensor([1, 0, 2])` holds True, False, True)."""
    dtype = np.dtype(np.bool_)
