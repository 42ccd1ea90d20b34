"""Bad input to every registered op and public function: one line naming the op, never NaN.

The sweep is generated from the registry, not listed by hand: each `tg.` function an op
registers (and each of its Tensor methods) is first called with arguments that work,
found by trying the usual shapes of a call; then each argument in turn is replaced by
something that is no tensor (None, a string, bytes, a complex number, an object array, a
ragged list, a dict), the axis by a wrong one, and a bogus keyword is added. Each call
must either raise one line that names the function, or give finite numbers.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_gd as tg

X = tg.Tensor([[0.5, 1.5], [2.0, 3.0]])
INDEX = tg.Tensor([[0, 1], [1, 0]], dtype="int64")
IMAGE, KERNEL = tg.Tensor(np.arange(9.0).reshape(1, 1, 3, 3)), tg.Tensor(np.ones((1, 1, 2, 2)))
BAD = {
    "None": None, "string": "3", "bytes": b"x", "complex": 1j,
    "object array": np.array([1.0, None], dtype=object), "ragged list": [[1.0, 2.0], [3.0]],
    "dict": {"a": 1},
}
WRONG_AXES = [5, -9, 1.5, "0", (0, 0)]


def _working_call(fn: Callable) -> tuple[Any, ...] | None:
    """The first of the usual argument lists that `fn` accepts."""
    for args in [(X,), (X, X), ([X, X],), (X > 1.0, X, X), (X, INDEX), (X, 0.5), (X, (4,)),
                 (X, (2, 2)), (X, 4), (X, 0), (X, 0, 1), (X, INDEX, 0), (X, 0, INDEX),
                 ("ij,jk->ik", X, X), (2,), (2, 3), (0.0, 1.0, 5), (X, X > 1.0, 0.5),
                 (X, 0, 0, 1), (X, 0, INDEX[0]), (IMAGE, KERNEL), (IMAGE, 2), (X[0], 1.0),
                 (X, 0, INDEX, X), (X, 0, INDEX, X, "sum"), (X, 0, INDEX[0], X),
                 (X, X > 1.0, X), (X[0], X[0])]:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001  (trying shapes of a call)
            continue
        return args
    return None


def _library_functions() -> dict[str, Callable]:
    names = {}
    for op in tg.registered_ops().values():
        if op.__module__.startswith("tinygrad_gd."):
            for name in op.functions:
                names[f"tg.{name}"] = getattr(tg, name)
            for name in op.methods:
                if not name.startswith("__"):
                    names[f"Tensor.{name}"] = (lambda n: lambda x, *a, **k: getattr(
                        tg.Tensor(x) if not isinstance(x, tg.Tensor) else x, n)(*a, **k))(name)
    for module in (tg.creation, tg.logic):  # the public functions that are no op
        for name in module.__all__:
            names[f"tg.{name}"] = getattr(tg, name)
    return names


FUNCTIONS = _library_functions()


def _check(call: Callable[[], Any], name: str, what: str) -> None:
    short = name.split(".")[-1]
    try:
        result = call()
    except (TypeError, ValueError, IndexError, RuntimeError) as err:
        text = str(err)
        assert "\n" not in text, f"{name} with {what}: a message of several lines: {text!r}"
        op_names = {short} | {n for op in tg.registered_ops().values()
                              if short in op.functions + op.methods for n in (op.name,)}
        assert any(text.startswith(n) or f"{n}:" in text or f"{n}(" in text
                   for n in op_names | {"Tensor()", "operand"}), \
            f"{name} with {what}: the message names neither the function nor the op: {text!r}"
        return
    values = np.asarray(result.data if isinstance(result, tg.Tensor) else result, dtype=float)
    assert np.isfinite(values).all(), f"{name} with {what} gave non-finite numbers: {result!r}"


def test_the_sweep_covers_every_registered_function():
    assert len(FUNCTIONS) >= 40
    unreachable = [name for name, fn in FUNCTIONS.items() if _working_call(fn) is None]
    assert not unreachable, f"no usual call works for {unreachable}: teach _working_call one"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_argument_replaced_by_bad_input(name):
    fn = FUNCTIONS[name]
    args = _working_call(fn)
    for position in range(len(args)):
        for what, bad in BAD.items():
            changed = list(args)
            if isinstance(changed[position], list):  # a sequence of tensors: spoil one
                changed[position] = [X, bad]
            else:
                changed[position] = bad
            _check(lambda: fn(*changed), name, f"argument {position} = {what}")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_wrong_axes_and_keywords(name):
    fn = FUNCTIONS[name]
    args = _working_call(fn)
    _check(lambda: fn(*args, bogus_keyword=1), name, "a bogus keyword")
    for axis in WRONG_AXES:
        try:
            fn(*args, axis=0)
        except TypeError:
            break  # takes no axis
        _check(lambda: fn(*args, axis=axis), name, f"axis={axis!r}")


def test_known_holes_stay_closed():
    """The reproducers of the attack (issue B4, B9), each refused in one line."""
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    cases = {
        "mul": lambda: a * None, "add": lambda: a + [None, 1.0],
        "Tensor()": lambda: tg.Tensor([1.0, None], dtype="float64"),
        "concatenate": lambda: tg.concatenate([a, a], axis=5), "sum": lambda: a.sum(axis=1.0),
        "leaky_relu": lambda: a.leaky_relu("x"),
        "sub": lambda: tg.Tensor([True], dtype=bool) - tg.Tensor([False], dtype=bool),
    }
    for name, case in cases.items():
        with pytest.raises((TypeError, ValueError)) as info:
            case()
        assert str(info.value).startswith(name) and "\n" not in str(info.value)
    with pytest.raises(TypeError, match=r"^add: expected numeric data .* from '3'"):
        a + "3"
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: "abc")
    with pytest.raises(TypeError, match="a gradient hook returned str 'abc'"):
        (x * x).sum().backward()
