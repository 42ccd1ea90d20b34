"""Python's augmented assignments on tensors (`t **= 2`, `t //= 3`, `t &= m`, ...): they
change the tensor in place, as `+=` does and as PyTorch's do, so every name bound to it
sees the change; in a graph they are the recorded op; a leaf that requires a gradient
takes them under `tg.no_grad()` only."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_gd as tg

# (symbol, the values before, the other operand): each as PyTorch's in-place operator
CASES = [("**=", [1.0, -2.0, 3.0], 2), ("**=", [1.0, 4.0, 9.0], 0.5),
         ("//=", [5.0, -7.0, 3.0], 2), ("//=", [5, -7, 3], 2), ("%=", [5.0, -7.0, 3.0], 3),
         ("%=", [5, -7, 3], -3), ("&=", [6, 3, 1], 5), ("|=", [6, 3, 1], 8),
         ("^=", [6, 3, 1], 1), ("<<=", [6, 3, 1], 2), (">>=", [6, 3, 1], 1),
         ("&=", [True, False, True], [True, True, False]), ("|=", [True, False], False),
         ("+=", [1.0, 2.0], 3), ("-=", [1.0, 2.0], 3), ("*=", [1, 2], 3), ("/=", [1.0, 2.0], 4)]


def _assign(t, symbol, other):
    namespace = {"t": t, "other": other}
    exec(f"t {symbol} other", namespace)  # (the statement itself, as a user writes it)
    return namespace["t"]


@pytest.mark.parametrize("symbol,values,other", CASES)
def test_an_augmented_assignment_changes_the_tensor_every_name_sees(symbol, values, other):
    t = tg.tensor(values)
    alias = t
    expected = getattr(tg.tensor(values), f"__{_dunder(symbol)}__")(other)
    result = _assign(t, symbol, other)
    assert result is alias
    assert alias.dtype == tg.tensor(values).dtype
    np.testing.assert_array_equal(alias.numpy(), expected.numpy())


@pytest.mark.parametrize("symbol,values,other", CASES)
def test_an_augmented_assignment_gives_pytorchs_values(symbol, values, other):
    torch = pytest.importorskip("torch")
    theirs = torch.from_numpy(tg.tensor(values).numpy().copy())  # (float64, as ours)
    _assign(theirs, symbol, other if not isinstance(other, list) else torch.tensor(other))
    ours = _assign(tg.tensor(values), symbol, other)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _dunder(symbol):
    return {"**=": "pow", "//=": "floordiv", "%=": "mod", "&=": "and", "|=": "or",
            "^=": "xor", "<<=": "lshift", ">>=": "rshift", "+=": "add", "-=": "sub",
            "*=": "mul", "/=": "truediv"}[symbol]


def test_a_leaf_that_requires_a_gradient_takes_them_under_no_grad_only():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    for symbol in ("**=", "//=", "%="):
        with pytest.raises(RuntimeError, match=rf"^{re.escape(symbol)}: writing into a leaf tensor that "
                                               r"requires a gradient.*no_grad"):
            _assign(w, symbol, 2)
        np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    with tg.no_grad():
        same = _assign(w, "**=", 2)
    assert same is w and w.requires_grad
    np.testing.assert_array_equal(w.numpy(), [1.0, 4.0])


def test_in_a_graph_the_assignment_is_the_recorded_op_and_its_gradient_flows():
    w = tg.tensor([0.5, -1.5, 2.0], requires_grad=True)
    h = w * 3
    first = h
    h **= 2
    assert h is first and h.grad_fn.name == "pow"  # in place, recorded, as PyTorch's
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * 9 * np.array([0.5, -1.5, 2.0]))


def test_the_change_is_counted_so_a_graph_that_saved_the_values_refuses_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0])
    loss = (x * w).sum()  # (mul saved w's values for x's gradient)
    w **= 2
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_a_result_the_tensor_cannot_hold_is_refused_in_one_line_and_nothing_changes():
    t = tg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match=r"^\*\*=: cannot write the result into a tensor of "
                                        r"shape \(3,\) and dtype int64.*float64.*"
                                        r"use t = t \*\* \.\.\. for a new tensor$"):
        t **= 0.5
    with pytest.raises(ValueError, match=r"^pow: .*negative integer powers"):
        t **= -1
    with pytest.raises(ValueError, match=r"^pow: shapes \(3,\), \(2, 2\) do not broadcast"):
        t **= [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match=r"^\*\*=: .*shape \(2, 3\) does not broadcast to "
                                         r"\(3,\).*use t = t \*\* \.\.\. for a new tensor$"):
        t **= [[1, 2, 3], [3, 4, 5]]  # (the op broadcasts; its (2, 3) result cannot fit t)
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])
