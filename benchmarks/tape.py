"""A bare tape autograd: the bound rows of the tiny-step and per-node benchmarks.

It is what an engine of this design (NumPy arrays, one recorded node per op, one
reverse pass) must do at the least, so its time is a bound on what such an engine can
reach, not a peer to compare against: a target below it asks for another design.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class TapeValue:
    """A bare tape autograd over NumPy arrays: the least an engine like ours must do per op.

    Each op makes one result object holding its value, its inputs and a closure (its
    vector-Jacobian product); backward walks the recorded nodes in reverse, calling the
    closures. No checks, no dtypes, no graph kept for drawing, no grad mode, no version
    counters, no broadcasting, no Function objects: only what the benchmarks use.
    """

    __slots__ = ("data", "grad", "inputs", "vjp")
    wrap = staticmethod(np.asarray)  # what an op's value is kept as

    def __init__(self, data: Any, inputs: tuple = (), vjp: Any = None) -> None:
        self.data, self.grad, self.inputs, self.vjp = data, None, inputs, vjp

    def _node(self, value: Any, inputs: tuple, vjp: Any) -> "TapeValue":
        return type(self)(self.wrap(value), inputs, vjp)

    def __matmul__(self, other: "TapeValue") -> "TapeValue":
        return self._node(self.data @ other.data, (self, other),
                          lambda g: (g * other.data, g * self.data))

    def __mul__(self, other: "TapeValue | float") -> "TapeValue":
        if isinstance(other, TapeValue):
            return self._node(self.data * other.data, (self, other),
                              lambda g: (g * other.data, g * self.data))
        return self._node(self.data * other, (self,), lambda g: (g * other,))

    def __rmul__(self, c: float) -> "TapeValue":
        return self._node(c * self.data, (self,), lambda g: (g * c,))

    def __add__(self, c: float) -> "TapeValue":
        return self._node(self.data + c, (self,), lambda g: (g,))

    def __sub__(self, c: float) -> "TapeValue":
        return self._node(self.data - c, (self,), lambda g: (g,))

    def __pow__(self, c: float) -> "TapeValue":
        return self._node(self.data ** c, (self,), lambda g: (g * c * self.data ** (c - 1),))

    def tanh(self) -> "TapeValue":
        y = np.tanh(self.data)
        return self._node(y, (self,), lambda g: (g * (1 - y * y),))

    def sum(self) -> "TapeValue":
        return self._node(self.data.sum(), (self,),
                          lambda g: (np.broadcast_to(g, self.data.shape),))

    def backward(self) -> None:
        order, seen, stack = [], set(), [self]  # the nodes, each after all its consumers
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
                stack.extend(node.inputs)
        self.grad = self.wrap(1.0)
        for node in order:  # chains here, so discovery order is a reverse topological one
            if node.vjp is not None:
                for parent, g in zip(node.inputs, node.vjp(node.grad)):
                    parent.grad = g if parent.grad is None else parent.grad + g


class FloatTapeValue(TapeValue):
    """The same bare tape with each op's 0-d value kept as a Python float (micrograd's
    arithmetic, about 30 ns an operation against NumPy's 500 ns for a 0-d array)."""

    __slots__ = ()
    wrap = staticmethod(float)
